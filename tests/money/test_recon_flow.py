"""Settlement end to end: orders placed, part-cancelled and delivered through the real flows, a settlement update
and an RSF 2.0 recon signed like a buyer app's, answered by a real worker to a local receiver, and ONDC's validator
on the recon and our on_recon. Bad recons are refused with RSF's codes and change nothing."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from adapter.certification.validator import neutralise_addresses
from adapter.protocol.context import format_timestamp
from adapter.protocol.signing import verify_request
from adapter.store.models import InboundMessage, Order, OutboxMessage, ReconFigure
from config import Settings
from tests.integration.test_orders import Buyer
from tests.support.network import BUYER_ID, SELLER_ID, Network
from tests.support.receiver import Receiver, running_receiver
from tests.support.sellers import ALWAYS_OPEN, make_seller
from tests.support.servers import wait_until

ADMIN = {"Authorization": "Bearer test-admin-key-0123456789abcdef"}
TERMS = {"@ondc/org/withholding_amount": "10.00", "@ondc/org/settlement_basis": "delivery",
         "@ondc/org/settlement_window": "P1D"}
MOVES = ("pack", "pick_up", "ship", "at_destination_hub", "out_for_delivery", "deliver")
# Each order comes to 1,280 (1,200 + 80 delivery). At 3 %: fee 38.40, its GST 6.91 (6.912), withholding 10.00,
# TCS 0.5 % 6.40, TDS 0.1 % 1.28; the buyer app owes 1,280 - 62.99 = 1,217.01.
OURS = {"amount": "1217.01", "commission": "45.31", "withholding_amount": "10.00", "tcs": "6.40", "tds": "1.28"}


class SettlingBuyer(Buyer):
    """A buyer app that confirms with settlement terms (basis, window, withholding), as ONDC's examples do."""

    def confirm(self, item_id: str, count: int, order_id: str, quote: dict[str, Any],
                offered: dict[str, Any] | None = None) -> dict[str, Any]:
        body = super().confirm(item_id, count, order_id, quote, offered)
        body["order"]["payment"] |= TERMS
        return body


@pytest.fixture
def seller(sessions: sessionmaker[Session]) -> int:
    return make_seller(sessions, profile=ALWAYS_OPEN)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as server:
        yield server


def rsf_body(receiver: Receiver, orders: list[dict[str, Any]], *, now: dt.datetime | None = None,
             **context: Any) -> bytes:
    moment = now or dt.datetime.now(dt.UTC)
    return orjson.dumps({"context": {
        "domain": "ONDC:NTS10", "location": {"country": {"code": "IND"}, "city": {"code": "*"}}, "version": "2.0.0",
        "action": "recon", "bap_id": BUYER_ID, "bap_uri": receiver.url, "bpp_id": SELLER_ID,
        "bpp_uri": "http://127.0.0.1/ondc", "transaction_id": str(uuid.uuid4()), "message_id": str(uuid.uuid4()),
        "timestamp": format_timestamp(moment), "ttl": "P1D", **context}, "message": {"orders": orders}})


def settlement(order_id: str, figures: dict[str, str], *, status: str = "PENDING",
               ref: str | None = None) -> dict[str, Any]:
    entry: dict[str, Any] = {"id": f"S-{order_id}", "payment_id": f"P-{order_id}", "status": status,
                             "updated_at": format_timestamp(dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5))}
    entry |= {name: {"currency": "INR", "value": value} for name, value in figures.items()}
    if ref:
        entry["settlement_ref_no"] = ref
    return {"id": order_id, "amount": {"currency": "INR", "value": figures["amount"]}, "settlements": [entry]}


def post(client: FlaskClient, network: Network, action: str, body: bytes, *, sign: bool = True) -> Any:
    headers = {"Authorization": network.buyer.sign(body)} if sign else {}
    response = client.post(f"/ondc/{action}", data=body, content_type="application/json", headers=headers)
    response.close()
    return response


def deliver(client: FlaskClient, receiver: Receiver, order_pk: int) -> None:
    for action in MOVES:
        before = len(receiver.posts("/on_status"))
        assert client.post(f"/api/v1/orders/{order_pk}/actions/{action}", headers=ADMIN).status_code == 200
        assert wait_until(lambda: len(receiver.posts("/on_status")) > before, timeout=30)  # noqa: B023


def pk_of(sessions: sessionmaker[Session], order_id: str) -> int:
    with sessions() as session:
        found = session.scalar(select(Order.id).where(Order.order_id == order_id))
    assert found is not None
    return found


def test_settlement_updates_and_a_recon_round_trip_reconcile_to_the_paisa(
    client: FlaskClient, worker: Any, network: Network, seller: int, receiver: Receiver,
    sessions: sessionmaker[Session], validator: Any, tmp_path: Path, settings: Settings
) -> None:
    terms = {"flat_fee": "80", "free_above": "5000"}
    assert client.put("/api/v1/cooperatives/test-coop/delivery", json=terms, headers=ADMIN).status_code == 200
    first, second = SettlingBuyer(client, network, receiver), SettlingBuyer(client, network, receiver)
    first.place("T16-1", 1, "ORDER-A")
    second.place("T16-1", 2, "ORDER-B")
    order_a, order_b = pk_of(sessions, "ORDER-A"), pk_of(sessions, "ORDER-B")
    assert wait_until(lambda: len(receiver.posts("/on_status")) >= 2, timeout=30)  # both accepted at once
    cancelled = client.post(f"/api/v1/orders/{order_b}/actions/part_cancel", json={"item_id": "T16-1", "quantity": 1},
                            headers=ADMIN)
    assert cancelled.status_code == 200, cancelled.json
    deliver(client, receiver, order_a)
    deliver(client, receiver, order_b)

    ledger_b = client.get(f"/api/v1/orders/{order_b}/ledger", headers=ADMIN).json
    assert (ledger_b["value"], ledger_b["net_value"]) == ("2480.00", "1280.00")
    assert ledger_b["refunds"] == [{"kind": "part_cancel", "ref": "C1", "amount": "1200.00"}]
    assert {name: ledger_b[key] for name, key in (("amount", "expected"), ("withholding_amount", "withholding"),
                                                  ("tcs", "tcs"), ("tds", "tds"))} == {
        name: OURS[name] for name in ("amount", "withholding_amount", "tcs", "tds")}
    assert Decimal(ledger_b["finder_fee"]) + Decimal(ledger_b["gst_on_fee"]) == Decimal(OURS["commission"])

    # The buyer app pays order A's sale amount and says so in an update.
    paid = {"settlement_counterparty": "seller-app", "settlement_phase": "sale-amount", "settlement_type": "neft",
            "settlement_amount": "1217.01", "settlement_status": "PAID", "settlement_reference": "UTR-A",
            "settlement_timestamp": format_timestamp(dt.datetime.now(dt.UTC))}
    on_update = first.send("update", {"update_target": "payment", "order": {
        "id": "ORDER-A", "payment": {"@ondc/org/settlement_details": [paid]}}})
    assert on_update is not None
    assert "error" not in on_update
    ledger_a = client.get(f"/api/v1/orders/{order_a}/ledger", headers=ADMIN).json
    assert (ledger_a["state"], ledger_a["received"], ledger_a["difference"]) == ("paid", "1217.01", "0.00")

    # The recon: order A as we figure it (settled), order B with TCS at 1 %, and an order we never had.
    theirs_b = OURS | {"tcs": "12.80", "amount": "1210.61"}
    recon = rsf_body(receiver, [settlement("ORDER-A", OURS, status="SETTLED", ref="UTR-A"),
                                settlement("ORDER-B", theirs_b), settlement("ORDER-Z", OURS)],
                     bpp_uri=settings.bpp_uri)
    answer = post(client, network, "recon", recon)
    assert answer.status_code == 200
    assert answer.json == {"message": {"ack": {"status": "ACK"}}}
    assert wait_until(lambda: bool(receiver.posts("/on_recon")), timeout=30)
    (post_back,) = receiver.posts("/on_recon")
    verify_request(post_back.body, post_back.headers["Authorization"],
                   public_key_b64=network.seller.keys.signing_public_key, now=int(dt.datetime.now(dt.UTC).timestamp()))
    on_recon = orjson.loads(post_back.body)
    sent = orjson.loads(recon)
    assert on_recon["context"] | {"timestamp": None} == sent["context"] | {"action": "on_recon", "timestamp": None}
    by_id = {order["id"]: order for order in on_recon["message"]["orders"]}
    assert set(by_id) == {"ORDER-A", "ORDER-B"}
    assert by_id["ORDER-A"]["recon_accord"] is True
    assert by_id["ORDER-A"]["settlements"][0]["settlement_ref_no"] == "UTR-A"
    disputed = by_id["ORDER-B"]
    assert disputed["recon_accord"] is False
    (ours_b,) = disputed["settlements"]
    assert {name: ours_b[name]["value"] for name in OURS} == OURS
    assert {name: ours_b[name]["diff_value"] for name in OURS} == {
        "amount": "6.40", "commission": "0.00", "withholding_amount": "0.00", "tcs": "6.40", "tds": "0.00"}
    assert disputed["amount"] == {"currency": "INR", "value": "1217.01"}
    assert on_recon["error"]["code"] == "70030"
    assert "ORDER-Z" in on_recon["error"]["message"]

    with sessions() as session:
        rows = {r.order_pk: r for r in session.scalars(select(ReconFigure))}
    assert {pk: (r.accord, r.figures["tcs"], r.ours["tcs"]) for pk, r in rows.items()} == {
        order_a: (True, "6.40", "6.40"), order_b: (False, "12.80", "6.40")}
    listed = client.get("/api/v1/cooperatives/test-coop/ledger", headers=ADMIN).json
    states = {o["order_id"]: o["state"] for o in listed["orders"]}
    assert states == {"ORDER-A": "paid", "ORDER-B": "disputed"}
    assert listed["orders"][0]["order_id"] == "ORDER-B"  # the mismatch first
    assert listed["orders"][0]["recon"]["differences"] == {"amount": "-6.40", "tcs": "6.40"}

    # ONDC's validator on the captured recon and our on_recon.
    folder = tmp_path / "rsf"
    folder.mkdir()
    for name, message in (("recon", sent), ("on_recon", on_recon)):
        (folder / f"{name}.json").write_text(json.dumps(neutralise_addresses(message)))
    verdict = validator.run("8", folder, case="recon round trip", version="2.0.0", kind="rsf")
    assert verdict.payload_keys == ["on_recon", "recon"]
    assert verdict.seller_errors == [], verdict.output[-3000:]
    assert verdict.buyer_errors == [], verdict.output[-3000:]


def test_a_bad_recon_gets_a_nack_with_rsf_codes_and_changes_nothing(
    client: FlaskClient, network: Network, seller: int, sessions: sessionmaker[Session]
) -> None:
    fake = Receiver(port=9)  # nothing is ever sent to it: every call here is refused
    good = [settlement("ORDER-A", OURS)]
    missing_tcs = settlement("ORDER-A", OURS)
    del missing_tcs["settlements"][0]["tcs"]
    retail = orjson.loads(rsf_body(fake, good))
    retail["context"] = {**{k: v for k, v in retail["context"].items() if k not in ("location", "version")},
                         "domain": "ONDC:RET16", "country": "IND", "city": "std:0177", "core_version": "1.2.5"}
    body = rsf_body(fake, good)
    cases: list[tuple[bytes, bool, int, str, str | None]] = [
        (body, False, 401, "70001", "headers.Authorization"),
        (rsf_body(fake, [missing_tcs]), True, 400, "70002", "message.orders[0].settlements[0].tcs"),
        (rsf_body(fake, [*good, *good]), True, 400, "70002", "message.orders"),
        (rsf_body(fake, good, bpp_id="another.seller.test"), True, 400, "70005", "context.bpp_id"),
        (rsf_body(fake, good, ttl="P7D"), True, 400, "70002", "context.ttl"),
        (orjson.dumps(retail), True, 400, "70002", "context.domain"),
    ]
    for raw, signed, status, code, path in cases:
        answer = post(client, network, "recon", raw, sign=signed)
        assert (answer.status_code, answer.json["error"]["code"], answer.json["error"].get("path")) == (
            status, code, path), answer.json
        assert answer.json["message"]["ack"]["status"] == "NACK"
    tampered = post(client, network, "recon", body.replace(b"1217.01", b"9999.99"), sign=False)
    assert tampered.status_code == 401
    resigned = client.post("/ondc/recon", data=body.replace(b"1217.01", b"9999.99"), content_type="application/json",
                           headers={"Authorization": network.buyer.sign(body)})
    assert (resigned.status_code, resigned.json["error"]["code"]) == (401, "70000")
    # An RSF context is not a retail one: /status refuses it with the retail code.
    status_body = orjson.loads(body)
    status_body["context"]["action"] = "status"
    status_body["message"] = {"order_id": "ORDER-A"}
    refused = post(client, network, "status", orjson.dumps(status_body))
    assert (refused.status_code, refused.json["error"]["code"]) == (400, "30000")
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(ReconFigure)) == 0
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
        statuses = set(session.scalars(select(InboundMessage.status)))
    assert statuses == {"nacked"}

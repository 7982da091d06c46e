"""Money end to end: three orders from two artisans through the real webhook, worker and order moves.

One is returned, one part-cancelled, one goes to another state. The checks:
- tax invoices are numbered one after another, and the credit note for the return follows its own series;
- the tax is split as CGST + SGST within Himachal Pradesh and as IGST to Delhi, and every document adds up;
- the buyer app's settlement updates and an RSF 2.0 recon round trip agree with our ledger to the paisa;
- the artisan report adds up to the ledger.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import orjson
import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from adapter.protocol.context import format_timestamp
from adapter.store.models import CreditNote, Order, TaxInvoice
from catalog_sync.on_search_items import IST
from config import Settings
from tests.integration.test_orders import END
from tests.money.support import gst_catalogue
from tests.money.test_recon_flow import ADMIN, SettlingBuyer, deliver, pk_of, post, rsf_body, settlement
from tests.support.network import Network
from tests.support.receiver import Receiver, running_receiver
from tests.support.sellers import ALWAYS_OPEN, make_seller
from tests.support.servers import wait_until

D = Decimal
TAXES = ("cgst", "sgst", "igst")
DELHI = {"location": {"gps": "28.6139,77.2090", "address": {
    "name": "7", "building": "Janpath Lane", "locality": "Connaught Place", "city": "New Delhi", "state": "Delhi",
    "country": "IND", "area_code": "110001"}},
         "contact": END["contact"], "person": {"name": "Meera Singh"}}


def two_artisans() -> bytes:
    """The GST test catalogue; the large rumal is Sunita Thakur's (and returnable within 7 days), the small one stays
    Test Artisan's."""
    rows = list(csv.DictReader(io.StringIO(gst_catalogue().decode())))
    out = io.StringIO()
    writer = csv.DictWriter(out, list(rows[0]), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        mine = {"artisan": "Sunita Thakur", "returnable": "yes", "return_window": "7 days"}
        writer.writerow(row | (mine if row["id"] == "T16-2" else {}))
    return out.getvalue().encode()


class ShippingTo(SettlingBuyer):
    """A settling buyer app whose buyer lives at ``end``."""

    def __init__(self, *args: Any, end: dict[str, Any]) -> None:
        super().__init__(*args)
        self.end = end

    def order(self, item_id: str, count: int) -> dict[str, Any]:
        body = super().order(item_id, count)
        body["fulfillments"][0]["end"] = self.end
        return body


@pytest.fixture
def seller(sessions: sessionmaker[Session]) -> int:
    # GSTIN 02…: Himachal Pradesh, as the test profile says.
    return make_seller(sessions, catalogue=two_artisans(), profile=ALWAYS_OPEN)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as server:
        yield server


def act(client: FlaskClient, pk: int, action: str, **body: Any) -> None:
    answer = client.post(f"/api/v1/orders/{pk}/actions/{action}", json=body, headers=ADMIN)
    assert answer.status_code == 200, answer.json


def ledger_of(client: FlaskClient, pk: int) -> dict[str, Any]:
    ledger: dict[str, Any] = client.get(f"/api/v1/orders/{pk}/ledger", headers=ADMIN).json
    return ledger


def test_three_orders_two_artisans_invoices_settlements_recon_and_payouts_add_up(
    client: FlaskClient, worker: Any, network: Network, seller: int, receiver: Receiver,
    sessions: sessionmaker[Session], settings: Settings
) -> None:
    home = {"end": END}
    returned = ShippingTo(client, network, receiver, **home)
    returned.place("T16-2", 1, "MONEY-1")  # Sunita Thakur's large rumal, to Shimla: returned after delivery
    part = ShippingTo(client, network, receiver, **home)
    part.place("T16-1", 2, "MONEY-2")  # two of Test Artisan's small rumals, to Shimla: one cancelled
    far = ShippingTo(client, network, receiver, end=DELHI)
    far.place("T16-1", 1, "MONEY-3")  # one small rumal to Delhi
    pks = [pk_of(sessions, f"MONEY-{n}") for n in (1, 2, 3)]
    assert wait_until(lambda: len(receiver.posts("/on_status")) >= 3, timeout=30)  # all accepted

    act(client, pks[1], "part_cancel", item_id="T16-1", quantity=1)
    for pk in pks:
        deliver(client, receiver, pk)
    # MONEY-1 comes back: the buyer asks, the cooperative approves, the courier brings it home.
    asked = returned.send("update", {"update_target": "item", "order": {"id": "MONEY-1", "fulfillments": [{
        "type": "Return", "tags": [{"code": "return_request", "list": [
            {"code": "id", "value": "R1"}, {"code": "item_id", "value": "T16-2"},
            {"code": "item_quantity", "value": "1"}, {"code": "reason_id", "value": "003"},
            {"code": "ttl_approval", "value": "PT24H"}, {"code": "ttl_reverseqc", "value": "P3D"}]}]}]}})
    assert asked is not None
    assert "error" not in asked, asked
    for move in ("approve_return", "return_picked", "return_delivered"):
        act(client, pks[0], move, return_id="R1")

    # Invoices: one per order, consecutive in the order they were picked up; one credit note, for the return.
    with sessions() as session:
        invoices = {row.order_pk: row for row in session.scalars(select(TaxInvoice).order_by(TaxInvoice.serial))}
        notes = list(session.scalars(select(CreditNote)))
        quotes = {pk: D(session.get_one(Order, pk).quote["price"]["value"]) for pk in pks}
    assert [invoices[pk].serial for pk in pks] == [1, 2, 3]
    assert len({row.number for row in invoices.values()}) == 3
    assert all(row.number.endswith(f"/{row.serial:05d}") for row in invoices.values())
    (note,) = notes
    assert (note.order_pk, note.serial, note.reason, note.ref) == (pks[0], 1, "return", "R1")
    assert note.document["invoice_number"] == invoices[pks[0]].number

    def taxes(document: dict[str, Any]) -> dict[str, Decimal]:
        return {t: sum((D(line[t]) for line in document["lines"]), D(0)) for t in TAXES}

    for pk in pks[:2]:  # within Himachal Pradesh: half and half
        doc = invoices[pk].document
        assert (doc["intra_state"], doc["place_of_supply"]["code"]) == (True, "02")
        split = taxes(doc)
        assert split["igst"] == 0
        assert split["cgst"] > 0
        assert abs(split["cgst"] - split["sgst"]) <= D("0.01")
    delhi = invoices[pks[2]].document
    assert (delhi["intra_state"], delhi["place_of_supply"]["code"]) == (False, "07")
    assert taxes(delhi)["igst"] > 0
    assert taxes(delhi)["cgst"] == taxes(delhi)["sgst"] == 0
    for doc in (*[row.document for row in invoices.values()], note.document):  # each line and total adds up
        for line in doc["lines"]:
            assert D(line["taxable"]) + sum(D(line[t]) for t in TAXES) == D(line["gross"])
        assert D(doc["totals"]["gross"]) == sum((D(line["gross"]) for line in doc["lines"]), D(0))
    # What was invoiced, less what was credited, is what each order's quote says now.
    assert D(invoices[pks[0]].document["totals"]["gross"]) - D(note.document["totals"]["gross"]) == quotes[pks[0]]
    for pk in pks[1:]:
        assert D(invoices[pk].document["totals"]["gross"]) == quotes[pk]  # the part-cancel came before pick-up

    # MONEY-1 came back whole: nothing was sold, so nothing is owed, no fee and no tax.
    nothing = ledger_of(client, pks[0])
    assert (nothing["state"], nothing["expected"], nothing["finder_fee"], nothing["tcs"]) == (
        "nothing_due", "0.00", "0.00", "0.00")
    # The buyer app pays the other two what our ledger expects, and says so.
    ledgers = {pk: ledger_of(client, pk) for pk in pks}
    for number, (pk, buyer) in list(enumerate(zip(pks, (returned, part, far), strict=True), start=1))[1:]:
        expected = ledgers[pk]["expected"]
        assert D(expected) > 0
        paid = {"settlement_counterparty": "seller-app", "settlement_phase": "sale-amount",
                "settlement_type": "neft", "settlement_amount": expected, "settlement_status": "PAID",
                "settlement_reference": f"UTR-{number}",
                "settlement_timestamp": format_timestamp(dt.datetime.now(dt.UTC))}
        answer = buyer.send("update", {"update_target": "payment", "order": {
            "id": f"MONEY-{number}", "payment": {"@ondc/org/settlement_details": [paid]}}})
        assert answer is not None
        assert "error" not in answer, answer
    for pk in pks[1:]:
        after = ledger_of(client, pk)
        assert (after["state"], after["received"], after["difference"]) == ("paid", after["expected"], "0.00")

    # The recon: the buyer app's figures are ours for every order; the on_recon agrees with each.
    def figures(ledger: dict[str, Any]) -> dict[str, str]:
        return {"amount": ledger["expected"], "withholding_amount": ledger["withholding"], "tcs": ledger["tcs"],
                "tds": ledger["tds"],
                "commission": f"{D(ledger['finder_fee']) + D(ledger['gst_on_fee']):.2f}"}

    claims = [settlement(f"MONEY-{n}", figures(ledger_of(client, pk)), status="SETTLED", ref=f"UTR-{n}")
              for n, pk in enumerate(pks, start=1)]
    assert post(client, network, "recon", rsf_body(receiver, claims, bpp_uri=settings.bpp_uri)).status_code == 200
    assert wait_until(lambda: bool(receiver.posts("/on_recon")), timeout=30)
    on_recon = orjson.loads(receiver.posts("/on_recon")[0].body)
    assert "error" not in on_recon, on_recon.get("error")
    assert {o["id"]: o["recon_accord"] for o in on_recon["message"]["orders"]} == {
        "MONEY-1": True, "MONEY-2": True, "MONEY-3": True}

    # The artisan report for this month adds up, row by row, to the ledgers of these orders.
    month = dt.datetime.now(IST).strftime("%Y-%m")
    report = client.get(f"/api/v1/cooperatives/test-coop/payouts?month={month}", headers=ADMIN).json
    rows = {row["artisan"]: row for row in report["rows"]}
    assert {"Sunita Thakur", "Test Artisan"} <= set(rows)
    assert D(rows["Sunita Thakur"]["net_sales"]) == 0  # her one sale came back
    assert D(rows["Test Artisan"]["items_sold"]) == 2  # two small rumals stayed sold (one of MONEY-2, MONEY-3)
    final = [ledger_of(client, pk) for pk in pks]
    total = report["total"]
    for theirs, ours in (("value", "gross_sales"), ("net_value", "net_sales"), ("finder_fee", "finder_fee"),
                         ("gst_on_fee", "gst_on_fee"), ("tcs", "tcs"), ("tds", "tds"),
                         ("received", "received_so_far")):
        assert D(total[ours]) == sum((D(led[theirs]) for led in final), D(0)), ours
        assert D(total[ours]) == sum((D(row[ours]) for row in report["rows"]), D(0)), ours
    assert D(total["earned"]) == sum((D(led["expected"]) + D(led["withholding"]) for led in final), D(0))

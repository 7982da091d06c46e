"""An ACKed request always gets its callback: refusals, input that breaks a handler past the schemas, and bugs.

Bad input past the schemas is answered 30000 (invalid request); a bug is answered 31001 (internal error), logged
with its traceback, counted in ``odop_inbound_failures_total`` and shown on the transaction timeline. Either way
the message is recorded as ``failed`` (not retried forever) and nothing the attempt wrote is kept.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from flask.testing import FlaskClient
from prometheus_client import REGISTRY
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from adapter.orders import inbound
from adapter.protocol.context import format_timestamp
from adapter.protocol.messages import validation_errors
from adapter.protocol.signing import verify_request
from adapter.store.db import transaction
from adapter.store.models import InboundMessage, Order
from config import Settings
from tests.support.network import BUYER_ID, SELLER_ID, Network
from tests.support.receiver import Receiver, running_receiver
from tests.support.sellers import ALWAYS_OPEN, make_seller
from tests.support.servers import wait_until
from workers.app import make_celery
from workers.task_names import PROCESS_INBOUND

ADMIN = {"Authorization": "Bearer test-admin-key-0123456789abcdef"}


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as server:
        yield server


def _request(action: str, message: dict[str, Any], bap_uri: str) -> bytes:
    context = {"domain": "ONDC:RET16", "country": "IND", "city": "std:0177", "action": action,
               "core_version": "1.2.5", "bap_id": BUYER_ID, "bap_uri": bap_uri, "bpp_id": SELLER_ID,
               "bpp_uri": "http://127.0.0.1/ondc", "transaction_id": str(uuid.uuid4()),
               "message_id": str(uuid.uuid4()), "timestamp": format_timestamp(dt.datetime.now(dt.UTC)),
               "ttl": "PT30S"}
    payload = {"context": context, "message": message}
    assert validation_errors(action, payload) == []  # what the web edge accepts
    return orjson.dumps(payload)


def _send(client: FlaskClient, network: Network, action: str, body: bytes) -> str:
    """POST a signed request to our webhook; returns its message_id once ACKed."""
    response = client.post(f"/ondc/{action}", data=body, content_type="application/json",
                           headers={"Authorization": network.buyer.sign(body)})
    response.close()
    assert response.status_code == 200
    return str(orjson.loads(body)["context"]["message_id"])


def _callback(receiver: Receiver, network: Network, action: str, message_id: str) -> dict[str, Any]:
    def found() -> list[Any]:
        return [p for p in receiver.posts(f"/{action}") if orjson.loads(p.body)["context"]["message_id"] == message_id]

    assert wait_until(lambda: bool(found()), timeout=30), f"no {action} for {message_id}"
    post = found()[0]
    verify_request(post.body, post.headers["Authorization"],
                   public_key_b64=network.seller.keys.signing_public_key,
                   now=int(dt.datetime.now(dt.UTC).timestamp()))
    body: dict[str, Any] = orjson.loads(post.body)
    return body


def _inbound(sessions: sessionmaker[Session], message_id: str) -> InboundMessage:
    with sessions() as session:
        row = session.scalar(select(InboundMessage).where(InboundMessage.message_id == message_id))
    assert row is not None
    return row


def test_input_that_breaks_a_handler_past_the_schemas_gets_a_30000_callback(
    client: FlaskClient, worker: Any, network: Network, sessions: sessionmaker[Session], receiver: Receiver
) -> None:
    make_seller(sessions, profile=ALWAYS_OPEN)
    # A catalog_inc pull whose start_time is no date: the schema takes any string, the answerer cannot.
    body = _request("search", {"intent": {
        "payment": {"@ondc/org/buyer_app_finder_fee_type": "percent", "@ondc/org/buyer_app_finder_fee_amount": "3"},
        "tags": [{"code": "catalog_inc", "list": [{"code": "start_time", "value": "2030-13-45T99:00:00.000Z"},
                                                  {"code": "end_time", "value": "2030-01-01T00:00:00.000Z"}]}]}},
        receiver.url)
    message_id = _send(client, network, "search", body)

    callback = _callback(receiver, network, "on_search", message_id)
    assert callback["error"]["code"] == "30000"
    assert callback["error"]["type"] == "DOMAIN-ERROR"
    assert callback["error"]["message"] == "month must be in 1..12"  # what was wrong, in the words of the check
    assert "message" not in callback
    row = _inbound(sessions, message_id)
    assert row.status == "failed"
    assert row.error is not None
    assert row.error.startswith("ValueError")


def test_a_bug_in_a_handler_is_answered_31001_logged_and_counted(
    worker: Any, network: Network, sessions: sessionmaker[Session], receiver: Receiver, settings: Settings,
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    seller = make_seller(sessions, profile=ALWAYS_OPEN)
    written: list[int] = []

    def broken_status(session: Session, request: Any, policy: Any, now: dt.datetime) -> Any:
        # Writes something first, to show the failed attempt is rolled back.
        order = Order(cooperative_id=seller, order_id=f"HALF-{uuid.uuid4()}", bap_id=BUYER_ID, bap_uri="x",
                      transaction_id=request.context.transaction_id, domain="ONDC:RET16", city="std:0177",
                      state="Created", fulfilment_state="Pending", routing="P2P", lines=[], quote={}, billing={},
                      fulfillments=[], payment={}, created_at=now, updated_at=now)
        session.add(order)
        session.flush()
        written.append(order.id)
        raise TypeError("injected fault")

    monkeypatch.setitem(inbound.HANDLERS, "status", broken_status)
    body = _request("status", {"order_id": "ANY"}, receiver.url)
    context = orjson.loads(body)["context"]
    with transaction(sessions) as session:  # stored as the web edge stores it
        row = InboundMessage(bap_id=BUYER_ID, action="status", message_id=context["message_id"],
                             transaction_id=context["transaction_id"], body=body, headers={}, status="received")
        session.add(row)
        session.flush()
        inbound_id = row.id

    def failures() -> float:
        return REGISTRY.get_sample_value("odop_inbound_failures_total",
                                         {"action": "status", "kind": "internal"}) or 0.0

    before = failures()
    celery = make_celery(settings)
    celery.loader.import_default_modules()  # registers the tasks in this process
    try:
        with caplog.at_level(logging.ERROR, logger="adapter.orders.inbound"):
            celery.tasks[PROCESS_INBOUND].apply(args=[inbound_id]).get()  # this process, so the fault is in place
    finally:
        celery.engine.dispose()

    assert failures() == before + 1
    logged = [r for r in caplog.records if r.name == "adapter.orders.inbound"]
    assert logged
    assert logged[0].exc_info is not None
    assert "injected fault" in str(logged[0].exc_info[1])
    # The real worker delivers the answer: the buyer app is not left waiting.
    callback = _callback(receiver, network, "on_status", context["message_id"])
    assert callback["error"] == {"type": "CORE-ERROR", "code": "31001",
                                 "message": "Cannot process request due to internal error, please retry"}
    assert "injected" not in orjson.dumps(callback).decode()  # internals stay with the operator
    stored = _inbound(sessions, context["message_id"])
    assert stored.status == "failed"
    assert stored.error == "TypeError: injected fault"
    with sessions() as session:
        assert written
        assert session.get(Order, written[0]) is None  # rolled back
    timeline = client.get(f"/api/v1/transactions/{context['transaction_id']}", headers=ADMIN).json
    assert timeline is not None
    entries = {(m["direction"], m["action"]): m for m in timeline["messages"]}
    assert entries[("in", "status")]["status"] == "failed"
    assert entries[("in", "status")]["error"] == "TypeError: injected fault"
    assert ("out", "on_status") in entries


def test_an_igm_issue_with_a_bare_order_reference_is_answered(
    client: FlaskClient, worker: Any, network: Network, sessions: sessionmaker[Session], receiver: Receiver
) -> None:
    make_seller(sessions, profile=ALWAYS_OPEN)
    now = format_timestamp(dt.datetime.now(dt.UTC))
    # order_details as a bare string: the schema allows it; it names no order we know.
    body = _request("issue", {"issue": {"id": f"ISS-{uuid.uuid4()}", "status": "OPEN", "order_details": "O1",
                                        "created_at": now, "updated_at": now}}, receiver.url)
    message_id = _send(client, network, "issue", body)
    callback = _callback(receiver, network, "on_issue", message_id)
    assert callback["error"]["code"] == "30018"
    assert _inbound(sessions, message_id).status == "processed"

"""Requests that fail for reasons not about them: retried a bounded number of times, never forever; races rerun."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from typing import Any

import orjson
import pytest
from prometheus_client import REGISTRY
from sqlalchemy import select
from sqlalchemy.exc import DataError
from sqlalchemy.orm import Session, sessionmaker

from adapter.orders import inbound
from adapter.orders import store as order_store
from adapter.orders.flows import _select
from adapter.orders.policy import order_policy
from adapter.protocol.context import format_timestamp
from adapter.store.db import transaction
from adapter.store.models import InboundMessage, Order, OutboxMessage
from config import Settings
from tests.support.network import BUYER_ID
from tests.support.sellers import ALWAYS_OPEN, make_seller
from workers.app import make_celery
from workers.task_names import PROCESS_INBOUND
from workers.tasks import MAX_INBOUND_ATTEMPTS

END = {"location": {"gps": "31.1048,77.1734", "address": {"name": "12", "building": "Lakkar Bazaar",
                                                          "locality": "The Ridge", "city": "Shimla",
                                                          "state": "Himachal Pradesh", "country": "IND",
                                                          "area_code": "171001"}},
       "contact": {"phone": "9000000001", "email": "asha@buyer.example"}, "person": {"name": "Asha Devi"}}


def _store(sessions: sessionmaker[Session], action: str, message: dict[str, Any],
           transaction_id: str | None = None) -> tuple[int, str]:
    context = {"domain": "ONDC:RET16", "country": "IND", "city": "std:0177", "action": action,
               "core_version": "1.2.5", "bap_id": BUYER_ID, "bap_uri": "http://127.0.0.1:9/buyer",
               "bpp_id": "seller.odop.test", "bpp_uri": "http://127.0.0.1/ondc",
               "transaction_id": transaction_id or str(uuid.uuid4()), "message_id": str(uuid.uuid4()),
               "timestamp": format_timestamp(dt.datetime.now(dt.UTC)), "ttl": "PT30S"}
    with transaction(sessions) as session:
        row = InboundMessage(bap_id=BUYER_ID, action=action, message_id=context["message_id"],
                             transaction_id=context["transaction_id"],
                             body=orjson.dumps({"context": context, "message": message}), headers={},
                             status="received")
        session.add(row)
        session.flush()
        return row.id, context["message_id"]


@pytest.fixture
def celery(settings: Settings) -> Any:
    app = make_celery(settings)
    app.loader.import_default_modules()
    yield app
    app.engine.dispose()


def test_a_poison_request_is_given_up_after_a_few_attempts_and_answered_31001(
    sessions: sessionmaker[Session], celery: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def poisoned(session: Session, request: Any, policy: Any, now: dt.datetime) -> Any:
        raise DataError("INSERT ...", {}, Exception("value too long for type character varying(2048)"))

    monkeypatch.setitem(inbound.HANDLERS, "status", poisoned)
    inbound_id, message_id = _store(sessions, "status", {"order_id": "ANY"})
    before = REGISTRY.get_sample_value("odop_inbound_failures_total", {"action": "status", "kind": "poison"}) or 0.0

    for attempt in range(1, MAX_INBOUND_ATTEMPTS):  # what the sweeper does: run it again
        result = celery.tasks[PROCESS_INBOUND].apply(args=[inbound_id])
        assert result.failed()  # raised, so it stays for the sweeper
        with sessions() as session:
            row = session.get_one(InboundMessage, inbound_id)
            assert (row.status, row.attempts) == ("received", attempt)
            assert row.error is not None
            assert "value too long" in row.error

    assert celery.tasks[PROCESS_INBOUND].apply(args=[inbound_id]).get() == "answered with error 31001"
    with sessions() as session:
        row = session.get_one(InboundMessage, inbound_id)
        assert row.status == "failed"
        assert row.error is not None
        assert row.error.startswith(f"RuntimeError: gave up after {MAX_INBOUND_ATTEMPTS} attempts")
        answer = session.scalars(select(OutboxMessage).where(OutboxMessage.message_id == message_id)).one()
        assert orjson.loads(answer.body)["error"]["code"] == "31001"
    assert REGISTRY.get_sample_value("odop_inbound_failures_total",
                                     {"action": "status", "kind": "poison"}) == before + 1
    # Done: the sweeper no longer picks it up.
    assert celery.tasks[PROCESS_INBOUND].apply(args=[inbound_id]).get() == "already processed"


def test_two_confirms_of_one_order_with_new_message_ids_both_get_on_confirm(
    sessions: sessionmaker[Session], celery: Any, settings: Settings
) -> None:
    seller = make_seller(sessions, profile=ALWAYS_OPEN)
    transaction_id, order_id = str(uuid.uuid4()), f"TWICE-{uuid.uuid4()}"
    order = {"provider": {"id": "test-coop", "locations": [{"id": "main"}]},
             "items": [{"id": "T16-1", "location_id": "main", "quantity": {"count": 1}}],
             "fulfillments": [{"id": "F1", "type": "Delivery", "end": END}]}
    with transaction(sessions) as session:
        order_store.save_draft(session, bap_id=BUYER_ID, transaction_id=transaction_id, cooperative_id=seller,
                               stage="initialised", lines=[], quote={}, billing={},
                               fulfillments=[{"id": "F1", "type": "Delivery", "end": END}])
        total = _select(session, order, order_policy(settings), dt.datetime.now(dt.UTC))[1].quote.to_ondc()
    confirm = {"order": order | {"id": order_id, "billing": {"name": "Asha Devi", "phone": "9000000001"},
                                 "quote": {"price": total["price"]}}}
    ids = [_store(sessions, "confirm", confirm, transaction_id) for _ in range(2)]
    barrier = threading.Barrier(2)
    outcomes: list[Any] = []

    def run(inbound_id: int) -> None:
        barrier.wait()
        outcomes.append(celery.tasks[PROCESS_INBOUND].apply(args=[inbound_id]).get())

    threads = [threading.Thread(target=run, args=(inbound_id,)) for inbound_id, _ in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # The first makes the order (on_confirm, then the on_status that accepts it); the repeat gets on_confirm only.
    assert sorted(outcomes) == ["queued 1 callback(s)", "queued 2 callback(s)"]
    with sessions() as session:
        assert len(session.scalars(select(Order).where(Order.order_id == order_id)).all()) == 1
        accepted = session.scalars(select(OutboxMessage).where(OutboxMessage.action == "on_status")).all()
        assert [orjson.loads(a.body)["message"]["order"]["state"] for a in accepted] == ["Accepted"]
        for _, message_id in ids:
            answer = session.scalars(select(OutboxMessage).where(OutboxMessage.message_id == message_id)).one()
            body = orjson.loads(answer.body)
            assert "error" not in body, body["error"]
            assert body["message"]["order"]["id"] == order_id

"""A search whose ttl has passed before a worker takes it up is not answered: marked expired, nothing rendered."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import orjson
from prometheus_client import REGISTRY
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from adapter.protocol.context import format_timestamp
from adapter.store.db import transaction
from adapter.store.models import InboundMessage, OutboxMessage
from config import Settings
from tests.support.network import BUYER_ID
from tests.support.sellers import ALWAYS_OPEN, make_seller
from workers.app import make_celery
from workers.task_names import PROCESS_INBOUND


def _stored_search(sessions: sessionmaker[Session], sent: dt.datetime, ttl: str) -> tuple[int, str]:
    context = {"domain": "ONDC:RET16", "country": "IND", "city": "std:0177", "action": "search",
               "core_version": "1.2.5", "bap_id": BUYER_ID, "bap_uri": "http://127.0.0.1:9/buyer",
               "transaction_id": str(uuid.uuid4()), "message_id": str(uuid.uuid4()),
               "timestamp": format_timestamp(sent), "ttl": ttl}
    body = orjson.dumps({"context": context, "message": {"intent": {"fulfillment": {"type": "Delivery"}}}})
    with transaction(sessions) as session:  # as the web edge stored it when it was fresh
        row = InboundMessage(bap_id=BUYER_ID, action="search", message_id=context["message_id"],
                             transaction_id=context["transaction_id"], body=body, headers={}, status="received")
        session.add(row)
        session.flush()
        return row.id, context["message_id"]


def _process(settings: Settings, inbound_id: int) -> Any:
    celery = make_celery(settings)
    celery.loader.import_default_modules()
    try:
        return celery.tasks[PROCESS_INBOUND].apply(args=[inbound_id]).get()
    finally:
        celery.engine.dispose()


def test_a_search_past_its_ttl_is_marked_expired_and_not_answered(
    sessions: sessionmaker[Session], settings: Settings
) -> None:
    make_seller(sessions, profile=ALWAYS_OPEN)
    before = REGISTRY.get_sample_value("odop_inbound_expired_total", {"action": "search"}) or 0.0
    inbound_id, message_id = _stored_search(sessions, dt.datetime.now(dt.UTC) - dt.timedelta(seconds=45), "PT30S")

    assert _process(settings, inbound_id) == "expired"

    with sessions() as session:
        row = session.get_one(InboundMessage, inbound_id)
        assert row.status == "expired"
        assert row.error is not None
        assert row.error.startswith("the ttl (PT30S) had passed")
        assert session.scalars(select(OutboxMessage).where(OutboxMessage.message_id == message_id)).all() == []
    assert REGISTRY.get_sample_value("odop_inbound_expired_total", {"action": "search"}) == before + 1


def test_a_search_within_its_ttl_is_answered(sessions: sessionmaker[Session], settings: Settings) -> None:
    make_seller(sessions, profile=ALWAYS_OPEN)
    inbound_id, message_id = _stored_search(sessions, dt.datetime.now(dt.UTC) - dt.timedelta(seconds=5), "PT30S")

    assert _process(settings, inbound_id).startswith("queued")

    with sessions() as session:
        assert session.get_one(InboundMessage, inbound_id).status == "processed"
        answers = session.scalars(select(OutboxMessage).where(OutboxMessage.message_id == message_id)).all()
        assert answers
        assert all(a.action == "on_search" for a in answers)

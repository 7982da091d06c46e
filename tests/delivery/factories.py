"""Outbox rows, clocks and signers for the delivery tests."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from adapter.delivery import outbox
from adapter.protocol.keys import SigningKey
from adapter.store.db import transaction

# In the future: a task another test left behind in the shared worker finds these rows not yet due, and leaves them
# alone (SQLite reuses ids once a test has emptied the tables).
T0 = dt.datetime(2099, 6, 23, 10, 0, 0, tzinfo=dt.UTC)
ACK = b'{"message":{"ack":{"status":"ACK"}}}'


def nack(code: str) -> bytes:
    return json.dumps({"message": {"ack": {"status": "NACK"}},
                       "error": {"type": "CONTEXT-ERROR", "code": code, "message": "no"}}).encode()


class Clock:
    """A settable UTC clock: call it for the time, advance() to move it."""

    def __init__(self, start: dt.datetime = T0) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float) -> dt.datetime:
        self.now += dt.timedelta(seconds=seconds)
        return self.now


def body_for(action: str = "on_search") -> bytes:
    # Deliberately not canonical JSON (spacing, key order, non-ASCII) so re-serialising would change it.
    context = '{"context": {"action": "' + action + '", "transaction_id": "t-1",  "message_id": "m-1"},'
    return (context + ' "message": {"catalog": {"descriptor": {"name": "चम्बा रुमाल"}}}}').encode()


def add_row(sessions: sessionmaker[Session], at: dt.datetime, **overrides: Any) -> int:
    fields: dict[str, Any] = {
        "action": "on_search",
        "target_url": "https://buyer.example/ondc/on_search",
        "body": body_for(),
        "transaction_id": "t-1",
        "message_id": str(uuid.uuid4()),
        "bap_id": "buyer.example",
        "solicited": True,
        "deadline_at": at + dt.timedelta(seconds=30),
        "now": at,
    } | overrides
    with transaction(sessions) as session:
        return outbox.enqueue(session, **fields).id


def signing_key() -> SigningKey:
    return SigningKey.generate()

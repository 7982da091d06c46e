"""The operator's view of network messages: outbox rows, delivery attempts, and one transaction's timeline.

Shared by the operator API (``adapter.web.api.operations``) and the console pages.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from adapter.delivery import outbox
from adapter.store import inbound
from adapter.store.models import DeliveryAttempt, InboundMessage, LogisticsSearch, OutboxMessage, Shipment


def outbox_row(row: OutboxMessage) -> dict[str, Any]:
    """One outbox row as the API and console show it."""
    return {
        "id": row.id, "action": row.action, "status": row.status, "bap_id": row.bap_id, "target_url": row.target_url,
        "transaction_id": row.transaction_id, "message_id": row.message_id, "solicited": row.solicited,
        "attempts": row.attempts, "next_attempt_at": row.next_attempt_at.isoformat(),
        "deadline_at": row.deadline_at.isoformat() if row.deadline_at else None, "last_error": row.last_error,
        "last_status_code": row.last_status_code, "created_at": row.created_at.isoformat(),
        "sent_at": row.sent_at.isoformat() if row.sent_at else None,
        "size_bytes": row.size_bytes if row.size_bytes is not None else len(row.body),
        "maybe_delivered": row.maybe_delivered,
    }


def attempt_entry(row: DeliveryAttempt) -> dict[str, Any]:
    """One delivery attempt."""
    return {"at": row.attempted_at.isoformat(), "outcome": row.outcome, "status_code": row.status_code,
            "duration_ms": row.duration_ms, "error": row.error}


def inbound_entry(row: InboundMessage) -> dict[str, Any]:
    """One inbound request: the signature verdict, our answer, and what became of it (failed, with why)."""
    return {
        "direction": "in", "at": row.received_at.isoformat(), "action": row.action, "bap_id": row.bap_id,
        "message_id": row.message_id, "signature": row.signature,
        "answer": "NACK" if row.status == "nacked" else "ACK", "nack_code": row.nack_code,
        "status": row.status, "error": row.error, "size_bytes": len(row.body),
    }


def logistics_transactions(session: Session, transaction_id: str) -> list[str]:
    """The ONDC logistics transactions of a retail one: the couriers asked for quotes at its select, and the
    shipment booked for its order (docs/logistics.md), oldest first."""
    searched = session.scalars(select(LogisticsSearch.transaction_id).where(
        LogisticsSearch.retail_transaction_id == transaction_id).order_by(LogisticsSearch.id))
    booked = session.scalars(select(Shipment.transaction_id).where(
        Shipment.retail_transaction_id == transaction_id).order_by(Shipment.id))
    return list(dict.fromkeys([*searched, *booked]))


def _messages(session: Session, transaction_id: str) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = [inbound_entry(row) for row in inbound.for_transaction(session, transaction_id)]
    for row in outbox.list_messages(session, transaction_id=transaction_id, limit=500):
        entry = outbox_row(row) | {"direction": "out", "at": row.created_at.isoformat()}
        entry["attempt_log"] = [attempt_entry(a) for a in outbox.list_attempts(session, row.id)]
        entries.append(entry)
    return entries


def transaction_messages(session: Session, transaction_id: str, *,
                         with_logistics: bool = False) -> list[dict[str, Any]]:
    """Every message in and out of one transaction, oldest first, with verdicts, answers and delivery attempts.
    ``with_logistics`` adds the messages of its logistics transactions (quotes and the courier booking), each
    marked with ``logistics``: its LOG transaction id."""
    entries = _messages(session, transaction_id)
    if with_logistics:
        for log_transaction in logistics_transactions(session, transaction_id):
            if log_transaction != transaction_id:
                entries += [entry | {"logistics": log_transaction} for entry in _messages(session, log_transaction)]
    entries.sort(key=lambda e: str(e["at"]))
    return entries

"""Operator views: the outbox with replay, and the timeline of one transaction."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, Response, jsonify, request
from sqlalchemy.orm import Session

from adapter.delivery import outbox
from adapter.errors import InvalidRequestError
from adapter.store import inbound
from adapter.store.models import DeliveryAttempt, InboundMessage, OutboxMessage, utcnow
from adapter.web.auth import require_admin
from adapter.web.runtime import db, runtime, unit_of_work

bp = Blueprint("operations", __name__, url_prefix="/api/v1")


def init_app(app: Flask) -> None:
    """Register the blueprint."""
    app.register_blueprint(bp)


def outbox_row(row: OutboxMessage) -> dict[str, Any]:
    return {
        "id": row.id, "action": row.action, "status": row.status, "bap_id": row.bap_id, "target_url": row.target_url,
        "transaction_id": row.transaction_id, "message_id": row.message_id, "solicited": row.solicited,
        "attempts": row.attempts, "next_attempt_at": row.next_attempt_at.isoformat(),
        "deadline_at": row.deadline_at.isoformat() if row.deadline_at else None, "last_error": row.last_error,
        "last_status_code": row.last_status_code, "created_at": row.created_at.isoformat(),
        "sent_at": row.sent_at.isoformat() if row.sent_at else None, "size_bytes": len(row.body),
    }


def attempt_entry(row: DeliveryAttempt) -> dict[str, Any]:
    return {"at": row.attempted_at.isoformat(), "outcome": row.outcome, "status_code": row.status_code,
            "duration_ms": row.duration_ms, "error": row.error}


def _int_arg(name: str, default: int) -> int:
    value = request.args.get(name, str(default))
    if not value.isdigit():
        raise InvalidRequestError(f"{name} must be a whole number", details={"field": name})
    return int(value)


@bp.get("/outbox")
def list_outbox() -> Response:
    """Outbox rows, newest first (?status=pending|sent|dead&bap_id=&transaction_id=&limit=&offset=)."""
    require_admin()
    rows = outbox.list_messages(
        db(), status=request.args.get("status"), bap_id=request.args.get("bap_id"),
        transaction_id=request.args.get("transaction_id"), limit=_int_arg("limit", 50),
        offset=_int_arg("offset", 0),
    )
    return jsonify({"depth": outbox.depth(db()), "messages": [outbox_row(r) for r in rows]})


@bp.post("/outbox/<int:outbox_id>/replay")
def replay_one(outbox_id: int) -> Response:
    """Send one dead-lettered (or pending) callback again."""
    require_admin()
    with unit_of_work() as session:
        row = outbox.replay(session, outbox_id, utcnow(), runtime().settings.unsolicited_delivery_window)
    runtime().celery.send_task("odop.deliver_outbox", args=[row.id])
    return jsonify(outbox_row(row))


@bp.post("/outbox/replay")
def replay_all() -> Response:
    """Replay every dead-lettered callback (?bap_id= limits it to one buyer app)."""
    require_admin()
    bap_id = request.args.get("bap_id")
    with unit_of_work() as session:
        ids = outbox.dead_ids(session, bap_id=bap_id)
        outbox.replay_dead(session, utcnow(), runtime().settings.unsolicited_delivery_window, bap_id=bap_id)
    for row_id in ids:
        runtime().celery.send_task("odop.deliver_outbox", args=[row_id])
    return jsonify({"replayed": len(ids)})


def inbound_entry(row: InboundMessage) -> dict[str, Any]:
    return {
        "direction": "in", "at": row.received_at.isoformat(), "action": row.action, "bap_id": row.bap_id,
        "message_id": row.message_id, "signature": row.signature,
        "answer": "NACK" if row.status == "nacked" else "ACK", "nack_code": row.nack_code,
        "status": row.status, "error": row.error, "size_bytes": len(row.body),
    }


def transaction_messages(session: Session, transaction_id: str) -> list[dict[str, Any]]:
    """Every message in and out of one transaction, oldest first, with verdicts, answers and delivery attempts."""
    entries: list[dict[str, Any]] = [inbound_entry(row) for row in inbound.for_transaction(session, transaction_id)]
    for row in outbox.list_messages(session, transaction_id=transaction_id, limit=500):
        entry = outbox_row(row) | {"direction": "out", "at": row.created_at.isoformat()}
        entry["attempt_log"] = [attempt_entry(a) for a in outbox.list_attempts(session, row.id)]
        entries.append(entry)
    entries.sort(key=lambda e: str(e["at"]))
    return entries


@bp.get("/transactions/<transaction_id>")
def timeline(transaction_id: str) -> Response:
    """Every message in and out of one transaction, with signature verdicts, answers and delivery attempts."""
    require_admin()
    return jsonify({"transaction_id": transaction_id, "messages": transaction_messages(db(), transaction_id)})

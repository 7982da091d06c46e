"""Operator views: the outbox with replay, and the timeline of one transaction."""

from __future__ import annotations

from flask import Blueprint, Flask, Response, jsonify, request

from adapter.delivery import outbox
from adapter.errors import InvalidRequestError
from adapter.store.models import utcnow
from adapter.web.auth import require_admin
from adapter.web.runtime import db, runtime, unit_of_work
from adapter.web.timeline import outbox_row, transaction_messages
from workers.dispatch import send_deliveries

bp = Blueprint("operations", __name__, url_prefix="/api/v1")


def init_app(app: Flask) -> None:
    """Register the blueprint."""
    app.register_blueprint(bp)


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
    """Send one dead-lettered (or pending) callback again; ?force=true if it may already have been delivered."""
    require_admin()
    force = request.args.get("force", "").lower() in ("1", "true", "yes")
    with unit_of_work() as session:
        row = outbox.replay(session, outbox_id, utcnow(), runtime().settings.unsolicited_delivery_window,
                            force=force)
    send_deliveries(runtime().celery, [row.id])
    return jsonify(outbox_row(row))


@bp.post("/outbox/replay")
def replay_all() -> Response:
    """Replay every dead-lettered callback that cannot have been delivered (?bap_id= limits it to one buyer app)."""
    require_admin()
    bap_id = request.args.get("bap_id")
    with unit_of_work() as session:
        ids = outbox.dead_ids(session, bap_id=bap_id)
        outbox.replay_dead(session, utcnow(), runtime().settings.unsolicited_delivery_window, bap_id=bap_id)
    send_deliveries(runtime().celery, ids)
    return jsonify({"replayed": len(ids)})


@bp.get("/transactions/<transaction_id>")
def timeline(transaction_id: str) -> Response:
    """Every message in and out of one transaction, with signature verdicts, answers and delivery attempts."""
    require_admin()
    return jsonify({"transaction_id": transaction_id, "messages": transaction_messages(db(), transaction_id)})

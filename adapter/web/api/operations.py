"""Operator views: the outbox with replay, and the timeline of one transaction."""

from __future__ import annotations

from flask import Blueprint, Flask, Response, jsonify, request
from marshmallow import Schema, fields

from adapter.delivery import outbox
from adapter.store.models import utcnow
from adapter.web.api.bodies import Page, load_query
from adapter.web.api.contract import documented, timestamp
from adapter.web.auth import require_admin
from adapter.web.runtime import db, runtime, unit_of_work
from adapter.web.timeline import logistics_transactions, outbox_row, transaction_messages
from workers.dispatch import send_deliveries

bp = Blueprint("operations", __name__, url_prefix="/api/v1")


class OutboxOut(Schema):
    """A signed callback waiting, sent or dead-lettered."""

    id = fields.Integer(required=True)
    action = fields.String(required=True, metadata={"example": "on_status"})
    status = fields.String(required=True, metadata={"enum": ["pending", "sent", "dead"]})
    bap_id = fields.String(required=True)
    target_url = fields.String(required=True)
    transaction_id = fields.String(allow_none=True)
    message_id = fields.String(allow_none=True)
    solicited = fields.Boolean(required=True)
    attempts = fields.Integer(required=True)
    next_attempt_at = timestamp(required=True)
    deadline_at = timestamp()
    last_error = fields.String(allow_none=True)
    last_status_code = fields.Integer(allow_none=True)
    created_at = timestamp(required=True)
    sent_at = timestamp()
    size_bytes = fields.Integer(required=True)
    maybe_delivered = fields.Boolean(allow_none=True)


class OutboxList(Schema):
    """How many callbacks wait, and the rows asked for."""

    depth = fields.Dict(required=True, metadata={"description": "rows by status"})
    messages = fields.List(fields.Nested(OutboxOut), required=True)


class OutboxQuery(Page):
    """Filters and paging."""

    status = fields.String(metadata={"enum": ["pending", "sent", "dead"]})
    bap_id = fields.String()
    transaction_id = fields.String()


class ReplayQuery(Schema):
    """Whether a callback that may have been delivered, or an answer whose request's ttl has passed, is sent again."""

    force = fields.String(metadata={"enum": ["0", "1", "true", "false", "yes", "no"]})


class BapQuery(Schema):
    """Limit to one buyer app."""

    bap_id = fields.String()


class Replayed(Schema):
    """How many dead letters were queued again."""

    replayed = fields.Integer(required=True)


class Timeline(Schema):
    """Every message in and out of a transaction, oldest first, with verdicts, answers and attempts."""

    transaction_id = fields.String(required=True)
    messages = fields.List(fields.Dict(), required=True)
    logistics_transactions = fields.List(fields.String(), required=True)


def init_app(app: Flask) -> None:
    """Register the blueprint."""
    app.register_blueprint(bp)


@documented("The outbox", auth="admin", query=OutboxQuery, responses={200: OutboxList})
@bp.get("/outbox")
def list_outbox() -> Response:
    """Outbox rows, newest first (?status=pending|sent|dead&bap_id=&transaction_id=&limit=&offset=)."""
    require_admin()
    page = load_query(Page())
    rows = outbox.list_messages(
        db(), status=request.args.get("status"), bap_id=request.args.get("bap_id"),
        transaction_id=request.args.get("transaction_id"), limit=page["limit"], offset=page["offset"],
    )
    return jsonify({"depth": outbox.depth(db()), "messages": [outbox_row(r) for r in rows]})


@documented("Replay one callback", auth="admin", query=ReplayQuery, errors=(409,), responses={200: OutboxOut})
@bp.post("/outbox/<int:outbox_id>/replay")
def replay_one(outbox_id: int) -> Response:
    """Send one dead-lettered (or pending) callback again; ?force=true if it may already have been delivered or
    answers a request whose ttl has passed (409 without it)."""
    require_admin()
    force = request.args.get("force", "").lower() in ("1", "true", "yes")
    with unit_of_work() as session:
        row = outbox.replay(session, outbox_id, utcnow(), runtime().settings.unsolicited_delivery_window,
                            force=force)
    send_deliveries(runtime().celery, [row.id])
    return jsonify(outbox_row(row))


@documented("Replay every dead letter", auth="admin", query=BapQuery, responses={200: Replayed})
@bp.post("/outbox/replay")
def replay_all() -> Response:
    """Replay every dead-lettered callback that cannot have been delivered and has not expired (answers past their
    request's ttl are left; ?bap_id= limits it to one buyer app)."""
    require_admin()
    bap_id = request.args.get("bap_id")
    with unit_of_work() as session:
        ids = outbox.dead_ids(session, utcnow(), bap_id=bap_id)
        outbox.replay_dead(session, utcnow(), runtime().settings.unsolicited_delivery_window, bap_id=bap_id)
    send_deliveries(runtime().celery, ids)
    return jsonify({"replayed": len(ids)})


@documented("A transaction's timeline", auth="admin", responses={200: Timeline})
@bp.get("/transactions/<transaction_id>")
def timeline(transaction_id: str) -> Response:
    """Every message in and out of one transaction, with signature verdicts, answers and delivery attempts. A
    retail transaction's courier messages (ONDC logistics: quotes and booking) come with it, each marked with
    ``logistics``: its own LOG transaction id, also listed in ``logistics_transactions``."""
    require_admin()
    session = db()
    return jsonify({"transaction_id": transaction_id,
                    "messages": transaction_messages(session, transaction_id, with_logistics=True),
                    "logistics_transactions": logistics_transactions(session, transaction_id)})

"""The network webhooks: POST {ONDC_BASE_PATH}/{action}, plus the registry onboarding endpoints."""

from __future__ import annotations

import logging

import orjson
from flask import Blueprint, Flask, Response, g, request
from werkzeug.exceptions import RequestEntityTooLarge

from adapter.errors import ProtocolError
from adapter.protocol.messages import CALLBACK_ACTIONS, INBOUND_ACTIONS
from adapter.protocol.receive import ACK, Receipt
from adapter.store.models import utcnow
from adapter.web.runtime import runtime
from config import Settings

ACK_BYTES = orjson.dumps(ACK)


def init_app(app: Flask) -> None:
    """Register the webhook routes under the configured base path."""
    base = runtime_base(app)
    bp = Blueprint("network", __name__, url_prefix=base)
    bp.add_url_rule("/<action>", "webhook", webhook, methods=["POST"])
    app.register_blueprint(bp)


def runtime_base(app: Flask) -> str:
    """The configured ONDC base path (default /ondc)."""
    base: str = app.extensions["odop"].settings.ondc_base_path
    return base


def webhook(action: str) -> Response:
    """Store the call and ACK it, or NACK it with its ONDC code; the work happens in a worker."""
    rt = runtime()
    if action not in INBOUND_ACTIONS and action not in CALLBACK_ACTIONS:
        # Rendered as a NACK by the one error handler (adapter/web/errors.py).
        accepted = (*INBOUND_ACTIONS, *CALLBACK_ACTIONS)
        raise ProtocolError(f"unknown action {action!r}; we accept {', '.join(accepted)}",
                            ondc_code="30000", error_type="CONTEXT-ERROR", path="context.action", status=404)
    try:
        raw = request.get_data(cache=False)
    except RequestEntityTooLarge:
        receipt: Receipt = rt.receiver.too_large(action, dict(request.headers))
    else:
        receipt = rt.receiver.receive(action, raw, dict(request.headers), utcnow())
    response = Response(ACK_BYTES if receipt.body is ACK else orjson.dumps(receipt.body), status=receipt.status,
                        headers=receipt.headers, content_type="application/json")
    g.log_fields = receipt.log  # one access-log line per call, with the answer and the message's ids
    g.log_level = request_log_level(receipt, rt.settings)
    if receipt.process and receipt.inbound_id is not None:
        rt.publisher.submit(receipt.inbound_id, batchable=action == "search")
    return response


def request_log_level(receipt: Receipt, settings: Settings) -> int:
    """The level of a network call's request line: DEBUG for an ACKed plain search (searches are about a hundred
    times as many as every other call together, and each is stored whole: the transaction page shows it) unless
    LOG_SEARCH_ACKS is on; INFO for every other call and for NACKs (a repeat the search buffer finds after the ACK
    gets its own INFO line: "repeated search: answered once")."""
    return logging.DEBUG if receipt.routine and not settings.log_search_acks else logging.INFO

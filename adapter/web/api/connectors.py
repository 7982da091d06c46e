"""A cooperative's polled marketplaces (docs/connectors.md): set one up, see how its polls go, poll it now."""

from __future__ import annotations

import logging
import re
from typing import Any

from flask import Blueprint, Flask, Response, jsonify
from kombu.exceptions import OperationalError as BrokerError
from marshmallow import Schema, fields, validate
from sqlalchemy import select

from adapter.delivery.urls import UnsafeUrlError, validate_callback_url
from adapter.errors import ConflictError, InvalidRequestError, NotFoundError
from adapter.store.cooperatives import get_cooperative
from adapter.store.models import ConnectorCursor, Cooperative
from adapter.web.api.bodies import load_json
from adapter.web.api.contract import documented, timestamp
from adapter.web.auth import current_principal, visible_cooperative
from adapter.web.runtime import db, runtime, unit_of_work
from workers.task_names import PULL_ORDERS

log = logging.getLogger("adapter.web.connectors")
bp = Blueprint("connectors", __name__, url_prefix="/api/v1/cooperatives/<slug>/connectors")
# orders.source is "pull:" + the name in 64 characters.
NAME = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,57}[a-z0-9])?")


STATUS = {"description": "how polling goes: sent back by GET, ignored by PUT"}


class ConnectorIn(Schema):
    """A marketplace order feed. The connector as GET returns it is accepted too (its status fields are ignored;
    a ``name`` must be the one in the path)."""

    url = fields.String(required=True, validate=validate.Length(min=1, max=2048),
                        metadata={"example": "https://marketplace.example/feeds/chamba-rumal/orders"})
    enabled = fields.Boolean(load_default=True)
    name = fields.String(metadata={"description": "the name in the path, if sent"})
    cursor = fields.String(allow_none=True, metadata=STATUS)
    last_polled_at = fields.String(allow_none=True, metadata=STATUS)
    last_error = fields.String(allow_none=True, metadata=STATUS)


class ConnectorOut(Schema):
    """A connector, its cursor and how the last poll went."""

    name = fields.String(required=True, metadata={"example": "craftsvilla"})
    url = fields.String(required=True)
    enabled = fields.Boolean(required=True)
    cursor = fields.String(allow_none=True)
    last_polled_at = timestamp()
    last_error = fields.String(allow_none=True)


class ConnectorList(Schema):
    """The cooperative's connectors."""

    connectors = fields.List(fields.Nested(ConnectorOut), required=True)


class Queued(Schema):
    """Whether the poll was queued (when not, the schedule polls anyway)."""

    queued = fields.Boolean(required=True)
    reason = fields.String()


def init_app(app: Flask) -> None:
    """Register the blueprint."""
    app.register_blueprint(bp)


def _cooperative(slug: str) -> Cooperative:
    current_principal()
    return visible_cooperative(get_cooperative(db(), slug))


def _find(cooperative: Cooperative, name: str) -> ConnectorCursor:
    row = db().scalar(select(ConnectorCursor).where(ConnectorCursor.cooperative_id == cooperative.id,
                                                    ConnectorCursor.name == name))
    if row is None:
        raise NotFoundError(f"no connector {name!r}")
    return row


def _to_dict(row: ConnectorCursor) -> dict[str, Any]:
    return {"name": row.name, "url": row.url, "enabled": row.enabled, "cursor": row.cursor,
            "last_polled_at": row.last_polled_at.isoformat() if row.last_polled_at else None,
            "last_error": row.last_error}


@documented("List connectors", responses={200: ConnectorList})
@bp.get("")
def list_connectors(slug: str) -> Response:
    """The cooperative's connectors with their cursor and how the last poll went."""
    cooperative = _cooperative(slug)
    rows = db().scalars(select(ConnectorCursor).where(ConnectorCursor.cooperative_id == cooperative.id)
                        .order_by(ConnectorCursor.name))
    return jsonify({"connectors": [_to_dict(row) for row in rows]})


@documented("Create or change a connector", body=ConnectorIn, responses={200: ConnectorOut, 201: ConnectorOut},
            path={"name": {"pattern": NAME.pattern, "maxLength": 59}})
@bp.put("/<name>")
def put_connector(slug: str, name: str) -> tuple[Response, int]:
    """Create or change a connector: its feed URL and whether it is polled (the cursor is kept)."""
    if not NAME.fullmatch(name):
        raise InvalidRequestError("name must be 1-59 lowercase letters, digits and '-', starting and ending with "
                                  "a letter or digit", details={"field": "name"})
    cooperative_id = _cooperative(slug).id  # who is asking, before the URL is looked up in DNS
    data = load_json(ConnectorIn())
    if data.get("name", name) != name:
        raise InvalidRequestError("name is the one in the path and cannot be changed here",
                                  details={"field": "name"})
    settings = runtime().settings
    try:
        validate_callback_url(data["url"], allow_private=settings.allow_private_callbacks,
                              require_https=settings.environment == "production")
    except UnsafeUrlError as error:
        raise InvalidRequestError(f"url: {error}", details={"field": "url"}) from error
    with unit_of_work() as session:
        cooperative = session.get_one(Cooperative, cooperative_id)
        row = session.scalar(select(ConnectorCursor).where(ConnectorCursor.cooperative_id == cooperative.id,
                                                           ConnectorCursor.name == name))
        created = row is None
        if row is None:
            row = ConnectorCursor(name=name, cooperative_id=cooperative.id, url=data["url"])
            session.add(row)
        row.url, row.enabled = data["url"], data["enabled"]
        session.flush()
        body = _to_dict(row)
    return jsonify(body), 201 if created else 200


@documented("Poll a connector now", errors=(409,), responses={202: Queued})
@bp.post("/<name>/poll")
def poll_now(slug: str, name: str) -> tuple[Response, int]:
    """Queue a poll of this connector now (the schedule polls every enabled connector anyway)."""
    row = _find(_cooperative(slug), name)
    if not row.enabled:
        raise ConflictError(f"connector {name!r} is disabled; enable it first")
    try:
        runtime().celery.send_task(PULL_ORDERS, kwargs={"connector_id": row.id}, ignore_result=True,
                                   retry=False)
    except (BrokerError, OSError) as error:
        log.warning("broker unavailable; poll of %s left to the schedule", name,
                    extra={"error": f"{type(error).__name__}: {error}"[:200]})
        return jsonify({"queued": False, "reason": "the task queue is unavailable; the schedule will poll"}), 202
    return jsonify({"queued": True}), 202

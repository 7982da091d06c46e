"""/api/v1/cooperatives/<slug>/alerts: how a cooperative hears of new orders, returns and complaints."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, current_app, jsonify
from flask.wrappers import Response
from marshmallow import EXCLUDE, Schema, fields, validate

from adapter.alerts import checks
from adapter.alerts import store as alert_store
from adapter.alerts.channels import CHANNELS
from adapter.alerts.model import KINDS
from adapter.errors import InvalidRequestError
from adapter.store.cooperatives import get_cooperative
from adapter.store.models import AlertSettings, utcnow
from adapter.web import languages
from adapter.web.api.bodies import load_json
from adapter.web.api.contract import documented
from adapter.web.auth import current_principal, visible_cooperative
from adapter.web.runtime import db, runtime, unit_of_work

bp = Blueprint("alerts", __name__, url_prefix="/api/v1/cooperatives")
BUILT_IN = frozenset({"webhook", "email"})  # set by their own fields, not through options


class AlertSettingsIn(Schema):
    """The channels and kinds of alerts a cooperative wants (docs/alerts.md). Unknown fields are ignored, so what
    GET returns can be sent back."""

    class Meta:
        unknown = EXCLUDE

    webhook_url = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=checks.MAX_URL),
                                metadata={"example": "https://hooks.example.org/odop"})
    email = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=checks.MAX_EMAIL),
                          metadata={"example": "orders@chamba-rumal.example"})
    kinds = fields.List(fields.String(validate=validate.OneOf(KINDS)), load_default=list, metadata={
        "description": "which events to be told of", "example": list(KINDS)})
    language = fields.String(load_default="en", validate=validate.Length(min=1, max=16),
                             metadata={"description": "language of the alert's text: en or a console language",
                                       "example": "hi"})
    options = fields.Dict(keys=fields.String(), values=fields.Dict(), allow_none=True, load_default=None, metadata={
        "description": "targets of channels the operator added, by channel name (docs/alerts.md, \"Another "
                       "channel\"); absent or null: unchanged", "example": {"sms": {"phone": "9800000000"}}})
    new_webhook_secret = fields.Boolean(load_default=False, metadata={
        "description": "make a new signing secret (the old one stops working); one is made anyway when a "
                       "webhook is first set"})


class AlertSettingsOut(Schema):
    """A cooperative's alert settings; the webhook secret appears only in the answer that made it."""

    webhook_url = fields.String(allow_none=True, required=True)
    email = fields.String(allow_none=True, required=True)
    kinds = fields.List(fields.String(), required=True)
    language = fields.String(required=True)
    webhook_secret_set = fields.Boolean(required=True)
    options = fields.Dict(required=True, metadata={"description": "targets of added channels, by channel name"})
    webhook_secret = fields.String(metadata={"description": "the new signing secret: shown this once"})


def init_app(app: Flask) -> None:
    """Register the blueprint."""
    app.register_blueprint(bp)


def _out(row: AlertSettings | None, secret: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"webhook_url": row.webhook_url if row else None, "email": row.email if row else None,
                            "kinds": list(row.kinds or []) if row else [], "language": row.language if row else "en",
                            "webhook_secret_set": bool(row and row.webhook_secret),
                            "options": dict(row.options or {}) if row else {}}
    if secret is not None:
        body["webhook_secret"] = secret
    return body


@documented("Alert settings", responses={200: AlertSettingsOut})
@bp.get("/<slug>/alerts")
def get_alerts(slug: str) -> Response:
    """The cooperative's alert channels and kinds (nothing set: no alerts)."""
    current_principal()
    cooperative = visible_cooperative(get_cooperative(db(), slug))
    return jsonify(_out(alert_store.get_settings(db(), cooperative.id)))


@documented("Set alert settings", body=AlertSettingsIn, responses={200: AlertSettingsOut})
@bp.put("/<slug>/alerts")
def put_alerts(slug: str) -> Response:
    """Set the webhook URL, email address, kinds and language; each bad field is named and nothing changes."""
    current_principal()
    cooperative = visible_cooperative(get_cooperative(db(), slug))
    data = load_json(AlertSettingsIn())
    settings = runtime().settings
    problems: dict[str, list[str]] = {}
    url, email = (data["webhook_url"] or "").strip(), (data["email"] or "").strip()
    if url and (code := checks.webhook_problem(url, allow_private=settings.allow_private_callbacks,
                                               require_https=settings.environment == "production")):
        problems["webhook_url"] = [checks.PROBLEMS[code]]
    if email and (code := checks.email_problem(email, email_ready=bool(settings.smtp_host and settings.smtp_from))):
        problems["email"] = [checks.PROBLEMS[code]]
    if data["language"] not in languages.available_codes(current_app):
        problems["language"] = [f"one of {', '.join(languages.available_codes(current_app))}"]
    added = sorted(set(CHANNELS) - BUILT_IN)
    if data["options"] and (unknown := sorted(set(data["options"]) - set(added))):
        problems["options"] = [f"no channel named {', '.join(unknown)}; added channels: {', '.join(added) or 'none'}"]
    if problems:
        raise InvalidRequestError("invalid fields", details=problems)
    with unit_of_work() as session:
        row, secret = alert_store.save_settings(
            session, cooperative.id, webhook_url=url or None, email=email or None, kinds=data["kinds"],
            language=data["language"], new_webhook_secret=data["new_webhook_secret"], options=data["options"],
            now=utcnow())
        body = _out(row, secret)
    return jsonify(body)

"""The web console: server-rendered pages for cooperatives and operators under /console."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

from flask import Flask, Request, redirect, url_for
from flask.sessions import SecureCookieSessionInterface
from werkzeug.wrappers import Response as BaseResponse

# The view modules add their routes to `bp` when imported.
from adapter.web.console import alerts, auth, catalogue, documents, money, operator, orders, payouts, syncs  # noqa: F401
from adapter.web.console.pages import bp
from adapter.web.runtime import runtime

__all__ = ["bp", "init_app"]


def init_app(app: Flask) -> None:
    """Register the console blueprint, its cookie settings and `/` -> `/console`."""
    with app.app_context():
        settings = runtime().settings
    if not app.secret_key:
        # Derived from a configured secret so every gunicorn worker signs sessions alike.
        base = settings.admin_api_key or settings.signing_private_key
        app.secret_key = (hmac.new(base.encode(), b"odop-console-session-v1", hashlib.sha256).hexdigest()
                          if base else secrets.token_hex(32))
    app.config.update(
        SESSION_COOKIE_NAME="odop_console",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.environment == "production",
    )
    app.session_interface = SessionsOffTheWebhooks(settings.ondc_base_path)
    app.register_blueprint(bp)
    app.add_url_rule("/", "console_root", _root)


class SessionsOffTheWebhooks(SecureCookieSessionInterface):
    """The console's signed cookie session, not opened for the network webhooks: they never use it, and
    opening one (a signer, a cookie lookup) is a measurable share of an ACK."""

    def __init__(self, webhook_base: str) -> None:
        self.webhook_prefix = webhook_base.rstrip("/") + "/"

    def open_session(self, app: Flask, request: Request) -> Any:
        if request.path.startswith(self.webhook_prefix):
            return None  # Flask then uses its empty null session
        return super().open_session(app, request)


def _root() -> BaseResponse:
    return redirect(url_for("console.home"))

"""CSRF protection for the console: one random token per session, checked on every POST (400 otherwise)."""

from __future__ import annotations

import secrets

from flask import abort, request, session

from adapter.security import same_secret

FIELD = "csrf_token"


def token() -> str:
    """The session's CSRF token (created on first use)."""
    value = session.get(FIELD)
    if not isinstance(value, str) or not value:
        value = secrets.token_urlsafe(32)
        session[FIELD] = value
    return value


def check() -> None:
    """Before every console request: a POST must carry the session's token in its form."""
    if request.method != "POST":
        return
    expected = session.get(FIELD)
    presented = request.form.get(FIELD, "")
    if not isinstance(expected, str) or not expected or not presented or not same_secret(presented, expected):
        abort(400, description="csrf")

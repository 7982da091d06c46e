"""One JSON error handler for the whole app."""

from __future__ import annotations

import logging

from flask import Flask, g, jsonify
from flask.wrappers import Response
from werkzeug.exceptions import HTTPException

from adapter.errors import AdapterError, TooManyRequestsError

log = logging.getLogger("adapter.web.errors")


def init_app(app: Flask) -> None:
    """Register the handlers."""
    app.register_error_handler(AdapterError, render_adapter_error)
    app.register_error_handler(HTTPException, render_http_error)
    app.register_error_handler(Exception, render_unexpected)


def render_adapter_error(error: AdapterError) -> tuple[Response, int]:
    """Our own errors carry their status and body."""
    response = jsonify(error.to_dict())
    if isinstance(error, TooManyRequestsError):
        response.headers["Retry-After"] = str(error.retry_after)
    return response, error.status


def render_http_error(error: HTTPException) -> tuple[Response, int]:
    """Werkzeug's errors (404, 405, 413, ...) as JSON."""
    status = error.code or 500
    code = (error.name or "error").lower().replace(" ", "_")
    response = jsonify({"error": {"code": code, "message": error.description or error.name}})
    for name, value in error.get_headers():  # Allow on a 405, Retry-After, WWW-Authenticate
        if name.lower() != "content-type":
            response.headers[name] = value
    return response, status


def log_unexpected(error: Exception) -> None:
    """A bug, logged with its traceback (the request id rides on every log line)."""
    log.exception("unhandled error", exc_info=error)


def render_unexpected(error: Exception) -> tuple[Response, int]:
    """A bug: log it with the request id, and answer 500 without internals."""
    log_unexpected(error)
    body = {"error": {"code": "internal_error", "message": "internal error", "request_id": g.get("request_id")}}
    return jsonify(body), 500

"""Liveness and readiness."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Flask, jsonify
from flask.wrappers import Response
from kombu.exceptions import KombuError
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from adapter.store.db import ping
from adapter.web.runtime import runtime

bp = Blueprint("health", __name__)


def init_app(app: Flask) -> None:
    """Register the blueprint."""
    app.register_blueprint(bp)


@bp.get("/healthz")
def healthz() -> Response:
    """The process is up and serving."""
    return jsonify({"status": "ok"})


def _timed(check: Callable[[], None]) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        check()
    # Any failure of a dependency means "not ready"; the reason goes into the answer.
    except (SQLAlchemyError, KombuError, RedisError, OSError) as error:
        result: dict[str, Any] = {"ok": False, "error": f"{type(error).__name__}: {error}"[:300]}
    else:
        result = {"ok": True}
    result["latency_ms"] = round((time.perf_counter() - started) * 1000, 2)
    return result


def _check_broker() -> None:
    rt = runtime()
    timeout = rt.settings.readiness_timeout
    with rt.celery.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=timeout)
        # Opening a channel makes transports that connect lazily (Redis) talk to the server.
        channel = conn.default_channel
        client = getattr(channel, "client", None)
        if client is not None and hasattr(client, "ping"):
            client.ping()


@bp.get("/readyz")
def readyz() -> tuple[Response, int]:
    """Ready when the database and the broker answer; 503 names the failing check."""
    checks = {
        "database": _timed(lambda: ping(runtime().engine)),
        "broker": _timed(_check_broker),
    }
    failing = [name for name, result in checks.items() if not result["ok"]]
    body: dict[str, Any] = {"status": "ready" if not failing else "unavailable", "checks": checks}
    if failing:
        body["reason"] = "not reachable: " + ", ".join(failing)
        return jsonify(body), 503
    return jsonify(body), 200

"""The app factory."""

from __future__ import annotations

import logging
import os
import time
from typing import Any

from flask import Flask, current_app, g, request
from flask.wrappers import Response
from werkzeug.routing import IntegerConverter

from adapter.observability.metrics import HTTP_LATENCY, HTTP_REQUESTS
from adapter.protocol.context import ContextPolicy
from adapter.protocol.receive import Receiver, cached_scope
from adapter.protocol.registry import make_registry
from adapter.protocol.registry_cache import make_cache_client
from adapter.store.db import make_engine, make_sessionmaker
from adapter.store.inbound import InboundWriter
from adapter.store.search_buffer import SearchBuffer
from adapter.web import console, errors, health, invoices, languages, metrics, network, onboarding
from adapter.web.api import (
    alerts,
    catalogue,
    connectors,
    contract,
    cooperatives,
    issues,
    money,
    operations,
    orders,
    syncs,
)
from adapter.web.publisher import Publisher
from adapter.web.runtime import EXTENSION, Runtime, close_session, request_id
from adapter.web.search_path import SearchPath, hand_on
from adapter.web.throttle import FailureThrottle
from config import Settings, load_settings
from config.logging import log_line, request_id_var
from workers.app import make_celery

log = logging.getLogger("adapter.web")


class DatabaseId(IntegerConverter):
    """``<int:...>`` limited to the ids a BIGINT column can hold (a larger number matches no route: 404)."""

    def __init__(self, url_map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", 2**63 - 1)
        super().__init__(url_map, *args, **kwargs)


def create_app(settings: Settings | None = None) -> Flask:
    """Build the Flask app from settings (read from the environment only when none are given)."""
    settings = settings or load_settings(os.environ)
    app = Flask(__name__)
    # Every <int:...> id is a database id: one past BIGINT is "not found", never an overflow (500).
    app.url_map.converters["int"] = DatabaseId
    app.config.update(MAX_CONTENT_LENGTH=settings.max_request_bytes, JSON_SORT_KEYS=False)
    engine = make_engine(settings.database_url)
    sessions = make_sessionmaker(engine)
    redis_client = make_cache_client(settings.redis_url) if settings.redis_url else None
    celery = make_celery(settings)
    publisher = Publisher(celery)
    writer = InboundWriter(settings.database_url)
    searches = None
    if settings.search_group_commit_ms:
        # SQLite: a short statement, so that the worker's writes never wait long for the lock.
        searches = SearchBuffer(writer, hand_on(publisher), linger=settings.search_group_commit_ms / 1000,
                                batch_max=200 if settings.database_backend == "postgresql" else 16)
    receiver = Receiver(
        writer=writer,
        registry=make_registry(settings, redis_client=redis_client),
        policy=ContextPolicy(bpp_id=settings.subscriber_id, max_skew=settings.context_max_skew),
        scope=cached_scope(sessions),
        max_bytes=settings.max_request_bytes,
        clock_skew=settings.signature_clock_skew,
        require_gateway_auth=settings.require_gateway_auth,
        searches=searches,
    )
    rt = Runtime(
        settings=settings, engine=engine, sessions=sessions, celery=celery, receiver=receiver,
        publisher=publisher, redis=redis_client, throttle=FailureThrottle(redis_client), searches=searches,
    )
    app.extensions[EXTENSION] = rt
    app.extensions["celery"] = celery
    app.before_request(_start_request)
    app.after_request(_finish_request)
    app.teardown_request(_clear_request)
    app.teardown_appcontext(close_session)
    languages.init_app(app)
    errors.init_app(app)
    health.init_app(app)
    metrics.init_app(app)
    cooperatives.init_app(app)
    catalogue.init_app(app)
    operations.init_app(app)
    syncs.init_app(app)
    orders.init_app(app)
    issues.init_app(app)
    invoices.init_app(app)
    connectors.init_app(app)
    alerts.init_app(app)
    money.init_app(app)
    contract.init_app(app)
    network.init_app(app)
    onboarding.init_app(app)
    console.init_app(app)
    # POST {base}/search is answered in front of Flask, with the same answers (adapter/web/search_path.py).
    app.wsgi_app = SearchPath(app.wsgi_app, rt)  # type: ignore[method-assign]  # Flask's documented middleware hook
    return app


# Catalogue uploads may be as large as CATALOGUE_MAX_BYTES (plus the multipart envelope); every other request,
# webhooks included, keeps the MAX_REQUEST_BYTES limit.
UPLOAD_ENDPOINTS = frozenset({"catalogue.upload", "console.upload"})
MULTIPART_OVERHEAD = 256 * 1024


def _start_request() -> None:
    if request.endpoint in UPLOAD_ENDPOINTS:
        settings = current_app.extensions[EXTENSION].settings
        request.max_content_length = settings.catalogue_max_bytes + MULTIPART_OVERHEAD
    g.request_id = request_id(request.headers.get("X-Request-ID", ""))
    g.started = time.perf_counter()
    request_id_var.set(g.request_id)


# HTML pages load only our own scripts and styles (there are none inline), may show catalogue images from any
# https host, and may not be framed (clickjacking on the seller's buttons).
CONTENT_SECURITY_POLICY = ("default-src 'self'; img-src 'self' https: data:; style-src 'self'; script-src 'self'; "
                           "frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'")
PRIVATE_PREFIXES = ("/console", "/api/", "/invoices/")


def _security_headers(response: Response) -> None:
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    if request.path.startswith(PRIVATE_PREFIXES):
        # A cooperative's orders and keys must not linger in a shared phone's or a proxy's cache.
        response.headers["Cache-Control"] = "no-store"
    if response.mimetype == "text/html":
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")


def _finish_request(response: Response) -> Response:
    _security_headers(response)
    response.headers["X-Request-ID"] = g.get("request_id", "")
    elapsed = time.perf_counter() - g.get("started", time.perf_counter())
    endpoint = request.url_rule.rule if request.url_rule else "unmatched"
    HTTP_REQUESTS.labels(endpoint=endpoint, method=request.method, status=str(response.status_code)).inc()
    HTTP_LATENCY.labels(endpoint=endpoint, method=request.method).observe(elapsed)
    if endpoint not in ("/metrics", "/healthz"):
        log_line(log, "request", {"method": request.method, "path": request.path, "status": response.status_code,
                                  "duration_ms": round(elapsed * 1000, 2), **g.get("log_fields", {})},
                 # an error answer (a 500 raised after the view chose its level) is always news
                 g.get("log_level", logging.INFO) if response.status_code < 400 else logging.INFO)
    return response


def _clear_request(_exc: BaseException | None = None) -> None:
    request_id_var.set(None)

"""``POST {ONDC_BASE_PATH}/search`` answered without Flask: the ACK path of the most frequent call.

Searches are about a hundred times as frequent as every other call together, and most of what Flask does for a
request (a request context, URL matching, the before/after hooks, a Response object) is work their ACK does
not need. `SearchPath` sits in front of the Flask app (its ``wsgi_app``) and answers ``POST {base}/search``
itself: through the same `Receiver` as the Flask view (`adapter.web.network`), with the same answer (status
line, headers in the same order, body bytes), the same metrics and the same one log line. The NACKs of both
paths are compared in tests/web/test_search_path.py. Everything else goes to Flask untouched: other actions
and paths, other methods, a body without a Content-Length (chunked), and a body shorter than its
Content-Length (werkzeug's 400).

Plain searches then go to the search buffer (`adapter.store.search_buffer`), which stores them just after the
ACK; `hand_on` is what the buffer calls once it has: count the answers, queue the new searches' processing.
"""

from __future__ import annotations

import io
import json
import logging
import time
from collections.abc import Callable, Iterable
from typing import Any

import orjson
from werkzeug.http import HTTP_STATUS_CODES

from adapter.observability.metrics import HTTP_LATENCY, HTTP_REQUESTS
from adapter.protocol.receive import ACK, KEPT_HEADERS, Receipt, count_buffered
from adapter.protocol.search_check import compile_patterns
from adapter.store.inbound import Written
from adapter.store.models import utcnow
from adapter.web.errors import log_unexpected
from adapter.web.network import request_log_level
from adapter.web.publisher import Publisher
from adapter.web.runtime import Runtime, request_id
from config.logging import log_line, request_id_var

log = logging.getLogger("adapter.web")  # the app's request log (adapter/web/app.py)
buffer_log = logging.getLogger("adapter.web.search_path")

ACK_BYTES = orjson.dumps(ACK)
WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
# The request headers the receiver reads, under their WSGI keys (werkzeug leaves out an empty Content-Type).
_ENVIRON_KEYS = tuple((name, "CONTENT_TYPE" if name == "Content-Type" else "HTTP_" + name.upper().replace("-", "_"))
                      for name in KEPT_HEADERS)


class SearchPath:
    """WSGI middleware: ``POST {base}/search`` with a Content-Length is answered here, the rest by ``flask_app``."""

    def __init__(self, flask_app: WSGIApp, rt: Runtime) -> None:
        base = rt.settings.ondc_base_path
        self.flask_app, self.rt = flask_app, rt
        self.path, self.rule = f"{base}/search", f"{base}/<action>"
        self.max_bytes = rt.settings.max_request_bytes  # the app's MAX_CONTENT_LENGTH
        self._latency = HTTP_LATENCY.labels(endpoint=self.rule, method="POST")
        compile_patterns()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        length = environ.get("CONTENT_LENGTH") or ""
        if (environ.get("PATH_INFO") != self.path or environ.get("REQUEST_METHOD") != "POST"
                or not (length.isascii() and length.isdigit()) or "HTTP_TRANSFER_ENCODING" in environ):
            return self.flask_app(environ, start_response)
        started = time.perf_counter()
        rid = request_id(environ.get("HTTP_X_REQUEST_ID", ""))
        token = request_id_var.set(rid)
        try:
            try:
                headers = _headers(environ)
                size = int(length)
                if size > self.max_bytes:
                    receipt = self.rt.receiver.too_large("search", headers)
                else:
                    raw = environ["wsgi.input"].read(size) if size else b""
                    if len(raw) < size:  # the client stopped short: werkzeug says what Flask would say
                        environ["wsgi.input"] = io.BytesIO(raw)
                        return self.flask_app(environ, start_response)
                    receipt = self.rt.receiver.receive("search", raw, headers, utcnow())
                status, body, answer = _answer(receipt)
                fields, level = receipt.log, request_log_level(receipt, self.rt.settings)
            except Exception as error:  # noqa: BLE001  # a bug: the app's 500 (adapter/web/errors.py), logged
                log_unexpected(error)
                status, fields, level = 500, {}, logging.INFO
                # As Flask's jsonify writes it: compact, keys sorted, a newline at the end.
                body = (json.dumps({"error": {"code": "internal_error", "message": "internal error",
                                              "request_id": rid}}, separators=(",", ":"), sort_keys=True)
                        + "\n").encode()
                answer = []
                receipt = None
            answer += [("Content-Type", "application/json"), ("Content-Length", str(len(body))),
                       ("X-Content-Type-Options", "nosniff"), ("X-Request-ID", rid)]
            start_response(f"{status} {HTTP_STATUS_CODES.get(status, 'UNKNOWN').upper()}", answer)
            if receipt is not None and receipt.process and receipt.inbound_id is not None:
                self.rt.publisher.submit(receipt.inbound_id, batchable=True)
            # What the app's after-request hook counts and logs (adapter/web/app.py, _finish_request).
            elapsed = time.perf_counter() - started
            HTTP_REQUESTS.labels(endpoint=self.rule, method="POST", status=str(status)).inc()
            self._latency.observe(elapsed)
            log_line(log, "request", {"method": "POST", "path": self.path, "status": status,
                                      "duration_ms": round(elapsed * 1000, 2), **fields}, level)
            return [body]
        finally:
            request_id_var.reset(token)


def _headers(environ: dict[str, Any]) -> dict[str, str]:
    found: dict[str, str] = {}
    for name, key in _ENVIRON_KEYS:
        value = environ.get(key)
        if value is not None and (value or key != "CONTENT_TYPE"):
            found[name] = value
    return found


def _answer(receipt: Receipt) -> tuple[int, bytes, list[tuple[str, str]]]:
    body = ACK_BYTES if receipt.body is ACK else orjson.dumps(receipt.body)
    return receipt.status, body, list(receipt.headers.items())


def hand_on(publisher: Publisher) -> Callable[[list[dict[str, Any]], list[Written]], None]:
    """What the search buffer calls with the rows it stored: count their ACKs, queue the processing of those
    waiting for it (a new search; or a repeat whose first copy no worker has taken yet, as `Receiver._ack`
    does: the worker's claim makes the second task harmless), note the repeats."""

    def written(rows: list[dict[str, Any]], done: list[Written]) -> None:
        count_buffered(rows, done)
        publisher.submit_searches(list(dict.fromkeys(w.id for w in done if w.status == "received")))
        for row, w in zip(rows, done, strict=True):
            if w.duplicate:
                buffer_log.info("repeated search: answered once", extra={
                    "bap_id": row["bap_id"], "message_id": row["message_id"],
                    "transaction_id": row["transaction_id"], "inbound_id": w.id})

    return written

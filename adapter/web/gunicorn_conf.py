"""Gunicorn settings for ``odop-adapter web``/``up`` and the container image.

Bind address and worker count come from BIND and WEB_CONCURRENCY, which gunicorn reads itself
(``GUNICORN_CMD_ARGS`` may override anything here).
"""

from __future__ import annotations

import os
import sys
from typing import Any

bind = os.environ.get("BIND", "127.0.0.1:8080")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# Threads, so that a client that sends its request slowly holds one thread, not a whole worker process: with
# sync workers two slow connections took every webhook offline for 30 s. For hostile networks put a buffering
# proxy in front as well (docs/operations.md, "Sizing the web tier").
worker_class = "gthread"
threads = int(os.environ.get("WEB_THREADS", "8"))
timeout = 30
graceful_timeout = 10
# Request lines and headers are small in ONDC; bodies are capped by MAX_REQUEST_BYTES in the app.
limit_request_line = 8190
accesslog = None  # the app logs each request as a JSON line with its request id
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def child_exit(server: Any, worker: Any) -> None:
    """Drop a dead worker's live metrics files (prometheus multiprocess mode)."""
    from adapter.observability.metrics import mark_process_dead

    mark_process_dead(worker.pid)


def worker_exit(server: Any, worker: Any) -> None:
    """Before a worker goes (SIGTERM, SIGINT, SIGQUIT, max_requests): store the searches it has ACKed but not yet
    written, and queue what its publisher holds (adapter/store/search_buffer.py). gunicorn also calls this in
    the master for a worker that vanished; the master loaded no app, so there is nothing to do there."""
    runtime = sys.modules.get("adapter.web.runtime")
    if runtime is not None:
        runtime.drain_all()

"""Entry module for ``celery -A workers.main``: builds the app from the environment."""

from __future__ import annotations

import os
from typing import Any

from celery import signals
from prometheus_client import start_http_server

from adapter.observability.metrics import scrape_registry
from config import load_settings
from config.logging import configure_logging
from workers.app import make_celery

settings = load_settings(os.environ)
app = make_celery(settings)


@signals.worker_init.connect
def _serve_metrics(**_: Any) -> None:
    # Containers do not share a metrics directory with the web app, so a worker can serve its own /metrics.
    if settings.worker_metrics_port:
        start_http_server(settings.worker_metrics_port, registry=scrape_registry())


@signals.setup_logging.connect
def _setup_logging(**_: Any) -> None:
    configure_logging(settings.log_level, settings.log_format)

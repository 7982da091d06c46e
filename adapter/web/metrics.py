"""Prometheus scrape endpoint."""

from __future__ import annotations

from flask import Blueprint, Flask
from flask.wrappers import Response

from adapter.observability.metrics import StateCollector, scrape
from adapter.store.stats import HELP, LABELS, read_stats
from adapter.web.runtime import runtime

bp = Blueprint("metrics", __name__)


def init_app(app: Flask) -> None:
    """Register the blueprint."""
    app.register_blueprint(bp)


@bp.get("/metrics")
def metrics() -> Response:
    """All processes' metrics in the Prometheus text format."""
    sessions = runtime().sessions
    payload, content_type = scrape(StateCollector(lambda: read_stats(sessions), LABELS, HELP))
    return Response(payload, content_type=content_type)

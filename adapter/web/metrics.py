"""Prometheus scrape endpoint."""

from __future__ import annotations

from flask import Blueprint, Flask
from flask.wrappers import Response

from adapter.observability.metrics import scrape

bp = Blueprint("metrics", __name__)


def init_app(app: Flask) -> None:
    """Register the blueprint."""
    app.register_blueprint(bp)


@bp.get("/metrics")
def metrics() -> Response:
    """All processes' metrics in the Prometheus text format."""
    payload, content_type = scrape()
    return Response(payload, content_type=content_type)

"""Catalogue sources and sync jobs: start, watch, list and cancel."""

from __future__ import annotations

from flask import Blueprint, Flask, Response, jsonify
from marshmallow import Schema, fields, validate

from adapter.delivery.urls import UnsafeUrlError, validate_callback_url
from adapter.errors import InvalidRequestError, NotFoundError
from adapter.store import sync as sync_store
from adapter.store.cooperatives import get_cooperative
from adapter.store.models import Cooperative, utcnow
from adapter.web.api.bodies import load_json
from adapter.web.auth import current_principal, visible_cooperative
from adapter.web.runtime import db, runtime, unit_of_work
from catalog_sync.services.progress import job_to_dict
from workers.sync import queue_sync

bp = Blueprint("syncs", __name__, url_prefix="/api/v1/cooperatives/<slug>")


class SourceIn(Schema):
    """A catalogue source."""

    url = fields.String(required=True, validate=validate.Length(min=1, max=2048))
    interval_minutes = fields.Integer(load_default=60, validate=validate.Range(min=1, max=7 * 24 * 60))
    enabled = fields.Boolean(load_default=True)


class SyncIn(Schema):
    """A sync request."""

    full = fields.Boolean(load_default=False)
    bap_id = fields.String(load_default=None, validate=validate.Length(min=1, max=255))


def init_app(app: Flask) -> None:
    """Register the blueprint."""
    app.register_blueprint(bp)


def _cooperative(slug: str) -> Cooperative:
    current_principal()
    return visible_cooperative(get_cooperative(db(), slug))


@bp.get("/source")
def get_source(slug: str) -> Response:
    """The cooperative's catalogue source and how its last fetch went."""
    source = sync_store.get_source(db(), _cooperative(slug).id)
    if source is None:
        raise NotFoundError("no catalogue source is configured")
    return jsonify({"url": source.url, "interval_minutes": source.interval_seconds // 60, "enabled": source.enabled,
                    "last_fetched_at": source.last_fetched_at.isoformat() if source.last_fetched_at else None,
                    "last_status": source.last_status, "last_error": source.last_error})


@bp.put("/source")
def put_source(slug: str) -> Response:
    """Set where the cooperative's catalogue lives (a published CSV/XLSX/JSON URL) and how often to fetch it."""
    cooperative_id = _cooperative(slug).id  # who is asking, before the URL is looked up in DNS
    data = load_json(SourceIn())
    try:
        validate_callback_url(data["url"], allow_private=runtime().settings.allow_private_callbacks,
                              require_https=runtime().settings.environment == "production")
    except UnsafeUrlError as error:
        raise InvalidRequestError(f"url: {error}", details={"field": "url"}) from error
    with unit_of_work() as session:
        cooperative = session.get_one(Cooperative, cooperative_id)
        sync_store.set_source(session, cooperative.id, url=data["url"], interval_seconds=data["interval_minutes"] * 60,
                              enabled=data["enabled"])
    return get_source(slug)


@bp.post("/syncs")
def start_sync(slug: str) -> tuple[Response, int]:
    """Start a sync; when one is already queued or running, that job comes back instead (200)."""
    data = load_json(SyncIn())
    cooperative = _cooperative(slug)
    rt = runtime()
    job, created = queue_sync(rt.celery, rt.sessions, cooperative.id, kind="full" if data["full"] else "incremental",
                              requested_by="operator", bap_id=data["bap_id"])
    return jsonify(job_to_dict(job, utcnow())), 202 if created else 200


@bp.get("/syncs")
def list_syncs(slug: str) -> Response:
    """The cooperative's sync history, newest first."""
    jobs = sync_store.list_jobs(db(), _cooperative(slug).id)
    return jsonify({"syncs": [job_to_dict(job, utcnow()) for job in jobs]})


@bp.get("/syncs/<int:job_id>")
def show_sync(slug: str, job_id: int) -> Response:
    """One sync with its progress, counts and per-item errors."""
    return jsonify(job_to_dict(sync_store.get_job(db(), job_id, _cooperative(slug).id), utcnow()))


@bp.post("/syncs/<int:job_id>/cancel")
def cancel_sync(slug: str, job_id: int) -> Response:
    """Cancel a queued or running sync (409 when it already finished)."""
    with unit_of_work() as session:
        job = sync_store.cancel_job(session, sync_store.get_job(session, job_id, _cooperative(slug).id))
    return jsonify(job_to_dict(job, utcnow()))

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
from adapter.web.api.contract import documented, timestamp
from adapter.web.auth import current_principal, visible_cooperative
from adapter.web.runtime import db, runtime, unit_of_work
from catalog_sync.services.progress import job_to_dict
from workers.sync import queue_sync

bp = Blueprint("syncs", __name__, url_prefix="/api/v1/cooperatives/<slug>")


STATUS = {"description": "how fetching goes: sent back by GET, ignored by PUT"}


class SourceIn(Schema):
    """A catalogue source. The source as GET returns it is accepted too (its status fields are ignored)."""

    url = fields.String(required=True, validate=validate.Length(min=1, max=2048),
                        metadata={"example": "https://docs.example/chamba-rumal/catalogue.csv"})
    interval_minutes = fields.Integer(load_default=60, validate=validate.Range(min=1, max=7 * 24 * 60))
    enabled = fields.Boolean(load_default=True)
    last_fetched_at = fields.String(allow_none=True, metadata=STATUS)
    last_status = fields.String(allow_none=True, metadata=STATUS)
    last_error = fields.String(allow_none=True, metadata=STATUS)


class SourceOut(Schema):
    """Where the catalogue is fetched from, how often, and how the last fetch went."""

    url = fields.String(required=True)
    interval_minutes = fields.Integer(required=True)
    enabled = fields.Boolean(required=True)
    last_fetched_at = timestamp()
    last_status = fields.String(allow_none=True)
    last_error = fields.String(allow_none=True)


class Progress(Schema):
    """How far a sync is."""

    done = fields.Integer(required=True)
    total = fields.Integer(required=True)
    percent = fields.Float(allow_none=True)
    eta_seconds = fields.Float(allow_none=True)


class SyncOut(Schema):
    """A sync job: its state, step, progress, counts and per-item errors."""

    id = fields.Integer(required=True)
    state = fields.String(required=True, metadata={
        "enum": ["queued", "running", "succeeded", "failed", "skipped", "cancelled"]})
    kind = fields.String(required=True, metadata={"enum": ["full", "incremental"]})
    requested_by = fields.String(allow_none=True)
    bap_id = fields.String(allow_none=True)
    step = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)
    progress = fields.Nested(Progress, required=True)
    counts = fields.Dict(allow_none=True)
    errors = fields.List(fields.Dict(), allow_none=True)
    resumes = fields.Integer(allow_none=True)
    created_at = timestamp(required=True)
    started_at = timestamp()
    finished_at = timestamp()


class SyncList(Schema):
    """Sync jobs, newest first."""

    syncs = fields.List(fields.Nested(SyncOut), required=True)


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


@documented("The catalogue source", responses={200: SourceOut})
@bp.get("/source")
def get_source(slug: str) -> Response:
    """The cooperative's catalogue source and how its last fetch went."""
    source = sync_store.get_source(db(), _cooperative(slug).id)
    if source is None:
        raise NotFoundError("no catalogue source is configured")
    return jsonify({"url": source.url, "interval_minutes": source.interval_seconds // 60, "enabled": source.enabled,
                    "last_fetched_at": source.last_fetched_at.isoformat() if source.last_fetched_at else None,
                    "last_status": source.last_status, "last_error": source.last_error})


@documented("Set the catalogue source", body=SourceIn, responses={200: SourceOut})
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


@documented("Start a sync", body=SyncIn, body_optional=True,
            responses={200: ("one was already queued or running", SyncOut), 202: ("queued", SyncOut)})
@bp.post("/syncs")
def start_sync(slug: str) -> tuple[Response, int]:
    """Start a sync; when one is already queued or running, that job comes back instead (200)."""
    cooperative = _cooperative(slug)
    data = load_json(SyncIn())
    rt = runtime()
    job, created = queue_sync(rt.celery, rt.sessions, cooperative.id, kind="full" if data["full"] else "incremental",
                              requested_by="operator", bap_id=data["bap_id"])
    return jsonify(job_to_dict(job, utcnow())), 202 if created else 200


@documented("Sync history", responses={200: SyncList})
@bp.get("/syncs")
def list_syncs(slug: str) -> Response:
    """The cooperative's sync history, newest first."""
    jobs = sync_store.list_jobs(db(), _cooperative(slug).id)
    return jsonify({"syncs": [job_to_dict(job, utcnow()) for job in jobs]})


@documented("One sync", responses={200: SyncOut})
@bp.get("/syncs/<int:job_id>")
def show_sync(slug: str, job_id: int) -> Response:
    """One sync with its progress, counts and per-item errors."""
    return jsonify(job_to_dict(sync_store.get_job(db(), job_id, _cooperative(slug).id), utcnow()))


@documented("Cancel a sync", errors=(409,), responses={200: SyncOut})
@bp.post("/syncs/<int:job_id>/cancel")
def cancel_sync(slug: str, job_id: int) -> Response:
    """Cancel a queued or running sync (409 when it already finished)."""
    with unit_of_work() as session:
        job = sync_store.cancel_job(session, sync_store.get_job(session, job_id, _cooperative(slug).id))
    return jsonify(job_to_dict(job, utcnow()))

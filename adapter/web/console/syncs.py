"""Sync pages: start a sync, the history, and one job with its progress and per-item errors."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext
from werkzeug.wrappers import Response as BaseResponse

from adapter.errors import NotFoundError
from adapter.store import sync as sync_store
from adapter.store.cooperatives import list_cooperatives
from adapter.store.models import Cooperative, utcnow
from adapter.web.console.pages import bp, coop_arg, login_required, page, scope, user
from adapter.web.runtime import db, runtime
from catalog_sync.services.progress import job_to_dict
from workers.sync import queue_sync


@bp.get("/syncs")
@login_required
def syncs() -> tuple[str, int]:
    """The sync history, newest first, and the start button."""
    cooperative = scope(required=False)
    jobs = [job_to_dict(j, utcnow()) for j in sync_store.list_jobs(db(), cooperative.id)] if cooperative else []
    choices = list_cooperatives(db()) if user().is_admin else []
    return page("syncs.html", cooperative=cooperative, jobs=jobs, choices=choices,
                extra=coop_arg(cooperative) if cooperative else {})


@bp.post("/syncs")
@login_required
def start_sync() -> BaseResponse:
    """Queue a sync (or show the one already queued or running)."""
    cooperative = scope()
    assert cooperative is not None
    rt = runtime()
    job, _ = queue_sync(rt.celery, rt.sessions, cooperative.id,
                        kind="full" if request.form.get("full") == "on" else "incremental",
                        requested_by="operator" if user().is_admin else "console")
    flash(gettext("Sync %(id)s started.", id=job.id), "ok")
    return redirect(url_for("console.sync_job", job_id=job.id, **coop_arg(cooperative)))


@bp.get("/syncs/<int:job_id>")
@login_required
def sync_job(job_id: int) -> tuple[str, int]:
    """One job; the page refreshes itself every 2 seconds while the job is queued or running."""
    scoped = scope(required=False)  # None only for the operator, who may see every job
    try:
        job = sync_store.get_job(db(), job_id, scoped.id if scoped else None)
    except NotFoundError:
        abort(404)
    cooperative = scoped or db().get(Cooperative, job.cooperative_id)
    assert cooperative is not None
    data = job_to_dict(job, utcnow())
    return page("sync_job.html", cooperative=cooperative, job=data, running=job.state in sync_store.ACTIVE,
                extra=coop_arg(cooperative))

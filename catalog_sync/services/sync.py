"""Running a sync job: fetch the source, import a new version if it changed, push changes to subscribers.

Every step records progress on the job row and re-reads it, so an operator's cancel stops the job at the
next step, and a job resumed after a crash simply runs again (each step is idempotent).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from adapter.delivery.http import HttpClient
from adapter.protocol.identity import SellerApp
from adapter.store import catalogue as store
from adapter.store import sync as sync_store
from adapter.store.db import transaction
from adapter.store.models import CatalogueSource, Cooperative, Subscription, SyncJob
from catalog_sync.errors import CatalogueError
from catalog_sync.on_search import store_state
from catalog_sync.plan import confirm_reason
from catalog_sync.services import catalogue as catalogues
from catalog_sync.services.push import STORE, push_changes, push_full
from catalog_sync.services.sources import SourceRejectedError, SourceUnreachableError, fetch_source

log = logging.getLogger("catalog_sync.services.sync")


@dataclass(frozen=True)
class SyncDeps:
    """What a sync needs from outside."""

    sessions: sessionmaker[Session]
    http: HttpClient
    app: SellerApp  # who we are in every push
    limits: catalogues.Limits
    allow_private: bool
    now: Callable[[], dt.datetime]


@dataclass
class RunResult:
    """How a run ended: the callbacks to deliver, and whether another sync must follow."""

    state: str
    outbox_ids: list[int] = field(default_factory=list)
    rerun: bool = False


class _Stopped(Exception):
    """The job was cancelled (or finished elsewhere) while running."""


def _step(deps: SyncDeps, job_id: int, step: str, *, done: int | None = None, total: int | None = None) -> None:
    with transaction(deps.sessions) as session:
        job = sync_store.get_job(session, job_id)
        if job.state != "running":
            raise _Stopped(job.state)
        job.step, job.heartbeat_at = step, deps.now()
        if done is not None:
            job.progress_done = done
        if total is not None:
            job.progress_total = total


def start(deps: SyncDeps, job_id: int, *, stale_after: dt.timedelta) -> bool:
    """Claim a due queued job, or a running one whose worker went silent; False when someone else has it."""
    with transaction(deps.sessions) as session:
        if session.get(SyncJob, job_id) is None:
            return False
        return sync_store.claim_job(session, job_id, now=deps.now(), stale_after=stale_after)


def source_failed(deps: SyncDeps, job_id: int, error: str) -> int:
    """Count a failed fetch on the job itself and return how many there have been.

    The count lives on the job, not on the task, so a duplicated task delivery can't double the retries.
    """
    with transaction(deps.sessions) as session:
        job = sync_store.get_job(session, job_id)
        attempts = int(job.counts.get("source_attempts", 0)) + 1
        job.counts = {**job.counts, "source_attempts": attempts}
        job.errors = [*job.errors, {"message": f"source unreachable: {error}", "at": deps.now().isoformat()}]
        return attempts


def wait_for_source(deps: SyncDeps, job_id: int, error: str, retry_at: dt.datetime) -> bool:
    """Put a running job back in the queue until its source retry is due; False when it is not ours to retry."""
    with transaction(deps.sessions) as session:
        job = sync_store.get_job(session, job_id)
        if job.state != "running":
            return False
        job.state, job.step, job.run_after = "queued", f"waiting to retry the source: {error}"[:64], retry_at
        return True


def fail(deps: SyncDeps, job_id: int, reason: str, errors: list[dict[str, object]] | None = None) -> None:
    """End a job as failed with a reason (and per-row/item errors)."""
    with transaction(deps.sessions) as session:
        job = sync_store.get_job(session, job_id)
        if job.state in sync_store.ACTIVE:
            if errors:
                job.errors = [*job.errors, *errors][:1000]
            sync_store.finish_job(job, "failed", reason=reason)


def run(deps: SyncDeps, job_id: int, *, stale_after: dt.timedelta) -> RunResult:
    """Run the job's steps; SourceUnreachableError escapes so the task can retry with backoff."""
    if not start(deps, job_id, stale_after=stale_after):
        return RunResult(state="skipped")
    try:
        if not _fetch(deps, job_id):
            return RunResult(state="failed")
        return _push(deps, job_id)
    except _Stopped as stopped:
        return RunResult(state=str(stopped))


def _fetch(deps: SyncDeps, job_id: int) -> bool:
    with transaction(deps.sessions) as session:
        job = sync_store.get_job(session, job_id)
        source = sync_store.get_source(session, job.cooperative_id)
        if source is None or job.requested_by in ("edits", "closure"):
            return True  # the change is already here; a closure must not wait for (or fail on) the source
        session.expunge(source)
    _step(deps, job_id, "fetching source")
    try:
        fetched = fetch_source(source, deps.http, max_bytes=deps.limits.max_bytes, allow_private=deps.allow_private)
    except SourceRejectedError as error:
        _record_source(deps, source.id, "rejected", str(error))
        fail(deps, job_id, f"source: {error}")
        return False
    except SourceUnreachableError as error:
        _record_source(deps, source.id, "unreachable", str(error))
        raise
    if fetched.data is None:
        _record_source(deps, source.id, "unchanged", None)
        return True
    _step(deps, job_id, "importing")
    with transaction(deps.sessions) as session:
        job = sync_store.get_job(session, job_id)
        cooperative = session.get_one(Cooperative, job.cooperative_id)
        problem: str | None = None
        what = "source has errors"
        errors: list[dict[str, object]] = []
        try:
            result = catalogues.import_catalogue(session, cooperative, fetched.data, fetched.filename, deps.limits,
                                              source="url")
        except CatalogueError as error:
            problem, errors = error.message, [{"row": None, "column": None, "value": None, "message": error.message}]
        else:
            if result.unconfirmed and result.plan is not None:
                # A scheduled source never removes most of a catalogue on its own: a person confirms that.
                what = "source not imported"
                problem = (f"{confirm_reason(result.plan)}; if that is meant, upload the file once and confirm, "
                           "then the source syncs again")
            elif result.version is None:
                problem = f"{len(result.report.errors)} problem(s)"
                errors = [dict(e.to_dict()) for e in result.report.errors]
            else:
                job.counts = {**job.counts, "items_seen": len(result.report.items),
                              "source_version": result.version.number}
    if problem is not None:
        # The last good version stays live; the cooperative sees what to fix on the job.
        _record_source(deps, source.id, "invalid", problem)
        fail(deps, job_id, f"{what} ({problem}); the last good version stays live", errors)
        return False
    _record_source(deps, source.id, "imported", None, etag=fetched.etag, last_modified=fetched.last_modified)
    return True


def stores_to_announce(session: Session, now: dt.datetime) -> list[int]:
    """Cooperatives whose store closed or opened again (a closure began or ended) since their subscribers were
    last told: each owes an incremental push, which the schedule queues."""
    due = []
    for cooperative in session.scalars(select(Cooperative).where(Cooperative.active.is_(True),
                                                                 Cooperative.profile.is_not(None))):
        profile = catalogues.profile_of(cooperative)
        told = sync_store.told_states(session, cooperative.id, STORE)
        over = profile.opening.closed_until < (now - dt.timedelta(days=1)).date().isoformat()
        if (not profile.opening.closed_until or over) and all(s in (None, "open") for s in told.values()):
            continue  # no closure (or one long over), and nobody is left believing the store closed
        state = store_state(profile, now)
        subscribers = sync_store.subscribers(session, profile.domains)
        if any((told.get(sub.id) or "open") != state for sub in subscribers):
            due.append(cooperative.id)
    return due


def _record_source(deps: SyncDeps, source_id: int, status: str, error: str | None, *, etag: str | None = None,
                   last_modified: str | None = None) -> None:
    with transaction(deps.sessions) as session:
        source = session.get(CatalogueSource, source_id)
        if source is None:
            return
        source.last_fetched_at, source.last_status, source.last_error = deps.now(), status, error
        if status == "imported":
            source.etag, source.last_modified = etag, last_modified


def _push(deps: SyncDeps, job_id: int) -> RunResult:
    _step(deps, job_id, "comparing")
    with transaction(deps.sessions) as session:
        job = sync_store.get_job(session, job_id)
        cooperative = session.get_one(Cooperative, job.cooperative_id)
        full, cooperative_id = job.kind == "full", cooperative.id
        # An incremental sync compares hashes and reads only what changed; a full one sends everything.
        catalogue = catalogues.current_catalogue(session, cooperative) if full else None
        profile = catalogues.profile_of(cooperative)
        index = store.current_index(session, cooperative.id)
        domains = sorted({domain for _, domain in index.values()} | set(profile.domains))
        subscriber_ids = [s.id for s in sync_store.subscribers(session, domains, bap_id=job.bap_id)]
    outbox_ids: list[int] = []
    changed: set[str] = set()
    errors: list[dict[str, object]] = []
    _step(deps, job_id, "pushing", done=0, total=len(subscriber_ids))
    for done, subscription_id in enumerate(subscriber_ids, start=1):
        try:
            with transaction(deps.sessions) as session:
                sub = session.get_one(Subscription, subscription_id)
                cooperative = session.get_one(Cooperative, cooperative_id)
                now = deps.now()
                result = (push_full(session, sub, cooperative, catalogue, deps.app, now) if catalogue is not None
                          else push_changes(session, sub, cooperative, profile, index, deps.app, now))
                bap_id = sub.bap_id
        except CatalogueError as error:
            # One buyer app's push failing must not block the others.
            errors.append({"bap_id": str(subscription_id), "message": error.message})
        else:
            outbox_ids.extend(result.outbox_ids)
            changed.update(result.changed)
            log.info("pushed", extra={"job_id": job_id, "bap_id": bap_id, "changed": len(result.changed),
                                      "full": result.full})
        _step(deps, job_id, "pushing", done=done)
    with transaction(deps.sessions) as session:
        job = sync_store.get_job(session, job_id)
        if job.state != "running":
            return RunResult(state=job.state, outbox_ids=outbox_ids)
        job.counts = {**job.counts, "items": len(index), "changed": len(changed), "pushed": len(outbox_ids),
                      "subscribers": len(subscriber_ids)}
        # A buyer app that keeps failing is named on every sync until its dead letters are replayed.
        for bap_id, dead in sync_store.dead_pushes(session, cooperative_id).items():
            errors.append({"bap_id": bap_id, "message": f"{dead} push(es) to this buyer app are dead-lettered; "
                           "replay them with POST /api/v1/outbox/replay?bap_id=... once it is back"})
        job.errors = [*job.errors, *errors][:1000]
        sync_store.finish_job(job, "succeeded")
        rerun = job.rerun
    return RunResult(state="succeeded", outbox_ids=outbox_ids, rerun=rerun)

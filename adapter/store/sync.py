"""Repository for sync jobs, catalogue sources and per-subscriber push state."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import cast

from sqlalchemy import Table, and_, case, delete, exists, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from adapter.errors import ConflictError, NotFoundError
from adapter.store.models import CatalogueSource, OutboxMessage, PushState, Subscription, SyncJob, utcnow

ACTIVE = ("queued", "running")
FINISHED = ("succeeded", "failed", "cancelled")


# Who asks for a sync by hand (API, console): they expect it to run now.
ASKED_BY_PEOPLE = frozenset({"operator", "console"})


def active_job(session: Session, cooperative_id: int) -> SyncJob | None:
    """The cooperative's queued or running job, if any."""
    return session.scalar(select(SyncJob).where(SyncJob.cooperative_id == cooperative_id,
                                                SyncJob.state.in_(ACTIVE)))


def start_job(
    sessions: sessionmaker[Session], cooperative_id: int, *, kind: str, requested_by: str, bap_id: str | None = None,
    run_after: dt.datetime | None = None,
) -> tuple[SyncJob, bool]:
    """Queue a sync, or return the one already queued or running: one per cooperative at a time.

    The flag says whether the caller should send the job's task: True for a new job, and for a debounced one
    (edits wait SYNC_DEBOUNCE_SECONDS) that a person now asks for, which then runs at once (the delayed task finds
    it taken and does nothing). A unique partial index makes this hold across processes; the loser of a race
    gets the winner's job.
    """
    with sessions() as session:
        try:
            with session.begin():
                existing = active_job(session, cooperative_id)
                if existing is not None:
                    waiting = existing.state == "queued" and existing.run_after is not None
                    if kind == "full" and existing.state == "queued" and existing.kind != "full":
                        # A queued (debounced) incremental sync becomes the full refresh asked for, now.
                        existing.kind, existing.bap_id, existing.run_after = "full", bap_id, None
                    elif waiting and requested_by in ASKED_BY_PEOPLE and run_after is None:
                        existing.run_after = None  # "sync now" means now, not after the edits' debounce
                    return existing, waiting and existing.run_after is None
                job = SyncJob(cooperative_id=cooperative_id, kind=kind, requested_by=requested_by, bap_id=bap_id,
                              state="queued", run_after=run_after, counts={}, errors=[])
                session.add(job)
            return job, True
        except IntegrityError:
            with session.begin():
                existing = active_job(session, cooperative_id)
            if existing is None:
                raise
            return existing, False


def claim_job(session: Session, job_id: int, *, now: dt.datetime, stale_after: dt.timedelta) -> bool:
    """Atomically move a job to running: a queued one, or a running one whose heartbeat stopped (resume)."""
    stale = now - stale_after
    result = session.execute(
        update(SyncJob)
        .where(SyncJob.id == job_id,
               ((SyncJob.state == "queued")
                & (SyncJob.run_after.is_(None) | (SyncJob.run_after <= now + dt.timedelta(seconds=1))))
               | ((SyncJob.state == "running") & (SyncJob.heartbeat_at < stale)))
        .values(state="running", step="starting", heartbeat_at=now, started_at=func.coalesce(SyncJob.started_at, now),
                resumes=SyncJob.resumes + case((SyncJob.state == "running", 1), else_=0))
    )
    return bool(getattr(result, "rowcount", 0))


def get_job(session: Session, job_id: int, cooperative_id: int | None = None) -> SyncJob:
    """One job (of this cooperative, when given), or NotFoundError."""
    job = session.get(SyncJob, job_id)
    if job is None or (cooperative_id is not None and job.cooperative_id != cooperative_id):
        raise NotFoundError(f"no sync job {job_id}")
    return job


def list_jobs(session: Session, cooperative_id: int, limit: int = 50) -> list[SyncJob]:
    """A cooperative's jobs, newest first."""
    return list(session.scalars(select(SyncJob).where(SyncJob.cooperative_id == cooperative_id)
                                .order_by(SyncJob.id.desc()).limit(limit)))


def cancel_job(session: Session, job: SyncJob) -> SyncJob:
    """Cancel a queued or running job (the runner stops at its next step)."""
    if job.state not in ACTIVE:
        raise ConflictError(f"sync job {job.id} is already {job.state}")
    finish_job(job, "cancelled", reason="cancelled by an operator")
    return job


def finish_job(job: SyncJob, state: str, *, reason: str | None = None) -> None:
    """Put a job in a final state."""
    job.state = state
    job.reason = reason
    job.step = None if state == "succeeded" else job.step
    job.finished_at = utcnow()


def stale_jobs(session: Session, *, heartbeat_before: dt.datetime) -> list[SyncJob]:
    """Running jobs whose worker stopped reporting: crashed or killed."""
    return list(session.scalars(select(SyncJob).where(
        SyncJob.state == "running", SyncJob.heartbeat_at < heartbeat_before)))


def due_queued_jobs(session: Session, now: dt.datetime, *, created_before: dt.datetime) -> list[int]:
    """Queued jobs whose task may have been lost (broker down when they were created)."""
    return list(session.scalars(select(SyncJob.id).where(
        SyncJob.state == "queued", SyncJob.created_at < created_before,
        (SyncJob.run_after.is_(None)) | (SyncJob.run_after <= now))))


def get_source(session: Session, cooperative_id: int) -> CatalogueSource | None:
    """The cooperative's catalogue source, if one is configured."""
    return session.scalar(select(CatalogueSource).where(CatalogueSource.cooperative_id == cooperative_id))


def set_source(session: Session, cooperative_id: int, *, url: str, interval_seconds: int,
               enabled: bool) -> CatalogueSource:
    """Create or change the cooperative's source; a new URL forgets the old cache validators."""
    source = get_source(session, cooperative_id)
    if source is None:
        source = CatalogueSource(cooperative_id=cooperative_id, url=url)
        session.add(source)
    if source.url != url:
        source.etag = source.last_modified = None
    source.url, source.interval_seconds, source.enabled = url, interval_seconds, enabled
    session.flush()
    return source


def due_sources(session: Session, now: dt.datetime) -> list[CatalogueSource]:
    """Enabled sources whose interval has passed since their last fetch."""
    sources = session.scalars(select(CatalogueSource).where(CatalogueSource.enabled.is_(True)))
    return [s for s in sources
            if s.last_fetched_at is None or s.last_fetched_at + dt.timedelta(seconds=s.interval_seconds) <= now]


def subscribers(session: Session, domains: Sequence[str], bap_id: str | None = None) -> list[Subscription]:
    """Active catalog_inc subscriptions for these domains (or one buyer app's)."""
    query = select(Subscription).where(Subscription.active.is_(True), Subscription.domain.in_(list(domains)))
    if bap_id is not None:
        query = query.where(Subscription.bap_id == bap_id)
    return list(session.scalars(query.order_by(Subscription.id)))


def known_hashes(session: Session, subscription_id: int, cooperative_id: int) -> dict[str, str]:
    """What the buyer app has (or is being sent) of each item: its hash, "" for removed.

    A push that was delivered becomes acknowledged here; one that was dead-lettered is forgotten, so its
    changes are sent again by the next sync.
    """
    table = cast(Table, PushState.__table__)
    mine = and_(table.c.subscription_id == subscription_id, table.c.cooperative_id == cooperative_id,
                table.c.pending_hash.is_not(None))
    sent = select(OutboxMessage.id).where(OutboxMessage.status == "sent")
    session.execute(update(table).where(mine, table.c.pending_outbox_id.in_(sent))
                    .values(acked_hash=table.c.pending_hash, pending_hash=None, pending_outbox_id=None))
    # Then forget what was dead-lettered (or lost). "Sent" counts as alive here: a push delivered between the two
    # statements stays pending and is acknowledged next time, never forgotten.
    alive = exists().where(OutboxMessage.id == table.c.pending_outbox_id,
                           OutboxMessage.status.in_(("pending", "sent")))
    session.execute(update(table).where(mine, ~alive).values(pending_hash=None, pending_outbox_id=None))
    value = func.coalesce(table.c.pending_hash, table.c.acked_hash)
    rows = session.execute(select(table.c.item_id, value).where(
        table.c.subscription_id == subscription_id, table.c.cooperative_id == cooperative_id, value.is_not(None)))
    return {item_id: known for item_id, known in rows}


def told_states(session: Session, cooperative_id: int, item_id: str) -> dict[int, str | None]:
    """What each subscription was last told (or is being told) of one item of a cooperative, by subscription."""
    rows = session.execute(
        select(PushState.subscription_id, PushState.pending_hash, PushState.acked_hash, OutboxMessage.status)
        .outerjoin(OutboxMessage, OutboxMessage.id == PushState.pending_outbox_id)
        .where(PushState.cooperative_id == cooperative_id, PushState.item_id == item_id))
    # A push that was dead-lettered told nothing: what was acknowledged before it stands.
    return {sub_id: pending if pending is not None and status != "dead" else acked
            for sub_id, pending, acked, status in rows}


def record_push(session: Session, subscription_id: int, cooperative_id: int, hashes: dict[str, str],
                outbox_id: int) -> None:
    """Remember what a queued push carries; it counts as known once delivered."""
    existing = {s.item_id: s for s in session.scalars(select(PushState).where(
        PushState.subscription_id == subscription_id, PushState.cooperative_id == cooperative_id,
        PushState.item_id.in_(list(hashes))))}
    for item_id, item_hash in hashes.items():
        state = existing.get(item_id)
        if state is None:
            state = PushState(subscription_id=subscription_id, cooperative_id=cooperative_id, item_id=item_id)
            session.add(state)
        state.pending_hash, state.pending_outbox_id = item_hash, outbox_id
    session.flush()


def assume_known(session: Session, subscription_id: int, cooperative_id: int, hashes: dict[str, str]) -> None:
    """Record that a buyer app already has these items as they are (it pulled the full catalogue before it
    subscribed), so the pushes that follow carry only what changes from now on."""
    forget_pushes(session, subscription_id, cooperative_id)
    session.add_all(PushState(subscription_id=subscription_id, cooperative_id=cooperative_id, item_id=item_id,
                              acked_hash=item_hash) for item_id, item_hash in hashes.items())
    session.flush()


def forget_pushes(session: Session, subscription_id: int, cooperative_id: int) -> None:
    """Drop what a buyer app is known to have (before a full refresh replaces it all)."""
    session.execute(delete(PushState).where(PushState.subscription_id == subscription_id,
                                            PushState.cooperative_id == cooperative_id))


def dead_pushes(session: Session, cooperative_id: int) -> dict[str, int]:
    """Dead-lettered catalogue pushes of one cooperative, by buyer app."""
    rows = session.execute(
        select(OutboxMessage.bap_id, func.count())
        .where(OutboxMessage.cooperative_id == cooperative_id, OutboxMessage.status == "dead",
               OutboxMessage.solicited.is_(False), OutboxMessage.action == "on_search")
        .group_by(OutboxMessage.bap_id)
    )
    return {str(bap_id): int(count) for bap_id, count in rows}


def mark_rerun(session: Session, job_id: int) -> bool:
    """Ask a running job to be followed by another sync; False when it is no longer running."""
    result = session.execute(update(SyncJob).where(SyncJob.id == job_id, SyncJob.state == "running")
                             .values(rerun=True))
    return bool(getattr(result, "rowcount", 0))

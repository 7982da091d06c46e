"""Queueing catalogue syncs: from operators, the schedule and item edits (debounced)."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from kombu.exceptions import OperationalError as BrokerError
from sqlalchemy.orm import Session, sessionmaker

from adapter.store import sync as sync_store
from adapter.store.db import transaction
from adapter.store.models import SyncJob, utcnow
from workers.task_names import RUN_SYNC

log = logging.getLogger("workers.sync")


def queue_sync(celery: Any, sessions: sessionmaker[Session], cooperative_id: int, *, kind: str = "incremental",
               requested_by: str = "operator", bap_id: str | None = None, delay: float = 0.0) -> tuple[SyncJob, bool]:
    """Start a sync (or get the one already queued or running) and send its task when it is new, or is a
    debounced one a person now wants at once (see `start_job`)."""
    run_after = utcnow() + dt.timedelta(seconds=delay) if delay else None
    job, created = sync_store.start_job(sessions, cooperative_id, kind=kind, requested_by=requested_by,
                                        bap_id=bap_id, run_after=run_after)
    if created:
        try:
            celery.send_task(RUN_SYNC, args=[job.id], countdown=delay or None, ignore_result=True,
                             retry=False)
        except (BrokerError, OSError) as error:
            # The job row is the record; the sweeper sends its task once the broker is back.
            log.warning("broker unavailable; sync job %s left for the sweeper", job.id,
                        extra={"error": f"{type(error).__name__}: {error}"[:200]})
    return job, created


def items_changed(celery: Any, sessions: sessionmaker[Session], cooperative_id: int, debounce: float) -> SyncJob:
    """Item edits and stock changes: one push per burst, `debounce` seconds after the first change."""
    job, created = queue_sync(celery, sessions, cooperative_id, requested_by="edits", delay=debounce)
    if not created and job.state == "running":
        # The running job may already have compared; make sure another one follows it. If it finished in the
        # meantime, queue the follow-up ourselves.
        with transaction(sessions) as session:
            marked = sync_store.mark_rerun(session, job.id)
        if not marked:
            job, _ = queue_sync(celery, sessions, cooperative_id, requested_by="edits", delay=debounce)
    return job

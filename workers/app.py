"""The Celery app, built from settings alone."""

from __future__ import annotations

import time
from functools import cached_property
from typing import Any

from celery import Celery, signals
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from adapter.observability.metrics import TASK_DURATION, TASKS
from adapter.store.db import make_engine, make_sessionmaker
from config import Settings
from config.logging import request_id_var

TASK_MODULES = ["workers.tasks"]


class OdopCelery(Celery):
    """A Celery app that carries our settings and a lazily created database engine."""

    settings: Settings

    @cached_property
    def engine(self) -> Engine:
        """The database engine, created on first use in each process."""
        return make_engine(self.settings.database_url)

    @cached_property
    def sessions(self) -> sessionmaker[Session]:
        """The session factory for tasks."""
        return make_sessionmaker(self.engine)


def make_celery(settings: Settings) -> OdopCelery:
    """Build the Celery app: JSON only, late acks, requeue on worker loss, bounded run time."""
    backend = None if settings.result_backend == "disabled" else settings.result_backend
    app = OdopCelery("odop_adapter", broker=settings.broker_url, backend=backend, include=TASK_MODULES)
    app.settings = settings
    transport_options: dict[str, Any] = {}
    if settings.broker_url.startswith("redis"):
        # A task not acked within this window is redelivered; it must exceed the longest task.
        transport_options["visibility_timeout"] = max(3600, settings.task_time_limit * 4)
    app.conf.update(
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        task_soft_time_limit=settings.task_soft_time_limit,
        task_time_limit=settings.task_time_limit,
        worker_prefetch_multiplier=1,
        worker_hijack_root_logger=False,
        broker_connection_retry_on_startup=True,
        broker_transport_options=transport_options,
        result_expires=24 * 3600,
        timezone="UTC",
        enable_utc=True,
        beat_schedule={},
    )
    return app


_started: dict[str, float] = {}


@signals.task_prerun.connect
def _on_prerun(task_id: str | None = None, **_: Any) -> None:
    if task_id:
        _started[task_id] = time.perf_counter()
        request_id_var.set(task_id)


@signals.task_postrun.connect
def _on_postrun(task_id: str | None = None, task: Any = None, state: str | None = None, **_: Any) -> None:
    started = _started.pop(task_id or "", None)
    name = getattr(task, "name", "unknown")
    TASKS.labels(task=name, state=state or "UNKNOWN").inc()
    if started is not None:
        TASK_DURATION.labels(task=name).observe(time.perf_counter() - started)
    request_id_var.set(None)

"""The Celery app, built from settings alone."""

from __future__ import annotations

import time
from functools import cached_property
from typing import Any

from celery import Celery, signals
from redis import Redis
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from adapter.delivery.http import HttpClient
from adapter.delivery.limits import BuyerLimiter
from adapter.delivery.sender import Signer
from adapter.observability.metrics import TASK_DURATION, TASKS
from adapter.protocol.keys import SigningKey
from adapter.protocol.registry_cache import make_cache_client
from adapter.store.db import make_engine, make_sessionmaker
from config import Settings
from config.logging import request_id_var
from workers import embedded_broker
from workers.task_names import IMPORT_UPLOAD, PULL_ORDERS, RUN_SYNC, SCHEDULE_SYNCS, SWEEP, SWEEP_ALERTS

TASK_MODULES = ["workers.tasks", "workers.pull", "workers.alerts"]


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

    @cached_property
    def redis(self) -> Redis | None:
        """The Redis client for caches and limits, when Redis is configured."""
        if not self.settings.redis_url:
            return None
        return make_cache_client(self.settings.redis_url, timeout=2.0)

    @cached_property
    def http(self) -> HttpClient:
        """The one outbound HTTP client."""
        return HttpClient(connect_timeout=self.settings.callback_connect_timeout,
                          read_timeout=self.settings.callback_read_timeout)

    @cached_property
    def source_http(self) -> HttpClient:
        """The HTTP client for catalogue sources (reads whole files, up to the catalogue size limit)."""
        return HttpClient(connect_timeout=self.settings.callback_connect_timeout,
                          read_timeout=max(self.settings.callback_read_timeout, 30.0),
                          max_response_bytes=self.settings.catalogue_max_bytes + 1)

    @cached_property
    def signer(self) -> Signer:
        """Signs our callbacks; refuses to start without a signing key."""
        key = self.settings.signing_private_key
        if not key:
            raise RuntimeError("ONDC_SIGNING_PRIVATE_KEY is not set: callbacks cannot be signed")
        return Signer(subscriber_id=self.settings.subscriber_id, unique_key_id=self.settings.unique_key_id,
                      key=SigningKey.from_base64(key), validity=self.settings.signature_validity)

    @cached_property
    def limiter(self) -> BuyerLimiter:
        """Caps concurrent deliveries per buyer app."""
        return BuyerLimiter(self.redis, self.settings.per_buyer_concurrency,
                            lease_seconds=int(self.settings.callback_read_timeout) + 30)


EMBEDDED_PREFETCH = 4


def make_celery(settings: Settings) -> OdopCelery:
    """Build the Celery app: JSON only, late acks, requeue on worker loss, bounded run time."""
    backend = None if settings.result_backend == "disabled" else settings.result_backend
    broker, transport, prefetch = settings.broker_url, None, 1
    if broker.startswith("sqla+"):
        # The embedded broker polls every 0.1 s, not kombu's 1 s (workers/embedded_broker.py says why). A polled
        # broker hands a worker one message per poll, so each process also takes a few ahead: a finished task is
        # followed at once, not a poll later. Nothing is lost by it: a message a dead worker held is found again by
        # the sweeper from the database, which is the record.
        broker, transport, prefetch = broker.removeprefix("sqla+"), embedded_broker.TRANSPORT, EMBEDDED_PREFETCH
    app = OdopCelery("odop_adapter", broker=broker, backend=backend, include=TASK_MODULES)
    if transport is not None:
        app.conf.broker_transport = transport
    app.settings = settings
    transport_options: dict[str, Any] = {}
    if settings.broker_url.startswith("redis"):
        # A task not acked within this window is redelivered; it must exceed the longest task.
        transport_options["visibility_timeout"] = max(3600, settings.task_time_limit * 4)
        # Fail fast when Redis is down: the web app must still answer the network within its ttl.
        transport_options["socket_connect_timeout"] = 1.0
        transport_options["socket_timeout"] = 5.0
    app.conf.update(
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        task_soft_time_limit=settings.task_soft_time_limit,
        task_time_limit=settings.task_time_limit,
        worker_prefetch_multiplier=prefetch,
        worker_hijack_root_logger=False,
        broker_connection_retry_on_startup=True,
        broker_connection_timeout=2.0,
        broker_transport_options=transport_options,
        result_expires=24 * 3600,
        timezone="UTC",
        enable_utc=True,
        beat_schedule={
            "sweep": {"task": SWEEP, "schedule": 15.0},
            "schedule-syncs": {"task": SCHEDULE_SYNCS, "schedule": 60.0},
            "pull-orders": {"task": PULL_ORDERS, "schedule": 120.0},
            "sweep-alerts": {"task": SWEEP_ALERTS, "schedule": 30.0},
        },
    )
    # A sync walks a whole catalogue and every subscriber; it reports progress instead of racing a short limit.
    app.conf.task_annotations = {RUN_SYNC: {"soft_time_limit": settings.sync_time_limit,
                                                   "time_limit": settings.sync_time_limit + 30},
                                 IMPORT_UPLOAD: {"soft_time_limit": settings.import_time_limit,
                                                 "time_limit": settings.import_time_limit + 30}}
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

"""Tasks. Each takes ids, loads state, calls one service and is safe to run twice."""

from __future__ import annotations

import datetime as dt
import logging
import random
import socket
from typing import Any

import orjson
from celery import shared_task
from sqlalchemy import func, select

from adapter.delivery import outbox
from adapter.delivery.retry import next_delay
from adapter.delivery.sender import deliver
from adapter.orders.errors import OrderError
from adapter.protocol.context import build_context
from adapter.store import inbound as inbound_store
from adapter.store import sync as sync_store
from adapter.store.db import transaction
from adapter.store.models import Cooperative, InboundMessage, OutboxMessage, utcnow
from catalog_sync import after_sale, order_flows
from catalog_sync import sync as sync_runner
from catalog_sync.answer import Seller, answer_search, deadline_of
from catalog_sync.errors import CatalogueError
from catalog_sync.push import PushContext
from catalog_sync.service import Limits
from catalog_sync.sources import SourceUnreachableError
from catalog_sync.sync import SyncDeps
from workers.orders import order_policy
from workers.sync import items_changed, queue_sync

log = logging.getLogger("workers.tasks")
MAX_SYNC_RESUMES = 3


@shared_task(bind=True, name="odop.ping")
def ping(self: Any, payload: str = "ping") -> dict[str, Any]:
    """Round-trip check: echoes the payload and reports which worker ran it and what it sees in the DB."""
    with self.app.sessions() as session:
        cooperatives = session.scalar(select(func.count(Cooperative.id)))
    return {"pong": payload, "hostname": socket.gethostname(), "cooperatives": cooperatives}


def _seller(app: Any) -> Seller:
    settings = app.settings
    return Seller(bpp_id=settings.subscriber_id, bpp_uri=settings.bpp_uri, name=settings.bpp_name,
                  size_budget=settings.on_search_max_bytes)


def _not_supported(session: Any, message: InboundMessage, seller: Seller, now: dt.datetime) -> OutboxMessage:
    """An action no flow handles gets its callback with a clear 40001 (not supported)."""
    request = orjson.loads(message.body)["context"]
    context = build_context(
        action=f"on_{message.action}", domain=request["domain"], city=request["city"], bpp_id=seller.bpp_id,
        bpp_uri=seller.bpp_uri, transaction_id=request["transaction_id"], message_id=request["message_id"], now=now,
        bap_id=request["bap_id"], bap_uri=request["bap_uri"],
    )
    body = {"context": context, "error": {"type": "DOMAIN-ERROR", "code": "40001",
                                          "message": f"{message.action} is not supported by this seller yet"}}
    return outbox.enqueue(
        session, action=f"on_{message.action}", target_url=request["bap_uri"].rstrip("/") + f"/on_{message.action}",
        body=orjson.dumps(body), transaction_id=request["transaction_id"], message_id=request["message_id"],
        bap_id=request["bap_id"], solicited=True, inbound_id=message.id, deadline_at=deadline_of(request), now=now,
    )


def _answer(app: Any, session: Any, message: InboundMessage, now: Any) -> tuple[list[OutboxMessage], set[int]]:
    """The callbacks for one claimed request, and the cooperatives whose stock it changed."""
    if message.action == "search":
        return answer_search(session, message, _seller(app), now), set()
    if (flow := order_flows.handle(session, message, order_policy(app.settings), now)) is not None:
        return flow.outbox, flow.stock_changed
    if (flow := after_sale.handle(session, message, order_policy(app.settings), now)) is not None:
        return flow.outbox, set()
    return [_not_supported(session, message, _seller(app), now)], set()


def _fail(app: Any, inbound_id: int, error: BaseException) -> str:
    # A fresh transaction: whatever the failed attempt wrote was rolled back with it.
    with transaction(app.sessions) as session:
        message = inbound_store.claim(session, inbound_id)
        if message is not None:
            inbound_store.finish(message, "failed", error=f"{type(error).__name__}: {error}"[:2000])
    return "failed"


@shared_task(bind=True, name="odop.process_inbound", ignore_result=True)
def process_inbound(self: Any, inbound_id: int) -> str:
    """Turn one stored network request into its callback(s) in the outbox, then queue their delivery.

    It runs in one transaction: a refusal or a failure rolls back everything the attempt wrote, so a rejected
    update never leaves half its changes behind. A refusal is then answered alone; a failure is recorded on
    the message (not retried: the same input fails the same way) instead of looping through the sweeper.
    """
    now = utcnow()
    try:
        with transaction(self.app.sessions) as session:
            message = inbound_store.claim(session, inbound_id)
            if message is None:
                return "already processed"
            rows, stock_changed = _answer(self.app, session, message, now)
            inbound_store.finish(message, "processed")
            outbox_ids = [row.id for row in rows]
    except order_flows.Refusal as refusal:
        with transaction(self.app.sessions) as session:
            message = inbound_store.claim(session, inbound_id)
            if message is None:
                return "already processed"
            outbox_ids = [order_flows.refuse(session, message, refusal, order_policy(self.app.settings), now).id]
            inbound_store.finish(message, "processed")
        stock_changed = set()
    except (CatalogueError, OrderError, LookupError, ValueError, TypeError, AttributeError, OverflowError) as error:
        # Bad input that got past the schemas: permanent, so recorded rather than retried.
        log.warning("could not answer", extra={"inbound_id": inbound_id, "error": str(error)[:300]})
        return _fail(self.app, inbound_id, error)
    for outbox_id in outbox_ids:
        deliver_outbox.delay(outbox_id)
    for cooperative_id in stock_changed:
        items_changed(self.app, self.app.sessions, cooperative_id, self.app.settings.sync_debounce_seconds)
    return f"queued {len(outbox_ids)} callback(s)"


@shared_task(bind=True, name="odop.deliver_outbox", ignore_result=True)
def deliver_outbox(self: Any, outbox_id: int) -> str:
    """Sign and POST one outbox row; schedule the retry when it failed transiently."""
    app, settings = self.app, self.app.settings
    result = deliver(
        app.sessions, outbox_id, signer=app.signer, http=app.http, now=utcnow, rng=random.random,
        base_delay=settings.retry_base_delay, max_delay=settings.retry_max_delay,
        allow_private=settings.allow_private_callbacks, require_https=settings.environment == "production",
        limiter=app.limiter, lease_margin=settings.delivery_lease_margin,
    )
    if result.outcome == "retry" and result.next_attempt_at is not None:
        delay = max(0.0, (result.next_attempt_at - utcnow()).total_seconds())
        deliver_outbox.apply_async((outbox_id,), countdown=delay)
    return f"{result.outcome}: {result.reason}"


def _sync_deps(app: Any) -> SyncDeps:
    settings = app.settings
    return SyncDeps(
        sessions=app.sessions, http=app.source_http,
        push=PushContext(bpp_id=settings.subscriber_id, bpp_uri=settings.bpp_uri, name=settings.bpp_name,
                         size_budget=settings.on_search_max_bytes,
                         window_seconds=settings.unsolicited_delivery_window),
        limits=Limits(max_bytes=settings.catalogue_max_bytes, max_rows=settings.catalogue_max_rows),
        allow_private=settings.allow_private_callbacks, now=utcnow,
    )


@shared_task(bind=True, name="odop.run_sync", ignore_result=True)
def run_sync(self: Any, job_id: int) -> str:
    """Run one sync job: fetch the source, import, and push the changes to every subscribed buyer app."""
    settings = self.app.settings
    deps = _sync_deps(self.app)
    stale_after = dt.timedelta(seconds=settings.sync_heartbeat_timeout)
    try:
        result = sync_runner.run(deps, job_id, stale_after=stale_after)
    except SourceUnreachableError as error:
        tries = sync_runner.source_failed(deps, job_id, str(error))
        if tries > settings.sync_source_retries:
            sync_runner.fail(deps, job_id, f"source unreachable after {tries} tries: {error}")
            return "failed"
        delay = next_delay(tries, base=settings.retry_base_delay * 5, cap=settings.retry_max_delay, rng=random.random)
        if not sync_runner.wait_for_source(deps, job_id, str(error), utcnow() + dt.timedelta(seconds=delay)):
            return "not ours to retry"
        run_sync.apply_async((job_id,), countdown=delay)
        return "waiting for the source"
    except Exception as error:  # a bug must not leave the job "running"; re-raised for the log
        sync_runner.fail(deps, job_id, f"internal error: {type(error).__name__}: {error}"[:500])
        raise
    for outbox_id in result.outbox_ids:
        deliver_outbox.delay(outbox_id)
    if result.rerun:
        with self.app.sessions() as session:
            cooperative_id = sync_store.get_job(session, job_id).cooperative_id
        items_changed(self.app, self.app.sessions, cooperative_id, settings.sync_debounce_seconds)
    return result.state


@shared_task(bind=True, name="odop.schedule_syncs", ignore_result=True)
def schedule_syncs(self: Any) -> int:
    """Start a sync for every cooperative whose catalogue source is due for a fetch."""
    with self.app.sessions() as session:
        due = [source.cooperative_id for source in sync_store.due_sources(session, utcnow())]
    for cooperative_id in due:
        queue_sync(self.app, self.app.sessions, cooperative_id, requested_by="schedule")
    return len(due)


@shared_task(bind=True, name="odop.sweep", ignore_result=True)
def sweep(self: Any) -> dict[str, int]:
    """Re-queue work a lost task or a broker outage left behind: stored requests and due callbacks."""
    now = utcnow()
    settings = self.app.settings
    with transaction(self.app.sessions) as session:
        stuck = inbound_store.stuck_ids(session, older_than=now - dt.timedelta(seconds=30))
        # A message still "processing" after twice the hard time limit belongs to a dead worker.
        inbound_store.release(session, inbound_store.stuck_ids(
            session, older_than=now - dt.timedelta(seconds=2 * settings.task_time_limit)))
        due = outbox.due_ids(session, now - dt.timedelta(seconds=5), 500)
        # Sync jobs whose worker died (no heartbeat), or whose task was lost while queued.
        stale: list[int] = []
        for job in sync_store.stale_jobs(
                session, heartbeat_before=now - dt.timedelta(seconds=settings.sync_heartbeat_timeout)):
            if job.resumes >= MAX_SYNC_RESUMES:
                sync_store.finish_job(job, "failed", reason=f"the worker running it stopped {job.resumes + 1} times")
            else:
                stale.append(job.id)
        lost = sync_store.due_queued_jobs(session, now, created_before=now - dt.timedelta(seconds=60))
    for job_id in [*stale, *lost]:
        run_sync.delay(job_id)
    for inbound_id in stuck:
        process_inbound.delay(inbound_id)
    for outbox_id in due:
        deliver_outbox.delay(outbox_id)
    return {"inbound": len(stuck), "outbox": len(due), "syncs": len(stale) + len(lost)}

"""Tasks. Each takes ids, loads state, calls one service and is safe to run twice."""

from __future__ import annotations

import datetime as dt
import logging
import random
import socket
from typing import Any

from celery import shared_task
from celery.exceptions import Retry, SoftTimeLimitExceeded
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError, SQLAlchemyError

from adapter.delivery import outbox
from adapter.delivery.retry import next_delay
from adapter.delivery.sender import deliver
from adapter.errors import CallbackError
from adapter.orders import courier_booking
from adapter.orders import inbound as dispatcher
from adapter.orders.policy import order_policy
from adapter.protocol.identity import SellerApp
from adapter.store import inbound as inbound_store
from adapter.store import pages as page_store
from adapter.store import sync as sync_store
from adapter.store import uploads as upload_store
from adapter.store.db import ping as ping_database
from adapter.store.db import transaction
from adapter.store.models import Cooperative, InboundMessage, utcnow
from catalog_sync.services import sync as sync_runner
from catalog_sync.services import uploads as upload_runner
from catalog_sync.services.catalogue import Limits
from catalog_sync.services.sources import SourceUnreachableError
from catalog_sync.services.sync import SyncDeps
from workers.dispatch import AfterCommit, after_commit, send_alerts, send_deliveries
from workers.sync import items_changed, queue_sync
from workers.task_names import (
    DELIVER_OUTBOX,
    IMPORT_UPLOAD,
    PING,
    PROCESS_INBOUND,
    PROCESS_INBOUND_MANY,
    RUN_SYNC,
    SCHEDULE_SYNCS,
    SWEEP,
)

log = logging.getLogger("workers.tasks")
MAX_SYNC_RESUMES = 3
PAGES_KEPT = dt.timedelta(days=1)
MAX_INBOUND_ATTEMPTS = 5  # database failures before a stored request is given up as poison
# The database (or the network) could not be reached: a restart, a failover, a lock held too long. Not the
# request's fault and not a poison message: the task runs again within seconds, well inside a ttl of PT30S.
UNREACHABLE = (OperationalError, InterfaceError, OSError, TimeoutError)
OUTAGE_RETRIES = 6  # waits of about 0.5, 1, 2, 4, 8, 8 s (jittered): an outage of up to ~20 s is ridden out


@shared_task(bind=True, name=PING)
def ping(self: Any, payload: str = "ping") -> dict[str, Any]:
    """Round-trip check: echoes the payload and reports which worker ran it and what it sees in the DB."""
    with self.app.sessions() as session:
        cooperatives = session.scalar(select(func.count(Cooperative.id)))
    return {"pong": payload, "hostname": socket.gethostname(), "cooperatives": cooperatives}


def _answer_failure(app: Any, inbound_id: int, error: CallbackError, failure: BaseException | None, *,
                    final: bool = False) -> AfterCommit:
    """In a fresh transaction (the failed attempt was rolled back): the error callback, and the message's status.

    A refusal (a typed business error) is a normal answer ("processed"); a failure is also recorded on the
    message as "failed" with its cause, which the operator's transaction page shows. If even the error callback
    cannot be written (other than for a database error), the message is recorded as failed without one, so it
    does not come back through the sweeper forever. ``final`` (a poison message given up on) extends that to
    database errors too.
    """
    cause = failure or error
    try:
        with transaction(app.sessions) as session:
            message = inbound_store.claim(session, inbound_id)
            if message is None:
                return AfterCommit()
            row = dispatcher.failure_answer(session, message, error, order_policy(app.settings), utcnow())
            if failure is None and row is not None:
                inbound_store.finish(message, "processed")
            else:
                inbound_store.finish(message, "failed", error=f"{type(cause).__name__}: {cause}"[:2000])
            return AfterCommit((row.id,) if row is not None else ())
    except Exception as broken:  # a bug in the error path itself: record it, never loop on it
        if isinstance(broken, dispatcher.TRANSIENT) and not final:
            raise
        log.exception("could not write the error callback", extra={"inbound_id": inbound_id})
        with transaction(app.sessions) as session:
            message = inbound_store.claim(session, inbound_id)
            if message is not None:
                inbound_store.finish(message, "failed", error=(
                    f"{type(cause).__name__}: {cause}; and no error callback could be written: "
                    f"{type(broken).__name__}: {broken}")[:2000])
        return AfterCommit()


def _attempt(app: Any, inbound_id: int) -> tuple[str, AfterCommit]:
    """One attempt at one stored request, in one transaction: the outcome, and what is owed after the commit."""
    with transaction(app.sessions) as session:
        message = inbound_store.claim(session, inbound_id)
        if message is None:
            return "already processed", AfterCommit()
        try:
            result = dispatcher.dispatch(session, message, order_policy(app.settings), utcnow())
        except dispatcher.RequestExpiredError as expired:
            inbound_store.finish(message, "expired", error=str(expired))
            log.info("request expired before it was answered",
                     extra={"inbound_id": inbound_id, "action": message.action, "error": str(expired)})
            return "expired", AfterCommit()
        after = AfterCommit.of(result)
        if result.waiting:  # run again when the wait is over (adapter.orders.shipping); nothing answered yet
            inbound_store.wait(message)
            return f"waiting; queued {len(after.outbox_ids)} message(s)", after
        inbound_store.finish(message, "processed")
        return f"queued {len(after.outbox_ids)} callback(s)", after


def _action_of(app: Any, inbound_id: int) -> str:
    with app.sessions() as session:
        return str(session.scalar(select(InboundMessage.action).where(InboundMessage.id == inbound_id)) or "unknown")


def _database_answers(app: Any) -> bool:
    try:
        ping_database(app.engine)
    except (SQLAlchemyError, OSError, TimeoutError):  # SELECT 1 failed: not reachable now
        return False
    return True


def _retry_outage(task: Any, error: Exception, args: list[Any] | None = None, **kwargs: Any) -> None:
    """Raise the task's retry, soon, when ``error`` says the database was unreachable and retries remain.

    An error of that kind while the database answers a plain SELECT 1 is not an outage but the statement's own
    (a lock held too long, a timeout): it gets one quick rerun, in case the outage just ended, and then counts
    as a failed attempt like any other.
    """
    if not isinstance(error, UNREACHABLE) or task.request.retries >= OUTAGE_RETRIES:
        return
    if task.request.retries >= 1 and _database_answers(task.app):
        return
    delay = min(0.5 * 2 ** task.request.retries, 8.0) * (0.5 + random.random() / 2)
    log.warning("database unreachable; running the task again", extra={
        "task": task.name, "retry": task.request.retries + 1, "error": f"{type(error).__name__}"})
    raise task.retry(exc=error, countdown=delay, max_retries=OUTAGE_RETRIES, args=args, kwargs=kwargs or None)


def _out_of_attempts(app: Any, inbound_id: int, error: Exception) -> int | None:
    """Count an attempt that failed for a reason not about the request; the count once it reaches the cap."""
    with transaction(app.sessions) as session:
        attempts = inbound_store.note_failed_attempt(session, inbound_id, f"{type(error).__name__}: {error}")
    return attempts if attempts >= MAX_INBOUND_ATTEMPTS else None


@shared_task(bind=True, name=PROCESS_INBOUND, ignore_result=True)
def process_inbound(self: Any, inbound_id: int) -> str:
    """Turn one stored network request into its callback(s) in the outbox, then queue their delivery.

    It runs in one transaction: a refusal or a failure rolls back everything the attempt wrote, so a rejected
    update never leaves half its changes behind. The buyer app then gets the error callback alone (the request
    was ACKed, so it is never left waiting); a failure is also recorded on the message, not retried (the same
    input fails the same way). A database error is raised, so the sweeper runs the request again, at most
    MAX_INBOUND_ATTEMPTS times: a request that keeps failing (a poison message) is then answered 31001 and
    recorded as failed; so is one that runs past the soft time limit that often. A unique-key conflict (two
    confirms of one order racing) is run again at once: the loser then finds what the winner wrote.
    """
    return _process(self, inbound_id, [inbound_id])


def _process(task: Any, inbound_id: int, retry_args: list[Any], *, slowness_counts: bool = True) -> str:
    """process_inbound's work; an outage reruns ``task`` with ``retry_args`` (this request and any after it).
    ``slowness_counts`` False (in a batch): running past the soft time limit is raised without counting an
    attempt against the request."""
    app = task.app
    try:
        try:
            status, after = _attempt(app, inbound_id)
        except IntegrityError:
            status, after = _attempt(app, inbound_id)
    except SoftTimeLimitExceeded as slow:
        # Slow, not wrong: the claim is rolled back and the sweeper runs it again, but a capped number of times:
        # a request that is always too slow would otherwise hold a worker for ever.
        if not slowness_counts:
            raise
        attempts = _out_of_attempts(app, inbound_id, slow)
        if attempts is None:
            raise
        too_slow, cause = dispatcher.gave_up(_action_of(app, inbound_id), inbound_id, attempts, slow)
        after = _answer_failure(app, inbound_id, too_slow, cause, final=True)
        status = f"answered with error {too_slow.code}"
    except Exception as error:  # sorted by as_callback_error: refusals, bad input and bugs are answered
        _retry_outage(task, error, args=retry_args)
        action = _action_of(app, inbound_id)
        answer = dispatcher.as_callback_error(error, action, inbound_id)
        failure: Exception | None = None if error is answer else error
        final = answer is None
        if answer is None:
            attempts = _out_of_attempts(app, inbound_id, error)
            if attempts is None:
                raise
            answer, failure = dispatcher.gave_up(action, inbound_id, attempts, error)
        after = _answer_failure(app, inbound_id, answer, failure, final=final)
        status = f"answered with error {answer.code}"
    after_commit(app, app.sessions, app.settings.sync_debounce_seconds, after)
    return status


@shared_task(bind=True, name=PROCESS_INBOUND_MANY, ignore_result=True)
def process_inbound_many(self: Any, inbound_ids: list[int]) -> str:
    """Several stored searches that a busy web process queued as one task, each run as `process_inbound` runs it.

    One broker message for a burst instead of one per search (publishing costs the ACK path more than storing
    the request). Each request keeps its own transaction, claim and attempt count. An outage reruns this task
    with the request it stopped at and those after it; a request that fails otherwise is left to the sweeper, as
    a single task would be, and the rest still run. Past the soft time limit the requests not yet started go out
    again as a new task.
    """
    outcomes: dict[str, int] = {}
    for position, inbound_id in enumerate(inbound_ids):
        try:
            status = _process(self, inbound_id, [inbound_ids[position:]], slowness_counts=False)
        except Retry:
            raise
        except SoftTimeLimitExceeded:
            # The batch's time is up, not this request's fault: it goes out again alone (where slowness counts,
            # so one that is always too slow still stops), and the others as a batch.
            process_inbound.delay(inbound_id)
            if inbound_ids[position + 1:]:
                process_inbound_many.delay(inbound_ids[position + 1:])
            raise
        except Exception:  # the attempt is counted on the message and the sweeper runs it again
            log.exception("request left for the sweeper", extra={"inbound_id": inbound_id})
            status = "left for the sweeper"
        outcomes[status] = outcomes.get(status, 0) + 1
    return ", ".join(f"{count} {status}" for status, count in outcomes.items())


@shared_task(bind=True, name=DELIVER_OUTBOX, ignore_result=True)
def deliver_outbox(self: Any, outbox_id: int) -> str:
    """Sign and POST one outbox row; schedule the retry when it failed transiently."""
    app, settings = self.app, self.app.settings
    try:
        result = deliver(
            app.sessions, outbox_id, signer=app.signer, http=app.http, now=utcnow, rng=random.random,
            base_delay=settings.retry_base_delay, max_delay=settings.retry_max_delay,
            allow_private=settings.allow_private_callbacks, require_https=settings.environment == "production",
            limiter=app.limiter, lease_margin=settings.delivery_lease_margin,
        )
    except UNREACHABLE as error:
        # Before the claim: nothing was sent. After the POST: the row is in flight and its lease runs out first.
        _retry_outage(self, error)
        raise
    if result.outcome == "retry" and result.next_attempt_at is not None:
        delay = max(0.0, (result.next_attempt_at - utcnow()).total_seconds())
        deliver_outbox.apply_async((outbox_id,), countdown=delay)
    return f"{result.outcome}: {result.reason}"


def _sync_deps(app: Any) -> SyncDeps:
    settings = app.settings
    return SyncDeps(
        sessions=app.sessions, http=app.source_http,
        app=SellerApp.from_settings(settings),
        limits=Limits.from_settings(settings),
        allow_private=settings.allow_private_callbacks, now=utcnow,
    )


@shared_task(bind=True, name=RUN_SYNC, ignore_result=True)
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
    send_deliveries(self.app, result.outbox_ids)
    if result.rerun:
        with self.app.sessions() as session:
            cooperative_id = sync_store.get_job(session, job_id).cooperative_id
        items_changed(self.app, self.app.sessions, cooperative_id, settings.sync_debounce_seconds)
    return result.state


@shared_task(bind=True, name=IMPORT_UPLOAD, ignore_result=True)
def import_upload(self: Any, upload_id: int, resume: bool = False) -> str:
    """Import one uploaded catalogue file (validated whole; a new version, or a report and nothing imported).

    ``resume``: a retry after a database outage, which may find the job still marked running by itself.
    """
    settings = self.app.settings
    try:
        outcome = upload_runner.run_upload(self.app.sessions, upload_id, Limits.from_settings(settings), utcnow,
                                           resume=resume)
    except UNREACHABLE as error:
        # The database went away mid-import: the import was rolled back and the file is still there. Run it
        # again soon; once the retries are used up the job is left queued (or running) for the sweeper.
        requeued = upload_runner.requeue(self.app.sessions, upload_id)
        _retry_outage(self, error, upload_id=upload_id, resume=True)  # raises when it will run again
        if requeued:  # the database answers, yet the import keeps failing: stop, rather than loop via the sweeper
            upload_runner.fail(self.app.sessions, upload_id,
                               f"the database failed during the import ({type(error).__name__}); nothing was "
                               "imported. Upload the file again; tell the operator if it keeps happening.", utcnow())
        return "failed: database error"
    except SoftTimeLimitExceeded:
        upload_runner.fail(self.app.sessions, upload_id,
                           f"the file took longer than {settings.import_time_limit} s to import; nothing was "
                           "imported. Split it into smaller files, or remove blank rows and unused sheets.", utcnow())
        return "failed: time limit"
    except Exception as error:  # a bug must not leave the upload "running"; re-raised for the log
        upload_runner.fail(self.app.sessions, upload_id,
                           f"internal error: {type(error).__name__}; nothing was imported. Try again, or tell "
                           "the operator.", utcnow())
        raise
    if outcome.created and outcome.cooperative_id is not None:
        items_changed(self.app, self.app.sessions, outcome.cooperative_id, settings.sync_debounce_seconds)
    return outcome.status


@shared_task(bind=True, name=SCHEDULE_SYNCS, ignore_result=True)
def schedule_syncs(self: Any) -> int:
    """Start a sync for every cooperative whose catalogue source is due for a fetch, and one for every
    cooperative whose store closed or opened again (a closure began or ended) to tell its subscribers."""
    with self.app.sessions() as session:
        due = [source.cooperative_id for source in sync_store.due_sources(session, utcnow())]
        closures = [c for c in sync_runner.stores_to_announce(session, utcnow()) if c not in due]
    for cooperative_id in due:
        queue_sync(self.app, self.app.sessions, cooperative_id, requested_by="schedule")
    for cooperative_id in closures:
        queue_sync(self.app, self.app.sessions, cooperative_id, requested_by="closure")
    return len(due) + len(closures)


@shared_task(bind=True, name=SWEEP, ignore_result=True)
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
        queued_uploads, dead_uploads = upload_store.stuck(
            session, queued_before=now - dt.timedelta(seconds=60),
            running_before=now - dt.timedelta(seconds=settings.import_time_limit + 60))
        # A preview nobody confirmed within a day is dropped with its file.
        upload_store.expire_previews(session, now - upload_store.PREVIEW_KEPT, now)
        # Courier bookings the courier never answered: failed, and the cooperative alerted.
        stalled_alerts = [row.id for row in courier_booking.stalled(session, now)]
    try:  # alone: a page a search is referring to this very moment makes this fail, and only this
        with transaction(self.app.sessions) as session:
            # Rendered pages no outbox row sends any more, a day after they were stored.
            pages_removed = page_store.remove_unused(session, now - PAGES_KEPT)
    except IntegrityError:
        pages_removed = 0
    for upload_id in dead_uploads:
        upload_runner.fail(self.app.sessions, upload_id, "the worker importing it stopped; nothing was imported. "
                           "Upload the file again.", now)
    for upload_id in queued_uploads:
        import_upload.delay(upload_id)
    for job_id in [*stale, *lost]:
        run_sync.delay(job_id)
    for inbound_id in stuck:
        process_inbound.delay(inbound_id)
    send_deliveries(self.app, due)
    send_alerts(self.app, stalled_alerts)
    return {"inbound": len(stuck), "outbox": len(due), "syncs": len(stale) + len(lost),
            "uploads": len(queued_uploads), "pages_removed": pages_removed, "booking_alerts": len(stalled_alerts)}

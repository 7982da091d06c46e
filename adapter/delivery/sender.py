"""Deliver one outbox row: claim it, check its deadline and URL, sign the stored bytes, POST, record the result.

Delivery is at-least-once: a worker that dies after the POST but before recording it leaves a lease that
expires, and a later sweep sends the same bytes again. Buyer apps dedupe by `message_id`. The claim marks the row
in flight, so that lost POST is recorded as an attempt with an unknown outcome, and a row whose deadline passes
after one is dead-lettered as "may have been delivered" (replaying it needs a force). docs/delivery.md.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, cast
from urllib.parse import urlsplit

import orjson
from prometheus_client import Counter, Histogram
from sqlalchemy import Table, and_, case, insert, literal, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from adapter.delivery.http import HttpClient, HttpResult, TransportError
from adapter.delivery.limits import BuyerLimiter
from adapter.delivery.retry import classify, next_delay
from adapter.delivery.urls import UnresolvableHostError, UnsafeUrlError, resolve_host, validate_callback_url
from adapter.protocol.context import format_timestamp
from adapter.protocol.keys import SigningKey
from adapter.protocol.signing import sign_request
from adapter.store import pages
from adapter.store.db import transaction
from adapter.store.models import DeliveryAttempt, OutboxMessage

__all__ = [
    "BUSY_DELAY",
    "CALLBACK_ATTEMPTS",
    "CALLBACK_LATENCY",
    "LEASE_MARGIN",
    "DeliveryOutcome",
    "DeliveryResult",
    "Signer",
    "deliver",
]

log = logging.getLogger(__name__)

CALLBACK_LATENCY = Histogram(
    "odop_callback_latency_seconds", "Time for one callback POST to a buyer app, by action.", ["action"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
CALLBACK_ATTEMPTS = Counter(
    "odop_callback_attempts_total", "Callback POSTs made, by action and outcome (sent, retry, dead).",
    ["action", "outcome"],
)

# Seconds past the HTTP timeouts that a claimed row stays invisible to other workers.
LEASE_MARGIN = 30
# Upper bound of the (jittered) wait when the buyer app has no free slot; not counted as an attempt.
BUSY_DELAY = 2.0
# How soon a later update of a transaction looks again while an earlier one is still being delivered.
ORDER_WAIT = 1.0
# How long before an update an on_confirm may have been queued and still go first (the order accepted at once).
CONFIRM_WAIT = 120
_STORED_RESPONSE_CHARS = 4096
_OUTBOX = cast(Table, OutboxMessage.__table__)
# Requests we send as a buyer app (ONDC logistics: docs/logistics.md), not answers. A receiver refuses a request
# whose context.timestamp is older than its ttl (ONDC 65003, stale), so each attempt, a retry or a replay, gets the
# time it is sent; the message_id stays, and the bytes signed are the bytes stored.
REQUESTS = frozenset({"search", "select", "init", "confirm", "update", "cancel", "track", "status"})


def _restamped(body: bytes, at: dt.datetime) -> bytes | None:
    """``body`` with context.timestamp set to ``at``; None when it has no such field (left as it is)."""
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    context = payload.get("context") if isinstance(payload, dict) else None
    if not isinstance(context, dict) or "timestamp" not in context:
        return None
    context["timestamp"] = format_timestamp(at)
    return orjson.dumps(payload)


def _restamp(session_factory: sessionmaker[Session], outbox_id: int, claimed: _Claimed,
             at: dt.datetime) -> _Claimed:
    fresh = _restamped(claimed.body, at)
    if fresh is None or fresh == claimed.body:
        return claimed
    with transaction(session_factory) as session:
        session.execute(update(_OUTBOX).where(_OUTBOX.c.id == outbox_id).values(body=fresh, size_bytes=len(fresh)))
    return dataclasses.replace(claimed, body=fresh)
_ATTEMPTS = cast(Table, DeliveryAttempt.__table__)

DeliveryOutcome = Literal["sent", "retry", "dead", "skipped"]


@dataclass(frozen=True)
class Signer:
    """Signs outbound bodies with our registry key."""

    subscriber_id: str
    unique_key_id: str
    key: SigningKey
    validity: int

    def authorization(self, body: bytes, now: dt.datetime) -> str:
        """The `Authorization` header for exactly ``body``, valid from ``now`` for ``validity`` seconds."""
        created = int(now.timestamp())
        return sign_request(
            body, subscriber_id=self.subscriber_id, unique_key_id=self.unique_key_id, key=self.key,
            created=created, expires=created + self.validity,
        )


@dataclass(frozen=True)
class DeliveryResult:
    """What one deliver() call did; ``skipped`` means the row was not ours to send (absent, done, not due)."""

    outcome: DeliveryOutcome
    status_code: int | None
    reason: str
    next_attempt_at: dt.datetime | None


@dataclass(frozen=True)
class _Claimed:
    action: str
    target_url: str
    body: bytes
    bap_key: str
    deadline_at: dt.datetime
    attempts: int
    transaction_id: str
    message_id: str


def _skipped(reason: str, next_attempt_at: dt.datetime | None = None) -> DeliveryResult:
    return DeliveryResult("skipped", None, reason, next_attempt_at)


_FAST_CLAIM_COLUMNS = (_OUTBOX.c.action, _OUTBOX.c.target_url, _OUTBOX.c.body, _OUTBOX.c.page_digest,
                       _OUTBOX.c.bap_id, _OUTBOX.c.deadline_at, _OUTBOX.c.attempts, _OUTBOX.c.transaction_id,
                       _OUTBOX.c.message_id)


def _claim_plain(
    session_factory: sessionmaker[Session], outbox_id: int, now: dt.datetime, lease_until: dt.datetime
) -> _Claimed | None:
    """The usual case in one statement: a due answer to a request (solicited, so nothing to wait for), within
    its deadline, whose last claim was recorded. None when the row is anything else; `_claim` then decides."""
    with transaction(session_factory) as session:
        # PostgreSQL: a row another worker holds right now is skipped, not waited for (as the full claim does).
        unlocked = select(_OUTBOX.c.id).where(_OUTBOX.c.id == outbox_id).with_for_update(skip_locked=True)
        found = session.execute(
            update(_OUTBOX)
            .where(_OUTBOX.c.id == unlocked.scalar_subquery(), _OUTBOX.c.status == "pending",
                   _OUTBOX.c.next_attempt_at <= now,
                   _OUTBOX.c.solicited.is_(True), _OUTBOX.c.in_flight_since.is_(None),
                   _OUTBOX.c.deadline_at >= now)
            .values(next_attempt_at=lease_until, in_flight_since=now)
            .returning(*_FAST_CLAIM_COLUMNS)
        ).first()
        if found is None:
            return None
        return _Claimed(
            action=found.action, target_url=found.target_url, body=pages.wire_of(session, found.body,
                                                                                  found.page_digest),
            bap_key=found.bap_id or (urlsplit(found.target_url).hostname or found.target_url),
            deadline_at=found.deadline_at, attempts=found.attempts, transaction_id=found.transaction_id,
            message_id=found.message_id,
        )


def _claim(
    session_factory: sessionmaker[Session], outbox_id: int, now: dt.datetime, lease: float
) -> _Claimed | DeliveryResult:
    lease_until = now + dt.timedelta(seconds=lease)
    plain = _claim_plain(session_factory, outbox_id, now, lease_until)
    if plain is not None:
        return plain
    with transaction(session_factory) as session:
        if session.get_bind().dialect.name == "postgresql":
            # A row another worker is claiming right now is skipped rather than waited for.
            query = select(OutboxMessage).where(OutboxMessage.id == outbox_id).with_for_update(skip_locked=True)
            row = session.scalars(query).one_or_none()
            claimed = row is not None and row.status == "pending" and row.next_attempt_at <= now
        else:
            # SQLite: a compare-and-set UPDATE takes the write lock before it evaluates its WHERE, so two
            # workers cannot both see the row as due (a SELECT first would run outside the write lock).
            result = session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == outbox_id, OutboxMessage.status == "pending",
                       OutboxMessage.next_attempt_at <= now)
                .values(next_attempt_at=lease_until)
                .execution_options(synchronize_session=False)
            )
            claimed = getattr(result, "rowcount", 0) == 1
            row = session.get(OutboxMessage, outbox_id, populate_existing=True)
        if row is None:
            return _skipped("not found, or being claimed by another worker")
        if not claimed:
            if row.status != "pending":
                return _skipped(f"status is {row.status}")
            return _skipped("not due yet (backing off, or claimed by another worker)", row.next_attempt_at)
        if row.in_flight_since is not None:
            _record_lost_post(session, row)
        if row.deadline_at is None:
            _mark_dead(row, "no deadline_at: enqueue callbacks with adapter.delivery.outbox.enqueue")
            return DeliveryResult("dead", None, row.last_error or "", None)
        if now > row.deadline_at:
            reason = ("ttl expired after a POST whose result was never recorded: the buyer app may have it"
                      if row.maybe_delivered else "ttl expired before delivery")
            _mark_dead(row, reason)
            return DeliveryResult("dead", None, reason, None)
        if not row.solicited and _earlier_update_pending(session, row):
            # ONDC buyer apps apply unsolicited updates in the order they arrive: Out-for-delivery must not
            # overtake At-destination-hub, and the on_status that accepts an order must not overtake the
            # on_confirm that created it. A later update of the transaction waits for the earlier messages.
            row.next_attempt_at = now + dt.timedelta(seconds=ORDER_WAIT)
            return DeliveryResult("retry", None, "waiting for an earlier update of this transaction",
                                  row.next_attempt_at)
        row.next_attempt_at = lease_until
        row.in_flight_since = now
        return _Claimed(
            action=row.action, target_url=row.target_url, body=pages.wire_of(session, row.body, row.page_digest),
            bap_key=row.bap_id or (urlsplit(row.target_url).hostname or row.target_url),
            deadline_at=row.deadline_at, attempts=row.attempts,
            transaction_id=row.transaction_id, message_id=row.message_id,
        )


def _earlier_update_pending(session: Session, row: OutboxMessage) -> bool:
    """An update to the same buyer app in the same transaction, or the on_confirm that created the order just
    before it, queued before this one and not done.

    Only an on_confirm queued up to CONFIRM_WAIT before the update counts (the one that created an order accepted
    at once): an on_confirm an operator replays much later holds up nothing.
    """
    after_confirm = and_(OutboxMessage.action == "on_confirm",
                         OutboxMessage.created_at >= row.created_at - dt.timedelta(seconds=CONFIRM_WAIT))
    earlier = session.scalar(
        select(OutboxMessage.id).where(
            OutboxMessage.transaction_id == row.transaction_id, OutboxMessage.bap_id == row.bap_id,
            or_(OutboxMessage.solicited.is_(False), after_confirm),
            OutboxMessage.status == "pending", OutboxMessage.id < row.id,
        ).limit(1)
    )
    return earlier is not None


def _record_lost_post(session: Session, row: OutboxMessage) -> None:
    """The last claim never recorded its result (worker killed, database gone): count it, outcome unknown."""
    assert row.in_flight_since is not None
    session.add(DeliveryAttempt(
        outbox_id=row.id, attempted_at=row.in_flight_since, outcome="unknown",
        error="the worker or the database stopped before the result of this POST was recorded",
    ))
    row.attempts += 1
    row.maybe_delivered = True
    row.in_flight_since = None
    log.warning("callback outcome unknown", extra={"outbox_id": row.id, "action": row.action,
                                                    "transaction_id": row.transaction_id,
                                                    "message_id": row.message_id})


def _mark_dead(row: OutboxMessage, reason: str) -> None:
    row.status = "dead"
    row.last_error = reason


def _release_claim(
    session_factory: sessionmaker[Session], outbox_id: int, next_attempt_at: dt.datetime
) -> None:
    with transaction(session_factory) as session:
        row = session.get(OutboxMessage, outbox_id)
        if row is not None and row.status == "pending":
            row.next_attempt_at = next_attempt_at
            row.in_flight_since = None


def _dead_without_post(session_factory: sessionmaker[Session], outbox_id: int, reason: str) -> None:
    with transaction(session_factory) as session:
        row = session.get(OutboxMessage, outbox_id)
        if row is not None and row.status == "pending":
            row.in_flight_since = None
            _mark_dead(row, reason)


def _record(
    session_factory: sessionmaker[Session],
    outbox_id: int,
    *,
    started: dt.datetime,
    finished: dt.datetime,
    result: HttpResult | None,
    error: TransportError | None,
    outcome: str,
    reason: str,
    next_attempt_at: dt.datetime | None,
    duration_ms: int,
) -> None:
    status_code = result.status_code if result is not None else None
    # Two statements in one transaction (this runs once per callback): the attempt, and the row's new state. A
    # row an operator changed while the POST was in flight (no longer pending) keeps their decision; its
    # attempt count and last status code still record the POST.
    pending = _OUTBOX.c.status == "pending"
    values: dict[str, Any] = {"attempts": _OUTBOX.c.attempts + 1, "last_status_code": status_code,
                              "in_flight_since": None}
    if outcome == "sent":
        values |= {"status": case((pending, "sent"), else_=_OUTBOX.c.status),
                   "sent_at": case((pending, literal(finished, _OUTBOX.c.sent_at.type)), else_=_OUTBOX.c.sent_at),
                   "last_error": case((pending, reason if reason.startswith("warning:") else None),
                                      else_=_OUTBOX.c.last_error)}
    elif outcome == "dead":
        values |= {"status": case((pending, "dead"), else_=_OUTBOX.c.status),
                   "last_error": case((pending, reason), else_=_OUTBOX.c.last_error)}
    elif next_attempt_at is not None:
        values |= {"next_attempt_at": case((pending, literal(next_attempt_at, _OUTBOX.c.next_attempt_at.type)),
                                           else_=_OUTBOX.c.next_attempt_at),
                   "last_error": case((pending, reason), else_=_OUTBOX.c.last_error)}
    with transaction(session_factory) as session:
        session.execute(insert(_ATTEMPTS), {
            "outbox_id": outbox_id, "attempted_at": started, "duration_ms": duration_ms, "status_code": status_code,
            "outcome": outcome, "error": None if reason.startswith("HTTP") and outcome == "sent" else reason,
            "response_body": (result.body.decode("utf-8", "replace")[:_STORED_RESPONSE_CHARS]
                              if result is not None else None),
        })
        session.execute(update(_OUTBOX).where(_OUTBOX.c.id == outbox_id).values(values))


def deliver(
    session_factory: sessionmaker[Session],
    outbox_id: int,
    *,
    signer: Signer,
    http: HttpClient,
    now: Callable[[], dt.datetime],
    rng: Callable[[], float],
    base_delay: float,
    max_delay: float,
    allow_private: bool,
    require_https: bool,
    limiter: BuyerLimiter | None = None,
    resolve: Callable[[str], list[str]] = resolve_host,
    lease_margin: float = LEASE_MARGIN,
) -> DeliveryResult:
    """Try to send one outbox row once, and record what happened. Idempotent per due row; see module doc."""
    lease = math.ceil(http.total_timeout) + lease_margin
    claimed = _claim(session_factory, outbox_id, now(), lease)
    if isinstance(claimed, DeliveryResult):
        return claimed
    context = {"outbox_id": outbox_id, "action": claimed.action, "transaction_id": claimed.transaction_id,
               "message_id": claimed.message_id}

    try:
        validate_callback_url(claimed.target_url, allow_private=allow_private, require_https=require_https,
                              resolve=resolve)
    except UnresolvableHostError as unresolved:
        # DNS trouble may pass: retry like a connection error, within the deadline.
        return _finish(session_factory, outbox_id, claimed, context, now(), now(), None,
                       TransportError("connection", str(unresolved)), 0, rng, base_delay, max_delay)
    except UnsafeUrlError as unsafe:
        reason = f"unsafe callback URL: {unsafe}"
        _dead_without_post(session_factory, outbox_id, reason)
        log.warning("callback dead-lettered", extra=context | {"reason": reason})
        return DeliveryResult("dead", None, reason, None)

    token: str | None = None
    if limiter is not None:
        token = limiter.acquire(claimed.bap_key)
        if token is None:
            retry_at = now() + dt.timedelta(seconds=BUSY_DELAY * (0.5 + rng() / 2))
            _release_claim(session_factory, outbox_id, retry_at)
            return DeliveryResult("retry", None, "buyer app busy", retry_at)
    try:
        started = now()
        if claimed.action in REQUESTS:
            claimed = _restamp(session_factory, outbox_id, claimed, started)
        headers = {"Authorization": signer.authorization(claimed.body, started)}
        result: HttpResult | None = None
        error: TransportError | None = None
        try:
            result = http.post(claimed.target_url, claimed.body, headers)
            duration_ms = result.elapsed_ms
        except TransportError as failure:
            error = failure
            duration_ms = int((now() - started).total_seconds() * 1000)
    finally:
        if limiter is not None and token is not None:
            limiter.release(claimed.bap_key, token)
    CALLBACK_LATENCY.labels(claimed.action).observe(duration_ms / 1000)
    return _finish(session_factory, outbox_id, claimed, context, started, now(), result, error, duration_ms,
                   rng, base_delay, max_delay)


def _finish(
    session_factory: sessionmaker[Session],
    outbox_id: int,
    claimed: _Claimed,
    context: dict[str, object],
    started: dt.datetime,
    finished: dt.datetime,
    result: HttpResult | None,
    error: TransportError | None,
    duration_ms: int,
    rng: Callable[[], float],
    base_delay: float,
    max_delay: float,
) -> DeliveryResult:
    outcome, reason = classify(result, error)
    next_attempt_at: dt.datetime | None = None
    if outcome == "retry":
        delay = next_delay(claimed.attempts + 1, base=base_delay, cap=max_delay, rng=rng)
        next_attempt_at = finished + dt.timedelta(seconds=delay)
        if next_attempt_at > claimed.deadline_at:
            outcome, reason, next_attempt_at = "dead", f"{reason}; deadline passed before the next try", None
    _record(session_factory, outbox_id, started=started, finished=finished, result=result, error=error,
            outcome=outcome, reason=reason, next_attempt_at=next_attempt_at, duration_ms=duration_ms)
    CALLBACK_ATTEMPTS.labels(claimed.action, outcome).inc()
    status_code = result.status_code if result is not None else None
    level = logging.INFO if outcome == "sent" and not reason.startswith("warning:") else logging.WARNING
    log.log(level, "callback %s", outcome, extra=context | {"status_code": status_code, "reason": reason,
                                                             "attempt": claimed.attempts + 1})
    return DeliveryResult(outcome, status_code, reason, next_attempt_at)

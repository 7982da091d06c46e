"""The outbox repository: enqueue callbacks, find due rows, replay dead letters, list and count.

Every function takes a Session and never commits: the caller's transaction decides. Life cycle and rules:
docs/delivery.md.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Final, TypeVar

from sqlalchemy import ColumnElement, Select, Update, and_, case, func, or_, select, update
from sqlalchemy.orm import Session

from adapter.errors import ConflictError, InvalidRequestError, NotFoundError
from adapter.store.models import DeliveryAttempt, OutboxMessage

__all__ = [
    "STATUSES",
    "dead_by_cooperative",
    "dead_ids",
    "depth",
    "due_ids",
    "enqueue",
    "expired",
    "list_attempts",
    "list_messages",
    "replay",
    "replay_dead",
]

STATUSES: Final = ("pending", "sent", "dead")
_Q = TypeVar("_Q", Select[Any], Update)
MAX_PAGE = 1000


def _aware(value: dt.datetime, name: str) -> dt.datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware UTC")
    return value.astimezone(dt.UTC)


def enqueue(
    session: Session,
    *,
    action: str,
    target_url: str,
    body: bytes,
    transaction_id: str,
    message_id: str,
    bap_id: str | None,
    cooperative_id: int | None = None,
    solicited: bool,
    inbound_id: int | None = None,
    deadline_at: dt.datetime,
    now: dt.datetime,
    page_digest: str | None = None,
    size_bytes: int | None = None,
) -> OutboxMessage:
    """Add a pending callback holding the exact bytes to send; it is due at once and dies at ``deadline_at``.

    With ``page_digest``, ``body`` is the row's context alone and the stored page its message
    (`adapter.store.pages`); ``size_bytes`` is then the size of the two together.
    """
    if not isinstance(body, bytes) or not body:
        raise ValueError("body must be the non-empty bytes to send")
    if not action or not target_url:
        raise ValueError("action and target_url are required")
    now = _aware(now, "now")
    message = OutboxMessage(
        action=action,
        target_url=target_url,
        body=body,
        page_digest=page_digest,
        size_bytes=size_bytes if size_bytes is not None else len(body),
        transaction_id=transaction_id,
        message_id=message_id,
        bap_id=bap_id,
        cooperative_id=cooperative_id,
        solicited=solicited,
        inbound_id=inbound_id,
        status="pending",
        attempts=0,
        next_attempt_at=now,
        deadline_at=_aware(deadline_at, "deadline_at"),
        created_at=now,
    )
    session.add(message)
    session.flush()
    return message


def due_ids(session: Session, now: dt.datetime, limit: int) -> list[int]:
    """Ids of pending rows whose next attempt (or expired lease) is due, oldest first."""
    query = (
        select(OutboxMessage.id)
        .where(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= _aware(now, "now"))
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
    )
    return list(session.scalars(query))


def expired(message: OutboxMessage, now: dt.datetime) -> bool:
    """Whether a callback is an answer the buyer app no longer waits for: a solicited one past its request's ttl.

    Unsolicited pushes (state changes, catalogue updates) never expire: they carry news the buyer app still needs.
    """
    return bool(message.solicited and message.deadline_at is not None and message.deadline_at <= _aware(now, "now"))


def _live(now: dt.datetime) -> ColumnElement[bool]:
    """SQL for "not expired" (see `expired`)."""
    return or_(OutboxMessage.solicited.is_(False), OutboxMessage.deadline_at.is_(None),
               OutboxMessage.deadline_at > now)


def replay(
    session: Session, outbox_id: int, now: dt.datetime, window_seconds: int, *, force: bool = False,
    allow_expired: bool | None = None,
) -> OutboxMessage:
    """Make a dead (or pending) row due now; attempts are kept.

    An unsolicited row gets a fresh deadline of ``window_seconds``. A solicited row (an answer to a request) keeps
    its deadline, the request's ttl, because the buyer app waits no longer than that.

    Two kinds of row are replayed only with ``force``: one that may already have reached the buyer app (a POST whose
    result was lost; buyer apps should drop the copy by its message_id, but not every one does), and an answer whose
    request's ttl has passed (the buyer app stopped waiting and may answer NACK; it then gets ``window_seconds``).
    ``allow_expired`` (default: ``force``) says whether force also covers the second kind: the console's
    "Send again anyway" is for the first only.
    """
    message = session.get(OutboxMessage, outbox_id, with_for_update=_lock(session))
    if message is None:
        raise NotFoundError(f"outbox message {outbox_id} not found")
    if message.status == "sent":
        raise ConflictError(f"outbox message {outbox_id} was already delivered")
    now = _aware(now, "now")
    if message.status == "pending" and message.in_flight_since is not None and message.next_attempt_at > now:
        raise ConflictError(f"outbox message {outbox_id} is being sent right now; wait for that attempt to end")
    if message.maybe_delivered and message.status == "dead" and not force:
        raise ConflictError(
            f"outbox message {outbox_id} may already have reached the buyer app (a POST whose result was never "
            "recorded); replay it with force to send it again",
            details={"maybe_delivered": True},
        )
    late = expired(message, now)
    if late and not (force if allow_expired is None else allow_expired):
        assert message.deadline_at is not None
        raise ConflictError(
            f"outbox message {outbox_id} answers a request whose ttl ended at {message.deadline_at.isoformat()}: "
            "the buyer app no longer waits for it; replay it with force to send it anyway",
            details={"expired": True},
        )
    message.status = "pending"
    message.next_attempt_at = now
    if not message.solicited or late or message.deadline_at is None:
        message.deadline_at = now + dt.timedelta(seconds=window_seconds)
    session.flush()
    return message


# One cooperative's callbacks to one buyer app: (cooperative id or None for rows of no cooperative, bap_id).
Group = tuple[int | None, str | None]


def _in_group(query: _Q, group: Group | None) -> _Q:
    if group is None:
        return query
    cooperative_id, bap_id = group
    return query.where(OutboxMessage.cooperative_id.is_(None) if cooperative_id is None
                       else OutboxMessage.cooperative_id == cooperative_id,
                       OutboxMessage.bap_id.is_(None) if bap_id is None else OutboxMessage.bap_id == bap_id)


def dead_ids(session: Session, now: dt.datetime, *, bap_id: str | None = None, limit: int | None = None,
             group: Group | None = None) -> list[int]:
    """Ids of dead rows (optionally one buyer app's, or one group's), oldest first: what `replay_dead` revives.

    Rows that may already have been delivered, and answers whose request's ttl has passed, are left out: they are
    replayed one by one, with force.
    """
    query = (select(OutboxMessage.id)
             .where(OutboxMessage.status == "dead", OutboxMessage.maybe_delivered.is_(False),
                    _live(_aware(now, "now")))
             .order_by(OutboxMessage.id))
    if bap_id is not None:
        query = query.where(OutboxMessage.bap_id == bap_id)
    query = _in_group(query, group)
    if limit is not None:
        query = query.limit(limit)
    return list(session.scalars(query))


@dataclass(frozen=True)
class DeadGroup:
    """Dead letters of one cooperative to one buyer app: how many, since when, and the latest failure."""

    cooperative_id: int | None
    bap_id: str | None
    count: int
    replayable: int  # those that cannot have been delivered and have not expired (see `dead_ids`)
    expired: int  # answers whose request's ttl has passed: the buyer app no longer waits for them
    since: dt.datetime  # when the oldest of them was queued
    last_error: str | None


def dead_groups(session: Session, now: dt.datetime) -> list[DeadGroup]:
    """Dead letters by cooperative and buyer app, the longest-failing first."""
    live = _live(_aware(now, "now"))
    rows = session.execute(
        select(OutboxMessage.cooperative_id, OutboxMessage.bap_id, func.count(),
               func.sum(case((and_(OutboxMessage.maybe_delivered.is_(False), live), 1), else_=0)),
               func.sum(case((live, 0), else_=1)),
               func.min(OutboxMessage.id), func.max(OutboxMessage.id))
        .where(OutboxMessage.status == "dead")
        .group_by(OutboxMessage.cooperative_id, OutboxMessage.bap_id)
        .order_by(func.min(OutboxMessage.id)))
    groups = []
    for cooperative_id, bap_id, count, replayable, late, oldest_id, latest_id in rows:
        oldest, latest = session.get_one(OutboxMessage, oldest_id), session.get_one(OutboxMessage, latest_id)
        groups.append(DeadGroup(cooperative_id, bap_id, int(count), int(replayable or 0), int(late or 0),
                                oldest.created_at, latest.last_error))
    return groups


def replay_dead(session: Session, now: dt.datetime, window_seconds: int, bap_id: str | None = None, *,
                group: Group | None = None) -> int:
    """Replay every dead row (optionally one buyer app's, or one group's) that cannot have been delivered and has not
    expired (the rows `dead_ids` lists); return how many. Unsolicited rows get a fresh deadline, solicited ones keep
    their request's."""
    now = _aware(now, "now")
    statement = (
        update(OutboxMessage)
        .where(OutboxMessage.status == "dead", OutboxMessage.maybe_delivered.is_(False), _live(now))
        .values(status="pending", next_attempt_at=now,
                deadline_at=case((and_(OutboxMessage.solicited.is_(True), OutboxMessage.deadline_at.is_not(None)),
                                  OutboxMessage.deadline_at),
                                 else_=now + dt.timedelta(seconds=window_seconds)))
        .execution_options(synchronize_session=False)
    )
    if bap_id is not None:
        statement = statement.where(OutboxMessage.bap_id == bap_id)
    statement = _in_group(statement, group)
    result = session.execute(statement)
    count: int = getattr(result, "rowcount", 0)
    return count


def list_messages(
    session: Session,
    *,
    status: str | None = None,
    bap_id: str | None = None,
    transaction_id: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[OutboxMessage]:
    """Outbox rows, newest first, filtered by status, buyer app and transaction."""
    if status is not None and status not in STATUSES:
        raise InvalidRequestError(f"status must be one of {', '.join(STATUSES)}", details={"status": status})
    if not 1 <= limit <= MAX_PAGE or offset < 0:
        raise InvalidRequestError(f"limit must be 1..{MAX_PAGE} and offset not negative")
    query = select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit).offset(offset)
    if status is not None:
        query = query.where(OutboxMessage.status == status)
    if bap_id is not None:
        query = query.where(OutboxMessage.bap_id == bap_id)
    if transaction_id is not None:
        query = query.where(OutboxMessage.transaction_id == transaction_id)
    return list(session.scalars(query))


def list_attempts(session: Session, outbox_id: int) -> list[DeliveryAttempt]:
    """Every delivery attempt of one outbox row, oldest first."""
    query = (
        select(DeliveryAttempt)
        .where(DeliveryAttempt.outbox_id == outbox_id)
        .order_by(DeliveryAttempt.attempted_at, DeliveryAttempt.id)
    )
    return list(session.scalars(query))


def dead_by_cooperative(session: Session) -> dict[int | None, int]:
    """Dead-lettered rows of every kind (answers, updates, pushes) by cooperative; None: rows of no cooperative."""
    rows = session.execute(select(OutboxMessage.cooperative_id, func.count())
                           .where(OutboxMessage.status == "dead").group_by(OutboxMessage.cooperative_id))
    return {cooperative_id: int(count) for cooperative_id, count in rows}


def depth(session: Session) -> dict[str, int]:
    """Row counts by status; every status is present, zero when empty."""
    counts = dict.fromkeys(STATUSES, 0)
    query = select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
    for status, count in session.execute(query):
        counts[str(status)] = int(count)
    return counts


def _lock(session: Session) -> bool:
    # Row locks matter on PostgreSQL; SQLite serialises writers and ignores FOR UPDATE anyway.
    return session.get_bind().dialect.name == "postgresql"

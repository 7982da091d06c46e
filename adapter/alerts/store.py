"""Each cooperative's alert settings, and the alert rows: written with their event, claimed, finished.

``record`` runs inside the transaction of the event (an order confirmed, a return requested, an issue raised),
so an alert exists exactly when its event does; it never commits and never calls out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import cast

from sqlalchemy import Table, func, select, update
from sqlalchemy.orm import Session

from adapter.alerts.channels import wanted_channels
from adapter.alerts.model import KINDS, Prefs, new_secret
from adapter.store.models import AlertMessage, AlertSettings

__all__ = ["claim", "due_ids", "finish", "get_settings", "prefs_of", "recent", "record", "save_settings"]

_ALERTS = cast(Table, AlertMessage.__table__)
ORDER_ID_CHARS = 64


def get_settings(session: Session, cooperative_id: int) -> AlertSettings | None:
    """The cooperative's settings row (None: it never chose any alerts)."""
    return session.get(AlertSettings, cooperative_id)


def prefs_of(session: Session, cooperative_id: int) -> Prefs | None:
    """The cooperative's settings as channels read them (None: it never chose any alerts)."""
    row = get_settings(session, cooperative_id)
    if row is None:
        return None
    return Prefs(cooperative_id=cooperative_id, kinds=tuple(row.kinds or ()), language=row.language,
                 webhook_url=row.webhook_url, webhook_secret=row.webhook_secret, email=row.email,
                 options=dict(row.options or {}))


def save_settings(session: Session, cooperative_id: int, *, webhook_url: str | None, email: str | None,
                  kinds: Sequence[str], language: str, new_webhook_secret: bool = False,
                  options: dict[str, object] | None = None, now: dt.datetime) -> tuple[AlertSettings, str | None]:
    """Store the (already checked) choice; returns the row and a new webhook secret to show once, if one was made.

    A secret is made when a webhook is first set or on request, and dropped with the webhook.
    """
    unknown = [kind for kind in kinds if kind not in KINDS]
    if unknown:
        raise ValueError(f"unknown alert kinds: {', '.join(unknown)}")
    row = get_settings(session, cooperative_id)
    if row is None:
        row = AlertSettings(cooperative_id=cooperative_id, kinds=[], language=language)
        session.add(row)
    secret = None
    if not webhook_url:
        row.webhook_secret = None
    elif new_webhook_secret or not row.webhook_secret:
        secret = row.webhook_secret = new_secret()
    row.webhook_url, row.email = webhook_url or None, email or None
    row.kinds = [kind for kind in KINDS if kind in kinds]
    row.language, row.updated_at = language, now
    if options is not None:
        row.options = dict(options) or None
    session.flush()
    return row, secret


def record(session: Session, cooperative_id: int, kind: str, *, event_key: str, order_id: str,
           order_pk: int | None, now: dt.datetime) -> list[AlertMessage]:
    """The alert rows ``kind`` owes this cooperative: one per channel it chose, none when it did not choose
    ``kind``, and none for an event already alerted (``event_key`` seen before on that channel)."""
    prefs = prefs_of(session, cooperative_id)
    if prefs is None or (kind != "test" and kind not in prefs.kinds):
        return []
    channels = wanted_channels(prefs)
    if not channels:
        return []
    seen = set(session.scalars(select(AlertMessage.channel).where(
        AlertMessage.cooperative_id == cooperative_id, AlertMessage.event_key == event_key)))
    printable = "".join(ch for ch in order_id if ch.isprintable())[:ORDER_ID_CHARS]
    rows = [AlertMessage(cooperative_id=cooperative_id, kind=kind, channel=channel, event_key=event_key,
                         order_id=printable, order_pk=order_pk, status="pending", attempts=0, next_attempt_at=now,
                         created_at=now)
            for channel in channels if channel not in seen]
    session.add_all(rows)
    session.flush()
    return rows


def last_test_at(session: Session, cooperative_id: int) -> dt.datetime | None:
    """When this cooperative last sent a test alert (None: never)."""
    return session.scalar(select(func.max(AlertMessage.created_at)).where(
        AlertMessage.cooperative_id == cooperative_id, AlertMessage.kind == "test"))


def due_ids(session: Session, before: dt.datetime, limit: int) -> list[int]:
    """Pending alerts due before ``before`` (the sweeper's: their task was lost, or the broker was down)."""
    return list(session.scalars(select(AlertMessage.id).where(
        AlertMessage.status == "pending", AlertMessage.next_attempt_at <= before)
        .order_by(AlertMessage.next_attempt_at).limit(limit)))


def claim(session: Session, alert_id: int, now: dt.datetime, lease: dt.timedelta) -> AlertMessage | None:
    """Take a due alert for one attempt: its attempt is counted and it is hidden from others for ``lease``.

    None when it is not ours to send (absent, finished, not due, or held by another worker).
    """
    taken = session.execute(
        update(_ALERTS).where(_ALERTS.c.id == alert_id, _ALERTS.c.status == "pending",
                              _ALERTS.c.next_attempt_at <= now)
        .values(next_attempt_at=now + lease, attempts=_ALERTS.c.attempts + 1))
    if getattr(taken, "rowcount", 0) != 1:
        return None
    row = session.get(AlertMessage, alert_id, populate_existing=True)
    return row


def finish(session: Session, alert_id: int, *, sent: bool, error: str | None, retry_at: dt.datetime | None,
           now: dt.datetime) -> None:
    """Record an attempt's outcome: sent, due again at ``retry_at``, or failed for good."""
    values: dict[str, object] = {"last_error": error[:2000] if error else None}
    if sent:
        values |= {"status": "sent", "sent_at": now}
    elif retry_at is not None:
        values |= {"next_attempt_at": retry_at}
    else:
        values |= {"status": "failed"}
    session.execute(update(_ALERTS).where(_ALERTS.c.id == alert_id, _ALERTS.c.status == "pending").values(**values))


def recent(session: Session, cooperative_id: int, limit: int = 10) -> list[AlertMessage]:
    """The cooperative's latest alerts, newest first."""
    return list(session.scalars(select(AlertMessage).where(AlertMessage.cooperative_id == cooperative_id)
                                .order_by(AlertMessage.created_at.desc(), AlertMessage.id.desc()).limit(limit)))

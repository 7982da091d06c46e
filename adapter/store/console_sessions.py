"""Console sessions kept on the server: the cookie holds a random id, and this table says what it is worth."""

from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy import delete
from sqlalchemy.orm import Session

from adapter.store.models import ConsoleSession

# Signed in for at most this long, and signed out after this long without a request.
ABSOLUTE_LIFETIME = dt.timedelta(hours=12)
IDLE_LIFETIME = dt.timedelta(hours=2)
# `seen_at` is written at most this often, so browsing is not a write per page.
TOUCH_EVERY = dt.timedelta(minutes=1)


def start(session: Session, *, cooperative_id: int | None, now: dt.datetime) -> str:
    """A new session (cooperative_id None: the operator); returns its id for the cookie."""
    session_id = secrets.token_urlsafe(32)
    session.add(ConsoleSession(id=session_id, cooperative_id=cooperative_id, created_at=now, seen_at=now))
    return session_id


def find(session: Session, session_id: str, now: dt.datetime, *, touch: bool = True) -> ConsoleSession | None:
    """The live session with this id (None when unknown, signed out or expired; an expired one is removed).

    ``touch`` False: a request the member did not make (a page's background poll) leaves ``seen_at`` alone.
    """
    row = session.get(ConsoleSession, session_id)
    if row is None:
        return None
    if now - row.created_at > ABSOLUTE_LIFETIME or now - row.seen_at > IDLE_LIFETIME:
        session.delete(row)
        return None
    if touch and now - row.seen_at > TOUCH_EVERY:
        row.seen_at = now
    return row


def end(session: Session, session_id: str) -> None:
    """Sign out: the id is worth nothing from now on, wherever the cookie was copied to."""
    session.execute(delete(ConsoleSession).where(ConsoleSession.id == session_id))


def purge_expired(session: Session, now: dt.datetime) -> int:
    """Remove sessions past their idle lifetime; returns how many."""
    result = session.execute(delete(ConsoleSession).where(ConsoleSession.seen_at < now - IDLE_LIFETIME))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]

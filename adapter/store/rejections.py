"""Buyer apps' catalogue rejections: what we sent them, where an item sits in the spreadsheet, and the record."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from adapter.errors import NotFoundError
from adapter.store.models import CatalogueItem, CatalogueRejection, CatalogueVersion, OutboxMessage, VersionItem
from adapter.store.pages import wire_of

__all__ = ["SentAnswer", "count_open", "dismiss", "item_position", "list_rejections", "sent_answers", "was_sent"]

MAX_ANSWERS = 50  # on_search bodies read per rejection: one per cooperative, plus incremental pushes


@dataclass(frozen=True)
class SentAnswer:
    """An on_search we sent in a transaction: for which cooperative, and its body."""

    cooperative_id: int | None
    body: dict[str, Any]


def sent_answers(session: Session, transaction_id: str, bap_id: str) -> list[SentAnswer]:
    """The on_search callbacks and pushes we sent ``bap_id`` in ``transaction_id``, newest first."""
    rows = session.execute(
        select(OutboxMessage.cooperative_id, OutboxMessage.body, OutboxMessage.page_digest)
        .where(OutboxMessage.transaction_id == transaction_id, OutboxMessage.action == "on_search",
               OutboxMessage.bap_id == bap_id)
        .order_by(OutboxMessage.id.desc()).limit(MAX_ANSWERS)
    ).all()
    answers = []
    for cooperative_id, body, page_digest in rows:
        try:
            parsed = orjson.loads(wire_of(session, body, page_digest))
        except orjson.JSONDecodeError:
            continue
        if isinstance(parsed, dict):
            answers.append(SentAnswer(cooperative_id=cooperative_id, body=parsed))
    return answers


def was_sent(session: Session, bap_id: str, cooperative_id: int) -> bool:
    """Whether we ever sent ``bap_id`` an on_search of this cooperative (an answer or a push)."""
    return session.scalar(
        select(OutboxMessage.id).where(OutboxMessage.bap_id == bap_id, OutboxMessage.cooperative_id == cooperative_id,
                                       OutboxMessage.action == "on_search").limit(1)
    ) is not None


def item_position(session: Session, cooperative_id: int, item_id: str) -> tuple[int | None, int | None]:
    """(the item's row in the file of the newest version that lists it, that version's number); None when not
    known, or the item is no longer listed."""
    found = session.execute(
        select(CatalogueVersion.item_rows, CatalogueVersion.number)
        .join(VersionItem, VersionItem.version_id == CatalogueVersion.id)
        .where(CatalogueVersion.cooperative_id == cooperative_id, VersionItem.item_id == item_id,
               exists().where(CatalogueItem.cooperative_id == cooperative_id, CatalogueItem.item_id == item_id))
        .order_by(CatalogueVersion.number.desc()).limit(1)
    ).first()
    if found is None:
        return None, None
    rows, number = found
    row = (rows or {}).get(item_id)
    return (int(row) if isinstance(row, int) else None), number


def list_rejections(session: Session, cooperative_id: int | None, *, include_dismissed: bool = False,
                    unattributed: bool = False, limit: int = 200) -> Sequence[CatalogueRejection]:
    """A cooperative's rejections, newest first (``unattributed``: those traced to no cooperative)."""
    query = select(CatalogueRejection)
    if unattributed:
        query = query.where(CatalogueRejection.cooperative_id.is_(None))
    elif cooperative_id is not None:
        query = query.where(CatalogueRejection.cooperative_id == cooperative_id)
    if not include_dismissed:
        query = query.where(CatalogueRejection.dismissed_at.is_(None))
    return session.scalars(query.order_by(CatalogueRejection.received_at.desc(), CatalogueRejection.id.desc())
                           .limit(limit)).all()


def count_open(session: Session, cooperative_id: int) -> int:
    """How many rejections of a cooperative are not dismissed."""
    return int(session.scalar(
        select(func.count()).select_from(CatalogueRejection)
        .where(CatalogueRejection.cooperative_id == cooperative_id, CatalogueRejection.dismissed_at.is_(None))
    ) or 0)


def dismiss(session: Session, cooperative_id: int | None, rejection_id: int, now: dt.datetime) -> CatalogueRejection:
    """Mark a rejection dealt with (``cooperative_id`` None: an operator, who may dismiss any)."""
    rejection = session.get(CatalogueRejection, rejection_id)
    if rejection is None or (cooperative_id is not None and rejection.cooperative_id != cooperative_id):
        raise NotFoundError(f"no catalogue rejection {rejection_id}")
    if rejection.dismissed_at is None:
        rejection.dismissed_at = now
    return rejection

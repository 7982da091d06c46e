"""Orders in the database: drafts between select and confirm, stock reservations, orders and their events."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from sqlalchemy import String, cast, or_, select
from sqlalchemy.orm import Session

from adapter.store import catalogue as store
from adapter.store import stock
from adapter.store.models import CatalogueItem, Cooperative, Order, OrderDraft, OrderEvent, utcnow
from catalog_sync.model import Item
from catalog_sync.on_search import provider_id
from catalog_sync.services import catalogue as catalogues


def cooperative_for_provider(session: Session, provider: str, bpp_id: str) -> Cooperative | None:
    """The active cooperative that appears as this provider id in our catalogues."""
    for cooperative in session.scalars(select(Cooperative).where(Cooperative.active.is_(True),
                                                                 Cooperative.profile.is_not(None))):
        if provider_id(catalogues.profile_of(cooperative), bpp_id) == provider:
            return cooperative
    return None


def items_by_id(session: Session, cooperative_id: int, item_ids: list[str]) -> dict[str, Item]:
    """Current catalogue items of a cooperative, by id (unknown ids are simply absent)."""
    rows = session.scalars(select(CatalogueItem).where(CatalogueItem.cooperative_id == cooperative_id,
                                                       CatalogueItem.item_id.in_(item_ids)))
    return {row.item_id: Item.from_dict(row.data) for row in rows}


def get_draft(session: Session, bap_id: str, transaction_id: str) -> OrderDraft | None:
    """The draft of this transaction, if select (or init) came first."""
    return session.scalar(select(OrderDraft).where(OrderDraft.bap_id == bap_id,
                                                   OrderDraft.transaction_id == transaction_id))


def save_draft(session: Session, *, bap_id: str, transaction_id: str, cooperative_id: int, stage: str,
               lines: list[dict[str, Any]], quote: dict[str, Any], **extra: Any) -> OrderDraft:
    """Create or update the transaction's draft."""
    draft = get_draft(session, bap_id, transaction_id)
    if draft is None:
        draft = OrderDraft(bap_id=bap_id, transaction_id=transaction_id, cooperative_id=cooperative_id)
        session.add(draft)
    draft.cooperative_id, draft.stage, draft.lines, draft.quote = cooperative_id, stage, lines, quote
    for key, value in extra.items():
        setattr(draft, key, value)
    session.flush()
    return draft


def change_stock(session: Session, cooperative_id: int, deltas: dict[str, int], *, kind: str,
                 ref: str | None) -> bool:
    """Move stock for an order (``kind``: order, cancel, return, rto; ``ref``: the order), all or nothing:
    False when any item would go below zero. Each move is kept in the stock ledger (adapter.store.stock), and
    the item's content and hash follow, so the change reaches buyer apps in the next incremental push.
    """
    after = stock.apply(session, cooperative_id, deltas, kind=kind, ref=ref)
    if after is None:
        return False
    for item_id, available in after.items():
        row = store.get_item(session, cooperative_id, item_id)
        session.refresh(row)  # the session may hold the row as a select read it, before an upload changed it
        item = dataclasses.replace(Item.from_dict(row.data), stock=available)
        store.update_item(session, row, catalogues.to_record(item))
    return True


def find_order(session: Session, bap_id: str, order_id: str) -> Order | None:
    """A buyer app's order by its order id."""
    return session.scalar(select(Order).where(Order.bap_id == bap_id, Order.order_id == order_id))


def add_event(session: Session, order: Order, *, actor: str, kind: str, from_state: str | None = None,
              to_state: str | None = None, reason: str | None = None, outbox_id: int | None = None) -> OrderEvent:
    """Append to the order's history."""
    event = OrderEvent(order_id=order.id, at=utcnow(), actor=actor, kind=kind, from_state=from_state,
                       to_state=to_state, reason=reason, outbox_id=outbox_id)
    session.add(event)
    session.flush()
    return event


def list_orders(session: Session, *, cooperative_id: int | None, state: str | None = None, limit: int = 50,
                offset: int = 0, since: dt.datetime | None = None, until: dt.datetime | None = None) -> list[Order]:
    """Orders, newest first (one cooperative's, or all for an operator), optionally within a date range."""
    query = select(Order).order_by(Order.created_at.desc(), Order.id.desc()).limit(limit).offset(offset)
    if since is not None:
        query = query.where(Order.created_at >= since)
    if until is not None:
        query = query.where(Order.created_at < until)
    if cooperative_id is not None:
        query = query.where(Order.cooperative_id == cooperative_id)
    if state is not None:
        query = query.where(Order.state == state)
    return list(session.scalars(query))


# Orders the cooperative may still have to act on: open ones, and finished ones with a return or an RTO under way.
OPEN_STATES = ("Created", "Accepted", "In-progress")
OPEN_LEG_STATES = ("Return_Initiated", "Return_Approved", "Return_Picked", "RTO-Initiated")


def orders_to_do(session: Session, *, cooperative_id: int | None, state: str | None = None,
                 limit: int = 1000) -> list[Order]:
    """Open orders, and finished ones whose legs are still under way, oldest first (one cooperative's, or all).

    The legs are JSON: matching their text only narrows the search; the caller reads the legs themselves.
    """
    legs = cast(Order.legs, String)
    query = (select(Order).where(or_(Order.state.in_(OPEN_STATES),
                                     *(legs.contains(f'"{leg_state}"', autoescape=True)
                                       for leg_state in OPEN_LEG_STATES)))
             .order_by(Order.created_at, Order.id).limit(limit))
    if cooperative_id is not None:
        query = query.where(Order.cooperative_id == cooperative_id)
    if state is not None:
        query = query.where(Order.state == state)
    return list(session.scalars(query))


def events(session: Session, order: Order) -> list[OrderEvent]:
    """An order's history, oldest first."""
    return list(session.scalars(select(OrderEvent).where(OrderEvent.order_id == order.id)
                                .order_by(OrderEvent.at, OrderEvent.id)))

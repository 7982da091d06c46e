"""The ledger's facts from the database, and the collectors' RSF figures kept against our orders.

Reads orders (their quote, payment terms, legs and fulfilment times), the longest return window of their items
when the settlement waits for it, the latest recon figures, and the artisan of each line for the payouts; takes a
session and never commits.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from adapter.money.documents import document_lines
from adapter.money.ledger import ZERO, Facts, Figures, Ledger, Rates, ReconClaim, build_ledger
from adapter.money.payouts import FROM_CATALOGUE, FROM_ORDER, Sale
from adapter.money.recon import Claim
from adapter.protocol.context import parse_duration, parse_timestamp
from adapter.protocol.request import NetworkRequest
from adapter.store.models import CatalogueItem, CreditNote, Order, OrderEvent, ReconFigure, TaxInvoice

__all__ = ["find_orders", "ledger_of", "ledgers", "record_claim", "sales"]

SHIPPED, DELIVERED = "Order-picked-up", "Order-delivered"
# Orders the ledger covers: ONDC orders (a polled marketplace's orders carry no ONDC payment terms).
LEDGER_SOURCE = "ondc"


def _time(value: Any) -> dt.datetime | None:
    try:
        return parse_timestamp(str(value)) if value else None
    except (ValueError, OverflowError):
        return None


def _event_times(session: Session, order_pks: Sequence[int]) -> dict[tuple[int, str], dt.datetime]:
    """When each order first reached picked-up and delivered, from its history (one query)."""
    if not order_pks:
        return {}
    rows = session.execute(select(OrderEvent.order_id, OrderEvent.to_state, func.min(OrderEvent.at))
                           .where(OrderEvent.order_id.in_(order_pks), OrderEvent.to_state.in_((SHIPPED, DELIVERED)))
                           .group_by(OrderEvent.order_id, OrderEvent.to_state))
    return {(pk, str(state)): at for pk, state, at in rows}


def _return_window(session: Session, order: Order) -> dt.timedelta:
    """The longest return window of the order's returnable items (their catalogue rows today)."""
    item_ids = [str(line.get("item_id")) for line in order.lines]
    longest = dt.timedelta(0)
    for data in session.scalars(select(CatalogueItem.data).where(CatalogueItem.cooperative_id == order.cooperative_id,
                                                                 CatalogueItem.item_id.in_(item_ids))):
        if isinstance(data, dict) and data.get("returnable"):
            try:
                longest = max(longest, parse_duration(str(data.get("return_window") or "P0D")))
            except (ValueError, OverflowError):
                continue
    return longest


def latest_claims(session: Session, order_pks: Sequence[int]) -> dict[int, ReconClaim]:
    """The latest figures a collector stated for each of these orders."""
    found: dict[int, ReconClaim] = {}
    if not order_pks:
        return found
    rows = session.scalars(select(ReconFigure).where(ReconFigure.order_pk.in_(order_pks))
                           .order_by(ReconFigure.received_at, ReconFigure.id))
    for row in rows:  # later rows replace earlier ones
        found[row.order_pk] = ReconClaim(figures=Figures.from_texts(row.figures), status=row.status,
                                         received_at=row.received_at, settlement_ref=row.settlement_ref)
    return found


def _facts(orders: Sequence[Order], session: Session) -> list[Facts]:
    events = _event_times(session, [o.id for o in orders if not (o.fulfillments and
                                                                 (o.fulfillments[0].get("times") or {}).get("end"))])
    claims = latest_claims(session, [o.id for o in orders])
    gst_in = _included_gst(session, [o.id for o in orders])
    found = []
    for order in orders:
        times = (order.fulfillments[0].get("times") or {}) if order.fulfillments else {}
        shipped = _time(times.get("start")) or events.get((order.id, SHIPPED))
        delivered = _time(times.get("end")) or events.get((order.id, DELIVERED))
        waits = (order.payment or {}).get("@ondc/org/settlement_basis") == "return_window_expiry"
        found.append(Facts(order_pk=order.id, order_id=order.order_id, cooperative_id=order.cooperative_id,
                           bap_id=order.bap_id, created_at=order.created_at, quote=order.quote or {},
                           payment=order.payment or {}, legs=list(order.legs or []), cancellation=order.cancellation,
                           shipped_at=shipped, delivered_at=delivered,
                           return_window=_return_window(session, order) if waits and delivered else dt.timedelta(0),
                           recon=claims.get(order.id), included_gst=gst_in.get(order.id, ZERO)))
    return found


def _included_gst(session: Session, order_pks: list[int]) -> dict[int, Decimal]:
    """Per order, the GST its tax invoice shows inside the prices, less what its credit notes gave back."""
    if not order_pks:
        return {}
    found: dict[int, Decimal] = {}
    for kind in (TaxInvoice, CreditNote):
        for order_pk, document in session.execute(select(kind.order_pk, kind.document)
                                                  .where(kind.order_pk.in_(order_pks))):
            tax = sum((line.cgst + line.sgst + line.igst for line in document_lines(document)), ZERO)
            found[order_pk] = found.get(order_pk, ZERO) + (tax if kind is TaxInvoice else -tax)
    return found


def ledger_of(session: Session, order: Order, rates: Rates, now: dt.datetime) -> Ledger:
    """One order's ledger."""
    return build_ledger(_facts([order], session)[0], rates, now)


def ledgers(session: Session, *, cooperative_id: int | None, rates: Rates, now: dt.datetime,
            limit: int = 5000) -> list[Ledger]:
    """The ledgers of one cooperative's ONDC orders (None: every cooperative's), newest order first."""
    query = (select(Order).where(Order.source == LEDGER_SOURCE).order_by(Order.created_at.desc(), Order.id.desc())
             .limit(limit))
    if cooperative_id is not None:
        query = query.where(Order.cooperative_id == cooperative_id)
    orders = list(session.scalars(query))
    return [build_ledger(facts, rates, now) for facts in _facts(orders, session)]


def _artisans(session: Session, orders: Sequence[Order]) -> dict[int, dict[str, tuple[str, str]]]:
    """order pk -> item id -> (artisan, where the name came from): as the order kept it when it was placed, else as
    the catalogue names the item today (orders placed before lines kept it); an item in neither names none."""
    found: dict[int, dict[str, tuple[str, str]]] = {order.id: {} for order in orders}
    missing: dict[int, set[str]] = {}  # cooperative id -> item ids to look up
    for order in orders:
        for line in order.lines:
            item_id = str(line.get("item_id") or "")
            if "artisan" in line:
                found[order.id][item_id] = (str(line.get("artisan") or ""), FROM_ORDER)
            else:
                missing.setdefault(order.cooperative_id, set()).add(item_id)
    today: dict[tuple[int, str], str] = {}
    for cooperative_id, item_ids in missing.items():
        rows = session.execute(select(CatalogueItem.item_id, CatalogueItem.data).where(
            CatalogueItem.cooperative_id == cooperative_id, CatalogueItem.item_id.in_(sorted(item_ids))))
        today |= {(cooperative_id, item_id): str((data or {}).get("artisan") or "") for item_id, data in rows}
    for order in orders:
        for line in order.lines:
            item_id = str(line.get("item_id") or "")
            name = today.get((order.cooperative_id, item_id))
            if item_id not in found[order.id] and name:
                found[order.id][item_id] = (name, FROM_CATALOGUE)
    return found


def sales(session: Session, *, cooperative_id: int, start: dt.datetime, end: dt.datetime, rates: Rates,
          now: dt.datetime) -> list[Sale]:
    """One cooperative's ONDC orders placed from ``start`` up to (not including) ``end``, oldest first, each with its
    ledger and the artisan of each line."""
    orders = list(session.scalars(select(Order).where(
        Order.source == LEDGER_SOURCE, Order.cooperative_id == cooperative_id, Order.created_at >= start,
        Order.created_at < end).order_by(Order.created_at, Order.id)))
    artisans = _artisans(session, orders)
    return [Sale(facts=facts, ledger=build_ledger(facts, rates, now), artisans=artisans[facts.order_pk])
            for facts in _facts(orders, session)]


def find_orders(session: Session, bap_id: str, order_ids: Iterable[str]) -> dict[str, Order]:
    """This buyer app's ONDC orders among these ids (another buyer app's orders, even of the same id, are not)."""
    wanted = list(dict.fromkeys(order_ids))
    if not wanted:
        return {}
    rows = session.scalars(select(Order).where(Order.bap_id == bap_id, Order.order_id.in_(wanted),
                                               Order.source == LEDGER_SOURCE))
    return {row.order_id: row for row in rows}


def record_claim(session: Session, order: Order, claim: Claim, ours: Figures, *, accord: bool,
                 request: NetworkRequest, now: dt.datetime) -> ReconFigure:
    """Keep what the collector stated for this order, beside what we answered."""
    ctx = request.context
    row = ReconFigure(order_pk=order.id, cooperative_id=order.cooperative_id, bap_id=ctx.bap_id,
                      transaction_id=ctx.transaction_id, message_id=ctx.message_id, inbound_id=request.inbound_id,
                      status=claim.status[:32], settlement_ref=(claim.settlement_ref or "")[:128] or None,
                      figures=claim.figures.texts(), ours=ours.texts(), accord=accord, received_at=now)
    session.add(row)
    return row

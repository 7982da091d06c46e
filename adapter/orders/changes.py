"""Changes after confirm: cancellation, buyer returns, seller part-cancel, RTO, and settlement updates.

Each extra fulfilment is a "leg" on the order (type Return, Cancel or RTO) with its state, tags and the
quote_trail of what it refunded. Takes a session and never commits.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from adapter.orders import invoicing, states
from adapter.orders import store as order_store
from adapter.orders.delivery_terms import parse_duration
from adapter.orders.errors import CancellationNotPossibleError, InvalidReturnError, OrderError, UpdateNotPossibleError
from adapter.orders.quote import quote_trail_tag
from adapter.protocol.context import format_timestamp, parse_timestamp
from adapter.store.models import Order
from catalog_sync.model import Item

RTO_REASONS = ("011", "012", "013", "014", "015")


def cancelled_quote(quote: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A fully cancelled quote (every line at 0, items at count 0) and its quote_trail tags."""
    trail: list[dict[str, Any]] = []
    breakup = []
    for line in quote.get("breakup", []):
        value = Decimal(line["price"]["value"])
        if value:
            trail.append(quote_trail_tag(line["@ondc/org/title_type"], line["@ondc/org/item_id"], -value))
        new = {**line, "price": {**line["price"], "value": "0.00"}}
        if "@ondc/org/item_quantity" in line:
            new["@ondc/org/item_quantity"] = {"count": 0}
        breakup.append(new)
    return {**quote, "price": {**quote["price"], "value": "0.00"}, "breakup": breakup}, trail


def cancel_order(session: Session, order: Order, *, reason_id: str, initiated_by: str, actor: str,
                 now: dt.datetime, force: bool = False) -> None:
    """Cancel an order in place: state, Cancel fulfilment with the quote trail, stock released.

    A buyer's force cancel (ONDC params.force=yes) is honoured in any non-terminal state.
    """
    if order.state in ("Completed", "Cancelled"):
        raise CancellationNotPossibleError(f"the order is already {order.state}")
    if not force and not states.cancellable(order.state, order.fulfilment_state, True):
        raise CancellationNotPossibleError(f"an order that is {order.fulfilment_state} can no longer be cancelled")
    previous = order.fulfilment_state
    # When the fulfilment reached the state it is cancelled in (ONDC: precancel_state.updated_at).
    previous_at = (order.fulfillments[0].get("times") or {}).get("state") or format_timestamp(order.updated_at)
    quote, trail = cancelled_quote(order.quote)
    order.quote = quote
    order.state, order.fulfilment_state, order.updated_at = "Cancelled", "Cancelled", now
    order.cancellation = {"reason_id": reason_id, "initiated_by": initiated_by,
                          "cancelled_at": format_timestamp(now), "precancel_state": previous,
                          "precancel_updated_at": previous_at, "quote_trail": trail}
    order_store.change_stock(session, order.cooperative_id,
                             {line["item_id"]: int(line["quantity"]) for line in order.lines},
                             kind="cancel", ref=order.order_id)
    order_store.add_event(session, order, actor=actor, kind="cancelled", from_state=previous,
                          to_state="Cancelled", reason=reason_id)
    invoicing.credit_quote_change(session, order, reason="cancel", ref="cancel", now=now)  # a force cancel


def _money(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.01')):f}"


def requote(quote: dict[str, Any], counts: dict[str, int]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The quote with new item counts (cancelled/returned items stay, at the lower count) and its quote_trail."""
    breakup, trail = [], []
    for line in quote.get("breakup", []):
        item_id = line["@ondc/org/item_id"]
        if line["@ondc/org/title_type"] == "item" and item_id in counts:
            unit = Decimal(line["item"]["price"]["value"])
            old, new = Decimal(line["price"]["value"]), unit * counts[item_id]
            line = {**line, "@ondc/org/item_quantity": {"count": counts[item_id]},
                    "price": {**line["price"], "value": _money(new)}}
            if new != old:
                trail.append(quote_trail_tag("item", item_id, new - old))
        breakup.append(line)
    total = sum((Decimal(line["price"]["value"]) for line in breakup), Decimal(0))
    return {**quote, "price": {**quote["price"], "value": _money(total)}, "breakup": breakup}, trail


def _counts(order: Order) -> dict[str, int]:
    return {line["item_id"]: int(line["quantity"]) for line in order.lines}


def _set_counts(order: Order, counts: dict[str, int]) -> None:
    order.lines = [{**line, "quantity": counts[line["item_id"]]} for line in order.lines]


def _add_leg(order: Order, leg: dict[str, Any]) -> dict[str, Any]:
    order.legs = [*order.legs, leg]
    return leg


def _leg(order: Order, leg_id: str) -> dict[str, Any]:
    for leg in order.legs:
        if leg["id"] == leg_id:
            return leg
    raise UpdateNotPossibleError(f"no fulfilment {leg_id!r} on this order")


def _replace_leg(order: Order, leg: dict[str, Any]) -> None:
    order.legs = [leg if existing["id"] == leg["id"] else existing for existing in order.legs]


def part_cancel(session: Session, order: Order, item_id: str, quantity: int, *, bpp_id: str, actor: str,
                now: dt.datetime) -> dict[str, Any]:
    """Seller part-cancel (reason 002, item unavailable): fewer of one item, a Cancel leg with its quote_trail."""
    counts = _counts(order)
    if order.state not in ("Created", "Accepted", "In-progress") or order.fulfilment_state not in states.PRE_PICKUP:
        raise UpdateNotPossibleError("items can only be cancelled before the order is picked up")
    if item_id not in counts or not 0 < quantity <= counts[item_id]:
        raise UpdateNotPossibleError(f"cannot cancel {quantity} of item {item_id!r}")
    counts[item_id] -= quantity
    if not any(counts.values()):
        raise UpdateNotPossibleError("that would cancel every item: cancel the order instead")
    order.quote, trail = requote(order.quote, counts)
    _set_counts(order, counts)
    leg = _add_leg(order, {
        "id": f"C{len(order.legs) + 1}", "type": "Cancel", "state": "Cancelled", "created_at": format_timestamp(now),
        "items": {item_id: quantity},
        "tags": [{"code": "cancel_request", "list": [{"code": "reason_id", "value": "002"},
                                                     {"code": "initiated_by", "value": bpp_id}]}, *trail]})
    order_store.change_stock(session, order.cooperative_id, {item_id: quantity}, kind="cancel",
                             ref=order.order_id)
    order.updated_at = now
    order_store.add_event(session, order, actor=actor, kind="part_cancel", reason=f"002: {quantity} x {item_id}")
    invoicing.credit_quote_change(session, order, reason="cancel", ref=leg["id"], now=now)
    return leg


def request_return(session: Session, order: Order, fulfilment: dict[str, Any], items: dict[str, Item], *,
                   bap_id: str, now: dt.datetime) -> dict[str, Any]:
    """A buyer's return request: returnable, within the window, no more than was delivered (30005 otherwise)."""
    if order.fulfilment_state != "Order-delivered":
        raise InvalidReturnError("only delivered orders can be returned")
    request_tags = [tag for tag in fulfilment.get("tags") or []
                    if isinstance(tag, dict) and tag.get("code") == "return_request"]
    requests = [{str(entry.get("code")): str(entry.get("value", "")) for entry in tag.get("list") or []
                 if isinstance(entry, dict)} for tag in request_tags]
    if not requests:
        raise InvalidReturnError("the Return fulfilment carries no return_request")
    delivered_at = parse_timestamp((order.fulfillments[0].get("times") or {}).get("end", format_timestamp(now)))
    counts = _counts(order)
    returned = _returned(order)
    for request in requests:
        item_id = request.get("item_id", "")
        try:
            quantity = int(request.get("item_quantity", "0") or 0)
        except ValueError as error:
            raise InvalidReturnError(f"item_quantity {request.get('item_quantity')!r} is not a whole number") from error
        item = items.get(item_id)
        if item is None or item_id not in counts:
            raise InvalidReturnError(f"item {item_id!r} is not in this order")
        if not item.returnable:
            raise InvalidReturnError(f"item {item_id!r} is not returnable")
        if now > delivered_at + parse_duration(item.return_window):
            raise InvalidReturnError(f"the return window of item {item_id!r} ({item.return_window}) has passed")
        if not 0 < quantity <= counts[item_id] - returned.get(item_id, 0):
            raise InvalidReturnError(f"cannot return {quantity} of item {item_id!r}")
    leg_id = requests[0].get("id") or f"R{len(order.legs) + 1}"
    # The return's id names its fulfilment and its credit note (64 characters at most): one return per id.
    if len(leg_id) > 64 or any(leg["id"] == leg_id for leg in order.legs):
        raise InvalidReturnError(f"return id {leg_id[:64]!r} is already used on this order, or too long")
    tags = [{"code": "return_request", "list": [*(tag.get("list") or []), {"code": "initiated_by", "value": bap_id}]}
            for tag in request_tags]
    leg = _add_leg(order, {"id": leg_id, "type": "Return", "state": "Return_Initiated", "tags": tags,
                           "items": {r["item_id"]: int(r["item_quantity"]) for r in requests},
                           "created_at": format_timestamp(now)})
    order.updated_at = now
    order_store.add_event(session, order, actor=bap_id, kind="return_requested", to_state="Return_Initiated",
                          reason=", ".join(r.get("reason_id", "") for r in requests))
    return leg


def _returned(order: Order) -> dict[str, int]:
    out: dict[str, int] = {}
    for leg in order.legs:
        if leg["type"] == "Return" and leg["state"] not in ("Return_Rejected", "Cancelled"):
            for item_id, quantity in leg.get("items", {}).items():
                out[item_id] = out.get(item_id, 0) + int(quantity)
    return out


RETURN_MOVES = {"approve_return": "Return_Approved", "reject_return": "Return_Rejected",
                "return_picked": "Return_Picked", "return_delivered": "Return_Delivered", "liquidate": "Liquidated"}
RTO_MOVES = {"rto_delivered": "RTO-Delivered", "rto_disposed": "RTO-Disposed"}


def move_return(session: Session, order: Order, leg_id: str, action: str, *, actor: str, now: dt.datetime,
                reason: str | None = None) -> dict[str, Any]:
    """Move a return on: approve (refund in the quote), reject, picked, delivered (stock back) or liquidate."""
    leg = dict(_leg(order, leg_id))
    step = states.transition(states.Machine.RETURN, leg["state"], RETURN_MOVES[action])
    leg["state"] = step.to_state
    if step.to_state in ("Return_Approved", "Liquidated") and not leg.get("refunded"):
        counts = _counts(order)
        for item_id, quantity in leg.get("items", {}).items():
            counts[item_id] -= int(quantity)
        order.quote, trail = requote(order.quote, counts)
        _set_counts(order, counts)
        leg["tags"] = [*leg["tags"], *trail]
        leg["refunded"] = True
    if step.to_state == "Return_Rejected" and reason:
        leg["tags"] = [*leg["tags"], {"code": "return_reject", "list": [{"code": "reason_id", "value": reason}]}]
    if step.to_state == "Return_Delivered":
        order_store.change_stock(session, order.cooperative_id,
                                 {i: int(q) for i, q in leg.get("items", {}).items()}, kind="return",
                                 ref=order.order_id)
    _replace_leg(order, leg)
    order.updated_at = now
    order_store.add_event(session, order, actor=actor, kind=action, from_state=step.from_state,
                          to_state=step.to_state, reason=reason)
    if step.to_state in ("Return_Delivered", "Liquidated"):  # the return accepted in full: credit its items
        invoicing.credit_return(session, order, leg, now)
    return leg


def initiate_rto(session: Session, order: Order, reason_id: str, *, bpp_id: str, actor: str,
                 now: dt.datetime) -> dict[str, Any]:
    """Return to origin after pickup (buyer not found, refused, ...): the order is cancelled, goods come back."""
    if reason_id not in RTO_REASONS:
        raise OrderError(f"RTO needs a reason 011-015, not {reason_id!r}")
    if order.fulfilment_state in states.PRE_PICKUP or order.state in ("Completed", "Cancelled"):
        raise UpdateNotPossibleError("RTO is for orders picked up and not delivered; cancel instead")
    previous = order.fulfilment_state
    previous_at = (order.fulfillments[0].get("times") or {}).get("state") or format_timestamp(order.updated_at)
    order.state, order.fulfilment_state = "Cancelled", "Cancelled"
    # The whole order value, delivery and fees included, goes back in the RTO's quote_trail (ONDC 1.2.5).
    order.quote, trail = cancelled_quote(order.quote)
    order.cancellation = {"reason_id": reason_id, "initiated_by": bpp_id, "cancelled_at": format_timestamp(now),
                          "precancel_state": previous, "precancel_updated_at": previous_at, "quote_trail": []}
    leg = _add_leg(order, {"id": f"RTO{len(order.legs) + 1}", "type": "RTO", "state": "RTO-Initiated",
                           "tags": trail, "created_at": format_timestamp(now),
                           "items": {item_id: n for item_id, n in _counts(order).items() if n > 0}})
    order.updated_at = now
    order_store.add_event(session, order, actor=actor, kind="rto_initiated", from_state=previous,
                          to_state="RTO-Initiated", reason=reason_id)
    invoicing.credit_quote_change(session, order, reason="cancel", ref=leg["id"], now=now)
    return leg


def move_rto(session: Session, order: Order, action: str, *, actor: str, now: dt.datetime) -> dict[str, Any]:
    """The goods came back (stock restored) or were disposed of."""
    found = next((leg for leg in order.legs if leg["type"] == "RTO"), None)
    if found is None:
        raise OrderError(f"{action}: order {order.order_id} has no RTO; initiate_rto first")
    leg = dict(found)
    step = states.transition(states.Machine.RTO, leg["state"], RTO_MOVES[action])
    leg["state"] = step.to_state
    leg["ended_at"] = format_timestamp(now)  # back at the store (or disposed of): the RTO's end time
    if step.to_state == "RTO-Delivered":
        order_store.change_stock(session, order.cooperative_id, {i: int(q) for i, q in leg["items"].items()},
                                 kind="rto", ref=order.order_id)
    _replace_leg(order, leg)
    order.updated_at = now
    order_store.add_event(session, order, actor=actor, kind=action, from_state=step.from_state,
                          to_state=step.to_state)
    return leg


MAX_SETTLEMENT_DETAILS = 50


def record_settlement(session: Session, order: Order, payment: dict[str, Any], *, bap_id: str,
                      now: dt.datetime) -> None:
    """A buyer app's settlement/refund details (update_target payment): kept on the order, up to
    `MAX_SETTLEMENT_DETAILS` in all (an order settles in a handful; more is a buyer app gone wrong)."""
    details = payment.get("@ondc/org/settlement_details") or []
    existing = order.payment.get("@ondc/org/settlement_details") or []
    if len(existing) + len(details) > MAX_SETTLEMENT_DETAILS:
        raise UpdateNotPossibleError(f"an order keeps at most {MAX_SETTLEMENT_DETAILS} settlement details; "
                                     f"this one has {len(existing)}")
    order.payment = {**order.payment, "@ondc/org/settlement_details": [*existing, *details]}
    order.updated_at = now
    order_store.add_event(session, order, actor=bap_id, kind="settlement_update",
                          reason=", ".join(str(d.get("settlement_phase", "")) for d in details))

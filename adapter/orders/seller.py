"""The seller's moves on an order (accept, pack, ship, deliver, cancel, part-cancel, returns, RTO), each sent to
the buyer app as an unsolicited on_status / on_update / on_cancel.

Takes a session and never commits; the API view, console page or CLI owns the transaction and hands the
result to ``workers.dispatch``. Raises OrderError (IllegalTransitionError included) when a move is not legal now.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from adapter.delivery.replies import ReplyTo, queue_plain, send_reply
from adapter.orders import changes, connectors, courier_booking, invoicing, states
from adapter.orders import store as order_store
from adapter.orders.errors import OrderError
from adapter.orders.policy import OrderPolicy
from adapter.orders.results import FlowResult
from adapter.orders.snapshots import order_snapshot, record_time
from adapter.store.models import ConnectorCursor, Cooperative, Order, OutboxMessage

SELLER_MOVES = {"pack": "Packed", "assign_agent": "Agent-assigned", "at_pickup": "At-pickup",
                "out_for_pickup": "Out-for-pickup", "pickup_failed": "Pickup-failed", "pick_up": "Order-picked-up",
                "ship": "In-transit", "at_destination_hub": "At-destination-hub",
                "out_for_delivery": "Out-for-delivery", "at_delivery": "At-delivery",
                "delivery_failed": "Delivery-failed", "deliver": "Order-delivered"}
# Every action seller_action takes (the API documents them as the path's values).
ACTIONS = ("accept", "reject", "cancel", "part_cancel", *SELLER_MOVES, *changes.RETURN_MOVES, "initiate_rto",
           *changes.RTO_MOVES, "book_courier")


def next_actions(order: Order) -> list[str]:
    """The forward moves, plus part-cancel before pickup and the moves of open returns and RTOs."""
    actions = states.next_actions(order.state, order.fulfilment_state, mode=states.machine_for_routing(order.routing))
    if order.state in ("Created", "Accepted", "In-progress") and order.fulfilment_state in states.PRE_PICKUP:
        actions.append("part_cancel")  # a cooperative may drop what it cannot make before it accepts
    by_target = {target: action for action, target in changes.RETURN_MOVES.items()}
    by_target |= {target: action for action, target in changes.RTO_MOVES.items()}
    for leg in order.legs:
        machine = {"Return": states.Machine.RETURN, "RTO": states.Machine.RTO}.get(leg["type"])
        if machine is not None:
            actions += [by_target[t] for t in states.allowed_targets(machine, leg["state"]) if t in by_target]
    return actions


def push_update(session: Session, order: Order, cooperative: Cooperative, policy: OrderPolicy, action: str,
                now: dt.datetime) -> OutboxMessage:
    """An unsolicited on_status / on_cancel / on_update: same transaction_id, a new message_id.

    A pulled order (a polled marketplace) gets a plain status update at its connector's status URL instead.
    """
    if order.source != "ondc":
        return _push_to_connector(session, order, cooperative, policy, now)
    to = ReplyTo(domain=order.domain, city=order.city, bap_id=order.bap_id, bap_uri=order.bap_uri,
                 transaction_id=order.transaction_id)
    return send_reply(session, policy.app, to, action, now,
                      message=order_snapshot(order, cooperative, policy, action),
                      cooperative_id=cooperative.id)


def _push_to_connector(session: Session, order: Order, cooperative: Cooperative, policy: OrderPolicy,
                       now: dt.datetime) -> OutboxMessage:
    name = order.source.removeprefix("pull:")
    connector = session.scalar(select(ConnectorCursor).where(ConnectorCursor.cooperative_id == cooperative.id,
                                                             ConnectorCursor.name == name))
    if connector is None:
        raise OrderError(f"the marketplace connector {name!r} this order came from no longer exists")
    return queue_plain(session, policy.app, base_url=connector.url, path="status", action="status_update",
                       body=connectors.status_update(order), transaction_id=order.transaction_id,
                       bap_id=order.bap_id, cooperative_id=cooperative.id, now=now)


def seller_action(session: Session, order: Order, action: str, policy: OrderPolicy, *, actor: str,
                  now: dt.datetime, reason_id: str | None = None, params: dict[str, Any] | None = None) -> FlowResult:
    """Accept, move the fulfilment forward, cancel, part-cancel, handle a return or an RTO."""
    params = params or {}
    cooperative = session.get_one(Cooperative, order.cooperative_id)

    def push(callback: str, stock_changed: bool = False) -> FlowResult:
        return FlowResult([push_update(session, order, cooperative, policy, callback, now)],
                          {cooperative.id} if stock_changed else set())

    if action == "reject" or action == "cancel":
        if action == "cancel":
            states.check_cancel_reason(reason_id or "", "seller")
        changes.cancel_order(session, order, reason_id=reason_id or ("005" if action == "reject" else ""),
                             initiated_by=policy.bpp_id, actor=actor, now=now)
        cancelled = push("on_cancel", stock_changed=True)
        # A shipment booked for it is cancelled with its courier too (before pickup; after, it comes back: RTO).
        cancelled.outbox += courier_booking.cancel(session, order, policy, now)
        return cancelled
    if action == "book_courier":  # after a failed booking (docs/logistics.md); the buyer hears nothing of it
        booked = courier_booking.rebook(session, order, policy, now)
        order_store.add_event(session, order, actor=actor, kind="book_courier")
        return FlowResult(booked)
    if action == "accept":
        step = states.transition(states.Machine.ORDER, order.state, "Accepted")
        order.state, order.updated_at = step.to_state, now
        order_store.add_event(session, order, actor=actor, kind="accepted", from_state=step.from_state,
                              to_state=step.to_state)
        accepted = push("on_status")
        if courier_booking.book_on(session, order) == "accepted":
            # A network-shipping cooperative's courier is booked now, not ready to ship until packed
            # (docs/logistics.md "Booking"); a no-op for the others.
            accepted.outbox += courier_booking.book(session, order, policy, now)
        return accepted
    if action == "part_cancel":
        changes.part_cancel(session, order, str(params.get("item_id") or ""), int(params.get("quantity") or 0),
                            bpp_id=policy.bpp_id, actor=actor, now=now)
        return push("on_update", stock_changed=True)
    if action in changes.RETURN_MOVES:
        changes.move_return(session, order, str(params.get("return_id") or ""), action, actor=actor, now=now,
                            reason=reason_id)
        return push("on_update", stock_changed=action == "return_delivered")
    if action == "initiate_rto":
        changes.initiate_rto(session, order, reason_id or "", bpp_id=policy.bpp_id, actor=actor, now=now)
        return push("on_cancel")
    if action in changes.RTO_MOVES:
        changes.move_rto(session, order, action, actor=actor, now=now)
        return push("on_status", stock_changed=action == "rto_delivered")
    if action not in SELLER_MOVES:
        raise OrderError(f"unknown action {action!r}")
    if order.state == "Created":
        raise OrderError("accept the order first")
    step = states.transition(states.machine_for_routing(order.routing), order.fulfilment_state, SELLER_MOVES[action])
    order.fulfilment_state = step.to_state
    if step.order_state:
        order.state = step.order_state
    order.updated_at = now
    record_time(order, step.to_state, now)
    order_store.add_event(session, order, actor=actor, kind=action, from_state=step.from_state,
                          to_state=step.to_state)
    if step.to_state == "Order-picked-up":  # goods removed: the invoice is due now (CGST Act s.31(1)(a))
        invoicing.issue_invoice(session, order, cooperative, now)
    pushed = push("on_status")
    if step.to_state == "Packed" and actor != "courier":
        # The courier is booked now, or told that the parcel it booked at acceptance is ready to ship
        # (docs/logistics.md "Booking"); a no-op for cooperatives that ship by hand.
        pushed.outbox += courier_booking.packed(session, order, policy, now)
    return pushed

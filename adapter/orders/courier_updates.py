"""A courier's unsolicited updates drive the retail order (docs/logistics.md "Tracking").

Each LOG fulfilment state the courier reports (on_status, on_update, on_cancel) becomes the seller move a member
would make (``seller.seller_action`` with actor ``courier``), which pushes the buyer app's retail on_status as
usual. A state the retail machine cannot take now (already there, a hop it does not know) is recorded on the
shipment, not forced. A courier's RTO becomes the retail RTO, and RTO-Delivered puts the stock back.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from adapter.logistics.booking import ExtraCharge, read_order
from adapter.orders import courier_booking, seller, states
from adapter.orders import store as order_store
from adapter.orders.errors import OrderError
from adapter.orders.policy import OrderPolicy
from adapter.orders.results import FlowResult
from adapter.protocol.context import format_timestamp
from adapter.protocol.request import NetworkRequest
from adapter.store.models import Order, Shipment

__all__ = ["COURIER_MOVES", "on_update"]

# The LOG fulfilment state and the retail seller move that reaches it.
COURIER_MOVES = {"Agent-assigned": "assign_agent", "Out-for-pickup": "out_for_pickup", "At-pickup": "at_pickup",
                 "Pickup-failed": "pickup_failed", "Order-picked-up": "pick_up", "In-transit": "ship",
                 "At-destination-hub": "at_destination_hub", "Out-for-delivery": "out_for_delivery",
                 "At-delivery": "at_delivery", "Delivery-failed": "delivery_failed", "Order-delivered": "deliver"}
# The retail RTO reason for a courier's return to origin: "buyer not available" (ONDC RET 1.2.5, 013).
RTO_REASON = "013"
# The states of a parcel going back (LOG 1.2.5); any other code on an RTO fulfilment is no RTO of ours to start.
RTO_STATES = frozenset({"RTO-Initiated", "RTO-Delivered", "RTO-Disposed"})
# What a courier told us and the order could not take is kept for the operator: the latest this many.
MAX_UNAPPLIED = 50


def _note(shipment: Shipment, state: str, why: str, now: dt.datetime) -> None:
    noted = {"state": state, "why": why[:300], "at": format_timestamp(now)}
    shipment.unapplied = [*shipment.unapplied, noted][-MAX_UNAPPLIED:]


def _move(shipment: Shipment, order: Order, action: str, state: str, policy: OrderPolicy, session: Session,
          now: dt.datetime, reason_id: str | None = None) -> FlowResult:
    try:
        return seller.seller_action(session, order, action, policy, actor="courier", now=now, reason_id=reason_id)
    except OrderError as error:
        _note(shipment, state, str(error), now)
        return FlowResult()


def _charge(session: Session, shipment: Shipment, order: Order, extra: ExtraCharge, now: dt.datetime) -> None:
    """Record what the courier charged beyond its quote, once per distinct charge (it repeats it in later
    messages), in the shipment and the order's history. The buyer's quote stands: the cooperative pays it."""
    entry = {"kind": "weight", "amount": f"{extra.amount:.2f}", "tax": f"{extra.tax:.2f}",
             "weight_kg": f"{extra.weight_kg}" if extra.weight_kg is not None else None, "proof": extra.proof}
    charges = shipment.charges or []
    if charges and {k: charges[-1].get(k) for k in entry} == entry:
        return  # told again
    shipment.charges = [*charges, entry | {"at": format_timestamp(now)}][-20:]
    weighed = f", weighed {extra.weight_kg} kg" if extra.weight_kg is not None else ""
    order_store.add_event(session, order, actor="courier", kind="courier_charge",
                          reason=f"{entry['amount']} + {entry['tax']} tax{weighed}")


def on_update(session: Session, request: NetworkRequest, policy: OrderPolicy, now: dt.datetime) -> FlowResult:
    """A courier's on_status / on_update / on_cancel for one of our shipments."""
    shipment = courier_booking.shipment_for(session, request)
    read = read_order(request.message)
    order = session.get_one(Order, shipment.order_id)
    if read.extra is not None:
        _charge(session, shipment, order, read.extra, now)
    if not read.state and not read.rto_state:
        return FlowResult()  # an error answer or an order without state: nothing to move
    shipment.updated_at = now
    if read.order_id and read.order_id != shipment.log_order_id:
        _note(shipment, read.rto_state or read.state or "", f"about order {read.order_id[:64]}, not ours "
              f"({shipment.log_order_id})", now)
        return FlowResult()
    if shipment.state in ("init-sent", "failed", "cancelled"):
        # No booking of ours stands (not confirmed yet, failed, or cancelled): nothing of ours to move.
        _note(shipment, read.rto_state or read.state or "", f"no booking stands (the shipment is {shipment.state})",
              now)
        return FlowResult()
    if read.awb and not shipment.awb:
        shipment.awb = read.awb
    if read.rto_state and read.rto_state not in RTO_STATES:
        _note(shipment, read.rto_state, "not a state of a return to origin", now)
        return FlowResult()
    if read.rto_state:
        previous, shipment.courier_state = shipment.courier_state, read.rto_state
        if read.rto_state == previous:
            return FlowResult()
        if not any(leg["type"] == "RTO" for leg in order.legs):
            started = _move(shipment, order, "initiate_rto", "RTO-Initiated", policy, session, now,
                            reason_id=RTO_REASON)
            if read.rto_state == "RTO-Initiated":
                return started
        else:
            started = FlowResult()
        if read.rto_state in ("RTO-Delivered", "RTO-Disposed"):
            action = "rto_delivered" if read.rto_state == "RTO-Delivered" else "rto_disposed"
            finished = _move(shipment, order, action, read.rto_state, policy, session, now)
            return started.then(finished)
        return started
    state = read.state or ""
    if state == shipment.courier_state:
        return FlowResult()  # told again
    shipment.courier_state = state
    if state == "Cancelled":
        if shipment.state == "cancel-sent":
            shipment.state = "cancelled"
            return FlowResult()
        # The courier dropped the booking on its own: the member books again or ships by hand, and is told.
        return FlowResult(alerts=courier_booking.fail(session, shipment, "the courier cancelled the shipment", now))
    if state not in COURIER_MOVES:
        _note(shipment, state, "no retail move for this courier state", now)
        return FlowResult()
    return _catch_up(shipment, order, state, policy, session, now)


def _catch_up(shipment: Shipment, order: Order, state: str, policy: OrderPolicy, session: Session,
              now: dt.datetime) -> FlowResult:
    """Bring the retail fulfilment to the courier's ``state``, through the states it skipped or that arrive late
    (Order-delivered before Out-for-delivery): each is a seller move with its own on_status, in order. A state
    the order is past already, or one that would pack the order for the member, is noted instead."""
    path = states.forward_path(states.machine_for_routing(order.routing), order.fulfilment_state, state)
    if path is None or "Packed" in path or order.state not in ("Accepted", "In-progress"):
        return _move(shipment, order, COURIER_MOVES[state], state, policy, session, now)  # refused and noted
    result = FlowResult()
    by_state = {target: action for action, target in seller.SELLER_MOVES.items()}
    for step in path:
        moved = _move(shipment, order, by_state[step], step, policy, session, now)
        result = result.then(moved)
        if order.fulfilment_state != step:
            break
    return result

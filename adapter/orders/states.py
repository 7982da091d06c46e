"""Order and fulfilment state machines as explicit tables (PROTOCOL.md §4), and the cancellation rules (§5).

Machines: the order itself; forward delivery in two modes, hyperlocal (P2P) and intercity (P2H2P); RTO; Return.
Each table maps a state to the states it may move to; a state with no targets is terminal.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from adapter.orders.errors import IllegalTransitionError, InvalidCancellationReasonError

__all__ = [
    "BUYER_REASONS",
    "INITIAL",
    "PART_CANCEL_REASONS",
    "PRE_PICKUP",
    "RTO_REASONS",
    "SELLER_REASONS",
    "TABLES",
    "Machine",
    "Transition",
    "allowed_targets",
    "cancellable",
    "check_cancel_reason",
    "implied_order_state",
    "is_terminal",
    "machine_for_routing",
    "next_actions",
    "timestamps_required",
    "transition",
]


class Machine(StrEnum):
    """The state machines of an order."""

    ORDER = "order"
    HYPERLOCAL = "hyperlocal"  # P2P forward delivery
    INTERCITY = "intercity"  # P2H2P forward delivery
    RTO = "rto"
    RETURN = "return"


ORDER: Mapping[str, tuple[str, ...]] = {
    "Created": ("Accepted", "Cancelled"),
    "Accepted": ("In-progress", "Cancelled"),
    "In-progress": ("Completed", "Cancelled"),
    "Completed": (),
    "Cancelled": (),
}

# Hyperlocal: Pending -> Packed -> Order-picked-up -> Order-delivered is required; Agent-assigned, At-pickup
# and At-delivery are optional; In-transit and At-destination-hub (intercity hub states) are not allowed.
# Out-for-delivery is kept: real P2P RET16 logs and ONDC's P2P force-cancel example use it.
HYPERLOCAL: Mapping[str, tuple[str, ...]] = {
    "Pending": ("Packed", "Cancelled"),
    "Packed": ("Agent-assigned", "At-pickup", "Out-for-pickup", "Order-picked-up", "Cancelled"),
    "Agent-assigned": ("At-pickup", "Out-for-pickup", "Order-picked-up", "Pickup-failed", "Cancelled"),
    "Out-for-pickup": ("At-pickup", "Order-picked-up", "Pickup-failed", "Cancelled"),
    "At-pickup": ("Order-picked-up", "Pickup-failed", "Cancelled"),
    "Pickup-failed": ("Agent-assigned", "Out-for-pickup", "At-pickup", "Order-picked-up", "Cancelled"),
    "Order-picked-up": ("At-delivery", "Out-for-delivery", "Order-delivered", "Cancelled"),
    "Out-for-delivery": ("At-delivery", "Delivery-failed", "Order-delivered", "Cancelled"),
    "At-delivery": ("Delivery-failed", "Order-delivered", "Cancelled"),
    "Delivery-failed": ("Out-for-delivery", "Cancelled"),
    "Order-delivered": (),
    "Cancelled": (),
}

# Intercity: Pending -> Packed -> Order-picked-up -> In-transit -> At-destination-hub -> Out-for-delivery ->
# Order-delivered is required (no skipping the hub legs); At-pickup and At-delivery are not allowed.
INTERCITY: Mapping[str, tuple[str, ...]] = {
    "Pending": ("Packed", "Cancelled"),
    "Packed": ("Agent-assigned", "Out-for-pickup", "Order-picked-up", "Cancelled"),
    "Agent-assigned": ("Out-for-pickup", "Order-picked-up", "Pickup-failed", "Cancelled"),
    "Out-for-pickup": ("Order-picked-up", "Pickup-failed", "Cancelled"),
    "Pickup-failed": ("Agent-assigned", "Out-for-pickup", "Order-picked-up", "Cancelled"),
    "Order-picked-up": ("In-transit", "Cancelled"),
    "In-transit": ("At-destination-hub", "Cancelled"),
    "At-destination-hub": ("Out-for-delivery", "Cancelled"),
    "Out-for-delivery": ("Delivery-failed", "Order-delivered", "Cancelled"),
    "Delivery-failed": ("Out-for-delivery", "Cancelled"),
    "Order-delivered": (),
    "Cancelled": (),
}

RTO: Mapping[str, tuple[str, ...]] = {
    "RTO-Initiated": ("RTO-Delivered", "RTO-Disposed"),
    "RTO-Delivered": (),
    "RTO-Disposed": (),
}

# Cancelled: the buyer withdraws the return request (ONDC RET12 1.2.5 Cancel_Return_Request_Flow).
RETURN: Mapping[str, tuple[str, ...]] = {
    "Return_Initiated": ("Return_Approved", "Return_Rejected", "Cancelled"),
    "Return_Approved": ("Return_Picked", "Liquidated", "Cancelled"),
    "Return_Picked": ("Return_Delivered",),
    "Return_Rejected": (),
    "Liquidated": (),
    "Return_Delivered": (),
    "Cancelled": (),
}

TABLES: Mapping[Machine, Mapping[str, tuple[str, ...]]] = {
    Machine.ORDER: ORDER,
    Machine.HYPERLOCAL: HYPERLOCAL,
    Machine.INTERCITY: INTERCITY,
    Machine.RTO: RTO,
    Machine.RETURN: RETURN,
}

INITIAL: Mapping[Machine, str] = {
    Machine.ORDER: "Created",
    Machine.HYPERLOCAL: "Pending",
    Machine.INTERCITY: "Pending",
    Machine.RTO: "RTO-Initiated",
    Machine.RETURN: "Return_Initiated",
}

# States before the goods leave the seller: a buyer may still cancel (PROTOCOL.md §3 cancel, 50001 after).
PRE_PICKUP = frozenset({"Pending", "Packed", "Agent-assigned", "Out-for-pickup", "At-pickup", "Pickup-failed"})
_FORWARD_STATES = frozenset(HYPERLOCAL) | frozenset(INTERCITY)


@dataclass(frozen=True, slots=True)
class Transition:
    """A legal move and the order state it implies (None: the order state does not follow from it)."""

    from_state: str
    to_state: str
    order_state: str | None


def allowed_targets(machine: Machine, current: str) -> tuple[str, ...]:
    """Return the states ``current`` may move to (empty for a terminal state); ValueError if unknown."""
    table = TABLES[machine]
    if current not in table:
        raise ValueError(f"{machine.value}: unknown state {current!r}; known: {', '.join(table)}")
    return table[current]


def is_terminal(machine: Machine, state: str) -> bool:
    """Return whether ``state`` is terminal in ``machine``."""
    return not allowed_targets(machine, state)


def implied_order_state(machine: Machine, state: str) -> str | None:
    """Return the order state a fulfilment state implies (None for Pending: Created or Accepted)."""
    if machine is Machine.ORDER:
        return state
    if machine is Machine.RTO:
        return "Cancelled"  # on_cancel RTO: the order is Cancelled from RTO-Initiated on
    if machine is Machine.RETURN:
        return "Completed"  # PROTOCOL.md §3 on_update: the order stays Completed during a return
    if state == "Pending":
        return None
    if state == "Order-delivered":
        return "Completed"
    if state == "Cancelled":
        return "Cancelled"
    return "In-progress"


def transition(machine: Machine, current: str, target: str) -> Transition:
    """Check one move against the table; raise IllegalTransitionError naming the allowed targets."""
    allowed = TABLES[machine].get(current, ())
    if target not in allowed:
        raise IllegalTransitionError(machine.value, current, target, allowed)
    return Transition(current, target, implied_order_state(machine, target))


_DETOURS = frozenset({"Cancelled", "Pickup-failed", "Delivery-failed"})


def forward_path(machine: Machine, current: str, target: str) -> list[str] | None:
    """The fewest forward moves from ``current`` to ``target`` (the states after ``current``, ``target`` last),
    passing through no cancellation or failure; [] when already there, None when ``target`` cannot be reached."""
    if current == target:
        return []
    table = TABLES[machine]
    paths: dict[str, list[str]] = {current: []}
    frontier = [current]
    while frontier:
        following: list[str] = []
        for state in frontier:
            for nxt in table.get(state, ()):
                if nxt in paths or (nxt in _DETOURS and nxt != target):
                    continue
                paths[nxt] = [*paths[state], nxt]
                if nxt == target:
                    return paths[nxt]
                following.append(nxt)
        frontier = following
    return None


def machine_for_routing(routing: str) -> Machine:
    """Return the forward machine for a ``routing`` tag value: P2P -> hyperlocal, P2H2P -> intercity."""
    machines = {"P2P": Machine.HYPERLOCAL, "P2H2P": Machine.INTERCITY}
    if routing not in machines:
        raise ValueError(f"unknown routing {routing!r}")
    return machines[routing]


# The seller console's button for each forward target state.
_ACTIONS = {
    "Packed": "pack",
    "Agent-assigned": "assign_agent",
    "Out-for-pickup": "out_for_pickup",
    "At-pickup": "at_pickup",
    "Pickup-failed": "pickup_failed",
    "Order-picked-up": "pick_up",
    "In-transit": "ship",
    "At-destination-hub": "at_destination_hub",
    "Out-for-delivery": "out_for_delivery",
    "At-delivery": "at_delivery",
    "Delivery-failed": "delivery_failed",
    "Order-delivered": "deliver",
}


def next_actions(order_state: str, fulfilment_state: str, *, mode: Machine) -> list[str]:
    """Return the seller's possible actions (UI buttons) for an order in this state, in table order.

    Created: accept or reject. Afterwards the forward moves of ``mode``, then ``cancel`` before pickup or
    ``initiate_rto`` after it (a seller cancel after pickup sends the goods back, reasons 011-015).
    """
    if mode not in (Machine.HYPERLOCAL, Machine.INTERCITY):
        raise ValueError("mode is Machine.HYPERLOCAL or Machine.INTERCITY")
    allowed_targets(Machine.ORDER, order_state)
    if order_state == "Created":
        return ["accept", "reject"]
    if order_state in ("Completed", "Cancelled"):
        return []
    targets = allowed_targets(mode, fulfilment_state)
    actions = [_ACTIONS[t] for t in targets if t != "Cancelled"]
    if "Cancelled" in targets:
        actions.append("cancel" if fulfilment_state in PRE_PICKUP else "initiate_rto")
    return actions


_START = "start.time.timestamp"
_END = "end.time.timestamp"
_PICKED_UP = frozenset({"Order-picked-up", "In-transit", "At-destination-hub", "Out-for-delivery", "At-delivery",
                        "Delivery-failed"})


def timestamps_required(state: str) -> frozenset[str]:
    """Return which of start.time.timestamp / end.time.timestamp a fulfilment in ``state`` must carry.

    PROTOCOL.md §3 on_status: start (pickup) from Order-picked-up on, end (delivery) at Order-delivered.
    RTO and return legs follow the same rule: start once picked up, end once delivered.
    """
    if state in PRE_PICKUP or state in ("Cancelled", "Return_Initiated", "Return_Approved", "Return_Rejected",
                                        "Liquidated"):
        return frozenset()
    if state in _PICKED_UP or state in ("RTO-Initiated", "RTO-Disposed", "Return_Picked"):
        return frozenset({_START})
    if state in ("Order-delivered", "RTO-Delivered", "Return_Delivered"):
        return frozenset({_START, _END})
    raise ValueError(f"unknown fulfilment state {state!r}")


def cancellable(order_state: str, fulfilment_state: str, item_cancellable: bool) -> bool:
    """Return whether a buyer may cancel: items cancellable, order not terminal, goods not yet picked up.

    A TAT-breach cancel (reason 006) and force cancel are judged separately by the caller.
    """
    if fulfilment_state not in _FORWARD_STATES:
        raise ValueError(f"unknown forward fulfilment state {fulfilment_state!r}")
    return item_cancellable and not is_terminal(Machine.ORDER, order_state) and fulfilment_state in PRE_PICKUP


# PROTOCOL.md §5 and schema/enums/cancellation-reason-codes.yaml. 051-053 are buyer codes that ONDC's 1.2.5
# validator accepts and its own cancel examples send (053 buyer cancel, 052 force cancel).
BUYER_REASONS = frozenset({"001", "003", "006", "009", "010", "012", "999", "051", "052", "053"})
SELLER_REASONS = frozenset({"002", "005", "011", "012", "013", "014", "015", "018", "022", "998"})
RTO_REASONS = frozenset({"011", "012", "013", "014", "015"})
PART_CANCEL_REASONS = frozenset({"002", "012"})


def check_cancel_reason(reason_id: str, initiated_by: str) -> None:
    """Raise InvalidCancellationReasonError (30012) unless ``initiated_by`` ('buyer'|'seller') may use it."""
    reasons = {"buyer": BUYER_REASONS, "seller": SELLER_REASONS}.get(initiated_by)
    if reasons is None:
        raise ValueError("initiated_by is 'buyer' or 'seller'")
    if reason_id not in reasons:
        raise InvalidCancellationReasonError(
            reason_id, f"Cancellation reason {reason_id!r} cannot be used by the {initiated_by}"
        )

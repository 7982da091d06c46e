"""Where a parcel can go next: the LOG fulfilment states per domain, as tables. Pure.

ONDC logistics 1.2.5 validations (valid_LOG10/LOG11_fulfillment_states): hyperlocal parcels (LOG10) never pass
through a hub, so In-transit and At-destination-hub are LOG11 only, and so are Pickup-failed and the other
attempt states.
"""

from __future__ import annotations

__all__ = [
    "DELIVERED",
    "DOMAINS",
    "PENDING",
    "RTO_DELIVERED",
    "RTO_INITIATED",
    "SCENARIOS",
    "TERMINAL",
    "MoveError",
    "check_move",
    "next_state",
    "order_state",
]

LOG10, LOG11 = "ONDC:LOG10", "ONDC:LOG11"
DOMAINS = (LOG10, LOG11)
PENDING, DELIVERED = "Pending", "Order-delivered"
CANCELLED = "Cancelled"
RTO_INITIATED, RTO_DELIVERED, RTO_DISPOSED = "RTO-Initiated", "RTO-Delivered", "RTO-Disposed"
PICKUP_FAILED = "Pickup-failed"

# What the schedule walks through, one step at a time.
FORWARD = {
    LOG10: ("Pending", "Agent-assigned", "Order-picked-up", "Out-for-delivery", "Order-delivered"),
    LOG11: ("Pending", "Agent-assigned", "Order-picked-up", "In-transit", "At-destination-hub",
            "Out-for-delivery", "Order-delivered"),
}
# How far along each state is; a move never goes back, except between states of one rank (a failed pickup is
# rescheduled, a failed delivery goes out again).
RANK = {
    "Pending": 0, "Searching-for-Agent": 1, "Agent-assigned": 2,
    "Out-for-pickup": 3, "At-pickup": 3, "Pickup-failed": 3, "Pickup-rescheduled": 3,
    "Order-picked-up": 4, "In-transit": 5, "At-destination-hub": 6,
    "Out-for-delivery": 7, "Delivery-failed": 7, "Delivery-rescheduled": 7, "At-delivery": 8,
    "Order-delivered": 9,
}
VALID = {
    LOG10: frozenset({"Pending", "Searching-for-Agent", "Agent-assigned", "At-pickup", "Order-picked-up",
                      "Out-for-delivery", "At-delivery", "Order-delivered"}),
    LOG11: frozenset({"Pending", "Searching-for-Agent", "Agent-assigned", "Out-for-pickup", "Pickup-failed",
                      "Pickup-rescheduled", "Order-picked-up", "In-transit", "At-destination-hub",
                      "Out-for-delivery", "Delivery-failed", "Delivery-rescheduled", "Order-delivered"}),
}
RTO_STATES = (RTO_INITIATED, RTO_DELIVERED, RTO_DISPOSED)
TERMINAL = frozenset({DELIVERED, CANCELLED, RTO_DELIVERED, RTO_DISPOSED})
# Held: the schedule leaves the parcel there until a command moves it on.
HELD = frozenset({PICKUP_FAILED})

# What the schedule does with a parcel: deliver it, send it back from Out-for-delivery, or fail the pickup.
SCENARIOS = ("deliver", "rto", "fail-pickup")


class MoveError(ValueError):
    """A move the parcel cannot make; the message says why."""


def check_move(domain: str, current: str, target: str) -> None:
    """Raise MoveError unless a parcel of ``domain`` in ``current`` may be moved to ``target``."""
    if current in TERMINAL:
        raise MoveError(f"the parcel is {current}: it does not move any more")
    if target in RTO_STATES:
        if target == RTO_INITIATED:
            if current in RTO_STATES:
                raise MoveError("the parcel is already on its way back")
            if RANK.get(current, 0) < RANK["Order-picked-up"]:
                raise MoveError("a parcel goes back to origin only after it was picked up (cancel it instead)")
        elif current != RTO_INITIATED:
            raise MoveError(f"{target} comes after RTO-Initiated, and the parcel is {current}")
        return
    if target not in VALID[domain]:
        allowed = ", ".join(sorted(VALID[domain] | set(RTO_STATES)))
        raise MoveError(f"{target!r} is not a {domain} fulfilment state; one of: {allowed}")
    if current in RTO_STATES:
        raise MoveError(f"the parcel is {current}: only RTO-Delivered or RTO-Disposed can follow")
    if target == current or RANK[target] < RANK[current]:
        raise MoveError(f"the parcel is {current}: it cannot go back to {target}")


def next_state(domain: str, scenario: str, current: str) -> str | None:
    """The schedule's next state for this scenario, or None when the parcel stays where it is."""
    if current in TERMINAL or current in HELD:
        return None
    if current == RTO_INITIATED:
        return RTO_DELIVERED
    if scenario == "rto" and current == "Out-for-delivery":
        return RTO_INITIATED
    if scenario == "fail-pickup" and domain == LOG11 and current == "Agent-assigned":
        return PICKUP_FAILED
    path = FORWARD[domain]
    if current in path:
        index = path.index(current)
        return path[index + 1] if index + 1 < len(path) else None
    # A state reached by command (e.g. Pickup-rescheduled): carry on with the first later state of the path.
    return next((state for state in path if RANK[state] > RANK.get(current, 0)), None)


def order_state(fulfilment_state: str) -> str:
    """The LOG order state that goes with the Delivery fulfilment's state."""
    if fulfilment_state == PENDING:
        return "Accepted"
    if fulfilment_state == DELIVERED:
        return "Completed"
    if fulfilment_state == CANCELLED:
        return "Cancelled"
    # ONDC LOG 1.2.5 RTO flow: the order stays In-progress while the parcel goes back; it is over (Completed)
    # once the parcel is back with the seller or disposed of.
    if fulfilment_state in (RTO_DELIVERED, RTO_DISPOSED):
        return "Completed"
    return "In-progress"

"""State machines: every legal transition from the tables, every illegal pair, and the rules around them."""

from __future__ import annotations

import itertools

import pytest

from adapter.orders.errors import IllegalTransitionError, InvalidCancellationReasonError
from adapter.orders.states import (
    BUYER_REASONS,
    HYPERLOCAL,
    INITIAL,
    INTERCITY,
    RTO_REASONS,
    SELLER_REASONS,
    TABLES,
    Machine,
    Transition,
    allowed_targets,
    cancellable,
    check_cancel_reason,
    implied_order_state,
    is_terminal,
    machine_for_routing,
    next_actions,
    timestamps_required,
    transition,
)

LEGAL = [(m, s, t) for m, table in TABLES.items() for s, targets in table.items() for t in targets]
ILLEGAL = [
    (m, s, t)
    for m, table in TABLES.items()
    for s, t in itertools.product(table, table)
    if t not in table[s]
]
_ids = [f"{m.value}:{s}->{t}" for m, s, t in LEGAL]


@pytest.mark.parametrize(("machine", "current", "target"), LEGAL, ids=_ids)
def test_every_legal_transition(machine: Machine, current: str, target: str) -> None:
    moved = transition(machine, current, target)
    assert moved == Transition(current, target, implied_order_state(machine, target))


@pytest.mark.parametrize(("machine", "current", "target"), ILLEGAL,
                         ids=[f"{m.value}:{s}-x->{t}" for m, s, t in ILLEGAL])
def test_every_illegal_pair_within_a_machine(machine: Machine, current: str, target: str) -> None:
    with pytest.raises(IllegalTransitionError) as info:
        transition(machine, current, target)
    assert info.value.allowed == TABLES[machine][current]
    assert repr(target) in info.value.message


def test_illegal_transition_message_names_allowed_targets() -> None:
    with pytest.raises(IllegalTransitionError, match=r"allowed: Packed, Cancelled$"):
        transition(Machine.HYPERLOCAL, "Pending", "Order-delivered")
    with pytest.raises(IllegalTransitionError, match=r"allowed: none$"):
        transition(Machine.ORDER, "Completed", "Cancelled")


def test_unknown_states() -> None:
    with pytest.raises(IllegalTransitionError):
        transition(Machine.RTO, "Pending", "RTO-Delivered")
    with pytest.raises(ValueError, match="unknown state"):
        allowed_targets(Machine.ORDER, "Shipped")


def test_tables_are_closed_and_reachable() -> None:
    for machine, table in TABLES.items():
        for targets in table.values():
            assert set(targets) <= set(table), machine
        reachable, frontier = {INITIAL[machine]}, [INITIAL[machine]]
        while frontier:
            for target in table[frontier.pop()]:
                if target not in reachable:
                    reachable.add(target)
                    frontier.append(target)
        assert reachable == set(table), machine


@pytest.mark.parametrize(
    ("machine", "terminals"),
    [(Machine.ORDER, {"Completed", "Cancelled"}), (Machine.HYPERLOCAL, {"Order-delivered", "Cancelled"}),
     (Machine.INTERCITY, {"Order-delivered", "Cancelled"}), (Machine.RTO, {"RTO-Delivered", "RTO-Disposed"}),
     (Machine.RETURN, {"Return_Rejected", "Liquidated", "Return_Delivered", "Cancelled"})],
)
def test_terminal_states(machine: Machine, terminals: set[str]) -> None:
    assert {s for s in TABLES[machine] if is_terminal(machine, s)} == terminals


def test_order_cancel_from_every_non_terminal_state() -> None:
    for state in ("Created", "Accepted", "In-progress"):
        assert transition(Machine.ORDER, state, "Cancelled").order_state == "Cancelled"


# -- PROTOCOL.md §4 requirements for the two modes ---------------------------------------------------------------

HYPERLOCAL_ONLY = {"At-pickup", "At-delivery"}
INTERCITY_ONLY = {"In-transit", "At-destination-hub"}


def _walk(machine: Machine, path: list[str]) -> None:
    for current, target in itertools.pairwise(path):
        transition(machine, current, target)


def test_mode_state_sets_differ_only_as_specified() -> None:
    assert set(HYPERLOCAL) - set(INTERCITY) == HYPERLOCAL_ONLY
    assert set(INTERCITY) - set(HYPERLOCAL) == INTERCITY_ONLY


def test_hyperlocal_required_and_optional_paths() -> None:
    _walk(Machine.HYPERLOCAL, ["Pending", "Packed", "Order-picked-up", "Order-delivered"])
    _walk(Machine.HYPERLOCAL, ["Pending", "Packed", "Agent-assigned", "At-pickup", "Order-picked-up",
                               "At-delivery", "Order-delivered"])
    # the real RET16 P2P progression (status_progression_RET16_v1.2.0)
    _walk(Machine.HYPERLOCAL, ["Pending", "Packed", "Agent-assigned", "Order-picked-up", "Out-for-delivery",
                               "Order-delivered"])
    for state in INTERCITY_ONLY:
        with pytest.raises(IllegalTransitionError):
            transition(Machine.HYPERLOCAL, "Order-picked-up", state)


def test_intercity_must_pass_the_hub() -> None:
    _walk(Machine.INTERCITY, ["Pending", "Packed", "Order-picked-up", "In-transit", "At-destination-hub",
                              "Out-for-delivery", "Order-delivered"])
    for skip in ("Order-delivered", "Out-for-delivery", "At-destination-hub", "At-delivery"):
        with pytest.raises(IllegalTransitionError):
            transition(Machine.INTERCITY, "Order-picked-up", skip)
    with pytest.raises(IllegalTransitionError):
        transition(Machine.INTERCITY, "Packed", "At-pickup")


@pytest.mark.parametrize(
    ("current", "targets"),
    [("Pending", {"Packed", "Cancelled"}),
     ("Packed", {"Agent-assigned", "At-pickup", "Out-for-pickup", "Order-picked-up", "Cancelled"}),
     ("Order-picked-up", {"At-delivery", "In-transit", "Out-for-delivery", "Order-delivered", "Cancelled"}),
     ("Out-for-delivery", {"Delivery-failed", "Order-delivered", "Cancelled"})],
)
def test_protocol_transitions_are_covered_by_the_two_modes(current: str, targets: set[str]) -> None:
    # PROTOCOL.md §4 lists these moves without a mode; each must be legal in at least one mode.
    union = set(HYPERLOCAL.get(current, ())) | set(INTERCITY.get(current, ()))
    assert targets <= union


def test_cancelled_from_every_non_terminal_forward_state() -> None:
    for table in (HYPERLOCAL, INTERCITY):
        for state, targets in table.items():
            assert ("Cancelled" in targets) == (state not in ("Order-delivered", "Cancelled"))


def test_machine_for_routing() -> None:
    assert machine_for_routing("P2P") is Machine.HYPERLOCAL
    assert machine_for_routing("P2H2P") is Machine.INTERCITY
    with pytest.raises(ValueError, match="routing"):
        machine_for_routing("P2H")


# -- order-state mapping, RTO and return ------------------------------------------------------------------------

def test_rto_and_return_paths() -> None:
    assert transition(Machine.RTO, "RTO-Initiated", "RTO-Delivered").order_state == "Cancelled"
    assert transition(Machine.RTO, "RTO-Initiated", "RTO-Disposed").order_state == "Cancelled"
    _walk(Machine.RETURN, ["Return_Initiated", "Return_Approved", "Return_Picked", "Return_Delivered"])
    _walk(Machine.RETURN, ["Return_Initiated", "Return_Approved", "Liquidated"])
    assert transition(Machine.RETURN, "Return_Initiated", "Return_Rejected").order_state == "Completed"
    with pytest.raises(IllegalTransitionError):
        transition(Machine.RETURN, "Return_Initiated", "Return_Picked")
    with pytest.raises(IllegalTransitionError):
        transition(Machine.RETURN, "Return_Picked", "Cancelled")


@pytest.mark.parametrize(
    ("state", "order_state"),
    [("Pending", None), ("Packed", "In-progress"), ("Agent-assigned", "In-progress"),
     ("Out-for-pickup", "In-progress"), ("At-pickup", "In-progress"), ("Pickup-failed", "In-progress"),
     ("Order-picked-up", "In-progress"), ("In-transit", "In-progress"), ("At-destination-hub", "In-progress"),
     ("Out-for-delivery", "In-progress"), ("At-delivery", "In-progress"), ("Delivery-failed", "In-progress"),
     ("Order-delivered", "Completed"), ("Cancelled", "Cancelled")],
)
def test_forward_state_implies_order_state(state: str, order_state: str | None) -> None:
    machine = Machine.INTERCITY if state in INTERCITY_ONLY else Machine.HYPERLOCAL
    assert implied_order_state(machine, state) == order_state


# -- next actions -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("order_state", "state", "mode", "actions"),
    [("Created", "Pending", Machine.HYPERLOCAL, ["accept", "reject"]),
     ("Accepted", "Pending", Machine.HYPERLOCAL, ["pack", "cancel"]),
     ("In-progress", "Packed", Machine.HYPERLOCAL,
      ["assign_agent", "at_pickup", "out_for_pickup", "pick_up", "cancel"]),
     ("In-progress", "Packed", Machine.INTERCITY, ["assign_agent", "out_for_pickup", "pick_up", "cancel"]),
     ("In-progress", "Order-picked-up", Machine.HYPERLOCAL,
      ["at_delivery", "out_for_delivery", "deliver", "initiate_rto"]),
     ("In-progress", "Order-picked-up", Machine.INTERCITY, ["ship", "initiate_rto"]),
     ("In-progress", "In-transit", Machine.INTERCITY, ["at_destination_hub", "initiate_rto"]),
     ("In-progress", "Out-for-delivery", Machine.INTERCITY, ["delivery_failed", "deliver", "initiate_rto"]),
     ("Completed", "Order-delivered", Machine.HYPERLOCAL, []),
     ("Cancelled", "Cancelled", Machine.INTERCITY, [])],
)
def test_next_actions(order_state: str, state: str, mode: Machine, actions: list[str]) -> None:
    assert next_actions(order_state, state, mode=mode) == actions


def test_next_actions_cover_every_forward_target() -> None:
    for mode in (Machine.HYPERLOCAL, Machine.INTERCITY):
        for state, targets in TABLES[mode].items():
            if targets:
                assert len(next_actions("In-progress", state, mode=mode)) == len(targets)


def test_next_actions_refuses_non_forward_modes() -> None:
    with pytest.raises(ValueError, match="mode"):
        next_actions("Accepted", "Pending", mode=Machine.RTO)


# -- timestamps, cancellability, reasons ---------------------------------------------------------------------------

START, END = "start.time.timestamp", "end.time.timestamp"


@pytest.mark.parametrize(
    ("state", "required"),
    [("Pending", set()), ("Packed", set()), ("Agent-assigned", set()), ("Pickup-failed", set()),
     ("Order-picked-up", {START}), ("In-transit", {START}), ("Out-for-delivery", {START}),
     ("Delivery-failed", {START}), ("Order-delivered", {START, END}), ("Cancelled", set()),
     ("RTO-Initiated", {START}), ("RTO-Disposed", {START}), ("RTO-Delivered", {START, END}),
     ("Return_Initiated", set()), ("Return_Picked", {START}), ("Return_Delivered", {START, END})],
)
def test_timestamps_required(state: str, required: set[str]) -> None:
    assert timestamps_required(state) == required


def test_timestamps_required_knows_every_state() -> None:
    for table in TABLES.values():
        for state in table:
            if state not in ("Created", "Accepted", "In-progress", "Completed"):
                timestamps_required(state)
    with pytest.raises(ValueError, match="unknown"):
        timestamps_required("Accepted")


@pytest.mark.parametrize(
    ("order_state", "state", "item_cancellable", "expected"),
    [("Created", "Pending", True, True), ("Accepted", "Pending", True, True), ("In-progress", "Packed", True, True),
     ("In-progress", "Agent-assigned", True, True), ("In-progress", "Order-picked-up", True, False),
     ("In-progress", "Out-for-delivery", True, False), ("Completed", "Order-delivered", True, False),
     ("Cancelled", "Cancelled", True, False), ("Accepted", "Pending", False, False)],
)
def test_cancellable(order_state: str, state: str, item_cancellable: bool, expected: bool) -> None:
    assert cancellable(order_state, state, item_cancellable) is expected


def test_cancellable_refuses_unknown_states() -> None:
    with pytest.raises(ValueError, match="forward"):
        cancellable("Accepted", "RTO-Initiated", True)


@pytest.mark.parametrize("reason", sorted(BUYER_REASONS))
def test_buyer_reasons(reason: str) -> None:
    check_cancel_reason(reason, "buyer")


@pytest.mark.parametrize("reason", sorted(SELLER_REASONS))
def test_seller_reasons(reason: str) -> None:
    check_cancel_reason(reason, "seller")


@pytest.mark.parametrize(("reason", "side"), [("002", "buyer"), ("005", "buyer"), ("001", "seller"),
                                              ("006", "seller"), ("007", "buyer"), ("016", "seller"),
                                              ("999", "seller"), ("", "buyer"), ("2", "seller")])
def test_invalid_reasons(reason: str, side: str) -> None:
    with pytest.raises(InvalidCancellationReasonError) as info:
        check_cancel_reason(reason, side)
    assert info.value.code == "30012"


def test_reason_sets() -> None:
    assert {"011", "012", "013", "014", "015"} == RTO_REASONS <= SELLER_REASONS
    assert {"001", "003", "006", "009", "010", "012", "999"} <= BUYER_REASONS
    assert {"002", "005", "018", "022", "998"} <= SELLER_REASONS
    with pytest.raises(ValueError, match="initiated_by"):
        check_cancel_reason("001", "lsp")

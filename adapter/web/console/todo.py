"""The order inbox as a to-do list: which orders need the cooperative now, and the one obvious next step of each.

Groups, in the order the inbox shows them:

- ``new``: a new order waits for Accept;
- ``returns``: a buyer's return request waits for a decision (before its approval window ends);
- ``pack``: accepted, not packed yet; what must leave today first, by the promised pick-up time;
- ``handover``: packed, waiting for the courier (the forward steps before pickup);
- ``on_the_way``: with the courier, or goods coming back (an approved return, an RTO).

An order with a return waiting is in ``returns`` whatever else it is. Everything else (delivered, cancelled) is
history. The to-do count is new + returns + pack: what needs a member's
hand now. Nothing here writes; the views take the moves through ``console.act``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext, lazy_gettext, ngettext
from sqlalchemy.orm import Session

from adapter.orders import states
from adapter.orders import store as order_store
from adapter.orders.seller import SELLER_MOVES, next_actions
from adapter.protocol.context import parse_duration, parse_timestamp
from adapter.store.models import Order
from adapter.web.order_documents import buyer_name, quoted_titles
from catalog_sync.on_search_items import IST

__all__ = ["GROUPS", "NEEDS_ACTION", "Card", "Inbox", "Step", "ago", "forward_steps",
           "load_inbox", "return_requests", "sort_orders", "time_left", "todo_count", "waiting_return"]

GROUPS = ("new", "returns", "pack", "handover", "on_the_way")
NEEDS_ACTION = frozenset({"new", "returns", "pack"})
GROUP_TITLES = {
    "returns": lazy_gettext("Returns to decide"),
    "new": lazy_gettext("New orders to accept"),
    "pack": lazy_gettext("To pack"),
    "handover": lazy_gettext("Ready to hand over to the courier"),
    "on_the_way": lazy_gettext("On the way"),
}
# The forward path a member walks through, in order. Each routing's machine keeps the states it has: hyperlocal
# (P2P) has no hub legs; the optional and failure states (At-pickup, Pickup-failed ...) stay among the other moves.
MAIN_PATH = ("Packed", "Agent-assigned", "Order-picked-up", "In-transit", "At-destination-hub", "Out-for-delivery",
             "Order-delivered")
_MOVE_FOR = {target: action for action, target in SELLER_MOVES.items()}
# What a card may offer in one tap: accepting and the forward moves. A move that cannot be undone (reject,
# cancel ...) is never one: it stays on the order page behind "Yes, I am sure".
ONE_TAP = frozenset({"accept", *SELLER_MOVES})


def return_requests(order: Order) -> list[dict[str, Any]]:
    """The order's returns as a member reads them: state, items, the buyer's reason, words and photos, and by
    when to decide (the request's ttl_approval after it came)."""
    out = []
    for leg in order.legs:
        if leg.get("type") != "Return":
            continue
        said = {entry.get("code"): entry.get("value") for tag in leg.get("tags", [])
                if tag.get("code") == "return_request" for entry in tag.get("list", [])}
        decide_by = None
        # OverflowError: a buyer app's ttl_approval of years (P9999999D) is past what a datetime holds.
        with contextlib.suppress(ValueError, TypeError, OverflowError):
            decide_by = dt.datetime.fromisoformat(leg["created_at"]) + parse_duration(said.get("ttl_approval") or "")
        images = [url for url in str(said.get("images") or "").split(",") if url.strip().startswith("https://")]
        out.append({"id": leg.get("id"), "state": leg.get("state"), "items": leg.get("items", {}),
                    "reason_id": said.get("reason_id") or "", "words": said.get("reason_desc") or "",
                    "images": [url.strip() for url in images], "requested": leg.get("created_at"),
                    "decide_by": decide_by, "waiting": leg.get("state") == "Return_Initiated"})
    return out


def waiting_return(order: Order) -> bool:
    """Whether a buyer's return request waits for the cooperative's decision."""
    return any(leg.get("type") == "Return" and leg.get("state") == "Return_Initiated" for leg in order.legs)


@dataclass(frozen=True)
class Step:
    """One forward step on the order page: its state, the action that reaches it, and done | next | later."""

    state: str
    action: str
    status: str


def forward_steps(order: Order) -> list[Step]:
    """The main forward path of the order's routing, once it is accepted: steps passed are done, the first legal
    one is next, the rest later. Empty before Accept, after a cancel, or for a state the machine does not know."""
    if order.state not in ("Accepted", "In-progress", "Completed"):
        return []
    try:
        machine = states.machine_for_routing(order.routing)
        allowed = states.allowed_targets(machine, order.fulfilment_state)
    except ValueError:
        return []
    path = [state for state in MAIN_PATH if state in states.TABLES[machine]]
    if order.fulfilment_state == "Cancelled" or (order.state == "Completed" and order.fulfilment_state != path[-1]):
        return []
    legal = set(next_actions(order))
    upcoming = next((state for state in path if state in allowed and _MOVE_FOR[state] in legal), None)
    cut = path.index(upcoming) if upcoming else len(path)
    return [Step(state, _MOVE_FOR[state], "done" if i < cut else "next" if i == cut else "later")
            for i, state in enumerate(path)]


def next_step(order: Order) -> str | None:
    """The forward action the order page offers as its big next-step button (None when there is none)."""
    return next((step.action for step in forward_steps(order) if step.status == "next"), None)


@dataclass(frozen=True)
class Card:
    """One order on the inbox: its group, what a member reads at a glance, and its one-tap action (None: the
    card links to the order page instead)."""

    order: Order
    group: str
    buyer: str
    bought: tuple[tuple[str, int], ...]
    total: str
    action: str | None
    returns: tuple[dict[str, Any], ...] = ()
    decide_by: dt.datetime | None = None
    ship_by: dt.datetime | None = None
    pack_today: bool = False
    legs: tuple[str, ...] = ()


@dataclass(frozen=True)
class Inbox:
    """The cards of each group, in the order to work through them."""

    groups: dict[str, list[Card]] = field(default_factory=dict)

    @property
    def count(self) -> int:
        """The to-do count: new orders, returns to decide and orders to pack."""
        return sum(len(cards) for group, cards in self.groups.items() if group in NEEDS_ACTION)

    def order_ids(self) -> set[int]:
        """Every order that has a card."""
        return {card.order.id for cards in self.groups.values() for card in cards}

    def titled(self) -> list[tuple[str, str, list[Card]]]:
        """(key, title in the reader's language, cards) for each group that has cards."""
        return [(key, str(GROUP_TITLES[key]), self.groups[key]) for key in GROUPS if self.groups.get(key)]


def _ship_by(order: Order) -> dt.datetime | None:
    """The end of the promised pick-up window, when the confirmation fixed one."""
    times = (order.fulfillments[0] if order.fulfillments else {}).get("times") or {}
    with contextlib.suppress(KeyError, ValueError, TypeError, AttributeError):
        return parse_timestamp(times["start_to"])
    return None


def _group(order: Order) -> str | None:
    if waiting_return(order):
        return "returns"
    if order.state == "Created":
        return "new"
    if order.state in ("Accepted", "In-progress"):
        if order.fulfilment_state == "Pending":
            return "pack"
        if order.fulfilment_state in states.PRE_PICKUP:
            return "handover"
        if order.fulfilment_state not in ("Order-delivered", "Cancelled"):
            return "on_the_way"
    if _open_legs(order):
        return "on_the_way"
    return None


def _open_legs(order: Order) -> tuple[str, ...]:
    return tuple(str(leg.get("state")) for leg in order.legs
                 if leg.get("type") in ("Return", "RTO") and leg.get("state") in order_store.OPEN_LEG_STATES)


def _card(order: Order, group: str, end_of_today: dt.datetime) -> Card:
    titles = quoted_titles(order)
    bought = tuple((titles.get(str(line.get("item_id"))) or str(line.get("item_id")), int(line.get("quantity") or 0))
                   for line in order.lines)
    action = {"new": "accept", "pack": "pack"}.get(group) or (next_step(order) if group != "returns" else None)
    if action is not None and (action not in ONE_TAP or action not in next_actions(order)):
        action = None
    waiting = tuple(r for r in return_requests(order) if r["waiting"])
    deadlines = [r["decide_by"] for r in waiting if r["decide_by"] is not None]
    ship_by = _ship_by(order)
    return Card(order=order, group=group, buyer=buyer_name(order), bought=bought,
                total=str(order.quote.get("price", {}).get("value", "")), action=action, returns=waiting,
                decide_by=min(deadlines) if deadlines else None, ship_by=ship_by,
                pack_today=group == "pack" and ship_by is not None and ship_by < end_of_today,
                legs=_open_legs(order) if group == "on_the_way" else ())


def _end_of_today(now: dt.datetime) -> dt.datetime:
    """Midnight tonight in India, in UTC."""
    tomorrow = now.astimezone(IST).date() + dt.timedelta(days=1)
    return dt.datetime.combine(tomorrow, dt.time(), tzinfo=IST).astimezone(dt.UTC)


def sort_orders(orders: Iterable[Order], now: dt.datetime) -> Inbox:
    """Put each order that needs something into its group, most urgent first within each."""
    end_of_today = _end_of_today(now)
    groups: dict[str, list[Card]] = {key: [] for key in GROUPS}
    for order in orders:
        group = _group(order)
        if group is not None:
            groups[group].append(_card(order, group, end_of_today))
    latest = dt.datetime.max.replace(tzinfo=dt.UTC)
    groups["returns"].sort(key=lambda c: (c.decide_by or latest, c.order.created_at))
    groups["pack"].sort(key=lambda c: (not c.pack_today, c.ship_by or latest, c.order.created_at))
    for key in ("new", "handover", "on_the_way"):
        groups[key].sort(key=lambda c: (c.order.created_at, c.order.id))  # the longest waiting first
    return Inbox(groups)


def load_inbox(session: Session, cooperative_id: int | None, now: dt.datetime, state: str | None = None) -> Inbox:
    """The inbox of one cooperative (None: every cooperative's, for the operator)."""
    return sort_orders(order_store.orders_to_do(session, cooperative_id=cooperative_id, state=state), now)


def todo_count(session: Session, cooperative_id: int | None, now: dt.datetime) -> int:
    """The to-do count (new orders, returns to decide, orders to pack) of one cooperative, or of all."""
    return load_inbox(session, cooperative_id, now).count


def _span(delta: dt.timedelta) -> str:
    """A length of time in whole minutes, hours or days, in the reader's language."""
    minutes = max(int(delta.total_seconds() // 60), 0)
    if minutes < 60:
        return str(ngettext("%(num)d minute", "%(num)d minutes", minutes))
    if minutes < 48 * 60:
        return str(ngettext("%(num)d hour", "%(num)d hours", minutes // 60))
    return str(ngettext("%(num)d day", "%(num)d days", minutes // (24 * 60)))


def ago(moment: dt.datetime, now: dt.datetime) -> str:
    """How long ago something came: "5 minutes ago", or "just now"."""
    if now - moment < dt.timedelta(minutes=1):
        return str(gettext("just now"))
    return str(gettext("%(span)s ago", span=_span(now - moment)))


def time_left(deadline: dt.datetime, now: dt.datetime) -> str:
    """The time left before a deadline, or how long it has passed."""
    if deadline <= now:
        return str(gettext("time is up (%(span)s ago)", span=_span(now - deadline)))
    return str(gettext("%(span)s left", span=_span(deadline - now)))

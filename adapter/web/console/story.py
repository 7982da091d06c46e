"""An order's story for the people who make the goods: its history and its network messages as plain sentences
in the member's language, oldest first, each with who did it, when (IST) and whether the buyer app heard of it.

The history (``adapter.orders.store.events``) says what happened; the transaction's messages
(``adapter.web.timeline.transaction_messages``) say what the buyer app asked and whether our answers and updates
reached it. A seller's move is paired with the unsolicited on_status / on_update / on_cancel it queued, a buyer's
request with the callback that echoes its message_id, and runs of the same poll (status, track) become one line.
Message ids, ONDC codes and payloads stay on the operator's raw view.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Callable, Iterable
from typing import Any

import flask_babel
from sqlalchemy.orm import Session

from adapter.orders import store as order_store
from adapter.store.models import Order, OrderEvent
from adapter.web.console import i18n
from adapter.web.console.formats import clock
from adapter.web.timeline import transaction_messages

__all__ = ["Delivery", "Line", "order_story", "tell"]

# flask_babel has no type hints: its two functions, as this module uses them.
gettext: Callable[..., str] = flask_babel.gettext
ngettext: Callable[..., str] = flask_babel.ngettext

# History entries a buyer app's request makes (the rest are moves of the seller, the operator or the adapter,
# each pushed to the buyer app as an unsolicited update).
BUYER_KINDS = {"confirmed": "confirm", "return_requested": "update", "settlement_update": "update",
               "cancelled": "cancel"}
# Requests that buyer apps repeat to poll: a run of them is one line.
POLLS = frozenset({"status", "track", "issue_status"})
# The haggling before an order exists (the story starts when the order comes in; the operator sees them raw).
BEFORE_ORDER = frozenset({"search", "select", "init"})
# How far apart a move and the update it queued may be stamped (both are written in one transaction).
PAIRING_WINDOW = dt.timedelta(seconds=60)
# How much later than the request that made it a history entry may be stamped (clocks of web and worker).
CLOCK_SLACK = dt.timedelta(seconds=2)
# A line, with the request it tells of and that request's answer (for gathering polls).
_Said = tuple["Line", dict[str, Any] | None, dict[str, Any] | None]
_PART = re.compile(r"^\s*\d+:\s*(?P<num>\d+)\s*x\s*(?P<item>.+?)\s*$")


@dataclasses.dataclass(frozen=True)
class Delivery:
    """Whether an answer or an update reached the buyer app: ``sent``, ``pending`` or ``dead``, in words."""

    state: str
    text: str
    at: str = ""  # when it was delivered (``21:45 IST``)


@dataclasses.dataclass(frozen=True)
class Line:
    """One sentence of the story."""

    at: dt.datetime
    actor: str  # buyer, you, operator, cooperative, adapter, marketplace
    text: str
    delivery: Delivery | None = None
    kind: str = ""  # what the line is about (a history kind, or the request's action), for styling and tests


@dataclasses.dataclass(frozen=True)
class _Entry:
    """One entry of the order's history (``OrderEvent``), as the story reads it."""

    at: dt.datetime
    order: int  # the entry's id: the order of entries stamped alike
    actor: str
    kind: str
    reason: str | None = None

    @classmethod
    def of(cls, event: OrderEvent) -> _Entry:
        return cls(_when(event.at), event.id, event.actor, event.kind, event.reason)


@dataclasses.dataclass(frozen=True)
class _Viewer:
    you: str  # the actor recorded for the person reading ("operator", or the cooperative's slug)
    cooperative: str  # the order's cooperative's slug
    bap_id: str
    whom: str  # who our updates go to: "the buyer app", or "the marketplace" for a pulled order


def _when(value: Any) -> dt.datetime:
    moment = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
    assert isinstance(moment, dt.datetime)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def _actor(actor: str, viewer: _Viewer) -> str:
    if actor == viewer.you:
        return "you"
    if actor in ("operator", "cli"):
        return "operator"
    if actor == viewer.cooperative:
        return "cooperative"
    if actor == viewer.bap_id:
        return "buyer"
    if actor.startswith("pull:"):
        return "marketplace"
    if actor == "courier":  # the courier booked for the order (adapter.orders.courier_booking, courier_updates)
        return "courier"
    return "adapter"  # auto-accept, and whatever else acts on its own


def _delivery(row: dict[str, Any] | None, viewer: _Viewer, waiting: bool = False) -> Delivery | None:
    """An outbox row's state in words: an answer (solicited) or an update we pushed."""
    if row is None:
        return None
    answer, whom = bool(row.get("solicited")), viewer.whom
    if row["status"] == "sent":
        return Delivery("sent", gettext("answered") if answer else gettext("told %(whom)s", whom=whom),
                        clock(row.get("sent_at")))
    why = i18n.delivery_reason(row.get("last_error"))
    if row["status"] == "dead":
        if answer:
            return Delivery("dead", gettext("The answer did not reach %(whom)s: %(why)s", whom=whom, why=why))
        return Delivery("dead", gettext("Could not tell %(whom)s: %(why)s. The operator can send it again.",
                                        whom=whom, why=why))
    if row.get("last_error") and not str(row["last_error"]).startswith("warning:"):
        if answer:
            return Delivery("pending", gettext("Could not answer yet: %(why)s; trying again", why=why))
        return Delivery("pending", gettext("Could not tell %(whom)s yet: %(why)s; trying again", whom=whom, why=why))
    if waiting:
        return Delivery("pending", gettext("%(whom)s is told after the earlier update", whom=whom))
    return Delivery("pending", gettext("answering now") if answer else gettext("telling %(whom)s now", whom=whom))


def _group_delivery(replies: list[dict[str, Any]], viewer: _Viewer) -> Delivery | None:
    """The answers to a run of polls: the worst of them (one not delivered says so), else the last one's tick."""
    for state in ("dead", "pending"):
        found = [r for r in replies if r["status"] == state]
        if found:
            return _delivery(found[-1], viewer)
    return _delivery(replies[-1], viewer) if replies else None


def _reason_text(kind: str, actor: str, reason: str | None) -> str | None:
    if not reason:
        return None
    tables = {"cancelled": i18n.BUYER_CANCEL_REASONS if actor == "buyer" else i18n.CANCEL_REASONS,
              "rto_initiated": i18n.RTO_REASONS}
    table = tables.get(kind)
    if table is None:
        return None
    return i18n.label(table, reason) or i18n.label(i18n.RTO_REASONS, reason) or gettext("reason %(code)s",
                                                                                          code=reason)


def _event_text(event: _Entry, actor: str, order: Order, titles: dict[str, str], return_legs: list[Any]) -> str:
    """A history entry as a sentence: who did what (and why)."""
    kind = event.kind
    if kind == "confirmed":
        return gettext("Order received from %(buyer)s", buyer=order.bap_id)
    if kind == "pulled":
        return gettext("Order fetched from %(source)s", source=event.actor.removeprefix("pull:"))
    if kind == "return_requested":
        leg = return_legs.pop(0) if return_legs else {}
        count = sum(int(n) for n in (leg.get("items") or {}).values())
        codes = [code.strip() for code in (event.reason or "").split(",") if code.strip()]
        why = ", ".join(i18n.label(i18n.RETURN_REASONS, code) or code for code in codes)
        if not count or not why:
            return gettext("The buyer asked for a return")
        return ngettext("The buyer asked to return %(num)d item: %(reason)s",
                        "The buyer asked to return %(num)d items: %(reason)s", count, reason=why)
    who = i18n.label(i18n.WHO, actor) or event.actor
    if kind == "part_cancel":
        part = _PART.match(event.reason or "")
        if part:
            item = titles.get(part["item"], part["item"])
            return gettext("%(who)s cancelled %(count)s of %(item)s: not available", who=who, count=part["num"],
                           item=item)
    if kind == "cancelled" and actor != "buyer" and event.reason == "005":
        kind = "reject"
    did = i18n.label(i18n.DEEDS, kind)
    if did is None:
        return gettext("%(who)s: %(what)s", who=who, what=i18n.action_label(kind))
    because = None if kind == "reject" else _reason_text(kind, actor, event.reason)
    if because:
        return gettext("%(who)s %(did)s: %(reason)s", who=who, did=did, reason=because)
    return gettext("%(who)s %(did)s", who=who, did=did)


def _request_text(row: dict[str, Any]) -> str:
    text = i18n.label(i18n.REQUESTS, row["action"]) or gettext("The buyer app sent a message")
    if row.get("answer") == "NACK":
        return gettext("%(what)s: refused, the message was not valid", what=text)
    if row.get("status") == "failed":
        return gettext("%(what)s: it could not be handled; the operator can see why", what=text)
    return text


def _poll_text(action: str, count: int, last: dt.datetime) -> str:
    when = clock(last)
    if action == "status":
        return ngettext("The buyer app checked the status %(num)d time, last %(time)s",
                        "The buyer app checked the status %(num)d times, last %(time)s", count, time=when)
    if action == "track":
        return ngettext("The buyer app asked where the parcel is %(num)d time, last %(time)s",
                        "The buyer app asked where the parcel is %(num)d times, last %(time)s", count, time=when)
    what = i18n.label(i18n.REQUESTS, action) or action
    return ngettext("%(what)s (%(num)d time, last %(time)s)", "%(what)s (%(num)d times, last %(time)s)", count,
                    what=what, time=when)


def _poll_of(request: dict[str, Any] | None) -> str | None:
    """The poll a request is (its action), if it is an accepted one that a run may gather."""
    if request is None or request["action"] not in POLLS:
        return None
    return None if request.get("answer") == "NACK" or request.get("status") == "failed" else str(request["action"])


def _collapse(lines: list[_Said], viewer: _Viewer) -> list[Line]:
    """Runs of the same answered poll become one line ("checked the status 5 times, last 22:10 IST")."""
    out: list[Line] = []
    run: list[_Said] = []

    def flush() -> None:
        if len(run) == 1:
            out.append(run[0][0])
        elif run:
            first, request = run[0][0], run[-1][1]
            assert request is not None
            replies = [reply for _line, _request, reply in run if reply is not None]
            out.append(dataclasses.replace(first, text=_poll_text(request["action"], len(run),
                                                                  _when(request["at"])),
                                           delivery=_group_delivery(replies, viewer)))
        run.clear()

    for line, request, reply in lines:
        poll = _poll_of(request)
        if poll is not None and run and _poll_of(run[0][1]) == poll:
            run.append((line, request, reply))
            continue
        flush()
        if poll is not None:
            run.append((line, request, reply))
        else:
            out.append(line)
    flush()
    return out


def tell(order: Order, events: Iterable[OrderEvent], messages: list[dict[str, Any]], *, you: str,
         cooperative: str) -> list[Line]:
    """The story of an order from its history and its transaction's messages, oldest first."""
    viewer = _Viewer(you=you, cooperative=cooperative, bap_id=order.bap_id,
                     whom=gettext("the buyer app") if order.source == "ondc" else gettext("the marketplace"))
    titles = {str(b.get("@ondc/org/item_id")): str(b.get("title", "")) for b in order.quote.get("breakup", [])
              if b.get("@ondc/org/title_type") == "item"}
    return_legs = [leg for leg in order.legs if leg.get("type") == "Return"]
    requests = [m for m in messages if m.get("direction") == "in"]
    sent = [m for m in messages if m.get("direction") == "out"]
    replies = {(m["action"], m.get("message_id")): m for m in sent if m.get("solicited")}
    pushes = sorted((m for m in sent if not m.get("solicited")), key=lambda m: int(m["id"]))
    history = sorted((_Entry.of(e) for e in events), key=lambda e: (e.at, e.order))
    if not any(e.kind in ("confirmed", "pulled") for e in history):
        # Orders stored before their history was kept (or by hand) still start with how they came in.
        history.insert(0, _Entry(_when(order.created_at), 0, order.bap_id, "confirmed"))

    used_requests: set[int] = set()
    used_pushes: set[int] = set()
    entries: list[_Said] = []
    for event in history:
        at, actor = event.at, _actor(event.actor, viewer)
        delivery: Delivery | None = None
        action = BUYER_KINDS.get(event.kind) if actor == "buyer" else None
        if action is not None:
            asked = [i for i, m in enumerate(requests) if m["action"] == action and _when(m["at"]) <= at + CLOCK_SLACK]
            if asked and asked[-1] not in used_requests:  # one request may make two entries: one answer
                used_requests.add(asked[-1])
                request = requests[asked[-1]]
                delivery = _delivery(replies.get((f"on_{action}", request.get("message_id"))), viewer)
        elif event.kind != "pulled":
            push = next((m for m in pushes if int(m["id"]) not in used_pushes
                         and abs(_when(m["at"]) - at) <= PAIRING_WINDOW), None)
            if push is not None:
                used_pushes.add(int(push["id"]))
                waiting = any(int(m["id"]) < int(push["id"]) and m["status"] == "pending" for m in pushes)
                delivery = _delivery(push, viewer, waiting)
        text = _event_text(event, actor, order, titles, return_legs)
        entries.append((Line(at, actor, text, delivery, event.kind), None, None))

    for i, request in enumerate(requests):
        if i in used_requests or request["action"] in BEFORE_ORDER:
            continue
        reply = replies.get((f"on_{request['action']}", request.get("message_id")))
        line = Line(_when(request["at"]), "buyer", _request_text(request), _delivery(reply, viewer),
                    str(request["action"]))
        entries.append((line, request, reply))
    for row in pushes:
        if int(row["id"]) in used_pushes:
            continue
        text = i18n.label(i18n.UPDATES, row["action"]) or gettext("The buyer app was sent an update")
        entries.append((Line(_when(row["at"]), "adapter", text, _delivery(row, viewer), str(row["action"])),
                        None, None))
    entries.sort(key=lambda entry: entry[0].at)
    return _collapse(entries, viewer)


def order_story(session: Session, order: Order, *, you: str, cooperative: str) -> list[Line]:
    """The story of an order as ``you`` (``operator``, or the reading cooperative's slug) reads it.

    Only the order's buyer app's messages, and of its requests only those it signed: a request that failed the
    signature check may come from anyone who knows the transaction id (it stays on the operator's raw view).
    """
    messages = [m for m in transaction_messages(session, order.transaction_id) if m.get("bap_id") == order.bap_id
                and (m.get("direction") != "in" or m.get("signature") == "ok")]
    return tell(order, order_store.events(session, order), messages, you=you, cooperative=cooperative)

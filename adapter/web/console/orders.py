"""Order pages: the inbox (newest first) and one order with its timeline and the next legal actions."""

from __future__ import annotations

import contextlib
import datetime as dt
from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext
from werkzeug.wrappers import Response as BaseResponse

from adapter.orders import store as order_store
from adapter.orders.errors import OrderError
from adapter.orders.policy import order_policy
from adapter.orders.seller import next_actions, seller_action
from adapter.protocol.context import parse_duration
from adapter.store.models import Cooperative, Order, utcnow
from adapter.web.console.i18n import (
    CANCEL_REASONS,
    RETURN_REASONS,
    RTO_REASONS,
    action_label,
    error_text,
    reason_texts,
    state_label,
)
from adapter.web.console.pages import bp, login_required, page, user
from adapter.web.console.story import order_story
from adapter.web.runtime import db, runtime, unit_of_work
from adapter.web.timeline import transaction_messages
from workers.dispatch import AfterCommit, after_commit

# Actions whose form asks for a reason code, and the codes offered.
REASONED = {"cancel": CANCEL_REASONS, "initiate_rto": RTO_REASONS}


def _visible(order_pk: int) -> Order:
    """The order, if the signed-in user may see it (404 otherwise, for other tenants too)."""
    order = db().get(Order, order_pk)
    who = user()
    if order is None or not who.can_see(order.cooperative_id):
        abort(404)
    return order


@bp.get("/orders")
@login_required
def orders() -> tuple[str, int]:
    """The inbox, newest first (the operator sees every cooperative's)."""
    who = user()
    cooperative_id = who.cooperative.id if who.cooperative else None
    rows = order_store.list_orders(db(), cooperative_id=cooperative_id, state=request.args.get("state") or None,
                                   limit=200)
    names = {c.id: c.name for c in db().query(Cooperative).all()} if who.is_admin else {}
    return page("orders.html", orders=rows, names=names, waiting={o.id for o in rows if waiting_return(o)})


def timeline(order: Order) -> list[dict[str, Any]]:
    """Order events and network messages of its transaction, oldest first, as recorded (the operator's raw view;
    members read the same as sentences, adapter.web.console.story)."""
    session = db()
    entries: list[dict[str, Any]] = [
        {"kind": "event", "at": e.at.isoformat(), "actor": e.actor, "action": e.kind,
         "detail": " → ".join(state_label(state) for state in (e.from_state, e.to_state) if state),
         "reason": e.reason}
        for e in order_store.events(session, order)]
    entries += [{"kind": "message"} | m for m in transaction_messages(session, order.transaction_id)]
    entries.sort(key=lambda e: str(e["at"]))
    return entries


def _titles(order: Order) -> dict[str, str]:
    return {str(b.get("@ondc/org/item_id")): str(b.get("title", "")) for b in order.quote.get("breakup", [])
            if b.get("@ondc/org/title_type") == "item"}


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
        with contextlib.suppress(ValueError, TypeError):
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


# Moves that cannot be taken back: each asks for a tick ("yes, I am sure") and sits apart from the others.
FINAL_ACTIONS = frozenset({"reject", "cancel", "part_cancel", "initiate_rto", "reject_return", "liquidate"})


@bp.get("/orders/<int:order_pk>")
@login_required
def order(order_pk: int) -> tuple[str, int]:
    """Items, buyer address, quote, its story (and, for the operator, its raw messages) and the buttons for the
    next legal actions."""
    row = _visible(order_pk)
    who = user()
    owner = db().get_one(Cooperative, row.cooperative_id)
    story = order_story(db(), row, you=who.cooperative.slug if who.cooperative else "operator", cooperative=owner.slug)
    fulfilment = row.fulfillments[0] if row.fulfillments else {}
    end = fulfilment.get("end", {})
    return_ids = [leg.get("id", "") for leg in row.legs if leg.get("type") == "Return"]
    return page("order.html", order=row, titles=_titles(row), end=end, story=story,
                timeline=timeline(row) if who.is_admin else [],
                actions=next_actions(row), reasons={action: reason_texts(table) for action, table in REASONED.items()},
                return_ids=return_ids, final=FINAL_ACTIONS, returns=return_requests(row),
                return_reasons=reason_texts(RETURN_REASONS))


@bp.post("/orders/<int:order_pk>/actions/<action>")
@login_required
def act(order_pk: int, action: str) -> BaseResponse:
    """Do one seller action; the buyer app hears about it at once. Illegal moves are refused with a message."""
    rt = runtime()
    params: dict[str, Any] = {}
    for name in ("item_id", "return_id"):
        if request.form.get(name):
            params[name] = request.form[name]
    if request.form.get("quantity", "").isdigit():
        params["quantity"] = int(request.form["quantity"])
    reason_id = request.form.get("reason_id") or None
    who = user()
    if action in FINAL_ACTIONS and request.form.get("sure") != "on":
        flash(gettext('Nothing was done: tick "Yes, I am sure" to %(action)s.', action=action_label(action)), "error")
        return redirect(url_for("console.order", order_pk=order_pk))
    with unit_of_work() as session:
        row = _visible(order_pk)
        if action not in next_actions(row):
            flash(gettext("Could not %(action)s: this order is “%(state)s” now.", action=action_label(action),
                          state=state_label(row.fulfilment_state if row.state == "In-progress" else row.state)),
                  "error")
            return redirect(url_for("console.order", order_pk=order_pk))
        try:
            result = seller_action(
                session, row, action, order_policy(rt.settings),
                actor=who.cooperative.slug if who.cooperative else "operator", now=utcnow(),
                reason_id=reason_id, params=params)
        except (OrderError, ValueError) as error:
            session.rollback()
            flash(gettext("Could not %(action)s: %(error)s", action=action_label(action), error=error_text(str(error))),
                  "error")
            return redirect(url_for("console.order", order_pk=order_pk))
        after = AfterCommit.of(result)
    after_commit(rt.celery, rt.sessions, rt.settings.sync_debounce_seconds, after)
    flash(gettext("Done: %(action)s.", action=action_label(action)), "ok")
    return redirect(url_for("console.order", order_pk=order_pk))

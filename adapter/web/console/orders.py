"""Order pages: the inbox (a to-do list, adapter/web/console/todo.py), one order with its timeline and the next
legal actions, and the to-do count the pages' title keeps fresh."""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, g, jsonify, redirect, request, url_for
from flask.wrappers import Response
from flask_babel import gettext
from werkzeug.wrappers import Response as BaseResponse

from adapter.orders import courier_booking
from adapter.orders import store as order_store
from adapter.orders.errors import OrderError
from adapter.orders.policy import order_policy
from adapter.orders.seller import next_actions, seller_action
from adapter.orders.states import ORDER
from adapter.store.models import Cooperative, Order, utcnow
from adapter.web.console import i18n, todo
from adapter.web.console.i18n import (
    CANCEL_REASONS,
    RETURN_REASONS,
    RTO_REASONS,
    action_label,
    error_text,
    reason_texts,
    state_label,
)
from adapter.web.console.pages import bp, current_user, login_required, page, user, visible_order
from adapter.web.console.story import order_story
from adapter.web.console.todo import return_requests
from adapter.web.order_documents import breakup_title, quoted_titles
from adapter.web.runtime import db, runtime, unit_of_work
from adapter.web.timeline import transaction_messages
from workers.dispatch import AfterCommit, after_commit

# Actions whose form asks for a reason code, and the codes offered.
REASONED = {"cancel": CANCEL_REASONS, "initiate_rto": RTO_REASONS}


@bp.get("/orders")
@login_required
def orders() -> tuple[str, int]:
    """The inbox: cards for what needs doing (todo.GROUPS), then every other order, newest first (the operator
    sees every cooperative's). ``?state=`` keeps only orders in that order state."""
    who = user()
    cooperative_id = who.cooperative.id if who.cooperative else None
    state = request.args.get("state") or None
    if state is not None and state not in ORDER:
        flash(gettext("There is no order state %(state)s: showing every order.", state=state[:40]), "error")
        state = None
    session, now = db(), utcnow()
    inbox = todo.load_inbox(session, cooperative_id, now, state=state)
    carded = inbox.order_ids()
    rest = [o for o in order_store.list_orders(session, cooperative_id=cooperative_id, state=state, limit=200)
            if o.id not in carded]
    names = {c.id: c.name for c in session.query(Cooperative).all()} if who.is_admin else {}
    return page("orders.html", inbox=inbox, orders=rest, names=names, state=state, now=now,
                return_reasons=reason_texts(RETURN_REASONS))


@bp.get("/todo.json")
def todo_json() -> tuple[Response, int]:
    """The signed-in cooperative's to-do count (the operator's: every cooperative's), for the title to poll.

    401 when signed out, so the page's script stops asking. A poll is not the member's activity: it does not keep
    an idle session alive (pages.PASSIVE_ENDPOINTS).
    """
    who = current_user()
    if who is None:
        response = jsonify(error={"code": "signed_out", "message": gettext("Please sign in again.")})
        status = 401
    else:
        inbox = todo.load_inbox(db(), who.cooperative.id if who.cooperative else None, utcnow())
        response = jsonify(count=inbox.count, **{key: len(inbox.groups[key]) for key in todo.GROUPS})
        status = 200
    response.headers["Cache-Control"] = "no-store"
    return response, status


@bp.context_processor
def _todo_context() -> dict[str, Any]:
    return {"todo_count": _todo_count, "todo_poll_seconds": _poll_seconds, "ago": todo.ago,
            "time_left": todo.time_left}


def _todo_count() -> int:
    """The signed-in user's to-do count, once per request (the header shows it on every page)."""
    if "todo_count" not in g:
        who = current_user()
        g.todo_count = (todo.todo_count(db(), who.cooperative.id if who.cooperative else None, utcnow())
                        if who is not None else 0)
    count: int = g.todo_count
    return count


def _poll_seconds() -> int:
    """How often the pages ask for the to-do count: CONSOLE_TODO_POLL_SECONDS in the app config, else 30 s."""
    return max(int(current_app.config.get("CONSOLE_TODO_POLL_SECONDS", 30)), 1)


def _web_link(url: str | None) -> bool:
    """Whether a link a courier gave us may be shown as one (http or https only: no javascript: or data:)."""
    return bool(url) and str(url).lower().startswith(("https://", "http://"))


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


# Moves that cannot be taken back: each asks for a tick ("yes, I am sure") and sits apart from the others.
FINAL_ACTIONS = frozenset({"reject", "cancel", "part_cancel", "initiate_rto", "reject_return", "liquidate"})


@bp.get("/orders/<int:order_pk>")
@login_required
def order(order_pk: int) -> tuple[str, int]:
    """Items, buyer address, quote, its story (and, for the operator, its raw messages) and the buttons for the
    next legal actions."""
    row = visible_order(order_pk)
    who = user()
    owner = db().get_one(Cooperative, row.cooperative_id)
    story = order_story(db(), row, you=who.cooperative.slug if who.cooperative else "operator", cooperative=owner.slug)
    fulfilment = row.fulfillments[0] if row.fulfillments else {}
    end = fulfilment.get("end", {})
    return_ids = [leg.get("id", "") for leg in row.legs if leg.get("type") == "Return"]
    return page("order.html", order=row, titles=quoted_titles(row), end=end, story=story, breakup_title=breakup_title,
                shipment=courier_booking.shipment_of(db(), row), shipment_label=i18n.shipment_label,
                safe_link=_web_link,
                timeline=timeline(row) if who.is_admin else [],
                actions=next_actions(row), steps=todo.forward_steps(row), next_step=todo.next_step(row),
                reasons={action: reason_texts(table) for action, table in REASONED.items()},
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
    if request.form.get("quantity", "").isdecimal():  # not isdigit: "²" is a digit that int() refuses
        params["quantity"] = int(request.form["quantity"])
    reason_id = request.form.get("reason_id") or None
    who = user()
    if action in FINAL_ACTIONS and request.form.get("sure") != "on":
        flash(gettext('Nothing was done: tick "Yes, I am sure" to %(action)s.', action=action_label(action)), "error")
        return redirect(url_for("console.order", order_pk=order_pk))
    with unit_of_work() as session:
        row = visible_order(order_pk)
        if action != "book_courier" and action not in next_actions(row):  # book_courier: seller_action checks
            flash(gettext("Could not %(action)s: this order is “%(state)s” now.", action=action_label(action),
                          state=state_label(row.fulfilment_state if row.state == "In-progress" else row.state)),
                  "error")
            return redirect(_back(order_pk))
        try:
            result = seller_action(
                session, row, action, order_policy(rt.settings),
                actor=who.cooperative.slug if who.cooperative else "operator", now=utcnow(),
                reason_id=reason_id, params=params)
        except (OrderError, ValueError) as error:
            session.rollback()
            flash(gettext("Could not %(action)s: %(error)s", action=action_label(action), error=error_text(str(error))),
                  "error")
            return redirect(_back(order_pk))
        after = AfterCommit.of(result)
    after_commit(rt.celery, rt.sessions, rt.settings.sync_debounce_seconds, after)
    flash(gettext("Done: %(action)s.", action=action_label(action)), "ok")
    return redirect(_back(order_pk))


def _back(order_pk: int) -> str:
    """Where a move returns to: the inbox when its card sent it (``next``, with its ?state=), else the order."""
    target, inbox = request.form.get("next", ""), url_for("console.orders")
    if (target == inbox or target.startswith(inbox + "?")) and target.isprintable():  # no CR/LF in a header
        return target
    return url_for("console.order", order_pk=order_pk)

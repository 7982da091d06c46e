"""Sign in with the cooperative's API key (or the admin key), sign out, and the home page."""

from __future__ import annotations

import datetime as dt

from flask import flash, redirect, request, session, url_for
from flask_babel import gettext
from werkzeug.wrappers import Response as BaseResponse

from adapter.orders import store as order_store
from adapter.security import same_secret
from adapter.store import catalogue as catalogue_store
from adapter.store import console_sessions
from adapter.store import rejections as rejection_store
from adapter.store import sync as sync_store
from adapter.store.cooperatives import cooperative_for_key
from adapter.store.models import Cooperative, utcnow
from adapter.web.console import csrf
from adapter.web.console.i18n import error_text
from adapter.web.console.pages import bp, current_user, login_required, page, user
from adapter.web.console.todo import load_inbox
from adapter.web.runtime import db, runtime, unit_of_work
from catalog_sync.errors import ProfileError
from catalog_sync.on_search_items import IST
from catalog_sync.services import catalogue as catalogues
from workers.sync import items_changed


def _start_session(cooperative_id: int | None) -> None:
    """A fresh server-side session (and CSRF token) on every sign-in; cooperative_id None is the operator."""
    lang = session.get("lang")
    with unit_of_work() as db_session:
        console_sessions.purge_expired(db_session, utcnow())
        session_id = console_sessions.start(db_session, cooperative_id=cooperative_id, now=utcnow())
    session.clear()
    if lang:
        session["lang"] = lang
    session["sid"] = session_id
    session.permanent = False
    csrf.token()


@bp.route("/login", methods=["GET", "POST"])
def login() -> BaseResponse | tuple[str, int]:
    """The sign-in form; a right key starts a session."""
    error = None
    throttle, address = runtime().throttle, request.remote_addr or "unknown"
    if request.method == "POST" and (wait := throttle.retry_after(address)) is not None:
        message = gettext("Too many wrong keys from this device. Please try again in %(wait)s seconds.", wait=wait)
        response = page("login.html", 429, error=message)
        return response
    if request.method == "POST":
        key = request.form.get("api_key", "").strip()
        admin_key = runtime().settings.admin_api_key
        target = request.args.get("next") or ""
        # isprintable: a CR or LF in a Location header is refused by werkzeug (a 500), never a header of ours.
        target = target if target.startswith("/console") and target.isprintable() else url_for("console.home")
        if key and admin_key and same_secret(key, admin_key):
            _start_session(None)
            return redirect(target)
        session_db = db()
        cooperative = cooperative_for_key(session_db, key) if key else None
        if cooperative is not None:
            session_db.commit()  # records last_used_at
            _start_session(cooperative.id)
            return redirect(target)
        throttle.failed(address)
        error = gettext("That key was not recognised.")
    elif current_user() is not None:
        return redirect(url_for("console.home"))
    return page("login.html", 401 if error else 200, error=error)


@bp.post("/logout")
def logout() -> BaseResponse:
    """End the session, on the server too: the same cookie, replayed, is signed out."""
    lang = session.get("lang")
    session_id = session.get("sid")
    if isinstance(session_id, str):
        with unit_of_work() as db_session:
            console_sessions.end(db_session, session_id)
    session.clear()
    if lang:
        session["lang"] = lang
    return redirect(url_for("console.login"))


def today_start() -> dt.datetime:
    """Midnight today in India, in UTC."""
    now = utcnow().astimezone(IST)
    return dt.datetime.combine(now.date(), dt.time(), tzinfo=IST).astimezone(dt.UTC)


@bp.get("")
@login_required
def home() -> BaseResponse | tuple[str, int]:
    """The to-do count first, then counts: items, items on sale, open orders, orders today, what buyer apps
    refused, and the last sync."""
    who = user()
    if who.is_admin:
        return redirect(url_for("console.operator"))
    assert who.cooperative is not None
    session_db = db()
    cooperative_id = who.cooperative.id
    items = catalogue_store.current_items(session_db, cooperative_id)
    orders = order_store.list_orders(session_db, cooperative_id=cooperative_id, limit=500)
    jobs = sync_store.list_jobs(session_db, cooperative_id, limit=1)
    inbox = load_inbox(session_db, cooperative_id, utcnow())
    counts = {
        "items": len(items), "enabled_items": sum(1 for i in items if i.enabled),
        "orders_open": sum(1 for o in orders if o.state in order_store.OPEN_STATES),
        "orders_today": sum(1 for o in orders if o.created_at >= today_start()),
        "rejections": rejection_store.count_open(session_db, cooperative_id),
        "returns": len(inbox.groups["returns"]),
        "todo": inbox.count, "new": len(inbox.groups["new"]), "pack": len(inbox.groups["pack"]),
    }
    opening = catalogues.profile_of(who.cooperative).opening if who.cooperative.profile else None
    today = utcnow().astimezone(IST).date().isoformat()
    return page("home.html", counts=counts, last_job=jobs[0] if jobs else None, opening=opening, today=today,
                closed_now=bool(opening and opening.in_closure(today)))


@bp.post("/closure")
@login_required
def closure() -> BaseResponse:
    """Close the shop for a while (a festival, winter), or open it again; buyer apps are told at once."""
    who = user()
    if who.cooperative is None:
        return redirect(url_for("console.home"))
    reopen = request.form.get("action") == "reopen"
    starts = (request.form.get("closed_from") or "").strip() or None
    until = (request.form.get("closed_until") or "").strip() or None
    today = utcnow().astimezone(IST).date().isoformat()
    if not reopen and (until is None or until < today):
        flash(gettext("The closure was not saved:") + " " + gettext("give the last closed day, today or later."),
              "error")
        return redirect(url_for("console.home"), 303)
    try:
        with unit_of_work() as session_db:
            cooperative = session_db.get_one(Cooperative, who.cooperative.id)
            catalogues.set_closure(cooperative, starts=None if reopen else starts, until=None if reopen else until,
                                   note=(request.form.get("note") or "").strip()[:200])
    except ProfileError as error:
        reasons = "; ".join(error_text(message) for _, message in error.errors)
        flash(gettext("The closure was not saved:") + " " + reasons, "error")
        return redirect(url_for("console.home"), 303)
    rt = runtime()
    items_changed(rt.celery, rt.sessions, who.cooperative.id, 0)
    flash(gettext("The shop is open again; buyer apps are being told.") if reopen or not until
          else gettext("Closure saved; buyer apps are being told."), "ok")
    return redirect(url_for("console.home"), 303)

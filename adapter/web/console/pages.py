"""The console blueprint and what every page shares: who is signed in, tenant scope, rendering, errors."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, ParamSpec, TypeVar

from flask import Blueprint, abort, g, redirect, render_template, request, session, url_for
from flask.wrappers import Response
from flask_babel import gettext
from markupsafe import escape
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response as BaseResponse

from adapter.errors import AdapterError, NotFoundError
from adapter.security import may_see
from adapter.store import console_sessions
from adapter.store.cooperatives import get_cooperative
from adapter.store.models import Cooperative, Order, utcnow
from adapter.web import languages
from adapter.web.console import csrf, formats, i18n
from adapter.web.errors import log_unexpected, render_http_error
from adapter.web.runtime import db, unit_of_work

bp = Blueprint("console", __name__, url_prefix="/console")
P = ParamSpec("P")
R = TypeVar("R")
# Requests a page's script makes by itself (the to-do count's poll): they are not the member's activity and do not
# keep an idle session alive.
PASSIVE_ENDPOINTS = frozenset({"console.todo_json"})


@dataclass(frozen=True)
class User:
    """Who is signed in to the console: the operator, or one cooperative."""

    is_admin: bool
    cooperative: Cooperative | None = None

    def can_see(self, owner_id: int | None) -> bool:
        """Whether this user may see what belongs to cooperative ``owner_id`` (``adapter.security.may_see``)."""
        own = self.cooperative.id if self.cooperative is not None else None
        return may_see(is_admin=self.is_admin, own_cooperative_id=own, owner_id=owner_id)

    @property
    def label(self) -> str:
        """How the header names the user."""
        return self.cooperative.name if self.cooperative else gettext("operator (admin)")


def current_user() -> User | None:
    """The signed-in user (None when signed out, expired, or the cooperative was disabled).

    The cookie holds only a session id; the server-side row decides (adapter/store/console_sessions.py), so a
    signed-out or expired cookie is worth nothing even if it was copied. Looked up once per request.
    """
    if "console_user" in g:
        found: User | None = g.console_user
        return found
    user = _load_user()
    g.console_user = user
    return user


def _load_user() -> User | None:
    session_id = session.get("sid")
    if not isinstance(session_id, str):
        return None
    with unit_of_work() as db_session:  # touching seen_at, or removing an expired row, is a write
        row = console_sessions.find(db_session, session_id, utcnow(),
                                    touch=request.endpoint not in PASSIVE_ENDPOINTS)
        cooperative_id = row.cooperative_id if row is not None else None
        is_admin = row is not None and cooperative_id is None
    if row is None:
        session.pop("sid", None)
        return None
    if is_admin:
        return User(is_admin=True)
    cooperative = db().get(Cooperative, cooperative_id)
    if cooperative is None or not cooperative.active:
        return None
    return User(is_admin=False, cooperative=cooperative)


def login_required(view: Callable[P, R]) -> Callable[P, R | BaseResponse]:
    """Send signed-out visitors to the sign-in page."""
    @wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R | BaseResponse:
        if current_user() is None:
            return redirect(url_for("console.login", next=request.full_path if request.method == "GET" else None))
        return view(*args, **kwargs)
    return wrapper


def admin_required(view: Callable[P, R]) -> Callable[P, R | BaseResponse]:
    """Operator pages: signed-out -> sign in; a cooperative -> 404 (they do not exist for it)."""
    @wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R | BaseResponse:
        user = current_user()
        if user is None:
            return redirect(url_for("console.login"))
        if not user.is_admin:
            abort(404)
        return view(*args, **kwargs)
    return wrapper


def user() -> User:
    """The signed-in user (views behind login_required only)."""
    found = current_user()
    if found is None:
        abort(401)
    return found


def visible_order(order_pk: int) -> Order:
    """The order, if the signed-in user may see it (404 otherwise, for other tenants too)."""
    order = db().get(Order, order_pk)
    if order is None or not user().can_see(order.cooperative_id):
        abort(404)
    return order


def scope(required: bool = True) -> Cooperative | None:
    """The cooperative a page is about: a cooperative's own; for the operator, ?cooperative=SLUG (or form field).

    A cooperative naming another one gets 404, exactly as if it did not exist.
    """
    who = user()
    slug = request.values.get("cooperative", "")
    if not who.is_admin:
        assert who.cooperative is not None
        if slug and slug != who.cooperative.slug:
            abort(404)
        return who.cooperative
    if not slug:
        if required:
            abort(404)
        return None
    try:
        return get_cooperative(db(), slug)
    except NotFoundError:
        abort(404)


def coop_arg(cooperative: Cooperative) -> dict[str, Any]:
    """The query argument that keeps the operator on the same cooperative across links."""
    return {"cooperative": cooperative.slug} if user().is_admin else {}


def page(template: str, status: int = 200, **context: Any) -> tuple[str, int]:
    """Render a console template."""
    return render_template(f"console/{template}", **context), status


@bp.before_request
def _before() -> None:
    csrf.check()


@bp.context_processor
def _context() -> dict[str, Any]:
    return {"fix": i18n.validation_fix, "lang": languages.current_language(), "csrf_token": csrf.token,
            "languages": languages.available_languages(), "current_user": current_user(),
            "action_label": i18n.action_label, "inr": formats.inr, "day": formats.day,
            "ist": formats.ist, "clock": formats.clock, "state_label": i18n.state_label, "error_text": i18n.error_text,
            "delivery_error": i18n.delivery_error, "sync_label": i18n.sync_label, "event_label": i18n.event_label,
            "actor_label": i18n.actor_label, "message_label": i18n.message_label, "message_word": i18n.message_word,
            "signature_label": i18n.signature_label, "count_label": i18n.count_label}


@bp.app_errorhandler(404)
@bp.app_errorhandler(405)
def _any_console_address(error: HTTPException) -> tuple[str, int] | tuple[Response, int]:
    """A mistyped console address (or a form's address opened directly) gets the console's HTML error page in
    the member's language; every other path keeps the JSON error."""
    if request.path == "/console" or request.path.startswith("/console/"):
        status = error.code or 500
        message = gettext("Not found.") if status in (404, 405) else gettext("Error")
        # Outside the blueprint's routes its context processor does not run: pass the same names.
        return page("error.html", status, message=message, code=status, **_context())
    return render_http_error(error)


@bp.errorhandler(Exception)
def _unexpected(error: Exception) -> tuple[str, int]:
    """A bug behind a console page: logged like any other (with the request id), and the member gets the console's
    error page in their language instead of a JSON body. The service's own errors keep their status."""
    if isinstance(error, HTTPException):
        return _http_error(error)
    if isinstance(error, AdapterError):
        return page("error.html", error.status, message=i18n.error_text(error.message), code=error.status)
    log_unexpected(error)
    message = gettext("Something went wrong on our side. Try again in a minute; if it keeps happening, tell the "
                      "operator.")
    # The page's frame (menu, to-do count) may hit the same bug: then a bare page.
    try:
        return page("error.html", 500, message=message, code=500)
    except Exception as again:  # noqa: BLE001
        log_unexpected(again)
        lang = escape(languages.current_language())
        return (f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><meta name="viewport" '
                f'content="width=device-width, initial-scale=1"><title>{escape(gettext("Error"))}</title></head>'
                f'<body><main><h1>{escape(gettext("Error"))}</h1><p>{escape(message)}</p>'
                f'<p><a href="/console">{escape(gettext("Home"))}</a></p></main></body></html>', 500)


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException) -> tuple[str, int]:
    status = error.code or 500
    messages = {400: gettext("The form was stale or incomplete. Go back, reload and try again."),
                404: gettext("Not found."), 403: gettext("Operators only.")}
    return page("error.html", status, message=messages.get(status) or gettext("Error"), code=status)


@bp.post("/language")
def language() -> BaseResponse:
    """The language toggle: stored in the session, then back to where the user was."""
    languages.choose_language(request.form.get("lang", ""))
    target = request.form.get("next", "")
    return redirect(target if target.startswith("/console") and target.isprintable() else url_for("console.home"))

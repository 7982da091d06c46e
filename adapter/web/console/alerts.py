"""The alerts page: how the cooperative hears of new orders, returns and complaints, a test, and the last alerts.

A cooperative sets its own; the operator picks a cooperative (?cooperative=SLUG), as on the syncs page.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from flask import current_app, flash, redirect, request, url_for
from flask_babel import gettext, lazy_gettext, ngettext
from werkzeug.wrappers import Response as BaseResponse

from adapter.alerts import checks, service
from adapter.alerts import store as alert_store
from adapter.alerts.model import KINDS, SIGNATURE_HEADER
from adapter.store.cooperatives import list_cooperatives
from adapter.store.models import AlertMessage, Cooperative, utcnow
from adapter.web import languages
from adapter.web.console.i18n import LazyString
from adapter.web.console.pages import bp, coop_arg, login_required, page, scope
from adapter.web.runtime import db, runtime, unit_of_work

KIND_LABELS: dict[str, LazyString] = {
    "new_order": lazy_gettext("A new order"),
    "return_requested": lazy_gettext("A buyer asks to return an order"),
    "issue_raised": lazy_gettext("A buyer raises a complaint"),
    "shipping_failed": lazy_gettext("A courier could not be booked"),
    "test": lazy_gettext("Test alert"),
}
CHANNEL_LABELS: dict[str, LazyString] = {"webhook": lazy_gettext("Webhook"), "email": lazy_gettext("Email")}


def _(message: str, **values: object) -> str:
    """gettext, typed."""
    return str(gettext(message, **values))


@dataclass
class Form:
    """What the member typed, kept to show again beside the errors."""

    webhook_url: str = ""
    email: str = ""
    kinds: tuple[str, ...] = ()
    language: str = "en"


def plain_reason(reason: str | None) -> str:
    """Why an alert did not arrive, in the member's words (the technical reason stays in the log)."""
    text = reason or ""
    status = re.search(r"HTTP (\d{3})", text)
    if "turned the" in text and "off" in text:
        return _("This way of sending was turned off before the alert went out.")
    if "not set up on this server" in text:
        return _("Email alerts are not set up on this server; ask the operator.")
    if "refused the address" in text:
        return _("The mail server refused the email address.")
    if "mail server" in text:
        return _("The mail server could not be reached or refused the alert; ask the operator.")
    if "does not resolve" in text:
        return _("Your webhook's address could not be found (DNS).")
    if "timeout" in text:
        return _("Your webhook's server did not answer in time.")
    if "connection" in text:
        return _("Your webhook's server could not be reached: it may be down.")
    if status:
        return _("Your webhook's server answered with error %(status)s.", status=status.group(1))
    if "webhook" in text:
        return _("The webhook address is not allowed: alerts are never sent to private or local addresses.")
    return _("It could not be sent.")


def status_label(row: AlertMessage) -> str:
    """Where one alert stands, in words."""
    if row.status == "sent":
        return _("Delivered")
    if row.status == "failed":
        return _("Not delivered")
    return str(ngettext("Waiting to be sent (tried %(num)s time)", "Waiting to be sent (tried %(num)s times)",
                        row.attempts))


def _settings_page(cooperative: Cooperative, form: Form, *, errors: list[str] | None = None,
                   secret: str | None = None, status: int = 200) -> tuple[str, int]:
    row = alert_store.get_settings(db(), cooperative.id)
    return page("alerts.html", status, cooperative=cooperative, form=form, errors=errors or [], secret=secret,
                has_secret=bool(row and row.webhook_secret), kinds=KINDS, kind_labels=KIND_LABELS,
                channel_labels=CHANNEL_LABELS, recent=alert_store.recent(db(), cooperative.id),
                email_ready=_email_ready(), extra=coop_arg(cooperative),
                choices=[], signature_header=SIGNATURE_HEADER, status_label=status_label,
                plain_reason=plain_reason, languages_available=languages.available_languages())


def _saved_form(cooperative: Cooperative) -> Form:
    row = alert_store.get_settings(db(), cooperative.id)
    if row is None:
        return Form(kinds=KINDS, language=languages.current_language())
    return Form(webhook_url=row.webhook_url or "", email=row.email or "", kinds=tuple(row.kinds or ()),
                language=row.language)


@bp.get("/alerts")
@login_required
def alerts() -> tuple[str, int]:
    """The settings form, the test button and the last alerts."""
    cooperative = scope(required=False)
    if cooperative is None:  # the operator has not picked a cooperative yet
        return page("alerts.html", cooperative=None, choices=list_cooperatives(db()))
    return _settings_page(cooperative, _saved_form(cooperative))


def _url_problem(url: str) -> str | None:
    settings = runtime().settings
    problem = checks.webhook_problem(url, allow_private=settings.allow_private_callbacks,
                                     require_https=settings.environment == "production")
    if problem is None:
        return None
    return {"too_long": _("The webhook address is too long."),
            "malformed_url": _("The webhook address is not a valid web address: remove spaces and line breaks."),
            "unresolvable": _("The webhook address's host name could not be found. Check it for typing mistakes."),
            "unsafe": _("The webhook address is not allowed: alerts are never sent to private or local addresses, "
                        "and the address may not hold a user name or password."),
            }.get(problem, _("The webhook address must start with https://"))


def _email_problem(address: str) -> str | None:
    problem = checks.email_problem(address, email_ready=_email_ready())
    if problem is None:
        return None
    if problem == "not_set_up":
        return _("Email alerts are not set up on this server; ask the operator.")
    return _("The email address does not look right: write it like name@example.org")


def _email_ready() -> bool:
    settings = runtime().settings
    return bool(settings.smtp_host and settings.smtp_from)


def _read_form() -> tuple[Form, list[str]]:
    codes = languages.available_codes(current_app)
    chosen_language = request.form.get("language", "")
    form = Form(webhook_url=request.form.get("webhook_url", "").strip(),
                email=request.form.get("email", "").strip(),
                kinds=tuple(kind for kind in KINDS if kind in request.form.getlist("kinds")),
                language=chosen_language if chosen_language in codes else languages.current_language())
    problems = [_url_problem(form.webhook_url) if form.webhook_url else None,
                _email_problem(form.email) if form.email else None]
    return form, [problem for problem in problems if problem is not None]


@bp.post("/alerts")
@login_required
def save_alerts() -> BaseResponse | tuple[str, int]:
    """Save the choice; a bad address is shown again with what is wrong, and nothing is saved."""
    cooperative = scope()
    assert cooperative is not None
    form, errors = _read_form()
    if errors:
        return _settings_page(cooperative, form, errors=errors, status=422)
    with unit_of_work() as session:
        _saved, secret = alert_store.save_settings(
            session, cooperative.id, webhook_url=form.webhook_url or None, email=form.email or None,
            kinds=form.kinds, language=form.language, new_webhook_secret=request.form.get("new_secret") == "on",
            now=utcnow())
    flash(_("Alert settings saved."), "ok")
    if secret is not None:  # shown in this answer, this once: no later page shows it again
        return _settings_page(cooperative, form, secret=secret)
    return redirect(url_for("console.alerts", **coop_arg(cooperative)), 303)


@bp.post("/alerts/test")
@login_required
def test_alert() -> BaseResponse:
    """Send a test alert on each chosen channel now, and say what happened on each."""
    cooperative = scope()
    assert cooperative is not None
    rt = runtime()
    try:
        attempts = service.send_test(rt.sessions, cooperative.id,
                                     service.deps_from_settings(rt.settings, rt.celery.http),
                                     service.DeliveryPolicy.from_settings(rt.settings), now=utcnow, rng=random.random)
    except service.TestTooSoon as wait:
        flash(_("A test alert was just sent: try again in %(seconds)s seconds.", seconds=wait.seconds), "error")
        return redirect(url_for("console.alerts", **coop_arg(cooperative)), 303)
    if not attempts:
        flash(_("Nothing to test: give a webhook address or an email address first, and save."), "error")
    for attempt in attempts:
        channel = str(CHANNEL_LABELS.get(attempt.channel, attempt.channel))
        if attempt.outcome == "sent":
            flash(_("%(channel)s: the test alert was delivered.", channel=channel), "ok")
        else:
            flash(_("%(channel)s: the test alert was not delivered. %(reason)s", channel=channel,
                          reason=plain_reason(attempt.reason)), "error")
    return redirect(url_for("console.alerts", **coop_arg(cooperative)), 303)

"""The artisan payouts page: what each artisan's items earned in a month (or between two days), net of returns,
the buyer app's fee and taxes and the cooperative's share; what the buyer apps paid so far and still owe for them;
and the accountant's two CSV files (one line per artisan, one per artisan and order line).

A cooperative sees its own; the operator picks a cooperative (?cooperative=SLUG), as on the syncs page. A period
that cannot be read is said so in the reader's language (HTTP 400), and nothing is shown for it.
"""

from __future__ import annotations

from decimal import Decimal

from flask import Response, request
from flask_babel import lazy_gettext

from adapter.money import export
from adapter.money.ledger import IST, Rates
from adapter.money.payouts import CHARGES, NO_ARTISAN, Period, PeriodError, Report, parse_period
from adapter.money.service import artisan_payouts
from adapter.store.cooperatives import list_cooperatives
from adapter.store.models import Cooperative, utcnow
from adapter.web.console import formats
from adapter.web.console.i18n import LazyString
from adapter.web.console.pages import bp, coop_arg, login_required, page, scope, user
from adapter.web.runtime import db, runtime
from catalog_sync.model import Profile

PERIOD_ERRORS: dict[str, LazyString] = {
    "not_a_month": lazy_gettext("“%(value)s” is not a month. Choose a month from the list."),
    "not_a_date": lazy_gettext("“%(value)s” is not a date. Choose the days with the date picker."),
    "out_of_range": lazy_gettext("Choose days between the years 2000 and 2099."),
    "half": lazy_gettext("Choose both the first and the last day, or choose a month."),
    "both": lazy_gettext("Choose a month, or a first and a last day, not both."),
    "backwards": lazy_gettext("The last day is before the first day. Choose a last day on or after the first."),
    "too_long": lazy_gettext("Choose at most 366 days at a time."),
}


def share_percent(cooperative: Cooperative) -> Decimal:
    """What the cooperative keeps of its artisans' earnings (its profile's cooperative_share_percent; 0 without
    a profile)."""
    return Profile.from_dict(cooperative.profile).cooperative_share_percent if cooperative.profile else Decimal(0)


def period_text(error: PeriodError) -> str:
    """Why the period cannot be read, in the reader's language."""
    return str(PERIOD_ERRORS[error.code]) % {"value": error.value}


def period_label(period: Period) -> str:
    """``March 2030``, or ``1 Mar 2030 to 15 Mar 2030`` (joined by an en dash), in the reader's language."""
    month = period.as_month
    return formats.month(month) if month else f"{formats.day(period.first)} \u2013 {formats.day(period.last)}"


def _period() -> Period:
    args = request.args
    return parse_period(args.get("month"), args.get("from"), args.get("to"), utcnow().astimezone(IST).date())


def _report(cooperative: Cooperative, period: Period) -> Report:
    return artisan_payouts(db(), cooperative.id, period, share_percent(cooperative),
                           Rates.from_settings(runtime().settings), utcnow())


@bp.get("/money/artisans")
@login_required
def payouts() -> tuple[str, int]:
    """Each artisan's row for the period chosen (this month by default), with the totals and the two CSV files."""
    cooperative = scope(required=False)
    choices = list_cooperatives(db()) if user().is_admin else []
    form = {name: request.args.get(name, "")[:40] for name in ("month", "from", "to")}
    if cooperative is None:
        return page("payouts.html", cooperative=None, choices=choices, report=None, form=form)
    extra = coop_arg(cooperative)
    try:
        period = _period()
    except PeriodError as error:
        return page("payouts.html", 400, cooperative=cooperative, choices=choices, report=None, form=form,
                    extra=extra, error=period_text(error))
    report = _report(cooperative, period)
    asked = {"from": period.first.isoformat(), "to": period.last.isoformat()}
    month = period.as_month
    return page("payouts.html", cooperative=cooperative, choices=choices, report=report, extra=extra,
                form={"month": month or "", **(asked if month is None else {"from": "", "to": ""})},
                period_label=period_label(period), file_args=extra | ({"month": month} if month else asked),
                percent=f"{report.share_percent.normalize():f}", charges=CHARGES, no_artisan=NO_ARTISAN)


def _csv(body: str, name: str) -> Response:
    return Response(body, mimetype="text/csv", headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _file_period() -> Period | tuple[str, int]:
    try:
        return _period()
    except PeriodError as error:
        return page("error.html", 400, message=period_text(error), code=400)


@bp.get("/money/artisans.csv")
@login_required
def payouts_csv() -> Response | tuple[str, int]:
    """The accountant's file: one line per artisan (and for items naming none, and the orders' own charges)."""
    cooperative = scope()
    assert cooperative is not None
    period = _file_period()
    if not isinstance(period, Period):
        return period
    body = export.payouts_csv(_report(cooperative, period), cooperative.slug)
    return _csv(body, f"artisan-payouts-{cooperative.slug}-{period.first}-{period.last}.csv")


@bp.get("/money/artisans/lines.csv")
@login_required
def payout_lines_csv() -> Response | tuple[str, int]:
    """Every order line behind the payouts, one line each (``?row=`` keeps one artisan's)."""
    cooperative = scope()
    assert cooperative is not None
    period = _file_period()
    if not isinstance(period, Period):
        return period
    key = request.args.get("row") or None
    body = export.payout_lines_csv(_report(cooperative, period), cooperative.slug, key)
    return _csv(body, f"artisan-payout-lines-{cooperative.slug}-{period.first}-{period.last}.csv")

"""The money page: what each order earned, what the buyer app kept and paid, and what is due or wrong; the
accountant's CSV; and the small Money block of an order's page.

A cooperative sees its own orders; the operator sees every cooperative's (or one, ?cooperative=SLUG). Orders
that need a look come first: overdue, paid short, paid too much, figures the buyer app disputes.
"""

from __future__ import annotations

from typing import Any

from flask import Response
from flask_babel import lazy_gettext, lazy_pgettext

from adapter.money import export
from adapter.money import store as money_store
from adapter.money.ledger import Ledger, Rates, attention_order
from adapter.store.models import Cooperative, Order, utcnow
from adapter.web.console import formats
from adapter.web.console.i18n import LazyString
from adapter.web.console.pages import bp, coop_arg, login_required, page, scope, user
from adapter.web.runtime import db, runtime

# How many orders the page lists (the CSV has them all).
SHOWN = 200

STATE_LABELS: dict[str, LazyString] = {
    "overdue": lazy_pgettext("money", "Overdue"),
    "paid_short": lazy_pgettext("money", "Paid short"),
    "overpaid": lazy_pgettext("money", "Paid too much"),
    "disputed": lazy_pgettext("money", "Buyer app's figures differ"),
    "due": lazy_pgettext("money", "Due today"),
    "not_due": lazy_pgettext("money", "Not due yet"),
    "seller_collected": lazy_pgettext("money", "Payment collected by us"),
    "nothing_due": lazy_pgettext("money", "Nothing to settle"),
    "paid": lazy_pgettext("money", "Paid in full"),
}
REFUND_LABELS: dict[str, LazyString] = {
    "part_cancel": lazy_gettext("Items cancelled"),
    "return": lazy_gettext("Return"),
    "rto": lazy_gettext("Not delivered, coming back"),
    "cancel": lazy_gettext("Order cancelled"),
    "other": lazy_gettext("Other refund"),
}
BASIS_LABELS: dict[str, LazyString] = {
    "delivery": lazy_gettext("After delivery (not delivered yet)"),
    "shipment": lazy_gettext("After pick-up (not picked up yet)"),
    "return_window_expiry": lazy_gettext("After the return window (not delivered yet)"),
}
FIGURE_LABELS: dict[str, LazyString] = {
    "amount": lazy_gettext("Settlement"),
    "commission": lazy_gettext("Finder fee with GST"),
    "withholding_amount": lazy_gettext("Withheld"),
    "tcs": lazy_gettext("TCS (GST)"),
    "tds": lazy_gettext("TDS (income tax)"),
}


def _rates() -> Rates:
    return Rates.from_settings(runtime().settings)


def _ledgers(cooperative: Cooperative | None) -> list[Ledger]:
    found = money_store.ledgers(db(), cooperative_id=cooperative.id if cooperative else None, rates=_rates(),
                                now=utcnow())
    return sorted(found, key=attention_order)


@bp.get("/money")
@login_required
def money() -> tuple[str, int]:
    """Summary, mismatches and what is due first, every order's money, and totals per month."""
    cooperative = scope(required=False)
    found = _ledgers(cooperative)
    everyone = db().query(Cooperative).all() if user().is_admin else []
    return page("money.html", cooperative=cooperative, ledgers=found[:SHOWN], more=max(len(found) - SHOWN, 0),
                totals=export.totals(found), months=export.monthly_totals(found),
                names={c.id: c.name for c in everyone}, slugs={c.id: c.slug for c in everyone},
                csv_args=coop_arg(cooperative) if cooperative else {}, month_label=formats.month)


@bp.get("/money.csv")
@login_required
def money_csv() -> Response:
    """The accountant's CSV of the same orders."""
    cooperative = scope(required=False)
    found = _ledgers(cooperative)
    slugs = {c.id: c.slug for c in db().query(Cooperative).all()}
    name = cooperative.slug if cooperative else "all"
    return Response(export.to_csv(found, slugs), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="ledger-{name}-{utcnow():%Y%m%d}.csv"'})


def money_of(order: Order) -> Ledger | None:
    """The ledger of an order the user is looking at (None for a polled marketplace's order)."""
    if order.source != money_store.LEDGER_SOURCE:
        return None
    return money_store.ledger_of(db(), order, _rates(), utcnow())


def _label(table: dict[str, LazyString], code: str) -> str:
    found = table.get(code)
    return str(found) if found is not None else code


@bp.context_processor
def _money_context() -> dict[str, Any]:
    return {"money_of": money_of,
            "money_state": lambda code: _label(STATE_LABELS, code),
            "refund_label": lambda code: _label(REFUND_LABELS, code),
            "basis_label": lambda code: _label(BASIS_LABELS, code),
            "figure_label": lambda code: _label(FIGURE_LABELS, code)}

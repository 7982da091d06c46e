"""The money ledger (docs/money.md): a cooperative's orders with what each earned, what the buyer app kept and
paid, and whether the settlement is due, overdue, paid or mismatched; one order's; the accountant's CSV; and what
each artisan earned in a period (the artisan payouts)."""

from __future__ import annotations

from decimal import Decimal

from flask import Blueprint, Flask, Response, jsonify, request
from marshmallow import Schema, fields

from adapter.errors import InvalidRequestError, NotFoundError
from adapter.money import export
from adapter.money import store as money_store
from adapter.money.ledger import IST, STATES, Ledger, Rates, attention_order
from adapter.money.payouts import KIND_ORDER, PeriodError, parse_period
from adapter.money.service import artisan_payouts
from adapter.store.cooperatives import get_cooperative
from adapter.store.models import Order, utcnow
from adapter.web.api.contract import documented, timestamp
from adapter.web.auth import current_principal, visible_cooperative
from adapter.web.runtime import db, runtime
from catalog_sync.model import Profile

bp = Blueprint("money", __name__, url_prefix="/api/v1")

_AMOUNT = {"example": "948.60", "description": "rupees, two decimals"}


def init_app(app: Flask) -> None:
    """Register the blueprint."""
    app.register_blueprint(bp)


def _amount(**extra: object) -> fields.String:
    return fields.String(required=True, metadata=_AMOUNT | extra)


class RefundOut(Schema):
    """Money taken off the order after confirm."""

    kind = fields.String(required=True, metadata={"enum": ["part_cancel", "return", "rto", "cancel", "other"]})
    ref = fields.String(required=True, metadata={"description": "the fulfilment (R1, C2, ...) or `cancel`"})
    amount = _amount()


class PaymentOut(Schema):
    """A settlement the buyer app reported paid."""

    counterparty = fields.String(required=True, metadata={"example": "seller-app"})
    phase = fields.String(required=True, metadata={"enum": ["sale-amount", "withholding-amount", "refund"]})
    amount = _amount()
    reference = fields.String(allow_none=True, metadata={"example": "UTR0001"})
    at = timestamp()


class ReconOut(Schema):
    """The latest figures the buyer app stated in an RSF recon, and how they differ from ours (theirs - ours)."""

    status = fields.String(required=True, metadata={"enum": ["PENDING", "SETTLED", "TO_BE_INITIATED"]})
    received_at = timestamp(required=True)
    settlement_ref = fields.String(allow_none=True)
    figures = fields.Dict(keys=fields.String(), values=fields.String(), required=True)
    differences = fields.Dict(keys=fields.String(), values=fields.String(), required=True)


class LedgerOut(Schema):
    """One order's money: value, refunds, the buyer app's deductions, the settlement expected and received."""

    order_pk = fields.Integer(required=True)
    order_id = fields.String(required=True)
    bap_id = fields.String(required=True)
    created_at = timestamp(required=True)
    state = fields.String(required=True, metadata={"enum": list(STATES)})
    value = _amount(description="the order value as confirmed")
    refunds = fields.List(fields.Nested(RefundOut), required=True)
    net_value = _amount(description="value less refunds: today's quote total")
    gst_in_quote = _amount()
    net_taxable_value = _amount()
    finder_fee = _amount()
    gst_on_fee = _amount()
    withholding = _amount()
    tcs = _amount()
    tds = _amount()
    expected = _amount(description="the sale-amount settlement the buyer app owes")
    settlement_basis = fields.String(required=True, metadata={"enum": ["delivery", "shipment",
                                                                       "return_window_expiry"]})
    settlement_window = fields.String(allow_none=True, metadata={"example": "P1D"})
    basis_at = timestamp()
    due_at = timestamp()
    received = _amount()
    difference = _amount(description="received less expected: negative when paid short")
    withholding_released = _amount()
    refunded_to_buyer = _amount()
    payments = fields.List(fields.Nested(PaymentOut), required=True)
    terms_problems = fields.List(fields.String(), required=True, metadata={
        "description": "payment terms that could not be read (and were assumed: docs/money.md)"})
    recon = fields.Nested(ReconOut, allow_none=True)


class TotalsOut(Schema):
    """Sums over orders, and how many are in each state."""

    orders = fields.Integer(required=True)
    mismatches = fields.Integer(required=True, metadata={"description": "overdue, paid short, overpaid, disputed"})
    states = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    value = _amount()
    refunded = _amount()
    net = _amount()
    fee = _amount()
    fee_gst = _amount()
    withholding = _amount()
    tcs = _amount()
    tds = _amount()
    expected = _amount()
    received = _amount()
    difference = _amount()


class MonthOut(TotalsOut):
    """The totals of the orders placed in one month (IST)."""

    month = fields.String(required=True, metadata={"example": "2026-12"})


class LedgerList(Schema):
    """A cooperative's ledger: mismatches first, then what is due, then the rest; totals overall and per month."""

    cooperative = fields.String(required=True)
    totals = fields.Nested(TotalsOut, required=True)
    months = fields.List(fields.Nested(MonthOut), required=True)
    orders = fields.List(fields.Nested(LedgerOut), required=True)


class LedgerQuery(Schema):
    """Keep only orders in one state."""

    state = fields.String(metadata={"enum": list(STATES)})


def _ledgers(slug: str) -> tuple[str, list[Ledger]]:
    current_principal()
    cooperative = visible_cooperative(get_cooperative(db(), slug))
    state = request.args.get("state")
    if state is not None and state not in STATES:
        raise InvalidRequestError(f"state must be one of {', '.join(STATES)}", details={"state": [state]})
    found = money_store.ledgers(db(), cooperative_id=cooperative.id, rates=Rates.from_settings(runtime().settings),
                                now=utcnow())
    if state is not None:
        found = [ledger for ledger in found if ledger.state == state]
    return cooperative.slug, sorted(found, key=attention_order)


@documented("A cooperative's money ledger", query=LedgerQuery, responses={200: LedgerList})
@bp.get("/cooperatives/<slug>/ledger")
def ledger(slug: str) -> Response:
    """Every ONDC order's money, mismatches first (overdue, paid short, overpaid, disputed by the buyer app's recon),
    with totals overall and per month of ordering (?state= keeps one state)."""
    name, found = _ledgers(slug)
    return jsonify({"cooperative": name, "totals": export.totals_json(export.totals(found)),
                    "months": [{"month": month, **export.totals_json(sums)}
                               for month, sums in export.monthly_totals(found)],
                    "orders": [export.ledger_json(led) for led in found]})


@documented("The ledger as CSV", query=LedgerQuery, responses={200: "csv"})
@bp.get("/cooperatives/<slug>/ledger.csv")
def ledger_csv(slug: str) -> Response:
    """The accountant's file: one line per order, amounts in rupees, days in IST (docs/money.md lists the columns)."""
    name, found = _ledgers(slug)
    body = export.to_csv(found, {led.cooperative_id: name for led in found})
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="ledger-{name}-{utcnow():%Y%m%d}.csv"'})


@documented("One order's money", responses={200: LedgerOut})
@bp.get("/orders/<int:order_pk>/ledger")
def order_ledger(order_pk: int) -> Response:
    """One order's ledger (another cooperative's order answers 404)."""
    principal = current_principal()
    order = db().get(Order, order_pk)
    if order is None or not principal.can_see(order.cooperative_id) or order.source != money_store.LEDGER_SOURCE:
        raise NotFoundError(f"no order {order_pk} with a ledger")
    found = money_store.ledger_of(db(), order, Rates.from_settings(runtime().settings), utcnow())
    return jsonify(export.ledger_json(found))


class PayoutFigures(Schema):
    """An artisan's (or a line's) money: sales, returns, the buyer app's deductions, the cooperative's share."""

    gross_sales = _amount(description="the line values as confirmed")
    returns_and_cancellations = _amount()
    net_sales = _amount(description="gross sales less returns and cancellations")
    finder_fee = _amount(description="its pro rata share of each order's finder fee")
    gst_on_fee = _amount()
    tcs = _amount()
    tds = _amount()
    earned = _amount(description="net sales less the fee, its GST, TCS and TDS (withholding is not a deduction)")
    cooperative_share = _amount(description="what the cooperative keeps: its profile's cooperative_share_percent")
    owed_to_artisan = _amount(description="earned less the cooperative's share")
    received_so_far = _amount(description="its share of what the buyer apps paid (sale amount, withholding released)")
    still_expected = _amount(description="earned less received so far (negative: paid more than expected)")


class PayoutLineOut(PayoutFigures):
    """One order line of an artisan (or an order's own charges)."""

    order_pk = fields.Integer(required=True)
    order_id = fields.String(required=True)
    bap_id = fields.String(required=True)
    ordered_at = timestamp(required=True)
    item_id = fields.String(allow_none=True, metadata={"description": "null for the order's own charges"})
    item = fields.String(required=True, metadata={"description": "the item's title as quoted"})
    artisan_from = fields.String(allow_none=True, metadata={
        "enum": ["order", "catalogue"],
        "description": "the artisan as the order kept it when placed, or as the catalogue names the item today"})
    quantity_ordered = fields.Integer(required=True)
    quantity_kept = fields.Integer(required=True)


class PayoutRowOut(PayoutFigures):
    """One artisan's sums over the period (or the row of items naming no artisan, or the orders' own charges)."""

    row = fields.String(required=True, metadata={"enum": list(KIND_ORDER)})
    artisan = fields.String(allow_none=True, metadata={"example": "Lalita Devi"})
    orders = fields.Integer(required=True)
    items_sold = fields.Integer(required=True)
    lines = fields.List(fields.Nested(PayoutLineOut), required=True)


class PayoutTotalOut(PayoutFigures):
    """The sums of every row: the sums of the ledgers of the period's orders."""

    orders = fields.Integer(required=True)
    items_sold = fields.Integer(required=True)


class PayoutsOut(Schema):
    """What each artisan earned from the orders placed in a period (IST days, both included)."""

    cooperative = fields.String(required=True)
    first = fields.String(required=True, data_key="from", metadata={"format": "date"})
    to = fields.String(required=True, metadata={"format": "date"})
    cooperative_share_percent = fields.String(required=True, metadata={"example": "10"})
    orders = fields.Integer(required=True)
    rows = fields.List(fields.Nested(PayoutRowOut), required=True)
    total = fields.Nested(PayoutTotalOut, required=True)


class PayoutQuery(Schema):
    """The period: a month, or a first and last day (IST, both included); neither: this month."""

    month = fields.String(metadata={"example": "2030-03"})
    first = fields.String(data_key="from", metadata={"format": "date", "example": "2030-03-01"})
    to = fields.String(metadata={"format": "date", "example": "2030-03-31"})

PERIOD_ARGS = ("month", "from", "to")


@documented("What each artisan earned", query=PayoutQuery, responses={200: PayoutsOut}, errors=(422,))
@bp.get("/cooperatives/<slug>/payouts")
def payouts(slug: str) -> Response:
    """Per artisan, from the orders placed in the period: items sold, sales, returns, their share of the buyer app's
    fee and taxes, the cooperative's share, what is owed to them, and what the buyer apps paid and still owe for
    them (docs/money.md, "Artisan payouts"). The totals equal the sums of the orders' ledgers."""
    current_principal()
    cooperative = visible_cooperative(get_cooperative(db(), slug))
    args = {name: request.args.get(name) for name in PERIOD_ARGS}
    try:
        period = parse_period(args["month"], args["from"], args["to"], utcnow().astimezone(IST).date())
    except PeriodError as error:
        named = [n for n in PERIOD_ARGS if error.value and (args[n] or "").strip()[:40] == error.value]
        given = [n for n in PERIOD_ARGS if args[n]]
        fields_named = named or given or ["from", "to"]
        raise InvalidRequestError(str(error), details={n: [str(error)] for n in fields_named}) from None
    share = Profile.from_dict(cooperative.profile).cooperative_share_percent if cooperative.profile else Decimal(0)
    report = artisan_payouts(db(), cooperative.id, period, share, Rates.from_settings(runtime().settings), utcnow())
    return jsonify(export.payouts_json(report, cooperative.slug))

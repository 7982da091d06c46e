"""The money ledger (docs/money.md): a cooperative's orders with what each earned, what the buyer app kept and
paid, and whether the settlement is due, overdue, paid or mismatched; one order's; and the accountant's CSV."""

from __future__ import annotations

from flask import Blueprint, Flask, Response, jsonify, request
from marshmallow import Schema, fields

from adapter.errors import InvalidRequestError, NotFoundError
from adapter.money import export
from adapter.money import store as money_store
from adapter.money.ledger import STATES, Ledger, Rates, attention_order
from adapter.store.cooperatives import get_cooperative
from adapter.store.models import Order, utcnow
from adapter.web.api.contract import documented, timestamp
from adapter.web.auth import current_principal, visible_cooperative
from adapter.web.runtime import db, runtime

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

"""The money ledger of one order, pure: from the order's facts and the tax rates to every figure and a state.

    value              the order value as confirmed (today's quote total plus what was refunded since)
    - refunds          returns, part-cancellations, cancellations and RTO (the quote_trail of each)
    = net value        today's quote total
    - finder fee       the buyer app's fee: a percent of the net taxable value, or a fixed amount
    - GST on the fee   the buyer app's invoice for its fee (FINDER_FEE_GST_PERCENT)
    - withholding      kept back until the return window is over (@ondc/org/withholding_amount)
    - TCS              GST Act s.52, on the net taxable value (TCS_PERCENT)
    - TDS              Income-tax Act s.194-O, on the net taxable value (TDS_PERCENT)
    = expected         the sale-amount settlement the buyer app owes, due at the settlement basis event
                       (delivery, shipment or return window expiry) plus the settlement window

The net taxable value is the net value less the GST lines of the quote (``tax``, ``tax_f``). Every figure is a
``Decimal`` rounded half up to the paisa. Nothing here reads a clock, a database or the network: ``now`` is passed.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from adapter.protocol.context import parse_duration, parse_timestamp

if TYPE_CHECKING:
    from config import Settings

__all__ = ["STATES", "Facts", "Figures", "Ledger", "Paid", "Rates", "ReconClaim", "Refund", "Terms", "build_ledger",
           "money", "rupees"]

PAISA = Decimal("0.01")
ZERO = Decimal("0.00")
HUNDRED = Decimal(100)
IST = dt.timezone(dt.timedelta(hours=5, minutes=30), "IST")

# The states of an order's settlement, most in need of attention first (the views sort by this).
OVERDUE, PAID_SHORT, OVERPAID, DISPUTED, DUE = "overdue", "paid_short", "overpaid", "disputed", "due"
NOT_DUE, SELLER_COLLECTED, NOTHING_DUE, PAID = "not_due", "seller_collected", "nothing_due", "paid"
STATES = (OVERDUE, PAID_SHORT, OVERPAID, DISPUTED, DUE, NOT_DUE, SELLER_COLLECTED, NOTHING_DUE, PAID)
MISMATCHES = frozenset({OVERDUE, PAID_SHORT, OVERPAID, DISPUTED})

BASES = ("delivery", "shipment", "return_window_expiry")
TAX_LINES = frozenset({"tax", "tax_f"})


def money(value: Decimal | int | str) -> Decimal:
    """Rounded half up to the paisa (333.335 -> 333.34)."""
    return Decimal(value).quantize(PAISA, rounding=ROUND_HALF_UP)


def rupees(value: Decimal) -> str:
    """The 2-decimal string ONDC writes amounts in ("-0.00" never)."""
    rounded = money(value)
    return f"{abs(rounded) if rounded == 0 else rounded:.2f}"


# Larger than any order: a buyer app's "9999...9" (ONDC's decimal strings have no length limit) is not an amount,
# and rounding 30 digits to the paisa would overflow the decimal context and fail every ledger of the cooperative.
MAX_AMOUNT = Decimal(10) ** 12


def _amount(value: Any) -> Decimal | None:
    """An amount sent as a string or number; None when it is not one (or is beyond any order's size)."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() and abs(number) < MAX_AMOUNT else None


@dataclass(frozen=True)
class Rates:
    """The tax rates, in percent (docs/money.md: defaults and what they assume)."""

    tcs_percent: Decimal = Decimal("0.5")
    tds_percent: Decimal = Decimal("0.1")
    fee_gst_percent: Decimal = Decimal("18")

    @classmethod
    def from_settings(cls, settings: Settings) -> Rates:
        """The rates configured by TCS_PERCENT, TDS_PERCENT and FINDER_FEE_GST_PERCENT."""
        return cls(tcs_percent=settings.tcs_percent, tds_percent=settings.tds_percent,
                   fee_gst_percent=settings.finder_fee_gst_percent)


@dataclass(frozen=True)
class Terms:
    """The buyer app's payment terms, as confirmed (problems: what could not be read, and what was assumed)."""

    collected_by: str = "BAP"
    fee_type: str = "percent"
    fee: Decimal = ZERO
    withholding: Decimal = ZERO
    basis: str = "delivery"
    window: dt.timedelta = dt.timedelta(0)
    window_text: str = ""
    problems: tuple[str, ...] = ()

    @classmethod
    def from_payment(cls, payment: dict[str, Any]) -> Terms:
        """Read the terms from an order's ``payment`` object; what is missing or unreadable is noted, not fatal."""
        problems: list[str] = []
        fee_type = str(payment.get("@ondc/org/buyer_app_finder_fee_type") or "").lower()
        fee = _amount(payment.get("@ondc/org/buyer_app_finder_fee_amount"))
        if fee_type not in ("percent", "amount") or fee is None or fee < 0 or (fee_type == "percent" and fee > 100):
            problems.append("finder_fee")
            fee_type, fee = "amount", ZERO
        withholding = _amount(payment.get("@ondc/org/withholding_amount", "0"))
        if withholding is None or withholding < 0:
            problems.append("withholding")
            withholding = ZERO
        basis = str(payment.get("@ondc/org/settlement_basis") or "")
        if basis not in BASES:
            problems.append("settlement_basis")
            basis = "delivery"
        window_text = str(payment.get("@ondc/org/settlement_window") or "")
        try:
            window = parse_duration(window_text)
        except (ValueError, OverflowError):
            problems.append("settlement_window")
            window = dt.timedelta(0)
        return cls(collected_by=str(payment.get("collected_by") or "BAP"), fee_type=fee_type, fee=fee,
                   withholding=money(withholding), basis=basis, window=window, window_text=window_text,
                   problems=tuple(problems))


@dataclass(frozen=True)
class Refund:
    """Money taken off the order after it was confirmed: which fulfilment (or the cancellation) and how much."""

    kind: str  # part_cancel | return | rto | cancel
    ref: str
    amount: Decimal


@dataclass(frozen=True)
class Paid:
    """One settlement the buyer app reported as paid (``update`` with update_target payment)."""

    counterparty: str  # seller-app | buyer | ...
    phase: str  # sale-amount | withholding-amount | refund
    amount: Decimal
    reference: str | None
    at: dt.datetime | None


@dataclass(frozen=True)
class Figures:
    """The five figures RSF 2.0 reconciles per order."""

    amount: Decimal
    commission: Decimal
    withholding_amount: Decimal
    tcs: Decimal
    tds: Decimal

    NAMES = ("amount", "commission", "withholding_amount", "tcs", "tds")

    def as_dict(self) -> dict[str, Decimal]:
        """name -> amount, in RSF's order."""
        return {name: getattr(self, name) for name in self.NAMES}

    def texts(self) -> dict[str, str]:
        """name -> the 2-decimal string."""
        return {name: rupees(value) for name, value in self.as_dict().items()}

    @classmethod
    def from_texts(cls, texts: dict[str, Any]) -> Figures:
        """Back from stored strings (a missing or unreadable one counts as 0)."""
        return cls(**{name: money(_amount(texts.get(name)) or 0) for name in cls.NAMES})

    def differences(self, theirs: Figures) -> dict[str, Decimal]:
        """name -> theirs minus ours, for each figure that differs (empty: we agree to the paisa)."""
        ours = self.as_dict()
        return {name: value - ours[name] for name, value in theirs.as_dict().items() if value != ours[name]}


@dataclass(frozen=True)
class ReconClaim:
    """The latest figures a collector stated for this order in an RSF ``recon``."""

    figures: Figures
    status: str
    received_at: dt.datetime
    settlement_ref: str | None = None


@dataclass(frozen=True)
class Facts:
    """Everything one order's ledger is computed from (read by adapter.money.store)."""

    order_pk: int
    order_id: str
    cooperative_id: int
    bap_id: str
    created_at: dt.datetime
    quote: dict[str, Any]
    payment: dict[str, Any]
    legs: list[dict[str, Any]] = field(default_factory=list)
    cancellation: dict[str, Any] | None = None
    shipped_at: dt.datetime | None = None
    delivered_at: dt.datetime | None = None
    return_window: dt.timedelta = dt.timedelta(0)  # the longest of the order's returnable items
    recon: ReconClaim | None = None
    # GST inside the prices, from the order's tax invoice less its credit notes (0 until it is invoiced at pick-up:
    # catalogue prices include GST and the quote has no tax lines of its own).
    included_gst: Decimal = Decimal("0.00")


@dataclass(frozen=True)
class Ledger:
    """One order's money: the figures, the settlement expected and received, and its state."""

    order_pk: int
    order_id: str
    cooperative_id: int
    bap_id: str
    created_at: dt.datetime
    terms: Terms
    value: Decimal
    refunds: tuple[Refund, ...]
    net: Decimal
    tax: Decimal
    taxable: Decimal
    fee: Decimal
    fee_gst: Decimal
    withholding: Decimal
    tcs: Decimal
    tds: Decimal
    expected: Decimal
    basis_at: dt.datetime | None
    due_at: dt.datetime | None
    received: Decimal
    paid: tuple[Paid, ...]
    withholding_released: Decimal
    refunded_to_buyer: Decimal
    state: str
    difference: Decimal  # received minus expected: negative when paid short
    recon: ReconClaim | None
    recon_differences: dict[str, Decimal]

    @property
    def refunded(self) -> Decimal:
        """Everything refunded since confirm."""
        return sum((r.amount for r in self.refunds), ZERO)

    @property
    def commission(self) -> Decimal:
        """The buyer app's fee with its GST: RSF's ``commission``."""
        return self.fee + self.fee_gst

    @property
    def figures(self) -> Figures:
        """Our five RSF figures."""
        return Figures(amount=self.expected, commission=self.commission, withholding_amount=self.withholding,
                       tcs=self.tcs, tds=self.tds)

    @property
    def mismatch(self) -> bool:
        """Whether the cooperative (or the operator) should look at this order's money."""
        return self.state in MISMATCHES

    @property
    def last_paid_at(self) -> dt.datetime | None:
        """When the buyer app last said it paid the sale amount."""
        times = [p.at for p in self.paid if p.phase == "sale-amount" and p.at is not None]
        return max(times) if times else None


def _trail_total(tags: Any) -> Decimal:
    """The sum of the quote_trail values in a list of tag groups (negative: money taken off)."""
    total = ZERO
    for tag in tags if isinstance(tags, list) else []:
        if isinstance(tag, dict) and tag.get("code") == "quote_trail":
            entries = {str(e.get("code")): e.get("value") for e in tag.get("list") or [] if isinstance(e, dict)}
            total += _amount(entries.get("value")) or ZERO
    return total


LEG_KINDS = {"Cancel": "part_cancel", "Return": "return", "RTO": "rto"}


def refunds_of(legs: list[dict[str, Any]], cancellation: dict[str, Any] | None) -> tuple[Refund, ...]:
    """What each fulfilment after confirm (and a cancellation) took off the order, from its quote_trail."""
    found = []
    for leg in legs:
        taken = -_trail_total(leg.get("tags"))
        if taken:
            found.append(Refund(LEG_KINDS.get(str(leg.get("type")), "other"), str(leg.get("id", "")), money(taken)))
    if cancellation:
        taken = -_trail_total(cancellation.get("quote_trail"))
        if taken:
            found.append(Refund("cancel", "cancel", money(taken)))
    return tuple(found)


def settlements_paid(payment: dict[str, Any]) -> tuple[Paid, ...]:
    """The settlements the buyer app reported as PAID, each once (a repeated update is not a second payment)."""
    seen: set[str] = set()
    paid = []
    for entry in payment.get("@ondc/org/settlement_details") or []:
        if not isinstance(entry, dict) or entry.get("settlement_status") != "PAID":
            continue
        amount = _amount(entry.get("settlement_amount"))
        if amount is None or amount < 0:  # not a payment
            continue
        reference = entry.get("settlement_reference")
        key = (f"{entry.get('settlement_counterparty')}|{entry.get('settlement_phase')}|{reference}" if reference
               else json.dumps(entry, sort_keys=True, default=str))
        if key in seen:
            continue
        seen.add(key)
        try:
            at = parse_timestamp(str(entry["settlement_timestamp"])) if entry.get("settlement_timestamp") else None
        except (ValueError, OverflowError):
            at = None
        paid.append(Paid(counterparty=str(entry.get("settlement_counterparty") or ""),
                         phase=str(entry.get("settlement_phase") or ""), amount=money(amount),
                         reference=str(reference) if reference else None, at=at))
    return tuple(paid)


def _quote_total(quote: dict[str, Any]) -> Decimal:
    return money(_amount((quote.get("price") or {}).get("value")) or ZERO)


def _quote_tax(quote: dict[str, Any]) -> Decimal:
    return money(sum((_amount((line.get("price") or {}).get("value")) or ZERO for line in quote.get("breakup") or []
                      if isinstance(line, dict) and line.get("@ondc/org/title_type") in TAX_LINES), ZERO))


def basis_time(terms: Terms, facts: Facts) -> dt.datetime | None:
    """When the settlement basis event happened (None: not yet)."""
    if terms.basis == "shipment":
        return facts.shipped_at
    if terms.basis == "return_window_expiry":
        return facts.delivered_at + facts.return_window if facts.delivered_at else None
    return facts.delivered_at


def _state(terms: Terms, expected: Decimal, received: Decimal, any_paid: bool, disputed: bool,
           due_at: dt.datetime | None, now: dt.datetime) -> str:
    if terms.collected_by == "BPP":
        return SELLER_COLLECTED  # the money came to the seller app: the buyer app is owed its fee instead
    if any_paid:
        return PAID if received == expected else PAID_SHORT if received < expected else OVERPAID
    if disputed:
        return DISPUTED
    if expected <= 0:
        return NOTHING_DUE
    if due_at is None or now < due_at:
        return NOT_DUE
    # Due on the day it falls due (an Indian calendar day); overdue from the next.
    return DUE if now.astimezone(IST).date() == due_at.astimezone(IST).date() else OVERDUE


def build_ledger(facts: Facts, rates: Rates, now: dt.datetime) -> Ledger:
    """Every figure of one order's ledger, and its state at ``now``."""
    terms = Terms.from_payment(facts.payment)
    refunds = refunds_of(facts.legs, facts.cancellation)
    net = _quote_total(facts.quote)
    value = net + sum((r.amount for r in refunds), ZERO)
    tax = _quote_tax(facts.quote) + facts.included_gst
    taxable = max(net - tax, ZERO)
    if net <= 0:  # nothing was sold in the end: no fee, nothing withheld, no tax
        fee = withholding = ZERO
    elif terms.fee_type == "percent":
        fee, withholding = money(taxable * terms.fee / HUNDRED), terms.withholding
    else:
        fee, withholding = money(terms.fee), terms.withholding
    fee_gst = money(fee * rates.fee_gst_percent / HUNDRED)
    tcs = money(taxable * rates.tcs_percent / HUNDRED)
    tds = money(taxable * rates.tds_percent / HUNDRED)
    expected = net - fee - fee_gst - withholding - tcs - tds
    basis_at = basis_time(terms, facts)
    due_at = basis_at + terms.window if basis_at is not None else None
    paid = settlements_paid(facts.payment)
    to_seller = [p for p in paid if p.counterparty == "seller-app"]
    received = sum((p.amount for p in to_seller if p.phase == "sale-amount"), ZERO)
    released = sum((p.amount for p in to_seller if p.phase == "withholding-amount"), ZERO)
    refunded_to_buyer = sum((p.amount for p in paid if p.phase == "refund"), ZERO)
    ours = Figures(amount=expected, commission=fee + fee_gst, withholding_amount=withholding, tcs=tcs, tds=tds)
    differences = ours.differences(facts.recon.figures) if facts.recon is not None else {}
    any_paid = any(p.phase == "sale-amount" for p in to_seller)
    state = _state(terms, expected, received, any_paid, bool(differences), due_at, now)
    return Ledger(order_pk=facts.order_pk, order_id=facts.order_id, cooperative_id=facts.cooperative_id,
                  bap_id=facts.bap_id, created_at=facts.created_at, terms=terms, value=value, refunds=refunds,
                  net=net, tax=tax, taxable=taxable, fee=fee, fee_gst=fee_gst, withholding=withholding, tcs=tcs,
                  tds=tds, expected=expected, basis_at=basis_at, due_at=due_at, received=received, paid=paid,
                  withholding_released=released, refunded_to_buyer=refunded_to_buyer, state=state,
                  difference=received - expected, recon=facts.recon, recon_differences=differences)


def attention_order(ledger: Ledger) -> tuple[int, float]:
    """Sort key: mismatches first (overdue, paid short, overpaid, disputed), then due, then the rest; the oldest
    due date first within a state."""
    due = ledger.due_at.timestamp() if ledger.due_at else float("inf")
    return STATES.index(ledger.state), due

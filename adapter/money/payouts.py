"""Artisan payouts, pure: what each artisan's items earned from the network in a period, from the orders' ledgers.

Every ONDC order placed in the period (its order date in IST) is split into parts: one per item (its ``item``,
``tax`` and ``discount`` lines of the quote) and one for the order's own charges (delivery, packing, convenience
fee, and their tax and discounts). Each part has:

    gross        the line value as confirmed (today's value plus what was refunded since)
    - refunds    the quote_trail of the returns, part-cancellations and cancellation of this line
    = net        today's line value
    - finder fee, GST on the fee, TCS, TDS: the order's deductions, pro rata to the part's net taxable value
    = earned     what the buyer app owes for the part (withholding is timing, not a deduction: it is paid later)
      received   its part of what the buyer app paid (sale amount and withheld money released), pro rata to earned
      still expected: earned less received

A split is exact: each figure of an order's parts adds up to its ledger to the paisa (largest remainders). An
artisan's row adds their parts over the period; the cooperative keeps ``share_percent`` of what the row earned
(rounded half up) and owes the artisan the rest. Items that name no artisan are one row, and the orders' charges
another that the cooperative keeps whole, so the report adds up to the ledgers. docs/money.md: "Artisan payouts".
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

from adapter.money.ledger import HUNDRED, IST, PAISA, TAX_LINES, ZERO, Facts, Ledger, money

__all__ = ["CHARGES", "NO_ARTISAN", "Part", "Period", "PeriodError", "Report", "Row", "Sale", "allocate",
           "build_report", "parse_period", "split_order"]

ITEM_LINES = frozenset({"item", "tax", "discount"})  # quote lines that belong to one item (PROTOCOL.md §7)
ARTISAN, NO_ARTISAN, CHARGES = "artisan", "no_artisan", "order_charges"  # the kinds of row
KIND_ORDER = (ARTISAN, NO_ARTISAN, CHARGES)
# Where a line's artisan came from: the order (as the item was when ordered), the catalogue today, or nowhere.
FROM_ORDER, FROM_CATALOGUE = "order", "catalogue"
FIGURES = ("gross", "refunds", "net", "fee", "fee_gst", "tcs", "tds", "earned", "received", "outstanding",
           "cooperative_share", "owed")
MAX_DAYS = 366  # a financial year, in a leap year
FIRST_YEAR, LAST_YEAR = 2000, 2099
_MONTH_RE = re.compile(r"(\d{4})-(\d{2})")
_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")


def allocate(total: Decimal, weights: Sequence[Decimal]) -> list[Decimal]:
    """``total`` (to the paisa) split pro rata to ``weights``: the shares add up to ``total`` exactly, each within a
    paisa of its exact share, the paise left over going to the largest remainders (then the larger weight, then the
    earlier part). A weight below 0 counts as 0; when every weight is 0, the parts are equal."""
    if not weights:
        if money(total):
            raise ValueError("an amount cannot be split between no parts")
        return []
    clamped = [max(Fraction(w), Fraction(0)) for w in weights]
    if not any(clamped):
        clamped = [Fraction(1)] * len(weights)
    whole = sum(clamped)
    paise = int(money(total) * 100)
    sign, paise = (-1 if paise < 0 else 1), abs(paise)
    exact = [paise * w / whole for w in clamped]
    shares = [math.floor(x) for x in exact]
    by_remainder = sorted(range(len(exact)), key=lambda i: (shares[i] - exact[i], -clamped[i], i))
    for index in by_remainder[:paise - sum(shares)]:
        shares[index] += 1
    return [(Decimal(sign * share) / 100).quantize(PAISA) for share in shares]


def _amount(value: Any) -> Decimal:
    """An amount as the quote writes it (0 for what is not one, as the ledger counts it)."""
    if isinstance(value, bool) or value is None:
        return ZERO
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return ZERO
    return number if number.is_finite() else ZERO


@dataclass(frozen=True)
class Sale:
    """One order of the period: the ledger's facts and figures, and each item's artisan (item id -> (name, where
    the name came from: FROM_ORDER or FROM_CATALOGUE)); an item missing from ``artisans`` names none."""

    facts: Facts
    ledger: Ledger
    artisans: dict[str, tuple[str, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Part:
    """One item line of an order (or the order's charges) and its share of the order's money."""

    kind: str  # ARTISAN | NO_ARTISAN | CHARGES
    artisan: str  # as the catalogue writes it, spaces tidied ("" for the other kinds)
    artisan_from: str  # FROM_ORDER | FROM_CATALOGUE | ""
    order_pk: int
    order_id: str
    bap_id: str
    ordered_at: dt.datetime
    item_id: str  # "" for the order's charges
    title: str
    quantity_ordered: int
    quantity: int  # what the buyer kept
    gross: Decimal
    refunds: Decimal
    net: Decimal
    fee: Decimal
    fee_gst: Decimal
    tcs: Decimal
    tds: Decimal
    earned: Decimal
    received: Decimal
    outstanding: Decimal
    cooperative_share: Decimal = ZERO
    owed: Decimal = ZERO

    @property
    def key(self) -> str:
        """The report row this part belongs to."""
        return row_key(self.kind, self.artisan)

    @property
    def deductions(self) -> Decimal:
        """The finder fee with its GST, TCS and TDS."""
        return self.fee + self.fee_gst + self.tcs + self.tds


def row_key(kind: str, artisan: str = "") -> str:
    """A row's key: ``artisan:<name, case and spaces folded>``, or the kind for the other two rows."""
    return f"{ARTISAN}:{' '.join(artisan.split()).casefold()}" if kind == ARTISAN else kind


@dataclass
class _Lines:
    """The quote lines and quote_trail entries of one part of an order, summed."""

    net: Decimal = ZERO
    taxable: Decimal = ZERO
    refunds: Decimal = ZERO
    item_net: Decimal = ZERO
    item_refunds: Decimal = ZERO
    unit: Decimal = ZERO
    quantity: int = 0
    title: str = ""


def _trail_entries(facts: Facts) -> Iterable[tuple[str, str, Decimal]]:
    """(line type, line id, value) of every quote_trail entry after confirm (negative: money taken off)."""
    groups: list[Any] = []
    for leg in facts.legs:
        if isinstance(leg.get("tags"), list):
            groups += leg["tags"]
    if facts.cancellation and isinstance(facts.cancellation.get("quote_trail"), list):
        groups += facts.cancellation["quote_trail"]
    for tag in groups:
        if isinstance(tag, dict) and tag.get("code") == "quote_trail":
            entries = {str(e.get("code")): e.get("value") for e in tag.get("list") or [] if isinstance(e, dict)}
            yield str(entries.get("type") or ""), str(entries.get("id") or ""), _amount(entries.get("value"))


def _count(line: dict[str, Any]) -> int:
    try:
        return int((line.get("@ondc/org/item_quantity") or {}).get("count") or 0)
    except (TypeError, ValueError):
        return 0


def _lines_of(facts: Facts, ledger: Ledger) -> dict[str, _Lines]:
    """item id (or CHARGES) -> its lines, in the quote's order, the order's charges last."""
    parts: dict[str, _Lines] = {}
    for line in facts.quote.get("breakup") or []:
        if not isinstance(line, dict):
            continue
        kind, item_id = str(line.get("@ondc/org/title_type") or ""), str(line.get("@ondc/org/item_id") or "")
        value = _amount((line.get("price") or {}).get("value"))
        part = parts.setdefault(item_id if kind in ITEM_LINES and item_id else CHARGES, _Lines())
        part.net += value
        part.taxable += ZERO if kind in TAX_LINES else value
        if kind == "item":
            part.item_net += value
            part.quantity = _count(line)
            part.unit = _amount(((line.get("item") or {}).get("price") or {}).get("value"))
            part.title = str(line.get("title") or "")
    for kind, line_id, value in _trail_entries(facts):
        part = parts.setdefault(line_id if kind in ITEM_LINES and line_id else CHARGES, _Lines())
        part.refunds -= value
        part.item_refunds -= value if kind == "item" else ZERO
    # What the lines do not explain (a quote total that is not the sum of its lines) is the order's, so that the
    # parts still add up to the ledger.
    left_net = ledger.net - sum((p.net for p in parts.values()), ZERO)
    left_refunds = ledger.refunded - sum((p.refunds for p in parts.values()), ZERO)
    if left_net or left_refunds:
        charges = parts.setdefault(CHARGES, _Lines())
        charges.net, charges.taxable, charges.refunds = (charges.net + left_net, charges.taxable + left_net,
                                                         charges.refunds + left_refunds)
    if CHARGES in parts:
        parts[CHARGES] = parts.pop(CHARGES)
    return parts


def _ordered(lines: _Lines) -> int:
    """How many were ordered: the line value as confirmed over the unit price (today's count when unclear)."""
    if lines.unit <= 0:
        return lines.quantity
    count = (lines.item_net + lines.item_refunds) / lines.unit
    return int(count) if count == count.to_integral_value() and count >= 0 else lines.quantity


def split_order(sale: Sale) -> list[Part]:
    """An order's money split between its item lines and its own charges, each figure adding up to the ledger."""
    facts, led = sale.facts, sale.ledger
    lines = _lines_of(facts, led)
    keys = list(lines)
    weights = [lines[k].taxable for k in keys]
    fee, fee_gst, tcs, tds = (allocate(total, weights) for total in (led.fee, led.fee_gst, led.tcs, led.tds))
    earned = [lines[k].net - fee[i] - fee_gst[i] - tcs[i] - tds[i] for i, k in enumerate(keys)]
    # Collected by the seller app: the buyer's money is already with the cooperative's side.
    came = sum(earned, ZERO) if led.terms.collected_by == "BPP" else led.received + led.withholding_released
    received = allocate(came, earned)
    parts = []
    for i, key in enumerate(keys):
        line = lines[key]
        if key == CHARGES:
            kind, name, source = CHARGES, "", ""
        else:
            name, source = sale.artisans.get(key, ("", ""))
            name = " ".join(name.split())
            kind, source = (ARTISAN, source) if name else (NO_ARTISAN, "")
        parts.append(Part(
            kind=kind, artisan=name, artisan_from=source, order_pk=led.order_pk, order_id=led.order_id,
            bap_id=led.bap_id, ordered_at=led.created_at, item_id="" if key == CHARGES else key, title=line.title,
            quantity_ordered=_ordered(line), quantity=line.quantity, gross=line.net + line.refunds,
            refunds=line.refunds, net=line.net, fee=fee[i], fee_gst=fee_gst[i], tcs=tcs[i], tds=tds[i],
            earned=earned[i], received=received[i], outstanding=earned[i] - received[i]))
    # The order's charges with nothing in them (free delivery) say nothing.
    return [p for p in parts if p.kind != CHARGES or any(getattr(p, name) for name in FIGURES)]


@dataclass(frozen=True)
class Row:
    """One artisan's (or the no-artisan, or the order charges') sums over the period, with the parts behind them."""

    kind: str
    key: str
    name: str
    orders: int
    quantity: int
    gross: Decimal
    refunds: Decimal
    net: Decimal
    fee: Decimal
    fee_gst: Decimal
    tcs: Decimal
    tds: Decimal
    earned: Decimal
    received: Decimal
    outstanding: Decimal
    cooperative_share: Decimal
    owed: Decimal
    parts: tuple[Part, ...] = ()

    @property
    def deductions(self) -> Decimal:
        """The finder fee with its GST, TCS and TDS."""
        return self.fee + self.fee_gst + self.tcs + self.tds


def _sum_row(kind: str, key: str, name: str, parts: Sequence[Part]) -> Row:
    sums = {figure: sum((getattr(p, figure) for p in parts), ZERO) for figure in FIGURES}
    return Row(kind=kind, key=key, name=name, orders=len({p.order_pk for p in parts}),
               quantity=sum(p.quantity for p in parts), parts=tuple(parts), **sums)


def _row(kind: str, parts: list[Part], share_percent: Decimal) -> Row:
    """A row, the cooperative's share worked out on what the whole row earned and spread over its parts."""
    if kind == CHARGES:
        spread = [p.earned for p in parts]
    else:
        earned = sum((p.earned for p in parts), ZERO)
        spread = allocate(money(earned * share_percent / HUNDRED), [p.earned for p in parts])
    parts = [replace(p, cooperative_share=s, owed=p.earned - s) for p, s in zip(parts, spread, strict=True)]
    return _sum_row(kind, parts[0].key, parts[0].artisan, parts)


@dataclass(frozen=True)
class Period:
    """Calendar days in India, ``first`` to ``last`` included."""

    first: dt.date
    last: dt.date

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        """A calendar month."""
        following = dt.date(year + month // 12, month % 12 + 1, 1)
        return cls(dt.date(year, month, 1), following - dt.timedelta(days=1))

    @property
    def start(self) -> dt.datetime:
        """Midnight in India as the first day begins."""
        return dt.datetime.combine(self.first, dt.time(0), tzinfo=IST)

    @property
    def end(self) -> dt.datetime:
        """Midnight in India as the last day ends (not in the period)."""
        return dt.datetime.combine(self.last + dt.timedelta(days=1), dt.time(0), tzinfo=IST)

    @property
    def as_month(self) -> str | None:
        """``YYYY-MM`` when the period is exactly one calendar month."""
        whole = Period.month(self.first.year, self.first.month)
        return f"{self.first:%Y-%m}" if whole == self else None

    def __contains__(self, moment: dt.datetime) -> bool:
        return self.start <= moment < self.end


PERIOD_PROBLEMS = {"not_a_month": "month must be a month like 2030-03",
                   "not_a_date": "from and to must be dates like 2030-03-31",
                   "out_of_range": f"dates must be in the years {FIRST_YEAR} to {LAST_YEAR}",
                   "half": "give both from and to, or neither",
                   "both": "give a month, or from and to, not both",
                   "backwards": "to must be on or after from",
                   "too_long": f"a period is at most {MAX_DAYS} days"}


class PeriodError(ValueError):
    """A period that cannot be read; ``code`` (a key of PERIOD_PROBLEMS) says why, and the console words it in the
    reader's language."""

    def __init__(self, code: str, value: str = "") -> None:
        super().__init__(PERIOD_PROBLEMS[code] + (f" (not {value[:40]!r})" if value else ""))
        self.code, self.value = code, value[:40]


def _day(text: str) -> dt.date:
    if not _DATE_RE.fullmatch(text):
        raise PeriodError("not_a_date", text)
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise PeriodError("not_a_date", text) from None
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise PeriodError("out_of_range", text)
    return day


def parse_period(month: str | None, start: str | None, end: str | None, today: dt.date) -> Period:
    """The period a person asked for: ``month`` (YYYY-MM), or ``start`` and ``end`` (YYYY-MM-DD, both included);
    neither: the month of ``today`` (India's calendar)."""
    month, start, end = ((value or "").strip() for value in (month, start, end))
    if month and (start or end):
        raise PeriodError("both")
    if start or end:
        if not (start and end):
            raise PeriodError("half")
        first, last = _day(start), _day(end)
        if last < first:
            raise PeriodError("backwards")
        if (last - first).days + 1 > MAX_DAYS:
            raise PeriodError("too_long")
        return Period(first, last)
    if not month:
        return Period.month(today.year, today.month)
    found = _MONTH_RE.fullmatch(month)
    if found is None or not 1 <= int(found.group(2)) <= 12:
        raise PeriodError("not_a_month", month)
    if not FIRST_YEAR <= int(found.group(1)) <= LAST_YEAR:
        raise PeriodError("out_of_range", month)
    return Period.month(int(found.group(1)), int(found.group(2)))


@dataclass(frozen=True)
class Report:
    """What each artisan earned in a period: a row per artisan (by name), then the no-artisan row and the order
    charges' row when there are any, and the totals (which equal the sums of the orders' ledgers)."""

    period: Period
    share_percent: Decimal
    rows: tuple[Row, ...]
    total: Row
    orders: int


def build_report(sales: Iterable[Sale], period: Period, share_percent: Decimal) -> Report:
    """The report of these orders (those ordered outside ``period`` are left out)."""
    groups: dict[str, list[Part]] = {}
    orders = 0
    for sale in sorted(sales, key=lambda s: (s.ledger.created_at, s.ledger.order_pk)):
        if sale.ledger.created_at not in period:
            continue
        orders += 1
        for part in split_order(sale):
            groups.setdefault(part.key, []).append(part)
    rows = sorted((_row(parts[0].kind, parts, share_percent) for parts in groups.values()),
                  key=lambda r: (KIND_ORDER.index(r.kind), r.key))
    total = _sum_row("total", "total", "", [p for row in rows for p in row.parts])
    return Report(period=period, share_percent=share_percent, rows=tuple(rows), total=replace(total, orders=orders),
                  orders=orders)

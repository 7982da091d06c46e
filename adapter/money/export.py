"""The ledger for people: monthly totals, the accountant's CSV, and the artisan payouts' files (pure: ledgers and
reports in, figures and text out)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from adapter.money.ledger import IST, MISMATCHES, ZERO, Ledger, rupees
from adapter.money.payouts import Part, Report, Row

__all__ = ["CSV_COLUMNS", "PAYOUT_COLUMNS", "PAYOUT_LINE_COLUMNS", "Totals", "ledger_json", "monthly_totals",
           "payout_lines_csv", "payouts_csv", "payouts_json", "to_csv", "totals", "totals_json"]

# What the accountant's file holds, one order a line; amounts in rupees with two decimals, times in IST.
CSV_COLUMNS = ("cooperative", "order_id", "buyer_app", "ordered_on", "state", "value", "refunds", "net_value",
               "gst_in_quote", "net_taxable_value", "finder_fee", "gst_on_fee", "withholding", "tcs", "tds",
               "expected", "settlement_basis", "due_on", "received", "difference", "last_paid_on",
               "withholding_released", "refunded_to_buyer", "collector_amount")
SUMMED = ("value", "refunded", "net", "fee", "fee_gst", "withholding", "tcs", "tds", "expected", "received",
          "difference")


@dataclass
class Totals:
    """The sums of some ledgers, and how many orders are in each state."""

    orders: int = 0
    sums: dict[str, Decimal] = field(default_factory=lambda: dict.fromkeys(SUMMED, ZERO))
    states: dict[str, int] = field(default_factory=dict)

    def add(self, ledger: Ledger) -> None:
        """Count one more order."""
        self.orders += 1
        for name in SUMMED:
            self.sums[name] += getattr(ledger, name)
        self.states[ledger.state] = self.states.get(ledger.state, 0) + 1

    @property
    def mismatches(self) -> int:
        """Orders overdue, paid short, overpaid or disputed."""
        return sum(n for state, n in self.states.items() if state in MISMATCHES)


def totals(ledgers: Iterable[Ledger]) -> Totals:
    """The sums of these ledgers."""
    found = Totals()
    for ledger in ledgers:
        found.add(ledger)
    return found


def month_of(ledger: Ledger) -> str:
    """The Indian calendar month the order was placed in, as YYYY-MM."""
    return ledger.created_at.astimezone(IST).strftime("%Y-%m")


def monthly_totals(ledgers: Iterable[Ledger]) -> list[tuple[str, Totals]]:
    """Totals per month of ordering, the latest month first."""
    months: dict[str, Totals] = {}
    for ledger in ledgers:
        months.setdefault(month_of(ledger), Totals()).add(ledger)
    return sorted(months.items(), reverse=True)


def _day(moment: dt.datetime | None) -> str:
    return moment.astimezone(IST).date().isoformat() if moment is not None else ""


def _text(value: str) -> str:
    """A text cell a spreadsheet will not run: ids come from buyer apps, and "=..." would be a formula."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def to_csv(ledgers: Sequence[Ledger], names: dict[int, str]) -> str:
    """The accountant's CSV: one line per order (``names``: cooperative id -> slug)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for led in ledgers:
        writer.writerow([
            _text(names.get(led.cooperative_id, "")), _text(led.order_id), _text(led.bap_id),
            _day(led.created_at), led.state,
            rupees(led.value), rupees(led.refunded), rupees(led.net), rupees(led.tax), rupees(led.taxable),
            rupees(led.fee), rupees(led.fee_gst), rupees(led.withholding), rupees(led.tcs), rupees(led.tds),
            rupees(led.expected), led.terms.basis, _day(led.due_at), rupees(led.received), rupees(led.difference),
            _day(led.last_paid_at), rupees(led.withholding_released), rupees(led.refunded_to_buyer),
            rupees(led.recon.figures.amount) if led.recon else "",
        ])
    return out.getvalue()


def _when(moment: dt.datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def ledger_json(led: Ledger) -> dict[str, object]:
    """One order's ledger as the API answers it: amounts as 2-decimal strings, times in ISO 8601."""
    recon = None
    if led.recon is not None:
        recon = {"status": led.recon.status, "received_at": _when(led.recon.received_at),
                 "settlement_ref": led.recon.settlement_ref, "figures": led.recon.figures.texts(),
                 "differences": {name: rupees(value) for name, value in led.recon_differences.items()}}
    return {
        "order_pk": led.order_pk, "order_id": led.order_id, "bap_id": led.bap_id, "created_at": _when(led.created_at),
        "state": led.state, "value": rupees(led.value),
        "refunds": [{"kind": r.kind, "ref": r.ref, "amount": rupees(r.amount)} for r in led.refunds],
        "net_value": rupees(led.net), "gst_in_quote": rupees(led.tax), "net_taxable_value": rupees(led.taxable),
        "finder_fee": rupees(led.fee), "gst_on_fee": rupees(led.fee_gst), "withholding": rupees(led.withholding),
        "tcs": rupees(led.tcs), "tds": rupees(led.tds), "expected": rupees(led.expected),
        "settlement_basis": led.terms.basis, "settlement_window": led.terms.window_text or None,
        "basis_at": _when(led.basis_at), "due_at": _when(led.due_at), "received": rupees(led.received),
        "difference": rupees(led.difference), "withholding_released": rupees(led.withholding_released),
        "refunded_to_buyer": rupees(led.refunded_to_buyer),
        "payments": [{"counterparty": p.counterparty, "phase": p.phase, "amount": rupees(p.amount),
                      "reference": p.reference, "at": _when(p.at)} for p in led.paid],
        "terms_problems": list(led.terms.problems), "recon": recon,
    }


def totals_json(found: Totals) -> dict[str, object]:
    """Totals as the API answers them."""
    return {"orders": found.orders, "mismatches": found.mismatches, "states": dict(sorted(found.states.items())),
            **{name: rupees(value) for name, value in found.sums.items()}}


# The artisan payouts for the accountant: one line per artisan (and one for items naming none, one for the orders'
# own charges), and one line per artisan and order line.
PAYOUT_COLUMNS = ("cooperative", "from", "to", "row", "artisan", "orders", "items_sold", "gross_sales",
                  "returns_and_cancellations", "net_sales", "finder_fee", "gst_on_fee", "tcs", "tds", "earned",
                  "cooperative_share_percent", "cooperative_share", "owed_to_artisan", "received_so_far",
                  "still_expected")
PAYOUT_LINE_COLUMNS = ("cooperative", "row", "artisan", "artisan_from", "order_id", "buyer_app", "ordered_on",
                       "item_id", "item", "quantity_ordered", "quantity_kept", "gross_sales",
                       "returns_and_cancellations", "net_sales", "finder_fee", "gst_on_fee", "tcs", "tds", "earned",
                       "cooperative_share", "owed_to_artisan", "received_so_far", "still_expected")
_PAYOUT_FIGURES = ("gross", "refunds", "net", "fee", "fee_gst", "tcs", "tds", "earned")
_PAID_FIGURES = ("cooperative_share", "owed", "received", "outstanding")


def _writer() -> tuple[io.StringIO, Any]:
    out = io.StringIO()
    return out, csv.writer(out, lineterminator="\r\n")


def payouts_csv(report: Report, slug: str) -> str:
    """The accountant's CSV of a payouts report: one line per row of the report (totals are the ledger's)."""
    out, writer = _writer()
    writer.writerow(PAYOUT_COLUMNS)
    for row in report.rows:
        writer.writerow([_text(slug), report.period.first.isoformat(), report.period.last.isoformat(), row.kind,
                         _text(row.name), row.orders, row.quantity,
                         *(rupees(getattr(row, name)) for name in _PAYOUT_FIGURES),
                         f"{report.share_percent:f}", *(rupees(getattr(row, name)) for name in _PAID_FIGURES)])
    return out.getvalue()


def payout_lines_csv(report: Report, slug: str, key: str | None = None) -> str:
    """Every order line behind the report (``key``: one row's only), oldest order first."""
    out, writer = _writer()
    writer.writerow(PAYOUT_LINE_COLUMNS)
    for row in report.rows:
        if key is not None and row.key != key:
            continue
        for part in row.parts:
            writer.writerow([_text(slug), part.kind, _text(part.artisan), part.artisan_from, _text(part.order_id),
                             _text(part.bap_id), _day(part.ordered_at), _text(part.item_id), _text(part.title),
                             part.quantity_ordered, part.quantity,
                             *(rupees(getattr(part, name)) for name in _PAYOUT_FIGURES),
                             *(rupees(getattr(part, name)) for name in _PAID_FIGURES)])
    return out.getvalue()


def _figures_json(found: Row | Part) -> dict[str, str]:
    return {"gross_sales": rupees(found.gross), "returns_and_cancellations": rupees(found.refunds),
            "net_sales": rupees(found.net), "finder_fee": rupees(found.fee), "gst_on_fee": rupees(found.fee_gst),
            "tcs": rupees(found.tcs), "tds": rupees(found.tds), "earned": rupees(found.earned),
            "cooperative_share": rupees(found.cooperative_share), "owed_to_artisan": rupees(found.owed),
            "received_so_far": rupees(found.received), "still_expected": rupees(found.outstanding)}


def _part_json(part: Part) -> dict[str, object]:
    return {"order_pk": part.order_pk, "order_id": part.order_id, "bap_id": part.bap_id,
            "ordered_at": _when(part.ordered_at), "item_id": part.item_id or None, "item": part.title,
            "artisan_from": part.artisan_from or None, "quantity_ordered": part.quantity_ordered,
            "quantity_kept": part.quantity, **_figures_json(part)}


def payouts_json(report: Report, slug: str) -> dict[str, object]:
    """A payouts report as the API answers it: amounts as 2-decimal strings, days in India's calendar."""
    return {"cooperative": slug, "from": report.period.first.isoformat(), "to": report.period.last.isoformat(),
            "cooperative_share_percent": f"{report.share_percent:f}", "orders": report.orders,
            "rows": [{"row": row.kind, "artisan": row.name or None, "orders": row.orders, "items_sold": row.quantity,
                      **_figures_json(row), "lines": [_part_json(p) for p in row.parts]} for row in report.rows],
            "total": {"orders": report.orders, "items_sold": report.total.quantity, **_figures_json(report.total)}}

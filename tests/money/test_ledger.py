"""The ledger's figures, dates and states, from facts written by hand (no app, no database)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from adapter.money.export import CSV_COLUMNS, monthly_totals, to_csv
from adapter.money.ledger import Facts, Figures, Rates, ReconClaim, Terms, build_ledger, money
from adapter.orders.quote import quote_trail_tag

D = Decimal
NOW = dt.datetime(2030, 1, 10, 6, 0, tzinfo=dt.UTC)  # 11:30 IST
DELIVERED = NOW - dt.timedelta(days=3)


def line(kind: str, item_id: str, value: str, count: int | None = None) -> dict[str, Any]:
    entry: dict[str, Any] = {"@ondc/org/title_type": kind, "@ondc/org/item_id": item_id,
                             "price": {"currency": "INR", "value": value}}
    if count is not None:
        entry["@ondc/org/item_quantity"] = {"count": count}
    return entry


def quote(*lines: dict[str, Any]) -> dict[str, Any]:
    total = sum((D(entry["price"]["value"]) for entry in lines), D(0))
    return {"price": {"currency": "INR", "value": f"{total:.2f}"}, "breakup": list(lines)}


# The cooperative's bank details, as on_init offered them: no status, so no payment.
ACCOUNT = {"settlement_counterparty": "seller-app", "settlement_phase": "sale-amount", "settlement_type": "upi",
           "upi_address": "coop@upi"}


def payment(fee_type: str = "percent", fee: str = "3", *, withholding: str = "10.00", basis: str = "delivery",
            window: str = "P1D", paid: list[dict[str, Any]] | None = None, **extra: Any) -> dict[str, Any]:
    return {"type": "ON-ORDER", "collected_by": "BAP", "status": "PAID",
            "@ondc/org/buyer_app_finder_fee_type": fee_type, "@ondc/org/buyer_app_finder_fee_amount": fee,
            "@ondc/org/withholding_amount": withholding, "@ondc/org/settlement_basis": basis,
            "@ondc/org/settlement_window": window,
            "@ondc/org/settlement_details": [ACCOUNT, *(paid or [])]} | extra


def paid(amount: str, reference: str = "UTR1", phase: str = "sale-amount", counterparty: str = "seller-app",
         at: str = "2030-01-09T10:00:00.000Z") -> dict[str, Any]:
    return {"settlement_counterparty": counterparty, "settlement_phase": phase, "settlement_type": "neft",
            "settlement_amount": amount, "settlement_status": "PAID", "settlement_reference": reference,
            "settlement_timestamp": at}


def facts(q: dict[str, Any], p: dict[str, Any], **changes: Any) -> Facts:
    values: dict[str, Any] = {"order_pk": 1, "order_id": "O-1", "cooperative_id": 7, "bap_id": "buyer.test",
                              "created_at": NOW - dt.timedelta(days=5), "quote": q, "payment": p,
                              "shipped_at": DELIVERED - dt.timedelta(days=1), "delivered_at": DELIVERED}
    return Facts(**(values | changes))


SIMPLE = quote(line("item", "I1", "900.00", 2), line("delivery", "F1", "100.00"))


def test_a_percent_fee_is_a_percent_of_the_net_taxable_value_and_every_deduction_is_rounded_to_the_paisa() -> None:
    ledger = build_ledger(facts(SIMPLE, payment()), Rates(), NOW)
    assert (ledger.value, ledger.net, ledger.taxable) == (D("1000.00"), D("1000.00"), D("1000.00"))
    assert (ledger.fee, ledger.fee_gst, ledger.withholding) == (D("30.00"), D("5.40"), D("10.00"))
    assert (ledger.tcs, ledger.tds) == (D("5.00"), D("1.00"))  # 0.5 % and 0.1 % by default
    assert ledger.expected == D("948.60")  # 1000 - 30 - 5.40 - 10 - 5 - 1
    assert ledger.figures == Figures(amount=D("948.60"), commission=D("35.40"), withholding_amount=D("10.00"),
                                     tcs=D("5.00"), tds=D("1.00"))


def test_an_amount_fee_is_fixed_and_gst_lines_are_not_taxable_value() -> None:
    taxed = quote(line("item", "I1", "1000.00", 1), line("tax", "I1", "180.00"), line("delivery", "F1", "50.00"))
    ledger = build_ledger(facts(taxed, payment("amount", "25", withholding="0")), Rates(), NOW)
    assert (ledger.net, ledger.tax, ledger.taxable) == (D("1230.00"), D("180.00"), D("1050.00"))
    assert (ledger.fee, ledger.fee_gst, ledger.tcs, ledger.tds) == (D("25.00"), D("4.50"), D("5.25"), D("1.05"))
    assert ledger.expected == D("1230.00") - D("25.00") - D("4.50") - D("5.25") - D("1.05")


def test_the_gst_inside_the_prices_from_the_tax_invoice_is_not_taxable_value() -> None:
    # Catalogue prices include GST: once the order is invoiced (at pick-up), the invoice's tax leaves the base.
    ledger = build_ledger(facts(SIMPLE, payment(), included_gst=D("107.14")), Rates(), NOW)
    assert (ledger.net, ledger.tax, ledger.taxable) == (D("1000.00"), D("107.14"), D("892.86"))
    assert (ledger.fee, ledger.tcs, ledger.tds) == (D("26.79"), D("4.46"), D("0.89"))
    assert ledger.expected == D("1000.00") - D("26.79") - D("4.82") - D("10.00") - D("4.46") - D("0.89")


def test_rounding_is_half_up_per_figure_and_the_rates_are_settings() -> None:
    odd = quote(line("item", "I1", "333.35", 1))
    ledger = build_ledger(facts(odd, payment(withholding="0")), Rates(), NOW)
    assert (ledger.fee, ledger.fee_gst, ledger.tcs, ledger.tds) == (D("10.00"), D("1.80"), D("1.67"), D("0.33"))
    assert ledger.expected == D("319.55")  # 333.35 - 10.00 - 1.80 - 1.67 - 0.33
    old_rates = Rates(tcs_percent=D("1"), tds_percent=D("1"), fee_gst_percent=D("0"))
    before = build_ledger(facts(odd, payment(withholding="0")), old_rates, NOW)
    assert (before.tcs, before.tds, before.fee_gst) == (D("3.33"), D("3.33"), D("0.00"))  # 3.3335 -> 3.33
    assert money("3.335") == D("3.34")


def test_a_returned_item_is_refunded_and_the_deductions_follow_the_net_value() -> None:
    after_return = quote(line("item", "I1", "500.00", 1), line("delivery", "F1", "100.00"))
    leg = {"id": "R1", "type": "Return", "state": "Return_Approved", "refunded": True,
           "tags": [{"code": "return_request", "list": [{"code": "item_id", "value": "I1"}]},
                    quote_trail_tag("item", "I1", D("-500.00"))]}
    ledger = build_ledger(facts(after_return, payment(), legs=[leg]), Rates(), NOW)
    assert [(r.kind, r.ref, r.amount) for r in ledger.refunds] == [("return", "R1", D("500.00"))]
    assert (ledger.value, ledger.refunded, ledger.net) == (D("1100.00"), D("500.00"), D("600.00"))
    assert (ledger.fee, ledger.fee_gst, ledger.tcs, ledger.tds) == (D("18.00"), D("3.24"), D("3.00"), D("0.60"))
    assert ledger.expected == D("600.00") - D("18.00") - D("3.24") - D("10.00") - D("3.00") - D("0.60")


def test_a_part_cancel_and_a_whole_cancel_are_refunds_too() -> None:
    part = {"id": "C1", "type": "Cancel", "state": "Cancelled",
            "tags": [{"code": "cancel_request", "list": [{"code": "reason_id", "value": "002"}]},
                     quote_trail_tag("item", "I2", D("-250.00"))]}
    ledger = build_ledger(facts(SIMPLE, payment(), legs=[part]), Rates(), NOW)
    assert ledger.refunds[0].kind == "part_cancel"
    assert (ledger.value, ledger.net) == (D("1250.00"), D("1000.00"))
    nothing = quote(line("item", "I1", "0.00", 0), line("delivery", "F1", "0.00"))
    cancellation = {"reason_id": "005", "quote_trail": [quote_trail_tag("item", "I1", D("-900.00")),
                                                        quote_trail_tag("delivery", "F1", D("-100.00"))]}
    cancelled = build_ledger(facts(nothing, payment(), cancellation=cancellation, delivered_at=None), Rates(), NOW)
    assert (cancelled.value, cancelled.refunded, cancelled.net) == (D("1000.00"), D("1000.00"), D("0.00"))
    assert (cancelled.fee, cancelled.withholding, cancelled.expected) == (D("0.00"), D("0.00"), D("0.00"))
    assert cancelled.state == "nothing_due"


@pytest.mark.parametrize(("basis", "window", "due"), [
    ("delivery", "P1D", DELIVERED + dt.timedelta(days=1)),
    ("shipment", "PT48H", DELIVERED - dt.timedelta(days=1) + dt.timedelta(hours=48)),
    ("return_window_expiry", "P2D", DELIVERED + dt.timedelta(days=7) + dt.timedelta(days=2)),
])
def test_the_due_date_is_the_basis_event_plus_the_window(basis: str, window: str, due: dt.datetime) -> None:
    ledger = build_ledger(facts(SIMPLE, payment(basis=basis, window=window), return_window=dt.timedelta(days=7)),
                          Rates(), NOW)
    assert ledger.due_at == due
    assert ledger.terms.problems == ()


def test_before_delivery_nothing_is_due_and_the_date_is_unknown() -> None:
    ledger = build_ledger(facts(SIMPLE, payment(), delivered_at=None), Rates(), NOW)
    assert (ledger.due_at, ledger.state) == (None, "not_due")
    shipped = build_ledger(facts(SIMPLE, payment(basis="shipment"), delivered_at=None), Rates(), NOW)
    assert shipped.due_at == DELIVERED - dt.timedelta(days=1) + dt.timedelta(days=1)


def test_not_due_then_due_on_its_indian_day_then_overdue() -> None:
    due = DELIVERED + dt.timedelta(days=1)  # 2030-01-08 06:00 UTC, 11:30 IST
    states = {when: build_ledger(facts(SIMPLE, payment()), Rates(), when).state
              for when in (due - dt.timedelta(minutes=1), due, due + dt.timedelta(hours=12),
                           due + dt.timedelta(hours=13))}
    assert list(states.values()) == ["not_due", "due", "due", "overdue"]  # 18:30 UTC is midnight in India


def test_paid_paid_short_and_overpaid_to_the_paisa_and_a_repeated_update_counts_once() -> None:
    exact = build_ledger(facts(SIMPLE, payment(paid=[paid("948.60"), paid("948.60")])), Rates(), NOW)
    assert (exact.state, exact.received, exact.difference) == ("paid", D("948.60"), D("0.00"))
    assert exact.last_paid_at == dt.datetime(2030, 1, 9, 10, tzinfo=dt.UTC)
    short = build_ledger(facts(SIMPLE, payment(paid=[paid("900.00"), paid("48.59", "UTR2")])), Rates(), NOW)
    assert (short.state, short.received, short.difference) == ("paid_short", D("948.59"), D("-0.01"))
    over = build_ledger(facts(SIMPLE, payment(paid=[paid("950.00")])), Rates(), NOW)
    assert (over.state, over.difference) == ("overpaid", D("1.40"))


def test_withholding_released_and_refunds_to_the_buyer_are_kept_apart_from_the_sale_amount() -> None:
    p = payment(paid=[paid("948.60"), paid("10.00", "UTR2", phase="withholding-amount"),
                      paid("500.00", "RF1", phase="refund", counterparty="buyer"),
                      {**paid("5.00", "UTR3"), "settlement_status": "NOT-PAID"}])
    ledger = build_ledger(facts(SIMPLE, p), Rates(), NOW)
    assert (ledger.received, ledger.withholding_released, ledger.refunded_to_buyer) == (
        D("948.60"), D("10.00"), D("500.00"))
    assert ledger.state == "paid"


def test_a_collector_whose_figures_differ_makes_the_order_disputed_until_it_pays() -> None:
    theirs = Figures(amount=D("950.00"), commission=D("35.40"), withholding_amount=D("10.00"), tcs=D("3.60"),
                     tds=D("1.00"))
    claim = ReconClaim(figures=theirs, status="PENDING", received_at=NOW)
    ledger = build_ledger(facts(SIMPLE, payment(), recon=claim), Rates(), NOW)
    assert ledger.state == "disputed"
    assert ledger.recon_differences == {"amount": D("1.40"), "tcs": D("-1.40")}
    agreed = ReconClaim(figures=ledger.figures, status="PENDING", received_at=NOW)
    assert build_ledger(facts(SIMPLE, payment(), recon=agreed), Rates(), NOW).state == "overdue"
    settled = build_ledger(facts(SIMPLE, payment(paid=[paid("948.60")]), recon=claim), Rates(), NOW)
    assert settled.state == "paid"


def test_unreadable_terms_are_noted_and_a_seller_collected_order_is_not_owed_by_the_buyer_app() -> None:
    terms = Terms.from_payment({"@ondc/org/buyer_app_finder_fee_type": "percent",
                                "@ondc/org/buyer_app_finder_fee_amount": "three",
                                "@ondc/org/settlement_window": "soon"})
    assert set(terms.problems) == {"finder_fee", "settlement_basis", "settlement_window"}
    assert (terms.fee, terms.basis, terms.window) == (D("0.00"), "delivery", dt.timedelta(0))
    ledger = build_ledger(facts(SIMPLE, payment(collected_by="BPP")), Rates(), NOW)
    assert ledger.state == "seller_collected"


def test_monthly_totals_add_up_and_the_csv_has_one_line_per_order() -> None:
    january = build_ledger(facts(SIMPLE, payment(paid=[paid("948.60")])), Rates(), NOW)
    december = build_ledger(facts(SIMPLE, payment(), order_pk=2, order_id="=HYPERLINK(1)",
                                  created_at=dt.datetime(2029, 12, 31, 19, tzinfo=dt.UTC)), Rates(), NOW)
    months = monthly_totals([january, december])
    # 2029-12-31 19:00 UTC is 1 January 00:30 in India: both are January orders.
    assert [month for month, _ in months] == ["2030-01"]
    assert months[0][1].sums["expected"] == D("1897.20")
    assert months[0][1].sums["received"] == D("948.60")
    assert months[0][1].mismatches == 1  # the unpaid one is overdue
    text = to_csv([january, december], {7: "chamba"})
    rows = [row.split(",") for row in text.strip().split("\r\n")]
    assert tuple(rows[0]) == CSV_COLUMNS
    assert len(rows) == 3
    assert rows[2][1] == "'=HYPERLINK(1)"  # a spreadsheet shows it, and never runs it
    assert rows[1][CSV_COLUMNS.index("expected")] == "948.60"


def test_absurd_amounts_from_a_buyer_app_are_noted_not_fatal() -> None:
    # ONDC's decimal strings have no length limit: 30 nines once made rounding to the paisa raise, failing the
    # ledger (and every money page) of the cooperative.
    huge = "9" * 30
    terms = Terms.from_payment({"@ondc/org/buyer_app_finder_fee_type": "amount",
                                "@ondc/org/buyer_app_finder_fee_amount": huge, "@ondc/org/withholding_amount": huge})
    assert {"finder_fee", "withholding"} <= set(terms.problems)
    assert (terms.fee, terms.withholding) == (D("0.00"), D("0.00"))
    # A percent above 100 is no finder fee either.
    assert "finder_fee" in Terms.from_payment({"@ondc/org/buyer_app_finder_fee_type": "percent",
                                               "@ondc/org/buyer_app_finder_fee_amount": "500"}).problems
    # A payment of 30 nines, or below nothing, is not a payment.
    ledger = build_ledger(facts(SIMPLE, payment(paid=[paid(huge), paid("-5.00", "UTR2")])), Rates(), NOW)
    assert (ledger.received, ledger.state) == (D("0.00"), "overdue")
    assert ledger.expected == D("948.60")

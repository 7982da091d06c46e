"""Artisan payouts from facts written by hand (no app, no database): the split of each order to the paisa, returns,
the cooperative's share, the period's edges in India's time, and the accountant's files."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapter.money.export import PAYOUT_COLUMNS, PAYOUT_LINE_COLUMNS, payout_lines_csv, payouts_csv, payouts_json
from adapter.money.ledger import Facts, Ledger, Rates, build_ledger
from adapter.money.payouts import (
    CHARGES,
    NO_ARTISAN,
    Period,
    PeriodError,
    Sale,
    allocate,
    build_report,
    parse_period,
    split_order,
)
from adapter.orders.quote import quote_trail_tag

D = Decimal
NOW = dt.datetime(2030, 3, 20, 6, 0, tzinfo=dt.UTC)
MARCH = Period.month(2030, 3)
SUMMED = ("gross", "refunds", "net", "fee", "fee_gst", "tcs", "tds", "earned", "received", "outstanding")


def item(item_id: str, unit: str, count: int, title: str = "") -> dict[str, Any]:
    return {"@ondc/org/item_id": item_id, "@ondc/org/item_quantity": {"count": count},
            "@ondc/org/title_type": "item", "title": title or item_id,
            "item": {"price": {"currency": "INR", "value": unit}},
            "price": {"currency": "INR", "value": f"{D(unit) * count:.2f}"}}


def charge(kind: str, line_id: str, value: str) -> dict[str, Any]:
    return {"@ondc/org/item_id": line_id, "@ondc/org/title_type": kind, "title": kind,
            "price": {"currency": "INR", "value": value}}


def quote(*lines: dict[str, Any]) -> dict[str, Any]:
    total = sum((D(line["price"]["value"]) for line in lines), D(0))
    return {"price": {"currency": "INR", "value": f"{total:.2f}"}, "breakup": list(lines)}


def terms(fee: str = "3", fee_type: str = "percent", withholding: str = "10.00",
          paid: list[tuple[str, str]] | None = None, collected_by: str = "BAP") -> dict[str, Any]:
    details = [{"settlement_counterparty": "seller-app", "settlement_phase": phase, "settlement_amount": amount,
                "settlement_status": "PAID", "settlement_reference": f"UTR-{n}"}
               for n, (phase, amount) in enumerate(paid or [])]
    return {"collected_by": collected_by, "@ondc/org/buyer_app_finder_fee_type": fee_type,
            "@ondc/org/buyer_app_finder_fee_amount": fee, "@ondc/org/withholding_amount": withholding,
            "@ondc/org/settlement_basis": "delivery", "@ondc/org/settlement_window": "P1D",
            "@ondc/org/settlement_details": details}


def sale(q: dict[str, Any], artisans: dict[str, str], *, pk: int = 1, at: dt.datetime = NOW,
         payment: dict[str, Any] | None = None, legs: list[dict[str, Any]] | None = None,
         cancellation: dict[str, Any] | None = None) -> Sale:
    facts = Facts(order_pk=pk, order_id=f"O-{pk}", cooperative_id=7, bap_id="buyer.test", created_at=at, quote=q,
                  payment=payment if payment is not None else terms(), legs=legs or [], cancellation=cancellation)
    return Sale(facts=facts, ledger=build_ledger(facts, Rates(), NOW),
                artisans={k: (v, "order") for k, v in artisans.items()})


def came(led: Ledger) -> Decimal:
    """What the ledger says came in for an order: the sale amount and the withholding released; an order the seller
    app collected itself is all in hand."""
    if led.terms.collected_by == "BPP":
        return led.expected + led.withholding
    return led.received + led.withholding_released


def adds_up(parts: list[Any], led: Ledger) -> None:
    """Every figure of an order's parts adds up to its ledger, to the paisa."""
    total = {name: sum((getattr(p, name) for p in parts), D(0)) for name in SUMMED}
    assert total["gross"] == led.value
    assert total["refunds"] == led.refunded
    assert total["net"] == led.net
    assert (total["fee"], total["fee_gst"], total["tcs"], total["tds"]) == (led.fee, led.fee_gst, led.tcs, led.tds)
    assert total["earned"] == led.expected + led.withholding  # withholding is timing, not a deduction
    assert total["received"] == came(led)
    assert total["outstanding"] == total["earned"] - total["received"]


def test_allocate_gives_the_left_over_paise_to_the_largest_remainders() -> None:
    assert allocate(D("1.00"), [D(1), D(1), D(1)]) == [D("0.34"), D("0.33"), D("0.33")]
    assert allocate(D("-1.00"), [D(1), D(1), D(1)]) == [D("-0.34"), D("-0.33"), D("-0.33")]
    # 10 paise over 1:2:3 is 1.67, 3.33, 5.00: the largest remainder (.67) gets the odd paisa.
    assert allocate(D("0.10"), [D(1), D(2), D(3)]) == [D("0.02"), D("0.03"), D("0.05")]
    assert allocate(D("5.00"), [D(0), D(0)]) == [D("2.50"), D("2.50")]  # nothing to weigh by: equal parts
    assert allocate(D("3.00"), [D(-5), D(1)]) == [D("0.00"), D("3.00")]  # a negative weight counts as none
    assert allocate(D("0"), []) == []
    with pytest.raises(ValueError, match="no parts"):
        allocate(D("1.00"), [])


@settings(max_examples=300, deadline=None)
@given(st.integers(-10_000_000, 10_000_000), st.lists(st.integers(0, 5_000_000), min_size=1, max_size=12))
def test_allocated_shares_add_up_exactly_and_each_is_within_a_paisa(paise: int, weights: list[int]) -> None:
    total = D(paise) / 100
    shares = allocate(total, [D(w) / 100 for w in weights])
    assert sum(shares, D(0)) == total
    whole = sum(weights) or len(weights)
    for share, weight in zip(shares, weights, strict=True):
        exact = D(paise) * D(weight if sum(weights) else 1) / whole / 100
        assert abs(share - exact) < D("0.01")
        assert share == share.quantize(D("0.01"))


@st.composite
def orders(draw: st.DrawFn) -> Sale:
    """A random order: up to five items with or without GST lines, charges, a part-cancel or return, any terms."""
    count = draw(st.integers(1, 5))
    lines: list[dict[str, Any]] = []
    for n in range(count):
        unit = D(draw(st.integers(1, 2_000_000))) / 100
        lines.append(item(f"I{n}", f"{unit:.2f}", draw(st.integers(1, 5))))
        if draw(st.booleans()):
            lines.append(charge("tax", f"I{n}", f"{D(draw(st.integers(0, 50_000))) / 100:.2f}"))
    for kind in draw(st.lists(st.sampled_from(["delivery", "packing", "misc", "tax_f"]), max_size=3, unique=True)):
        lines.append(charge(kind, "F1", f"{D(draw(st.integers(0, 20_000))) / 100:.2f}"))
    if draw(st.booleans()):
        lines.append(charge("discount", "I0", f"-{D(draw(st.integers(0, 100))) / 100:.2f}"))
    q = quote(*lines)
    legs: list[dict[str, Any]] = []
    if draw(st.booleans()):  # fewer of one item: the quote shrinks and the leg's trail says by how much
        first = lines[0]
        gone = draw(st.integers(1, first["@ondc/org/item_quantity"]["count"]))
        taken = D(first["item"]["price"]["value"]) * gone
        first["@ondc/org/item_quantity"] = {"count": first["@ondc/org/item_quantity"]["count"] - gone}
        first["price"] = {"currency": "INR", "value": f"{D(first['price']['value']) - taken:.2f}"}
        q = quote(*lines)
        legs.append({"id": "C1", "type": draw(st.sampled_from(["Cancel", "Return"])),
                     "tags": [quote_trail_tag("item", "I0", -taken)]})
    fee_type = draw(st.sampled_from(["percent", "amount"]))
    fee = f"{D(draw(st.integers(0, 1500))) / 100:.2f}" if fee_type == "percent" else \
        f"{D(draw(st.integers(0, 50_000))) / 100:.2f}"
    paid = [("sale-amount", f"{D(draw(st.integers(0, 5_000_000))) / 100:.2f}")] if draw(st.booleans()) else []
    if draw(st.booleans()):
        paid.append(("withholding-amount", "10.00"))
    names = {f"I{n}": draw(st.sampled_from(["Lalita Devi", "lalita  devi", "Rekha", ""])) for n in range(count)}
    payment = terms(fee, fee_type, f"{D(draw(st.integers(0, 5000))) / 100:.2f}", paid,
                    draw(st.sampled_from(["BAP", "BAP", "BPP"])))
    return sale(q, names, pk=draw(st.integers(1, 10**6)), payment=payment, legs=legs)


@settings(max_examples=300, deadline=None)
@given(orders())
def test_every_order_splits_to_the_paisa_of_its_ledger(order: Sale) -> None:
    parts = split_order(order)
    adds_up(parts, order.ledger)
    assert all(p.kind == CHARGES for p in parts if not p.item_id)


@settings(max_examples=100, deadline=None)
@given(st.lists(orders(), min_size=1, max_size=8, unique_by=lambda s: s.ledger.order_pk),
       st.integers(0, 10_000))
def test_the_report_adds_up_to_the_sum_of_the_ledgers(sales: list[Sale], basis_points: int) -> None:
    report = build_report(sales, MARCH, D(basis_points) / 100)
    ledgers = [s.ledger for s in sales]
    assert report.orders == len(sales)
    assert report.total.net == sum((led.net for led in ledgers), D(0))
    assert report.total.gross == sum((led.value for led in ledgers), D(0))
    assert report.total.earned == sum((led.expected + led.withholding for led in ledgers), D(0))
    assert report.total.received == sum((came(led) for led in ledgers), D(0))
    for row in report.rows:
        assert row.cooperative_share + row.owed == row.earned
        assert sum((p.cooperative_share for p in row.parts), D(0)) == row.cooperative_share
    # An artisan is one row however the catalogue spaced or cased the name.
    assert len([r for r in report.rows if r.name.casefold().split() == ["lalita", "devi"]]) <= 1


TWO_ARTISANS = quote(item("A1", "1000.00", 2, "Chamba Rumal"), item("B1", "600.00", 1, "Kinnauri Shawl"),
                     charge("delivery", "F1", "100.00"))


def test_deductions_are_shared_in_proportion_to_the_line_values() -> None:
    order = sale(TWO_ARTISANS, {"A1": "Lalita Devi", "B1": "Rekha"})
    lalita, rekha, charges = split_order(order)
    # 3 % of 2700 is 81.00 (fee), 14.58 (its GST), 13.50 (TCS), 2.70 (TDS): 2000/2700, 600/2700 and 100/2700.
    assert (lalita.fee, rekha.fee, charges.fee) == (D("60.00"), D("18.00"), D("3.00"))
    assert (lalita.fee_gst, rekha.fee_gst, charges.fee_gst) == (D("10.80"), D("3.24"), D("0.54"))
    assert (lalita.tcs, rekha.tcs, charges.tcs) == (D("10.00"), D("3.00"), D("0.50"))
    assert (lalita.tds, rekha.tds, charges.tds) == (D("2.00"), D("0.60"), D("0.10"))
    assert lalita.earned == D("2000.00") - D("60.00") - D("10.80") - D("10.00") - D("2.00")
    assert (lalita.quantity_ordered, lalita.quantity, lalita.title) == (2, 2, "Chamba Rumal")
    assert charges.kind == CHARGES
    adds_up([lalita, rekha, charges], order.ledger)


def test_a_return_of_one_artisans_line_comes_off_that_artisan_only() -> None:
    returned = quote(item("A1", "1000.00", 1, "Chamba Rumal"), item("B1", "600.00", 1, "Kinnauri Shawl"),
                     charge("delivery", "F1", "100.00"))
    leg = {"id": "R1", "type": "Return", "tags": [quote_trail_tag("item", "A1", D("-1000.00"))]}
    order = sale(returned, {"A1": "Lalita Devi", "B1": "Rekha"}, legs=[leg])
    lalita, rekha, _ = split_order(order)
    assert (lalita.gross, lalita.refunds, lalita.net) == (D("2000.00"), D("1000.00"), D("1000.00"))
    assert (lalita.quantity_ordered, lalita.quantity) == (2, 1)
    assert (rekha.gross, rekha.refunds, rekha.net) == (D("600.00"), D("0.00"), D("600.00"))
    # The fee is worked out on what is left (1700): Rekha's share is 600/1700 of 51.00.
    assert rekha.fee == D("18.00")
    assert order.ledger.refunded == D("1000.00")
    adds_up(split_order(order), order.ledger)


def test_a_whole_cancellation_leaves_nothing_earned() -> None:
    cancelled = quote(item("A1", "1000.00", 0), item("B1", "600.00", 0), charge("delivery", "F1", "0.00"))
    trail = [quote_trail_tag("item", "A1", D("-2000.00")), quote_trail_tag("item", "B1", D("-600.00")),
             quote_trail_tag("delivery", "F1", D("-100.00"))]
    order = sale(cancelled, {"A1": "Lalita Devi"}, cancellation={"quote_trail": trail})
    parts = split_order(order)
    assert [(p.kind, p.gross, p.refunds, p.earned) for p in parts] == [
        ("artisan", D("2000.00"), D("2000.00"), D("0.00")), (NO_ARTISAN, D("600.00"), D("600.00"), D("0.00")),
        (CHARGES, D("100.00"), D("100.00"), D("0.00"))]
    adds_up(parts, order.ledger)


def test_money_received_is_shared_in_proportion_to_what_each_line_earned() -> None:
    order = sale(TWO_ARTISANS, {"A1": "Lalita Devi", "B1": "Rekha"},
                 payment=terms(paid=[("sale-amount", "2000.00"), ("withholding-amount", "10.00")]))
    parts = split_order(order)
    assert sum((p.received for p in parts), D(0)) == D("2010.00")
    lalita = parts[0]
    assert lalita.received == (D("2010.00") * lalita.earned / sum((p.earned for p in parts), D(0))).quantize(
        D("0.01"))
    assert lalita.outstanding == lalita.earned - lalita.received
    collected = sale(TWO_ARTISANS, {"A1": "Lalita Devi"}, payment=terms(collected_by="BPP"))
    assert all(p.outstanding == 0 and p.received == p.earned for p in split_order(collected))


def test_the_cooperative_keeps_its_share_and_the_artisan_is_owed_the_rest() -> None:
    first = sale(TWO_ARTISANS, {"A1": "Lalita Devi", "B1": "Rekha"}, pk=1)
    second = sale(quote(item("A1", "333.33", 1)), {"A1": "lalita devi "}, pk=2, payment=terms(fee="0",
                                                                                              withholding="0"))
    report = build_report([second, first], MARCH, D("12.5"))
    assert [row.kind for row in report.rows] == ["artisan", "artisan", CHARGES]
    lalita, rekha, charges = report.rows
    assert lalita.name == "Lalita Devi"  # the earliest order's spelling; one row for both spellings
    assert (lalita.orders, lalita.quantity) == (2, 3)
    assert lalita.earned == split_order(first)[0].earned + split_order(second)[0].earned
    assert lalita.cooperative_share == (lalita.earned * D("0.125")).quantize(D("0.01"))
    assert lalita.owed == lalita.earned - lalita.cooperative_share
    assert rekha.cooperative_share == (rekha.earned * D("0.125")).quantize(D("0.01"))
    # Delivery and the other order charges are the cooperative's whole: nothing of them is owed to an artisan.
    assert (charges.cooperative_share, charges.owed) == (charges.earned, D("0.00"))
    nothing_kept = build_report([first], MARCH, D(0))
    assert nothing_kept.rows[0].owed == nothing_kept.rows[0].earned


def test_items_naming_no_artisan_are_one_row_so_the_report_adds_up() -> None:
    one = sale(TWO_ARTISANS, {"A1": "Lalita Devi"}, pk=1)  # B1 names nobody
    two = sale(quote(item("Z9", "250.00", 2)), {"Z9": "   "}, pk=2)  # only spaces: nobody either
    report = build_report([one, two], MARCH, D(10))
    nobody = [row for row in report.rows if row.kind == NO_ARTISAN]
    assert len(nobody) == 1
    assert (nobody[0].orders, nobody[0].quantity, nobody[0].net) == (2, 3, D("1100.00"))
    assert report.total.net == one.ledger.net + two.ledger.net


def test_orders_count_by_their_order_date_in_india() -> None:
    last_minute = dt.datetime(2030, 3, 31, 18, 29, 59, 999999, tzinfo=dt.UTC)  # 23:59:59.999999 IST, 31 March
    midnight = dt.datetime(2030, 3, 31, 18, 30, tzinfo=dt.UTC)  # 00:00 IST, 1 April
    first_minute = dt.datetime(2030, 2, 28, 18, 30, tzinfo=dt.UTC)  # 00:00 IST, 1 March
    before = dt.datetime(2030, 2, 28, 18, 29, 59, tzinfo=dt.UTC)
    orders = [sale(quote(item("A1", "100.00", 1)), {"A1": "Rekha"}, pk=n, at=at)
              for n, at in enumerate((before, first_minute, last_minute, midnight))]
    report = build_report(orders, MARCH, D(0))
    assert report.orders == 2
    assert {p.order_pk for p in report.rows[0].parts} == {1, 2}
    assert MARCH.start == first_minute
    assert MARCH.end == midnight
    april = build_report(orders, Period.month(2030, 4), D(0))
    assert [p.order_pk for p in april.rows[0].parts] == [3]


TODAY = dt.date(2030, 12, 5)


def test_a_period_is_a_month_or_two_days() -> None:
    assert parse_period(None, None, None, TODAY) == Period(dt.date(2030, 12, 1), dt.date(2030, 12, 31))
    assert parse_period("2030-02", "", "", TODAY) == Period(dt.date(2030, 2, 1), dt.date(2030, 2, 28))
    assert parse_period(" 2032-02 ", None, None, TODAY).last == dt.date(2032, 2, 29)
    assert parse_period(None, "2030-04-01", "2031-03-31", TODAY) == Period(dt.date(2030, 4, 1), dt.date(2031, 3, 31))
    assert Period.month(2030, 12).as_month == "2030-12"
    assert Period(dt.date(2030, 12, 1), dt.date(2030, 12, 30)).as_month is None


@pytest.mark.parametrize(("month", "start", "end", "code"), [
    ("2030-13", None, None, "not_a_month"),
    ("March", None, None, "not_a_month"),
    ("2030-3", None, None, "not_a_month"),
    ("1999-12", None, None, "out_of_range"),
    (None, "2030-02-30", "2030-03-01", "not_a_date"),
    (None, "20300301", "2030-03-02", "not_a_date"),
    (None, "2030-03-01", "\uff19\uff19\uff19\uff19-01-01", "not_a_date"),  # full-width digits
    (None, "2030-03-01", "9999-12-31", "out_of_range"),
    (None, "2030-03-01", None, "half"),
    ("2030-03", "2030-03-01", "2030-03-31", "both"),
    (None, "2030-03-31", "2030-03-01", "backwards"),
    (None, "2030-01-01", "2031-01-02", "too_long"),
])
def test_a_period_that_cannot_be_read_says_why(month: str | None, start: str | None, end: str | None,
                                               code: str) -> None:
    with pytest.raises(PeriodError) as caught:
        parse_period(month, start, end, TODAY)
    assert caught.value.code == code
    assert len(caught.value.value) <= 40


def test_the_accountants_files() -> None:
    first = sale(TWO_ARTISANS, {"A1": "Lalita Devi", "B1": "=HYPERLINK(\"x\")"}, pk=1)
    report = build_report([first], MARCH, D(10))
    rows = list(csv.DictReader(io.StringIO(payouts_csv(report, "chamba"))))
    assert tuple(rows[0]) == PAYOUT_COLUMNS
    assert [(r["row"], r["artisan"]) for r in rows] == [
        ("artisan", "'=HYPERLINK(\"x\")"), ("artisan", "Lalita Devi"), ("order_charges", "")]
    lalita = rows[1]
    assert {k: lalita[k] for k in ("cooperative", "from", "to", "orders", "items_sold", "gross_sales", "finder_fee",
                                   "cooperative_share_percent")} == {
        "cooperative": "chamba", "from": "2030-03-01", "to": "2030-03-31", "orders": "1", "items_sold": "2",
        "gross_sales": "2000.00", "finder_fee": "60.00", "cooperative_share_percent": "10"}
    earned = D(lalita["earned"])
    assert D(lalita["cooperative_share"]) == (earned / 10).quantize(D("0.01"))
    assert D(lalita["owed_to_artisan"]) + D(lalita["cooperative_share"]) == earned
    lines = list(csv.DictReader(io.StringIO(payout_lines_csv(report, "chamba"))))
    assert tuple(lines[0]) == PAYOUT_LINE_COLUMNS
    assert [(r["artisan"], r["order_id"], r["item_id"], r["ordered_on"]) for r in lines] == [
        ("'=HYPERLINK(\"x\")", "O-1", "B1", "2030-03-20"), ("Lalita Devi", "O-1", "A1", "2030-03-20"),
        ("", "O-1", "", "2030-03-20")]
    assert sum((D(r["earned"]) for r in lines), D(0)) == first.ledger.expected + first.ledger.withholding
    only = list(csv.DictReader(io.StringIO(payout_lines_csv(report, "chamba", "artisan:lalita devi"))))
    assert [r["item_id"] for r in only] == ["A1"]
    answer = payouts_json(report, "chamba")
    assert answer["total"]["earned"] == f"{first.ledger.expected + first.ledger.withholding:.2f}"  # type: ignore[index]
    assert [row["row"] for row in answer["rows"]] == ["artisan", "artisan", "order_charges"]  # type: ignore[union-attr]

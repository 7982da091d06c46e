"""adapter.money.gst and documents: the tax split of a GST-inclusive quote, states, financial years, numbers."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapter.money import documents, gst
from adapter.money.words import in_words
from catalog_sync.item_schema import GST_RATES

D = Decimal
QTY = "@ondc/org/item_quantity"
HP_GSTIN = "02AAAAA0000A1ZE"  # Himachal Pradesh
SELLER = documents.Seller("Test Crafts Society Ltd", "Test Crafts", HP_GSTIN, "AAAAA0000A", ("1 Test Lane",))


def item(item_id: str, unit: str, count: int, title: str = "") -> dict[str, Any]:
    value = f"{D(unit) * count:.2f}"
    return {"@ondc/org/item_id": item_id, QTY: {"count": count}, "@ondc/org/title_type": "item",
            "title": title or item_id, "price": {"currency": "INR", "value": value},
            "item": {"price": {"currency": "INR", "value": unit}}}


def charge(kind: str, value: str) -> dict[str, Any]:
    return {"@ondc/org/item_id": "F1", "@ondc/org/title_type": kind, "title": kind.title(),
            "price": {"currency": "INR", "value": value}}


def invoice(breakup: list[dict[str, Any]], rates: dict[str, tuple[str, Decimal | None]],
            state: str = "Himachal Pradesh") -> dict[str, Any]:
    return documents.invoice_document(number="TEST/26-27/00001", issued_at=dt.datetime(2026, 5, 1, tzinfo=dt.UTC),
                                      order_id="O-1", seller=SELLER,
                                      buyer=documents.Buyer("Ravi", ("Shimla",), delivery_state=state),
                                      breakup=breakup, rates=rates)


def test_an_intra_state_line_splits_into_cgst_and_sgst() -> None:
    line = gst.split_line(gst.SupplyLine("item", "A", "Rumal", 2, D("1050.00"), "5810", D("5")), True)
    assert (line.taxable, line.cgst, line.sgst, line.igst) == (D("1000.00"), D("25.00"), D("25.00"), D("0.00"))
    assert line.taxable + line.tax == D("1050.00")


def test_an_inter_state_line_pays_igst() -> None:
    line = gst.split_line(gst.SupplyLine("item", "A", "Rumal", 1, D("1180.00"), "5810", D("18")), False)
    assert (line.taxable, line.cgst, line.sgst, line.igst) == (D("1000.00"), D("0.00"), D("0.00"), D("180.00"))


@pytest.mark.parametrize(("gross", "rate", "taxable", "cgst", "sgst"), [
    (D("1.05"), D("5"), D("1.00"), D("0.03"), D("0.02")),  # tax 0.05: the odd paisa goes to CGST
    (D("100.00"), D("12"), D("89.29"), D("5.36"), D("5.35")),  # 89.2857 -> 89.29, tax 10.71
    (D("0.01"), D("28"), D("0.01"), D("0.00"), D("0.00")),  # too small to carry tax
    (D("3200.50"), D("0.25"), D("3192.52"), D("3.99"), D("3.99")),
    (D("999.99"), D("3"), D("970.86"), D("14.57"), D("14.56")),
])
def test_rounding_to_the_paisa_and_halves_that_add_up(gross: Decimal, rate: Decimal, taxable: Decimal,
                                                       cgst: Decimal, sgst: Decimal) -> None:
    line = gst.split_line(gst.SupplyLine("item", "A", "A", 1, gross, "5810", rate), True)
    assert (line.taxable, line.cgst, line.sgst) == (taxable, cgst, sgst)
    assert line.cgst + line.sgst + line.taxable == gross
    assert 0 <= line.cgst - line.sgst <= D("0.01")


def test_charges_take_the_rate_and_hsn_of_the_highest_value_item() -> None:
    breakup = [item("CHEAP", "100.00", 3), item("DEAR", "1200.00", 1), charge("delivery", "112.00"),
               charge("packing", "0.00"), charge("misc", "5.60")]
    lines = gst.supply_lines(breakup, {"CHEAP": ("0902", D("5")), "DEAR": ("6304", D("12"))})
    assert [(line.kind, line.ref, line.hsn, line.rate) for line in lines] == [
        ("item", "CHEAP", "0902", D("5")), ("item", "DEAR", "6304", D("12")),
        ("delivery", "F1", "6304", D("12")), ("misc", "F1", "6304", D("12"))]  # a zero charge is not a line
    delivery = gst.split_line(lines[2], True)
    assert (delivery.taxable, delivery.cgst, delivery.sgst) == (D("100.00"), D("6.00"), D("6.00"))


def test_a_cancelled_item_and_its_tax_line_leave_the_invoice() -> None:
    tax_line = {"@ondc/org/item_id": "GONE", "@ondc/org/title_type": "tax", "title": "Tax",
                "price": {"currency": "INR", "value": "0.00"}}
    lines = gst.supply_lines([item("KEPT", "50.00", 2), item("GONE", "70.00", 0), tax_line], {})
    assert [line.ref for line in lines] == ["KEPT"]
    assert lines[0].rate is None


def test_the_invoice_totals_the_quote_and_says_what_is_missing() -> None:
    breakup = [item("A", "3200.50", 38), item("B", "499.00", 1), charge("delivery", "3331.50"),
               charge("packing", "50.00")]
    doc = invoice(breakup, {"A": ("5810", D("12"))}, state="Punjab")
    assert doc["place_of_supply"] == {"code": "03", "name": "Punjab", "assumed": False}
    assert doc["intra_state"] is False
    assert doc["totals"]["gross"] == "125499.50" == f"{sum(D(b['price']['value']) for b in breakup):.2f}"
    lines = documents.document_lines(doc)
    assert sum(line.taxable + line.tax for line in lines) == D("125499.50")
    assert (lines[1].hsn, lines[1].rate, lines[1].taxable, lines[1].tax) == ("", None, D("499.00"), D("0"))
    assert doc["complete"] is False


@pytest.mark.parametrize(("text", "code"), [
    ("Himachal Pradesh", "02"), ("himachal  pradesh", "02"), ("HP", "02"), ("02", "02"), ("2", "02"),
    ("Delhi", "07"), ("New Delhi", "07"), ("NCT of Delhi", "07"), ("Orissa", "21"), ("Odisha", "21"),
    ("Jammu & Kashmir", "01"), ("Andaman & Nicobar Islands", "35"), ("Telangana", "36"), ("TG", "36"),
    ("Andhra Pradesh", "37"), ("Dadra and Nagar Haveli and Daman and Diu", "26"), ("Pondicherry", "34"),
    ("Atlantis", None), ("", None), (None, None), ("99", None),
    # Words run together, ISO 3166-2:IN codes and short forms seen in addresses: an unknown state would make an
    # inter-state supply look intra-state (CGST + SGST instead of IGST).
    ("Tamilnadu", "33"), ("WestBengal", "19"), ("Uttarpradesh", "09"), ("IN-DL", "07"), ("IN-KA", "29"),
    ("J&K", "01"), ("NCT Delhi", "07"), ("Ladakh", "38"), ("Leh Ladakh", "38"), ("India", None), ("IN", None),
])
def test_state_names_and_abbreviations_map_to_gst_codes(text: str | None, code: str | None) -> None:
    assert gst.state_code(text) == code


def test_an_unknown_delivery_state_falls_back_to_billing_then_to_the_seller() -> None:
    assert documents.place_of_supply(documents.Buyer("x", (), delivery_state="??", billing_state="Goa"),
                                     "02") == ("30", False)
    assert documents.place_of_supply(documents.Buyer("x", ()), "02") == ("02", True)


def test_a_union_territory_without_a_legislature_levies_utgst() -> None:
    assert gst.second_tax("04") == "UTGST"  # Chandigarh
    assert gst.second_tax("07") == "SGST"  # Delhi has a legislature


@pytest.mark.parametrize(("moment", "year"), [
    (dt.datetime(2026, 3, 31, 18, 29, 59, tzinfo=dt.UTC), "2025-26"),  # 23:59:59 IST on 31 March
    (dt.datetime(2026, 3, 31, 18, 30, tzinfo=dt.UTC), "2026-27"),  # midnight IST, 1 April
    (dt.datetime(2027, 1, 15, tzinfo=dt.UTC), "2026-27"),
    (dt.datetime(2099, 12, 31, tzinfo=dt.UTC), "2099-00"),
])
def test_the_financial_year_turns_on_1_april_in_india(moment: dt.datetime, year: str) -> None:
    assert gst.financial_year(moment) == year


def test_document_numbers_fit_sixteen_characters() -> None:
    assert gst.document_number("CHR", "2026-27", 123) == "CHR/26-27/000123"
    assert gst.document_number("TEST", "2026-27", 1) == "TEST/26-27/00001"
    assert gst.document_number("CN", "2026-27", 7) == "CN/26-27/0000007"
    assert all(len(gst.document_number(p, "2026-27", 1)) == 16 for p in ("A", "AB", "ABC", "ABCD"))
    with pytest.raises(ValueError, match="longer than 16"):
        gst.document_number("TEST", "2026-27", 100_000)
    assert gst.default_prefix("chamba-rumal") == "CHAM"
    assert gst.default_prefix("cn") == "INV"


def test_the_catalogue_accepts_exactly_the_rates_invoices_split_by() -> None:
    assert GST_RATES == gst.RATES


def test_amounts_in_words_in_english_and_hindi() -> None:
    assert in_words(D("125000.50")) == "Rupees one lakh twenty-five thousand and fifty paise only"
    assert in_words(D("125000.50"), "hi") == "एक लाख पच्चीस हज़ार रुपये और पचास पैसे मात्र"
    assert in_words(D("12345678.05")) == ("Rupees one crore twenty-three lakh forty-five thousand six hundred "
                                          "seventy-eight and five paise only")
    assert in_words(D("99"), "hi") == "निन्यानबे रुपये मात्र"
    assert in_words(D("0")) == "Rupees zero only"


# -- credit notes ------------------------------------------------------------------------------------------------

def test_a_return_credits_its_units_and_the_rest_stays_an_exact_split() -> None:
    doc = invoice([item("A", "333.33", 3), charge("delivery", "50.00")], {"A": ("5810", D("12"))})
    first = documents.credit_note_document(number="CN/1", issued_at=dt.datetime(2026, 5, 2, tzinfo=dt.UTC),
                                           invoice=doc, earlier=[], reason="return", ref="R1", returned={"A": 1})
    assert first is not None
    (line,) = documents.document_lines(first)
    assert (line.quantity, line.gross) == (1, D("333.33"))
    assert line.taxable + line.tax == D("333.33")
    second = documents.credit_note_document(number="CN/2", issued_at=dt.datetime(2026, 5, 3, tzinfo=dt.UTC),
                                            invoice=doc, earlier=[first], reason="return", ref="R2",
                                            returned={"A": 2})
    assert second is not None
    left = gst.booked(documents.document_lines(doc), [documents.document_lines(first),
                                                      documents.document_lines(second)])
    # Every unit back: the item's line is zero in every component; the delivery charge stays.
    assert [(x.kind, x.quantity, x.gross, x.taxable, x.cgst, x.sgst) for x in left] == [
        ("item", 0, D("0.00"), D("0.00"), D("0.00"), D("0.00")),
        ("delivery", None, D("50.00"), D("44.64"), D("2.68"), D("2.68"))]


def test_a_cancellation_credits_everything_left_and_nothing_twice() -> None:
    doc = invoice([item("A", "100.00", 2), charge("delivery", "40.00")], {"A": ("5810", D("5"))})
    note = documents.credit_note_document(number="CN/1", issued_at=dt.datetime(2026, 5, 2, tzinfo=dt.UTC),
                                          invoice=doc, earlier=[], reason="cancel", ref="cancel", remaining={})
    assert note is not None
    assert note["totals"] == doc["totals"]
    assert note["invoice_number"] == doc["number"]
    again = documents.credit_note_document(number="CN/2", issued_at=dt.datetime(2026, 5, 2, tzinfo=dt.UTC),
                                           invoice=doc, earlier=[note], reason="cancel", ref="x", remaining={})
    assert again is None


amounts = st.decimals(min_value=D("0.01"), max_value=D("999999.99"), places=2)


@given(units=st.lists(st.tuples(amounts, st.integers(1, 99), st.sampled_from(gst.RATES)), min_size=1, max_size=6),
       charges=st.lists(amounts, max_size=3), intra=st.booleans())
def test_any_quote_splits_into_lines_that_add_up_to_it(units: list[tuple[Decimal, int, Decimal]],
                                                       charges: list[Decimal], intra: bool) -> None:
    breakup = [item(f"I{n}", f"{unit:.2f}", count) for n, (unit, count, _) in enumerate(units)]
    breakup += [charge(kind, f"{value:.2f}") for kind, value in zip(("delivery", "packing", "misc"), charges,
                                                                    strict=False)]
    rates = {f"I{n}": ("5810", rate) for n, (_, _, rate) in enumerate(units)}
    doc = invoice(breakup, rates, state="Himachal Pradesh" if intra else "Kerala")
    lines = documents.document_lines(doc)
    quote_total = sum((D(b["price"]["value"]) for b in breakup), D(0))
    assert D(doc["totals"]["gross"]) == quote_total
    assert sum((line.taxable + line.tax for line in lines), D(0)) == quote_total
    principal = max((line for line in lines if line.kind == "item"), key=lambda line: line.gross)
    for line in lines:
        assert line.taxable == line.taxable.quantize(D("0.01"))
        assert line.rate is not None
        expected = line.gross * line.rate / (100 + line.rate)
        assert abs(line.tax - expected) <= D("0.005")
        if intra:
            assert line.igst == 0
            assert line.cgst + line.sgst == line.tax
            assert 0 <= line.cgst - line.sgst <= D("0.01")
        else:
            assert line.cgst == line.sgst == 0
        if line.kind != "item":
            assert line.rate == principal.rate


@given(count=st.integers(1, 20), back=st.lists(st.integers(1, 5), min_size=1, max_size=4),
       unit=amounts, rate=st.sampled_from(gst.RATES))
def test_credit_notes_never_take_more_than_was_invoiced(count: int, back: list[int], unit: Decimal,
                                                        rate: Decimal) -> None:
    doc = invoice([item("A", f"{unit:.2f}", count)], {"A": ("5810", rate)})
    notes: list[dict[str, Any]] = []
    for n, many in enumerate(back):
        note = documents.credit_note_document(number=f"CN/{n}", issued_at=dt.datetime(2026, 5, 2, tzinfo=dt.UTC),
                                              invoice=doc, earlier=notes, reason="return", ref=f"R{n}",
                                              returned={"A": many})
        if note is not None:
            notes.append(note)
    (left,) = gst.booked(documents.document_lines(doc), [documents.document_lines(n) for n in notes])
    returned = min(sum(back), count)
    assert left.quantity == count - returned
    assert left.gross == (unit * (count - returned)).quantize(D("0.01"))
    assert left.taxable >= 0
    assert left.cgst >= 0
    assert left.sgst >= 0
    assert left.taxable + left.tax == left.gross


def test_the_profile_accepts_exactly_the_gstin_states_the_invoices_know() -> None:
    from catalog_sync.profile import GST_STATE_CODES

    assert set(GST_STATE_CODES) == set(gst.STATES)

"""Quote arithmetic and breakup rules (PROTOCOL.md §7). Factories here are shared by the other order tests."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapter.orders.delivery_terms import DeliveryTerms
from adapter.orders.quote import QuoteLine, build_quote, requote_after_cancel
from catalog_sync.model import ConsumerCare, Item, Location, Opening, Profile, Serviceability, Settlement

MONEY_RE = re.compile(r"^-?\d+\.\d{2}$")


def make_item(item_id: str = "I1", price: str = "450", **overrides: Any) -> Item:
    """An enabled RET16 item with plenty of stock."""
    fields: dict[str, Any] = {
        "id": item_id,
        "name": f"Item {item_id}",
        "category_id": "Home Decor",
        "domain": "ONDC:RET16",
        "price": Decimal(price),
        "mrp": Decimal(price),
        "stock": 50,
        "images": ("https://example.org/i.png",),
        "max_per_order": 10,
        "time_to_ship": "P2D",
        "location_id": "L1",
    }
    fields.update(overrides)
    return Item(**fields)


def make_location(loc_id: str = "L1", gps: str = "32.5534,76.1258", area_code: str = "176215") -> Location:
    return Location(id=loc_id, street="Main road", locality="Bazaar", city="Kangra", state="Himachal Pradesh",
                    area_code=area_code, gps=gps, city_code="std:01892", name="Workshop")


def make_profile(**overrides: Any) -> Profile:
    """A cooperative open Mon-Sat 09:00-18:00 IST, serving all of India."""
    fields: dict[str, Any] = {
        "slug": "kangra-coop",
        "name": "Kangra Artisans",
        "legal_name": "Kangra Artisans Cooperative Society",
        "gstin": "02ABCDE1234F1Z5",
        "pan": "ABCDE1234F",
        "locations": (make_location(),),
        "consumer_care": ConsumerCare("Care", "care@example.org", "9876543210"),
        "settlement": Settlement(kind="upi", upi_address="coop@upi"),
        "domains": ("ONDC:RET16",),
        "symbol": "https://example.org/logo.png",
        "short_desc": "Crafts",
        "long_desc": "Crafts from Kangra",
        "serviceability": Serviceability(),
        "opening": Opening(),
    }
    fields.update(overrides)
    return Profile(**fields)


def lines_of(quote_ondc: dict[str, Any], title_type: str) -> list[dict[str, Any]]:
    return [b for b in quote_ondc["breakup"] if b["@ondc/org/title_type"] == title_type]


def assert_consistent(quote_ondc: dict[str, Any]) -> None:
    """The §7 invariant: every value is a 2-decimal string and the price is their exact sum."""
    values = [b["price"]["value"] for b in quote_ondc["breakup"]]
    assert all(MONEY_RE.match(v) for v in values), values
    assert MONEY_RE.match(quote_ondc["price"]["value"])
    assert sum((Decimal(v) for v in values), Decimal(0)) == Decimal(quote_ondc["price"]["value"])
    for line in lines_of(quote_ondc, "item"):
        unit = Decimal(line["item"]["price"]["value"])
        assert unit * line["@ondc/org/item_quantity"]["count"] == Decimal(line["price"]["value"])


TERMS = DeliveryTerms(flat_fee=Decimal("50"))


def test_single_item_line_shape() -> None:
    built = build_quote([QuoteLine(make_item(price="450"), 2)], terms=TERMS, fulfillment_id="F1", serviceable=True)
    quote = built.to_ondc(with_stock=True)
    assert quote["breakup"][0] == {
        "@ondc/org/item_id": "I1",
        "@ondc/org/item_quantity": {"count": 2},
        "@ondc/org/title_type": "item",
        # Stock is masked: 50 in stock shows as "99"; maximum is the most one order may take.
        "item": {"price": {"currency": "INR", "value": "450.00"},
                 "quantity": {"available": {"count": "99"}, "maximum": {"count": "10"}}},
        "price": {"currency": "INR", "value": "900.00"},
        "title": "Item I1",
    }
    assert quote["breakup"][1] == {"@ondc/org/item_id": "F1", "@ondc/org/title_type": "delivery",
                                   "price": {"currency": "INR", "value": "50.00"}, "title": "Delivery charges"}
    assert quote["price"] == {"currency": "INR", "value": "950.00"}
    assert quote["ttl"] == "P1D"
    # Stored and sent after on_select: the same quote without the quantity object.
    later = built.to_ondc()["breakup"][0]
    assert later["item"] == {"price": {"currency": "INR", "value": "450.00"}}


def test_unit_price_rounds_half_up_before_multiplying() -> None:
    # 333.335 is published as 333.34; the line must equal what the buyer app can recompute: 3 x 333.34.
    quote = build_quote([QuoteLine(make_item(price="333.335"), 3)], terms=DeliveryTerms(), fulfillment_id="F1",
                        serviceable=False).to_ondc()
    assert quote["breakup"][0]["item"]["price"]["value"] == "333.34"
    assert quote["breakup"][0]["price"]["value"] == "1000.02"
    assert quote["price"]["value"] == "1000.02"


def test_half_paisa_rounds_up_not_to_even() -> None:
    quote = build_quote([QuoteLine(make_item(price="0.125"), 1)], terms=DeliveryTerms(), fulfillment_id="F1",
                        serviceable=False)
    assert quote.to_ondc()["price"]["value"] == "0.13"  # banker's rounding would give 0.12


def test_several_items_keep_request_order_and_sum() -> None:
    lines = [QuoteLine(make_item("A", "99.99"), 3), QuoteLine(make_item("B", "1250.50"), 1),
             QuoteLine(make_item("C", "10"), 7)]
    quote = build_quote(lines, terms=TERMS, fulfillment_id="F1", serviceable=True).to_ondc()
    assert [b["@ondc/org/item_id"] for b in quote["breakup"]] == ["A", "B", "C", "F1"]
    assert [b["price"]["value"] for b in lines_of(quote, "item")] == ["299.97", "1250.50", "70.00"]
    assert quote["price"]["value"] == "1670.47"
    assert_consistent(quote)


def test_tax_inclusive_prices_have_no_tax_line() -> None:
    quote = build_quote([QuoteLine(make_item(price="118"), 1)], terms=TERMS, fulfillment_id="F1", serviceable=True)
    assert not lines_of(quote.to_ondc(), "tax")
    assert quote.total == Decimal("168.00")


def test_tax_exclusive_prices_get_item_level_tax_lines() -> None:
    lines = [QuoteLine(make_item("A", "100"), 1), QuoteLine(make_item("B", "33.33"), 1)]
    quote = build_quote(lines, terms=DeliveryTerms(), fulfillment_id="F1", serviceable=False,
                        tax_rate=Decimal("0.18")).to_ondc()
    taxes = lines_of(quote, "tax")
    assert [(t["@ondc/org/item_id"], t["price"]["value"]) for t in taxes] == [("A", "18.00"), ("B", "6.00")]
    assert "@ondc/org/item_quantity" not in taxes[0]
    assert "item" not in taxes[0]
    assert quote["price"]["value"] == "157.33"
    assert_consistent(quote)


def test_zero_tax_rate_adds_no_tax_line() -> None:
    quote = build_quote([QuoteLine(make_item(), 1)], terms=TERMS, fulfillment_id="F1", serviceable=True,
                        tax_rate=Decimal(0))
    assert not lines_of(quote.to_ondc(), "tax")


@pytest.mark.parametrize(
    ("price", "expected_fee"),
    [("100", "40.00"), ("199.99", "40.00"), ("200", "40.00"), ("200.01", "25.00"), ("500", "25.00"),
     ("500.01", "60.00"), ("999.99", "60.00"), ("1000", "0.00"), ("5000", "0.00")],
)
def test_delivery_slabs_and_free_above(price: str, expected_fee: str) -> None:
    terms = DeliveryTerms(flat_fee=Decimal(60), slabs=((Decimal(200), Decimal(40)), (Decimal(500), Decimal(25))),
                          free_above=Decimal(1000))
    quote = build_quote([QuoteLine(make_item(price=price), 1)], terms=terms, fulfillment_id="F1",
                        serviceable=True).to_ondc()
    [delivery] = lines_of(quote, "delivery")
    assert delivery["price"]["value"] == expected_fee
    assert_consistent(quote)


def test_free_delivery_still_shows_a_zero_delivery_line() -> None:
    terms = DeliveryTerms(flat_fee=Decimal(60), free_above=Decimal(100))
    quote = build_quote([QuoteLine(make_item(price="150"), 1)], terms=terms, fulfillment_id="F1", serviceable=True)
    assert [b["price"]["value"] for b in lines_of(quote.to_ondc(), "delivery")] == ["0.00"]


def test_packing_and_convenience_only_when_non_zero() -> None:
    item = [QuoteLine(make_item(price="100"), 1)]
    with_fees = build_quote(item, terms=DeliveryTerms(flat_fee=Decimal(10), packing_fee=Decimal("15.5"),
                                                      convenience_fee=Decimal(3)),
                            fulfillment_id="F9", serviceable=True).to_ondc()
    assert [(b["@ondc/org/title_type"], b["@ondc/org/item_id"], b["title"], b["price"]["value"])
            for b in with_fees["breakup"][1:]] == [
        ("delivery", "F9", "Delivery charges", "10.00"),
        ("packing", "F9", "Packing charges", "15.50"),
        ("misc", "F9", "Convenience Fee", "3.00"),
    ]
    without = build_quote(item, terms=DeliveryTerms(flat_fee=Decimal(10)), fulfillment_id="F9",
                          serviceable=True).to_ondc()
    assert [b["@ondc/org/title_type"] for b in without["breakup"]] == ["item", "delivery"]


def test_non_serviceable_quote_has_no_delivery_line() -> None:
    quote = build_quote([QuoteLine(make_item(price="100"), 2)], terms=DeliveryTerms(flat_fee=Decimal(80),
                        packing_fee=Decimal(5)), fulfillment_id="F1", serviceable=False).to_ondc()
    assert [b["@ondc/org/title_type"] for b in quote["breakup"]] == ["item", "packing"]
    assert quote["price"]["value"] == "205.00"


def test_out_of_stock_quote_is_all_zero_without_fulfilment_lines() -> None:
    item = make_item(price="2260", stock=0)
    quote = build_quote([QuoteLine(item, 0)], terms=DeliveryTerms(flat_fee=Decimal(50), convenience_fee=Decimal(3)),
                        fulfillment_id="F1", serviceable=True).to_ondc(with_stock=True)
    assert quote["price"]["value"] == "0.00"
    [line] = quote["breakup"]
    assert line["@ondc/org/item_quantity"] == {"count": 0}
    assert line["item"]["quantity"] == {"available": {"count": "0"}, "maximum": {"count": "0"}}
    assert line["price"]["value"] == "0.00"


def test_counts_are_capped_like_the_catalogue() -> None:
    quote = build_quote([QuoteLine(make_item(stock=500, max_per_order=200), 1)], terms=TERMS, fulfillment_id="F1",
                        serviceable=True).to_ondc(with_stock=True)
    assert quote["breakup"][0]["item"]["quantity"] == {"available": {"count": "99"}, "maximum": {"count": "99"}}


def test_disabled_item_shows_nothing_available() -> None:
    quote = build_quote([QuoteLine(make_item(enabled=False), 0)], terms=TERMS, fulfillment_id="F1",
                        serviceable=True).to_ondc(with_stock=True)
    assert quote["breakup"][0]["item"]["quantity"]["available"] == {"count": "0"}


def test_duplicate_and_negative_lines_are_refused() -> None:
    with pytest.raises(ValueError, match="twice"):
        build_quote([QuoteLine(make_item(), 1), QuoteLine(make_item(), 2)], terms=TERMS, fulfillment_id="F1",
                    serviceable=True)
    with pytest.raises(ValueError, match="negative"):
        build_quote([QuoteLine(make_item(), -1)], terms=TERMS, fulfillment_id="F1", serviceable=True)


def test_ttl_is_passed_through() -> None:
    quote = build_quote([], terms=TERMS, fulfillment_id="F1", serviceable=True, ttl="PT6H").to_ondc()
    assert quote == {"price": {"currency": "INR", "value": "0.00"}, "breakup": [], "ttl": "PT6H"}


# -- requote after cancel ---------------------------------------------------------------------------------------

def _three_item_quote(**kwargs: Any) -> Any:
    lines = [QuoteLine(make_item("I1", "450"), 2), QuoteLine(make_item("I2", "120.50"), 1),
             QuoteLine(make_item("I3", "75"), 4)]
    terms = DeliveryTerms(flat_fee=Decimal("49"), packing_fee=Decimal("10"))
    return build_quote(lines, terms=terms, fulfillment_id="F1", serviceable=True, **kwargs)


def test_part_cancel_reduces_count_and_trails_the_difference() -> None:
    quote, trail = requote_after_cancel(_three_item_quote(), {"I1": 1})
    ondc = quote.to_ondc()
    i1 = lines_of(ondc, "item")[0]
    assert i1["@ondc/org/item_quantity"] == {"count": 1}
    assert i1["price"]["value"] == "450.00"
    assert trail == [{"code": "quote_trail", "list": [
        {"code": "type", "value": "item"}, {"code": "id", "value": "I1"},
        {"code": "currency", "value": "INR"}, {"code": "value", "value": "-450.00"}]}]
    assert [b["price"]["value"] for b in lines_of(ondc, "delivery")] == ["49.00"]  # part cancel keeps delivery
    assert ondc["price"]["value"] == "929.50"  # 450 + 120.50 + 300 + 49 + 10
    assert_consistent(ondc)


def test_fully_cancelled_item_stays_in_breakup_at_zero() -> None:
    quote, trail = requote_after_cancel(_three_item_quote(), {"I2": 1, "I3": 4})
    ondc = quote.to_ondc()
    assert [(b["@ondc/org/item_id"], b.get("@ondc/org/item_quantity"), b["price"]["value"])
            for b in ondc["breakup"]] == [
        ("I1", {"count": 2}, "900.00"), ("I2", {"count": 0}, "0.00"), ("I3", {"count": 0}, "0.00"),
        ("F1", None, "49.00"), ("F1", None, "10.00")]
    assert [(t["list"][1]["value"], t["list"][3]["value"]) for t in trail] == [("I2", "-120.50"), ("I3", "-300.00")]


def test_full_cancel_refunds_fulfilment_charges() -> None:
    before = _three_item_quote()
    after, trail = requote_after_cancel(before, {"I1": 2, "I2": 1, "I3": 4})
    assert after.total == Decimal("0.00")
    assert [(t["list"][0]["value"], t["list"][1]["value"], t["list"][3]["value"]) for t in trail] == [
        ("item", "I1", "-900.00"), ("item", "I2", "-120.50"), ("item", "I3", "-300.00"),
        ("delivery", "F1", "-49.00"), ("packing", "F1", "-10.00")]
    assert sum(Decimal(t["list"][3]["value"]) for t in trail) == -before.total


def test_return_of_everything_can_keep_delivery() -> None:
    after, trail = requote_after_cancel(_three_item_quote(), {"I1": 2, "I2": 1, "I3": 4},
                                        refund_fulfilment_charges=False)
    assert after.total == Decimal("59.00")
    assert {t["list"][0]["value"] for t in trail} == {"item"}


def test_requote_recomputes_tax_lines() -> None:
    before = _three_item_quote(tax_rate=Decimal("0.05"))
    after, trail = requote_after_cancel(before, {"I2": 1})
    taxes = {b["@ondc/org/item_id"]: b["price"]["value"] for b in lines_of(after.to_ondc(), "tax")}
    assert taxes == {"I1": "45.00", "I2": "0.00", "I3": "15.00"}
    assert [(t["list"][0]["value"], t["list"][3]["value"]) for t in trail] == [("item", "-120.50"), ("tax", "-6.03")]
    assert_consistent(after.to_ondc())


def test_requote_refuses_unknown_items_and_over_cancel() -> None:
    quote = _three_item_quote()
    with pytest.raises(ValueError, match="not in the quote"):
        requote_after_cancel(quote, {"NOPE": 1})
    with pytest.raises(ValueError, match="cannot cancel 3"):
        requote_after_cancel(quote, {"I1": 3})
    with pytest.raises(ValueError, match="cannot cancel 0"):
        requote_after_cancel(quote, {"I1": 0})


def test_requote_twice_accumulates() -> None:
    once, _ = requote_after_cancel(_three_item_quote(), {"I3": 1})
    twice, trail = requote_after_cancel(once, {"I3": 2})
    assert twice.quantities() == {"I1": 2, "I2": 1, "I3": 1}
    assert [t["list"][3]["value"] for t in trail] == ["-150.00"]


# -- properties -------------------------------------------------------------------------------------------------

_prices = st.decimals(min_value=Decimal("0.001"), max_value=Decimal("99999.999"), places=3)
_fees = st.decimals(min_value=Decimal(0), max_value=Decimal("999.999"), places=3)


@st.composite
def _quotes(draw: st.DrawFn) -> Any:
    n = draw(st.integers(min_value=0, max_value=6))
    lines = [QuoteLine(make_item(f"I{i}", str(draw(_prices)), stock=draw(st.integers(0, 150))),
                       draw(st.integers(min_value=0, max_value=20))) for i in range(n)]
    limits = sorted(set(draw(st.lists(_prices, max_size=3))))
    terms = DeliveryTerms(
        flat_fee=draw(_fees),
        slabs=tuple((limit, draw(_fees)) for limit in limits),
        free_above=draw(st.none() | _prices),
        packing_fee=draw(_fees),
        convenience_fee=draw(_fees),
    )
    tax_rate = draw(st.none() | st.decimals(min_value=Decimal(0), max_value=Decimal("0.28"), places=4))
    return build_quote(lines, terms=terms, fulfillment_id="F1", serviceable=draw(st.booleans()), tax_rate=tax_rate)


@settings(max_examples=300, deadline=None)
@given(_quotes())
def test_breakup_always_sums_exactly_to_price(quote: Any) -> None:
    assert_consistent(quote.to_ondc())


@settings(max_examples=200, deadline=None)
@given(_quotes(), st.data())
def test_requote_keeps_the_invariant_and_trail_matches_difference(quote: Any, data: st.DataObject) -> None:
    counts = {k: v for k, v in quote.quantities().items() if v > 0}
    cancelled = {k: data.draw(st.integers(1, v)) for k, v in counts.items() if data.draw(st.booleans())}
    if not cancelled:
        return
    after, trail = requote_after_cancel(quote, cancelled)
    assert_consistent(after.to_ondc())
    assert all(MONEY_RE.match(t["list"][3]["value"]) and t["list"][3]["value"].startswith("-") for t in trail)
    assert sum((Decimal(t["list"][3]["value"]) for t in trail), Decimal(0)) == after.total - quote.total
    assert after.quantities() == {k: v - cancelled.get(k, 0) for k, v in quote.quantities().items()}

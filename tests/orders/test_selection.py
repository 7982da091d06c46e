"""check_selection: the on_select rules for unknown ids, stock, limits, serviceability, hours and minimum value."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from adapter.orders.delivery_terms import DeliveryTerms, next_open
from adapter.orders.quote import SelectionResult, check_selection
from catalog_sync.model import Item, Opening, Serviceability
from tests.orders.test_quote import assert_consistent, make_item, make_location, make_profile

OPEN = datetime(2030, 1, 14, 5, 0, tzinfo=UTC)  # Monday 10:30 IST
CLOSED = datetime(2030, 1, 13, 5, 0, tzinfo=UTC)  # Sunday
TERMS = DeliveryTerms(flat_fee=Decimal(60), convenience_fee=Decimal(3))


def _items(*items: Item) -> dict[str, Item]:
    return {item.id: item for item in items}


def _select(requested: list[tuple[str, int, str]], *items: Item, **kwargs: Any) -> SelectionResult:
    args: dict[str, Any] = {
        "profile": make_profile(),
        "provider_id": "P1",
        "expected_provider_id": "P1",
        "now": OPEN,
        "end_area_code": "560001",
        "end_gps": "12.9716,77.5946",
        "terms": TERMS,
    }
    args.update(kwargs)
    return check_selection(_items(*items) if items else _items(make_item("I1"), make_item("I2", "120")),
                           requested, **args)


def _codes(result: SelectionResult) -> list[str]:
    return [e.code for e in result.errors]


def test_happy_path() -> None:
    result = _select([("I1", 2, "L1"), ("I2", 1, "L1")])
    assert result.errors == ()
    assert result.error is None
    assert result.serviceable
    assert result.fulfillment_state == "Serviceable"
    assert result.tat == "P5D"  # P2D to ship + P3D intercity
    assert result.category == "Standard Delivery"
    assert result.routing == "P2H2P"
    ondc = result.quote.to_ondc()
    assert ondc["price"]["value"] == "1083.00"  # 900 + 120 + 60 + 3
    assert_consistent(ondc)


def test_tat_uses_the_slowest_item_and_hyperlocal_transit() -> None:
    profile = make_profile(serviceability=Serviceability(kind="radius", radius_km=Decimal(20)))
    result = _select([("I1", 1, "L1"), ("I2", 1, "L1")], make_item("I1", time_to_ship="PT45M"),
                     make_item("I2", time_to_ship="PT1H"), profile=profile, end_gps="32.5600,76.1300",
                     terms=DeliveryTerms(category="Immediate Delivery"))
    assert result.tat == "PT3H"
    assert result.routing == "P2P"
    assert result.category == "Standard Delivery"  # O2D above 2 h cannot be Immediate


def test_unknown_provider_stops_early() -> None:
    result = _select([("I1", 1, "L1")], provider_id="OTHER")
    assert _codes(result) == ["30001"]
    assert result.quote.breakup == ()
    assert result.error == {"type": "DOMAIN-ERROR", "code": "30001", "message": "Provider 'OTHER' not found"}


def test_unknown_location_and_item() -> None:
    result = _select([("I1", 1, "L9"), ("I3", 1, "L9"), ("NOPE", 1, "L1"), ("I2", 1, "L1")])
    assert _codes(result) == ["30002", "30004"]  # one 30002 per unknown location
    assert result.quote.quantities() == {"I2": 1}
    assert result.error is not None
    assert result.error["code"] == "30002"


def test_item_at_another_location_is_not_found() -> None:
    profile = make_profile(locations=(make_location("L1"), make_location("L2")))
    result = _select([("I1", 1, "L2")], make_item("I1", location_id="L1"), profile=profile)
    assert _codes(result) == ["30004"]
    assert "not sold from location 'L2'" in result.errors[0].message
    # A blank item location means the first location.
    assert _select([("I1", 1, "L1")], make_item("I1", location_id=""), profile=profile).errors == ()


def test_out_of_stock_quotes_available_quantity() -> None:
    result = _select([("I1", 5, "L1"), ("I2", 3, "L1")], make_item("I1", stock=2), make_item("I2", stock=0))
    assert _codes(result) == ["40002"]
    assert result.errors[0].available == {"I1": 2, "I2": 0}  # type: ignore[attr-defined]
    assert result.quote.quantities() == {"I1": 2, "I2": 0}
    assert result.error == {"type": "DOMAIN-ERROR", "code": "40002",
                            "message": '[{"item_id":"I1","error":"40002"},{"item_id":"I2","error":"40002"}]'}
    assert result.serviceable  # still a normal on_select with a delivery line
    assert [b.title_type for b in result.quote.breakup] == ["item", "item", "delivery", "misc"]


def test_disabled_item_is_out_of_stock() -> None:
    result = _select([("I1", 1, "L1")], make_item("I1", enabled=False))
    assert _codes(result) == ["40002"]
    assert result.quote.total == Decimal("0.00")


def test_above_max_per_order() -> None:
    result = _select([("I1", 12, "L1")], make_item("I1", max_per_order=10, stock=50))
    assert _codes(result) == ["40009"]
    assert result.quote.quantities() == {"I1": 10}
    assert result.error is not None
    assert json.loads(result.error["message"]) == [{"item_id": "I1", "error": "40009"}]


def test_stock_below_max_makes_it_out_of_stock_not_max_exceeded() -> None:
    result = _select([("I1", 20, "L1")], make_item("I1", max_per_order=10, stock=5))
    assert _codes(result) == ["40002"]
    assert result.quote.quantities() == {"I1": 5}


def test_duplicate_lines_are_merged() -> None:
    result = _select([("I1", 6, "L1"), ("I1", 6, "L1")], make_item("I1", max_per_order=10))
    assert _codes(result) == ["40009"]
    assert result.quote.quantities() == {"I1": 10}


def test_zero_quantity() -> None:
    result = _select([("I1", 0, "L1")])
    assert _codes(result) == ["40012"]
    assert result.quote.quantities() == {"I1": 0}


def test_not_serviceable_has_no_delivery_line() -> None:
    profile = make_profile(serviceability=Serviceability(kind="pincodes", pincodes=("176215",)))
    result = _select([("I1", 1, "L1")], profile=profile)
    assert _codes(result) == ["30009"]
    assert not result.serviceable
    assert result.fulfillment_state == "Non-serviceable"
    assert [b.title_type for b in result.quote.breakup] == ["item", "misc"]
    assert result.error == {"type": "DOMAIN-ERROR", "code": "30009", "message": "Dropoff location not serviceable"}


def test_orders_are_taken_after_hours_by_default_but_not_on_a_holiday() -> None:
    assert _codes(_select([("I1", 1, "L1")], now=CLOSED)) == []  # the shop is shut; the order is still taken
    holiday = make_profile(opening=Opening(holidays=("2030-01-14",)))
    assert _codes(_select([("I1", 1, "L1")], profile=holiday)) == ["30017"]


def test_when_a_shut_store_opens_again() -> None:
    assert next_open(make_profile(), CLOSED) == datetime(2030, 1, 14, 3, 30, tzinfo=UTC)
    assert next_open(make_profile(), OPEN) == OPEN
    holiday = make_profile(opening=Opening(holidays=("2030-01-14",)))
    assert next_open(holiday, CLOSED) == datetime(2030, 1, 15, 3, 30, tzinfo=UTC)  # Tuesday
    never = make_profile(opening=Opening(days=(1,), holidays=tuple(f"2030-01-{d}" for d in (14, 21))))
    assert next_open(never, CLOSED) == CLOSED  # not open in the next two weeks: no wait is invented


def test_a_shop_that_takes_orders_only_when_open() -> None:
    shop = make_profile(opening=Opening(take_orders="when_open"))
    result = _select([("I1", 1, "L1")], profile=shop, now=CLOSED)
    assert _codes(result) == ["30017"]
    assert result.fulfillment_state == "Non-serviceable"
    assert "delivery" not in [b.title_type for b in result.quote.breakup]
    assert _codes(_select([("I1", 1, "L1")], profile=shop)) == []


def test_below_minimum_order_value() -> None:
    profile = make_profile(min_order_value=Decimal(1000))
    result = _select([("I1", 2, "L1")], profile=profile)  # 900 of items; fees do not count
    assert _codes(result) == ["30023"]
    assert result.error is not None
    assert result.error["message"] == "Cart value 900.00 is less than minimum order value 1000.00"
    assert _select([("I1", 3, "L1")], profile=profile).errors == ()


def test_nothing_quoted_is_not_also_below_minimum() -> None:
    profile = make_profile(min_order_value=Decimal(1000))
    assert _codes(_select([("I1", 1, "L1")], make_item("I1", stock=0), profile=profile)) == ["40002"]


def test_several_errors_report_the_most_important() -> None:
    profile = make_profile(serviceability=Serviceability(kind="pincodes", pincodes=("176215",)),
                           min_order_value=Decimal(5000), opening=Opening(take_orders="when_open"))
    result = _select([("I1", 20, "L1"), ("I2", 1, "L1")], make_item("I1", stock=3), make_item("I2"),
                     profile=profile, now=CLOSED)
    assert _codes(result) == ["40002", "30017", "30009", "30023"]
    assert result.error is not None
    assert result.error["code"] == "30017"


def test_an_order_taken_while_shut_promises_pick_up_from_the_next_opening() -> None:
    from adapter.orders.delivery_terms import parse_duration
    from adapter.orders.snapshots import stored_fulfilment

    selection = _select([("I1", 1, "L1")], now=CLOSED)  # Sunday 10:30 IST: taken, shipped from Monday 09:00 IST
    assert selection.errors == ()
    times = stored_fulfilment({}, selection, CLOSED, next_open(make_profile(), CLOSED))["times"]
    monday = datetime(2030, 1, 14, 3, 30, tzinfo=UTC)
    assert times["start_from"] == "2030-01-14T03:30:00.000Z"
    assert times["end_to"] == (monday + parse_duration(selection.tat)).isoformat(timespec="milliseconds").replace(
        "+00:00", "Z")
    assert times["state"] == "2030-01-13T05:00:00.000Z"  # the order itself is Pending from the confirmation
    open_times = stored_fulfilment({}, _select([("I1", 1, "L1")]), OPEN, next_open(make_profile(), OPEN))["times"]
    assert open_times["start_from"] == "2030-01-14T05:00:00.000Z"

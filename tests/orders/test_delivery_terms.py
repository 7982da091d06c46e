"""Delivery fees, TAT durations, serviceability and opening hours."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from adapter.orders.delivery_terms import (
    DeliveryTerms,
    format_duration,
    is_open,
    is_serviceable,
    longest,
    parse_duration,
    routing,
    tat,
)
from catalog_sync.model import Opening, Serviceability
from tests.orders.test_quote import make_location, make_profile


@pytest.mark.parametrize(
    ("text", "expected"),
    [("PT45M", timedelta(minutes=45)), ("P2D", timedelta(days=2)), ("PT2H", timedelta(hours=2)),
     ("P1DT2H30M", timedelta(days=1, hours=2, minutes=30)), ("P1W", timedelta(days=7)),
     ("PT30S", timedelta(seconds=30)), ("PT0S", timedelta(0))],
)
def test_parse_duration(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "P", "PT", "P1DT", "2D", "P1M", "P1Y", "PT1.5H", "p2d", "P-1D"])
def test_parse_duration_refuses(text: str) -> None:
    with pytest.raises(ValueError, match="ISO 8601"):
        parse_duration(text)


@pytest.mark.parametrize(
    ("ship", "transit", "expected"),
    [("P2D", "P3D", "P5D"), ("PT45M", "PT2H", "PT2H45M"), ("P1D", "PT2H", "P1DT2H"), ("PT23H", "PT1H", "P1D"),
     ("PT0S", "PT0S", "PT0S"), ("P1W", "PT30S", "P7DT30S")],
)
def test_tat_is_time_to_ship_plus_transit(ship: str, transit: str, expected: str) -> None:
    assert tat(ship, transit) == expected


def test_longest_and_format() -> None:
    assert longest(["PT45M", "P2D", "PT48H", "P1DT23H"]) == "P2D"
    assert longest([]) == "PT0S"
    with pytest.raises(ValueError, match="negative"):
        format_duration(timedelta(seconds=-1))


def test_flat_fee_and_rounding() -> None:
    terms = DeliveryTerms(flat_fee=Decimal("49.995"))
    assert terms.fee(Decimal(10)) == Decimal("50.00")
    assert str(terms.fee(Decimal(10))) == "50.00"


def test_free_above_is_inclusive() -> None:
    terms = DeliveryTerms(flat_fee=Decimal(40), free_above=Decimal(500))
    assert terms.fee(Decimal("499.99")) == Decimal(40)
    assert terms.fee(Decimal(500)) == Decimal(0)


def test_terms_validation() -> None:
    with pytest.raises(ValueError, match="negative"):
        DeliveryTerms(flat_fee=Decimal(-1))
    with pytest.raises(ValueError, match="increasing"):
        DeliveryTerms(slabs=((Decimal(500), Decimal(10)), (Decimal(200), Decimal(20))))
    with pytest.raises(ValueError, match="ISO 8601"):
        DeliveryTerms(transit_intercity="3 days")
    with pytest.raises(ValueError, match="category"):
        DeliveryTerms(category="Teleport")


def test_transit_and_category() -> None:
    terms = DeliveryTerms(transit_hyperlocal="PT90M", transit_intercity="P4D", category="Immediate Delivery")
    assert terms.transit_for("radius") == "PT90M"
    assert terms.transit_for("pincodes") == "P4D"
    assert terms.transit_for("pan_india") == "P4D"
    assert terms.category_for("PT2H") == "Immediate Delivery"
    assert terms.category_for("PT2H1M") == "Standard Delivery"
    assert DeliveryTerms(category="Next Day Delivery").category_for("P1D") == "Next Day Delivery"
    assert routing("radius") == "P2P"
    assert routing("pan_india") == "P2H2P"


# -- serviceability ---------------------------------------------------------------------------------------------

def test_pan_india_serves_any_valid_pincode() -> None:
    profile = make_profile()
    assert is_serviceable(profile, "560001", None)
    assert not is_serviceable(profile, "012345", None)
    assert not is_serviceable(profile, "5600", None)
    assert is_serviceable(profile, None, "12.9716,77.5946")
    assert not is_serviceable(profile, None, None)


@pytest.mark.parametrize(("pincode", "expected"), [("176215", True), ("176310", True), ("176315", True),
                                                   ("176320", True), ("176321", False), ("560001", False),
                                                   ("", False), (None, False)])
def test_pincode_list_with_ranges(pincode: str | None, expected: bool) -> None:
    profile = make_profile(serviceability=Serviceability(kind="pincodes", pincodes=("176215", "176310-176320")))
    assert is_serviceable(profile, pincode, "32.5534,76.1258") is expected


def test_radius_is_measured_from_the_locations() -> None:
    # Dharamshala (L1) and Palampur (L2) are ~28 km apart.
    profile = make_profile(
        locations=(make_location("L1", "32.2190,76.3234"), make_location("L2", "32.1109,76.5363")),
        serviceability=Serviceability(kind="radius", radius_km=Decimal(10)),
    )
    near_l2 = "32.1200,76.5400"
    assert is_serviceable(profile, "176061", near_l2)
    assert is_serviceable(profile, "176061", near_l2, location_id="L2")
    assert not is_serviceable(profile, "176061", near_l2, location_id="L1")
    assert not is_serviceable(profile, "176061", "28.6139,77.2090")  # Delhi
    assert not is_serviceable(profile, "176061", None)
    assert not is_serviceable(profile, "176061", "not,gps")
    assert not is_serviceable(profile, "176061", "95.0,76.0")


# -- opening hours ----------------------------------------------------------------------------------------------

IST_0930_MONDAY = datetime(2030, 1, 14, 4, 0, tzinfo=UTC)  # 09:30 IST, Monday 14 January 2030


@pytest.mark.parametrize(
    ("utc_time", "expected"),
    [(IST_0930_MONDAY, True),
     (datetime(2030, 1, 14, 3, 29, tzinfo=UTC), False),  # 08:59 IST
     (datetime(2030, 1, 14, 3, 30, tzinfo=UTC), True),  # 09:00 IST opens
     (datetime(2030, 1, 14, 12, 29, tzinfo=UTC), True),  # 17:59 IST
     (datetime(2030, 1, 14, 12, 30, tzinfo=UTC), False),  # 18:00 IST closes
     (datetime(2030, 1, 13, 5, 0, tzinfo=UTC), False),  # Sunday
     (datetime(2030, 1, 12, 20, 0, tzinfo=UTC), False),  # Saturday 20:00 UTC is Sunday 01:30 IST
     ],
)
def test_open_hours_are_judged_in_ist(utc_time: datetime, expected: bool) -> None:
    assert is_open(make_profile(), utc_time) is expected


def test_holiday_uses_the_ist_date() -> None:
    profile = make_profile(opening=Opening(holidays=("2030-01-15",)))
    assert is_open(profile, IST_0930_MONDAY)
    # 2030-01-14T20:00Z is already 15 January 01:30 IST; open all day except the holiday.
    allday = make_profile(opening=Opening(days=(1, 2, 3, 4, 5, 6, 7), open_time="0000", close_time="2359",
                                          holidays=("2030-01-15",)))
    assert is_open(allday, datetime(2030, 1, 14, 18, 29, tzinfo=UTC))  # 23:59 IST on the 14th
    assert not is_open(allday, datetime(2030, 1, 14, 20, 0, tzinfo=UTC))


def test_overnight_and_all_day_hours() -> None:
    overnight = make_profile(opening=Opening(days=(1, 2, 3, 4, 5, 6, 7), open_time="2200", close_time="0200"))
    assert is_open(overnight, datetime(2030, 1, 14, 17, 0, tzinfo=UTC))  # 22:30 IST
    assert is_open(overnight, datetime(2030, 1, 14, 20, 0, tzinfo=UTC))  # 01:30 IST
    assert not is_open(overnight, IST_0930_MONDAY)
    same = make_profile(opening=Opening(days=(1,), open_time="0000", close_time="0000"))
    assert is_open(same, IST_0930_MONDAY)


def test_is_open_needs_an_aware_time() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        is_open(make_profile(), datetime(2030, 1, 14, 9, 30))  # noqa: DTZ001 - the point of the test
    with pytest.raises(ValueError, match="HHMM"):
        is_open(make_profile(opening=Opening(open_time="9am")), IST_0930_MONDAY)

"""profile.load_profile / profile_to_dict."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from catalog_sync.errors import ProfileError
from catalog_sync.model import Profile
from catalog_sync.profile import gstin_check_char, load_profile, profile_to_dict


def test_fixture_profile_loads(profile: Profile) -> None:
    assert profile.slug == "test-coop"
    assert profile.consumer_care.phone == "9000000001"
    assert profile.locations[0].city_code == "std:01899"
    assert profile.opening.days == (1, 2, 3, 4, 5, 6)
    assert profile.opening.open_time == "0930"
    assert profile.min_order_value == Decimal("300")
    assert profile.settlement.kind == "bank"
    assert profile.np_type == "MSN"


def test_round_trip(profile: Profile) -> None:
    assert load_profile(profile_to_dict(profile)) == profile
    assert Profile.from_dict(profile.to_dict()) == profile


def test_gstin_checksum() -> None:
    assert gstin_check_char("27AAPFU0939F1Z") == "V"  # a widely published sample GSTIN


def _errors(data: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(ProfileError) as info:
        load_profile(data)
    return dict(info.value.errors)


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("gstin", "02AAAAA0000A1ZZ", "wrong check character; it should end in E"),
        ("gstin", "2AAAAA0000A1ZE", "a GSTIN has 15 characters"),
        ("gstin", "99AAAAA0000A1ZE", "which is no state's GST code"),
        ("pan", "AAAAA0000B", "does not match the PAN inside the GSTIN"),
        ("pan", "1234", "a PAN looks like ABCDE1234F"),
        ("slug", "Test Coop", "lowercase letters"),
        ("fssai_license_no", "123", "14-digit"),
        ("symbol", "http://insecure.example/logo.png", "https://"),
        ("domains", ["ONDC:RET99"], "not allowed"),
        ("np_type", "XYZ", "not allowed"),
        ("fulfillment_types", ["Teleport"], "not allowed"),
        ("cooperative_share_percent", "100.5", "a percent from 0 to 100"),
        ("cooperative_share_percent", "-1", "a percent from 0 to 100"),
        ("cooperative_share_percent", "ten", "a percent from 0 to 100"),
        ("cooperative_share_percent", "12.345", "a percent from 0 to 100"),
    ],
)
def test_bad_fields(profile_dict: dict[str, Any], path: str, value: Any, message: str) -> None:
    profile_dict[path] = value
    errors = _errors(profile_dict)
    assert any(message in msg for key, msg in errors.items() if key.startswith(path)), errors


def test_nested_errors_have_paths(profile_dict: dict[str, Any]) -> None:
    loc = profile_dict["locations"][0]
    loc["gps"] = "32.5,76.1"
    loc["area_code"] = "17631"
    loc["city_code"] = "Chamba"
    loc["colour"] = "blue"
    profile_dict["consumer_care"]["phone"] = "12345"
    profile_dict["consumer_care"]["email"] = "not-an-email"
    profile_dict["settlement"] = {
        "bank": {
            "account_no": "12",
            "ifsc": "SBIN1234567",
            "bank_name": "B",
            "branch": "C",
            "beneficiary": "D",
        }
    }
    profile_dict["opening"] = {"days": "1-9", "open": "9am"}
    errors = _errors(profile_dict)
    assert "at least 4 decimals" in errors["locations.0.gps"]
    assert "6-digit pincode" in errors["locations.0.area_code"]
    assert "std:01899" in errors["locations.0.city_code"]
    assert "not known" in errors["locations.0.colour"]
    assert "10-digit" in errors["consumer_care.phone"]
    assert "care@coop.in" in errors["consumer_care.email"]
    assert "9 to 18 digits" in errors["settlement.bank.account_no"]
    assert "IFSC" in errors["settlement.bank.ifsc"]
    assert "1 (Monday) to 7 (Sunday)" in errors["opening.days"]
    assert "09:00" in errors["opening.open"]


def test_missing_fields_are_all_listed() -> None:
    errors = _errors({"slug": "x"})
    assert {"name", "legal_name", "gstin", "pan", "locations", "consumer_care", "settlement"} <= set(errors)
    assert errors["name"] == "this field is required"


def test_food_needs_fssai(profile_dict: dict[str, Any]) -> None:
    profile_dict["fssai_license_no"] = None
    assert "required to sell food" in _errors(profile_dict)["fssai_license_no"]


def test_settlement_is_bank_or_upi(profile_dict: dict[str, Any]) -> None:
    profile_dict["settlement"] = {"upi": "testcoop@sbi"}
    assert load_profile(profile_dict).settlement.upi_address == "testcoop@sbi"
    profile_dict["settlement"] = {}
    assert "exactly one" in _errors(profile_dict)["settlement"]


def test_serviceability_kinds(profile_dict: dict[str, Any]) -> None:
    profile_dict["serviceability"] = {"type": "pincodes", "pincodes": ["176310", "176311-176320"]}
    assert load_profile(profile_dict).serviceability.pincodes == ("176310", "176311-176320")
    profile_dict["serviceability"] = {"type": "radius", "radius_km": "15"}
    assert load_profile(profile_dict).serviceability.radius_km == Decimal(15)
    profile_dict["serviceability"] = {"type": "pincodes", "pincodes": ["abc"]}
    assert "6-digit pincodes" in _errors(profile_dict)["serviceability.pincodes"]
    profile_dict["serviceability"] = {"type": "radius"}
    assert "radius_km is needed" in _errors(profile_dict)["serviceability.radius_km"]


def test_duplicate_location_ids(profile_dict: dict[str, Any]) -> None:
    profile_dict["locations"].append(dict(profile_dict["locations"][0]))
    assert _errors(profile_dict)["locations"] == "every location needs its own id"


def test_not_a_mapping() -> None:
    with pytest.raises(ProfileError, match="mapping"):
        load_profile(["x"])  # type: ignore[arg-type]


def test_orders_are_taken_always_unless_the_profile_says_when_open(profile_dict: dict[str, Any]) -> None:
    assert load_profile(profile_dict).opening.take_orders == "always"
    profile_dict["opening"] = {"days": "1-6", "open": "09:00", "close": "17:00", "take_orders": "when_open"}
    shop = load_profile(profile_dict)
    assert shop.opening.take_orders == "when_open"
    assert load_profile(profile_to_dict(shop)) == shop
    profile_dict["opening"]["take_orders"] = "sometimes"
    assert "always, when_open" in _errors(profile_dict)["opening.take_orders"]


GI = {"id": "GI-AU-0042", "type": "GI", "name": "Kinnauri Shawl (Geographical Indication)",
      "short_desc": "Authorised user of the registered GI", "verify_url": "https://search.ipindia.gov.in/GIRPublic/",
      "valid_until": "2030-03-31"}


def test_credentials_load_round_trip_and_are_checked(profile_dict: dict[str, Any]) -> None:
    profile = load_profile({**profile_dict, "credentials": [GI]})
    (cred,) = profile.credentials
    assert (cred.kind, cred.valid_until, cred.url) == ("GI", "2030-03-31", "")
    assert load_profile(profile_to_dict(profile)) == profile
    assert Profile.from_dict(profile.to_dict()) == profile
    errors = _errors({**profile_dict, "credentials": [
        {**GI, "url": "http://insecure.example/badge.png", "type": "G I!", "valid_from": "2031-01-01"},
        {**GI, "id": "", "colour": "red"}]})
    assert "https://" in errors["credentials.0.url"]
    assert "GI, ODOP" in errors["credentials.0.type"]
    assert errors["credentials.0.valid_until"] == "valid_until is before valid_from"
    assert errors["credentials.1.id"] == "id must not be empty"
    assert "not known" in errors["credentials.1.colour"]
    assert _errors({**profile_dict, "credentials": [GI, GI]})["credentials"] == "every credential needs its own id"


def test_lists_that_must_not_be_empty_or_too_long(profile_dict: dict[str, Any]) -> None:
    assert "at least one location" in _errors({**profile_dict, "locations": []})["locations"]
    assert "at least one domain" in _errors({**profile_dict, "domains": []})["domains"]
    many = [{**GI, "id": f"GI-{n}"} for n in range(11)]
    assert _errors({**profile_dict, "credentials": many})["credentials"] == "at most 10 credentials"
    assert len(load_profile({**profile_dict, "credentials": many[:10]}).credentials) == 10


def test_the_cooperatives_share_is_a_percent_kept_0_by_default(profile_dict: dict[str, Any]) -> None:
    assert load_profile(profile_dict).cooperative_share_percent == Decimal(0)
    for given, kept in (("12.5", Decimal("12.5")), ("10 %", Decimal(10)), (100, Decimal(100)), ("0", Decimal(0))):
        profile = load_profile(profile_dict | {"cooperative_share_percent": given})
        assert profile.cooperative_share_percent == kept
        assert load_profile(profile_to_dict(profile)) == profile
        assert Profile.from_dict(profile.to_dict()) == profile

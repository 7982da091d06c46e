"""A temporary closure: no orders, no dispatch, the store shown closed and its days listed as holidays."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

import pytest

from adapter.orders.delivery_terms import is_open, next_open, takes_orders
from catalog_sync.diff import ChangeSet, to_on_search_incremental
from catalog_sync.errors import ProfileError
from catalog_sync.model import Catalogue
from catalog_sync.on_search import location_time, store_state
from catalog_sync.on_search_items import IST
from catalog_sync.profile import load_profile, profile_to_dict

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def profile_with(closed: dict[str, object] | None, **opening: object) -> object:
    data = json.loads((FIXTURES / "profile.json").read_text()) | {"slug": "test-coop"}
    data["opening"] = {"days": "1-6", "open": "10:00", "close": "18:00", **opening, "closed": closed}
    return load_profile(data)


def at(day: str, hhmm: str = "12:00") -> dt.datetime:
    return dt.datetime.fromisoformat(f"{day}T{hhmm}:00").replace(tzinfo=IST)


def test_no_orders_and_no_dispatch_during_a_closure_and_both_resume_after() -> None:
    profile = profile_with({"from": "2026-12-24", "until": "2027-01-02", "note": "Winter: roads closed"})
    assert takes_orders(profile, at("2026-12-23", "21:30"))  # the evening before: orders are taken
    assert not takes_orders(profile, at("2026-12-24", "09:00"))
    assert not takes_orders(profile, at("2027-01-02", "23:59"))
    assert takes_orders(profile, at("2027-01-03", "00:01"))
    assert not is_open(profile, at("2026-12-28"))  # a Monday inside the closure
    # Dispatch resumes on the first opening day after the closure (2027-01-03 is a Sunday: closed).
    assert next_open(profile, at("2026-12-24")) == at("2027-01-04", "10:00")


def test_the_closure_round_trips_and_a_wrong_range_is_refused() -> None:
    profile = profile_with({"until": "2027-01-02"})
    assert profile.opening.closed_from == ""
    assert load_profile(profile_to_dict(profile) | {"slug": "test-coop"}) == profile
    with pytest.raises(ProfileError) as info:
        profile_with({"from": "2027-01-05", "until": "2027-01-02"})
    assert "until must be on or after from" in str(info.value)
    with pytest.raises(ProfileError):
        profile_with({"until": "next week"})


def test_the_location_says_close_and_lists_the_closed_days_and_only_upcoming_holidays() -> None:
    profile = profile_with({"from": "2026-12-30", "until": "2027-01-02"}, holidays=["2026-01-26", "2027-01-26"])
    before = location_time(profile.opening, "2026-12-28T06:30:00.000Z")
    assert before["label"] == "enable"
    assert before["schedule"]["holidays"] == ["2026-12-30", "2026-12-31", "2027-01-01", "2027-01-02",
                                              "2027-01-26"]  # the past Republic Day is left out
    during = location_time(profile.opening, "2027-01-01T06:30:00.000Z")
    assert during["label"] == "close"
    assert during["schedule"]["holidays"][0] == "2027-01-01"
    assert during["range"] == {"start": "1000", "end": "1800"}
    assert store_state(profile, at("2027-01-01")) == "closed:2027-01-02"
    assert store_state(profile, at("2027-01-03")) == "open"


def test_an_incremental_push_can_carry_only_the_store_state() -> None:
    profile = profile_with({"until": "2027-01-02"})
    context = {"domain": "ONDC:RET16", "bpp_id": "seller.example", "city": "*"}
    now = at("2026-12-30").astimezone(dt.UTC)
    empty = ChangeSet(added=(), changed=(), removed=())
    assert to_on_search_incremental(empty, Catalogue(profile, ()), context=context, now=now) is None
    body = to_on_search_incremental(empty, Catalogue(profile, ()), context=context, now=now, store_changed=True)
    assert body is not None
    (provider,) = body["message"]["catalog"]["bpp/providers"]
    assert provider["time"]["label"] == "close"
    assert [loc["time"]["label"] for loc in provider["locations"]] == ["close"] * len(profile.locations)
    assert "items" not in provider
    reopened = dataclasses.replace(profile, opening=dataclasses.replace(profile.opening, closed_until=""))
    body = to_on_search_incremental(empty, Catalogue(reopened, ()), context=context, now=now, store_changed=True)
    assert body is not None
    (provider,) = body["message"]["catalog"]["bpp/providers"]
    assert provider["time"]["label"] == "enable"
    assert {loc["time"]["label"] for loc in provider["locations"]} == {"enable"}

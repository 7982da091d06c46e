"""An order's parcel: weights summed with the packaging, the largest box, and no parcel without the facts."""

from __future__ import annotations

import dataclasses
import json
from decimal import Decimal
from pathlib import Path

import pytest

from adapter.logistics.parcel import Parcel, parcel_of, why_no_parcel
from catalog_sync.model import Box, Item, Profile
from catalog_sync.profile import load_profile

PROFILE = load_profile(json.loads((Path(__file__).parents[1] / "catalog_sync" / "fixtures" /
                                   "profile.json").read_text()))


def item(item_id: str, weight: int | None, sides: tuple[str, str, str] | None = None) -> Item:
    length, breadth, height = (Decimal(s) for s in sides) if sides else (None, None, None)
    return Item(id=item_id, name=item_id, category_id="Home Decor", domain="ONDC:RET16", price=Decimal(100),
                mrp=Decimal(100), stock=5, images=("https://x.example/a.jpg",), weight_g=weight, length_cm=length,
                breadth_cm=breadth, height_cm=height)


def with_packing(weight: int, box: tuple[str, str, str] | None = None) -> Profile:
    return dataclasses.replace(PROFILE, packaging_weight_g=weight,
                               default_box=Box(*(Decimal(s) for s in box)) if box else None)


def test_weights_times_quantities_plus_packaging() -> None:
    lines = [(item("rumal", 150, ("45", "45", "1")), 2), (item("tea", 250, ("10", "8", "15")), 3)]
    parcel = parcel_of(lines, with_packing(120))
    assert parcel == Parcel(weight_g=150 * 2 + 250 * 3 + 120, length_cm=Decimal(45), breadth_cm=Decimal(45),
                            height_cm=Decimal(8))
    assert parcel.weight_kg == Decimal("1.17")


def test_sides_are_compared_longest_first_so_a_turned_item_fits() -> None:
    # A tall jar (8 x 8 x 20) and a flat cloth (40 x 30 x 1): the box takes 40, 30 and 8.
    lines = [(item("jar", 400, ("8", "8", "20")), 1), (item("cloth", 90, ("1", "30", "40")), 1)]
    parcel = parcel_of(lines, PROFILE)
    assert parcel is not None
    assert (parcel.length_cm, parcel.breadth_cm, parcel.height_cm) == (Decimal(40), Decimal(30), Decimal(8))


def test_the_default_box_sizes_items_without_a_size_and_is_never_smaller() -> None:
    profile = with_packing(0, ("30", "25", "5"))
    assert parcel_of([(item("shawl", 300), 1)], profile) == Parcel(300, Decimal(30), Decimal(25), Decimal(5))
    big = parcel_of([(item("rug", 2000, ("120", "10", "10")), 1)], profile)
    assert big is not None
    assert (big.length_cm, big.breadth_cm, big.height_cm) == (Decimal(120), Decimal(25), Decimal(10))


def test_lines_not_shipped_count_for_nothing() -> None:
    lines = [(item("kept", 100, ("10", "10", "10")), 1), (item("sold-out", None), 0)]
    assert parcel_of(lines, PROFILE) == Parcel(100, Decimal(10), Decimal(10), Decimal(10))


@pytest.mark.parametrize(("lines", "profile", "reason"), [
    ([(item("a", 100, ("1", "1", "1")), 1), (item("b", None, ("1", "1", "1")), 1)], PROFILE,
     "no weight_g for item(s) b"),
    ([(item("a", 100), 1)], PROFILE, "no item size and no default_box in the profile"),
    ([(item("a", 100), 0)], PROFILE, "nothing to ship"),
])
def test_no_parcel_without_the_facts(lines: list[tuple[Item, int]], profile: Profile, reason: str) -> None:
    assert parcel_of(lines, profile) is None
    assert why_no_parcel(lines, profile) == reason

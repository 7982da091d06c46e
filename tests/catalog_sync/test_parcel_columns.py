"""The parcel columns (weight_g, length_cm, breadth_cm, height_cm) and the profile's packaging and shipping
settings: optional, checked with a fix in English and Hindi, in every template, and invisible to buyer apps."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
import pytest

from catalog_sync.categories import CATEGORIES, template_csv
from catalog_sync.errors import ProfileError
from catalog_sync.ingest import RawRow
from catalog_sync.model import Box, Catalogue, Item, Profile, Shipping, item_hash
from catalog_sync.on_search import BppInfo, to_on_search
from catalog_sync.profile import load_profile, profile_to_dict
from catalog_sync.validate import validate_rows
from tests.catalog_sync.hindi import to_hindi

Row = Callable[..., RawRow]
PROFILE = json.loads((Path(__file__).parent / "fixtures" / "profile.json").read_text())
SIZE = {"length_cm": "30", "breadth_cm": "25", "height_cm": "2"}


@pytest.mark.parametrize(("cells", "expected"), [
    ({"weight_g": "150", **SIZE}, (150, Decimal(30), Decimal(25), Decimal(2))),
    ({"weight_g": "1200.0", "length_cm": "45.5", "breadth_cm": "45 cm", "height_cm": "0.5"},
     (1200, Decimal("45.5"), Decimal(45), Decimal("0.5"))),
    ({"weight_g": "80"}, (80, None, None, None)),  # a weight alone is fine: the profile's box gives the size
    ({}, (None, None, None, None)),
])
def test_good_values_are_kept(row: Row, cells: dict[str, str], expected: tuple[Any, ...]) -> None:
    report = validate_rows([row(**cells)])
    assert report.ok, report.errors
    (item,) = report.items
    assert (item.weight_g, item.length_cm, item.breadth_cm, item.height_cm) == expected


@pytest.mark.parametrize(("cells", "column", "english", "hindi"), [
    ({"weight_g": "0"}, "weight_g", "weight_g must be at least 1", "कम से कम 1"),
    ({"weight_g": "1.5"}, "weight_g", "weight_g must be a whole number 1 or more", "पूरी संख्या"),
    ({"weight_g": "150000"}, "weight_g", "weight_g must be at most 100000", "ज़्यादा से ज़्यादा 100000"),
    ({**SIZE, "length_cm": "thirty"}, "length_cm", "length_cm must be a size in centimetres like 30 or 12.5",
     "सेंटीमीटर में माप"),
    ({**SIZE, "breadth_cm": "0"}, "breadth_cm", "breadth_cm must be more than 0", "0 से ज़्यादा"),
    ({**SIZE, "height_cm": "600"}, "height_cm", "height_cm must be at most 500", "ज़्यादा से ज़्यादा 500"),
    ({"length_cm": "30", "breadth_cm": "20"}, "height_cm", "height_cm is needed too: give length_cm, breadth_cm "
     "and height_cm together, or none of them", "तीनों एक साथ"),
])
def test_bad_values_are_errors_with_the_row_column_and_fix(row: Row, cells: dict[str, str], column: str,
                                                           english: str, hindi: str) -> None:
    report = validate_rows([row(**cells)])
    assert report.items == ()  # nothing is imported
    (error,) = report.errors
    assert (error.row, error.column) == (2, column)
    assert error.message.startswith(english)
    assert hindi in to_hindi(error.message)


@pytest.mark.parametrize("category", sorted(CATEGORIES))
def test_every_template_has_the_parcel_columns(category: str) -> None:
    header, example = list(csv.reader(io.StringIO(template_csv(category))))[:2]
    assert {"weight_g", "length_cm", "breadth_cm", "height_cm"} <= set(header)
    assert example[header.index("weight_g")] == "150"
    # The template's example row passes the checks it documents.
    report = validate_rows([RawRow(2, dict(zip(header, example, strict=True)))])
    assert [e for e in report.errors if e.column in ("weight_g", "length_cm", "breadth_cm", "height_cm")] == []


def test_items_without_them_keep_their_hash(make_item: Callable[..., Item]) -> None:
    plain = make_item()
    parcel = dataclasses.replace(plain, weight_g=150, length_cm=Decimal(30), breadth_cm=Decimal("25.5"),
                                 height_cm=Decimal(2))
    assert not {"weight_g", "length_cm", "breadth_cm", "height_cm"} & set(plain.to_dict())
    assert item_hash(plain) != item_hash(parcel)
    assert Item.from_dict(parcel.to_dict()) == parcel


def test_the_on_search_is_the_same_with_or_without_them(catalogue: Catalogue, bpp: BppInfo, context: Any,
                                                        now: datetime) -> None:
    # ONDC RET 1.2.5 items carry no weight or size: the retail catalogue stays as it was.
    weighed = dataclasses.replace(catalogue, items=tuple(
        dataclasses.replace(item, weight_g=987, length_cm=Decimal("61.5"), breadth_cm=Decimal(40),
                            height_cm=Decimal(3)) for item in catalogue.items))
    plain_pages = to_on_search(catalogue, bpp=bpp, context=context("ONDC:RET16"), now=now)
    assert to_on_search(weighed, bpp=bpp, context=context("ONDC:RET16"), now=now) == plain_pages
    assert b"61.5" not in orjson.dumps(plain_pages)


def test_the_profile_defaults_change_nothing_for_existing_cooperatives() -> None:
    profile = load_profile(PROFILE)
    assert profile.shipping == Shipping(mode="manual", policy="cheapest", preferred=())
    assert (profile.packaging_weight_g, profile.default_box) == (0, None)
    # A profile stored before these settings reads back equal, and is stored as it was.
    assert not {"shipping", "packaging_weight_g", "default_box"} & set(profile.to_dict())
    assert Profile.from_dict(profile.to_dict()) == profile


def test_the_profile_takes_packaging_and_shipping_and_round_trips() -> None:
    profile = load_profile({**PROFILE, "packaging_weight_g": "120",
                            "default_box": {"length_cm": 30, "breadth_cm": "20.5", "height_cm": 10},
                            "shipping": {"mode": "network", "policy": "fastest",
                                         "preferred": ["courier.example", "courier.example", "P1"]}})
    assert profile.packaging_weight_g == 120
    assert profile.default_box == Box(Decimal(30), Decimal("20.5"), Decimal(10))
    assert profile.shipping == Shipping(mode="network", policy="fastest", preferred=("courier.example", "P1"))
    assert Profile.from_dict(profile.to_dict()) == profile
    assert load_profile(profile_to_dict(profile)) == profile


@pytest.mark.parametrize(("change", "path", "message"), [
    ({"packaging_weight_g": "-5"}, "packaging_weight_g", "must be a whole number 0 or more"),
    ({"packaging_weight_g": "200000"}, "packaging_weight_g", "must be at most 100000"),
    ({"default_box": {"length_cm": 0, "breadth_cm": 1, "height_cm": 1}}, "default_box.length_cm",
     "must be more than 0"),
    ({"default_box": {"length_cm": 30, "breadth_cm": 20}}, "default_box.height_cm", "this field is required"),
    ({"default_box": {"length_cm": 900, "breadth_cm": 1, "height_cm": 1}}, "default_box.length_cm",
     "must be at most 500 centimetres"),
    ({"shipping": {"mode": "air"}}, "shipping.mode", "'air' is not allowed; use one of: manual, network"),
    ({"shipping": {"policy": "nearest"}}, "shipping.policy", "use one of: cheapest, fastest"),
    ({"shipping": {"preferred": ["a courier"]}}, "shipping.preferred.0", "name a courier by its ONDC subscriber id"),
    ({"shipping": {"mode": "network", "couriers": []}}, "shipping.couriers", "this field is not known"),
])
def test_bad_profile_settings_are_named_with_their_path(change: dict[str, Any], path: str, message: str) -> None:
    with pytest.raises(ProfileError) as caught:
        load_profile({**PROFILE, **change})
    assert [(p, m) for p, m in caught.value.errors if p == path and message in m], caught.value.errors

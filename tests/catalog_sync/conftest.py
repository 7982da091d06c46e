"""Factories and golden-file support for the catalogue-core unit tests.

Golden files live in tests/catalog_sync/golden/. To regenerate them after an intended output change, run
``UPDATE_GOLDEN=1 python -m pytest tests/catalog_sync`` and review the diff before committing.
"""

from __future__ import annotations

import dataclasses
import json
import os
import pathlib
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from adapter.protocol.identity import SellerApp
from catalog_sync.ingest import RawRow, parse_catalogue
from catalog_sync.model import Catalogue, Item, Profile
from catalog_sync.on_search import BppInfo
from catalog_sync.profile import load_profile
from catalog_sync.validate import validate_rows

HERE = pathlib.Path(__file__).resolve().parent
FIXTURES = HERE / "fixtures"
GOLDEN = HERE / "golden"
NOW = datetime(2030, 1, 15, 6, 30, 0, 123000, tzinfo=UTC)


def _profile_dict() -> dict[str, Any]:
    with (FIXTURES / "profile.json").open(encoding="utf-8") as fh:
        data: dict[str, Any] = json.load(fh)
    return data


@pytest.fixture
def profile_dict() -> dict[str, Any]:
    """The fixture cooperative's profile as a user would write it (fresh copy per test)."""
    return _profile_dict()


@pytest.fixture
def profile() -> Profile:
    return load_profile(_profile_dict())


@pytest.fixture
def catalogue(profile: Profile) -> Catalogue:
    items: list[Item] = []
    for name in ("items_ret16.csv", "items_ret12.csv", "items_ret10.csv"):
        report = validate_rows(parse_catalogue((FIXTURES / name).read_bytes(), name), profile)
        assert report.ok, report.errors
        items.extend(report.items)
    return Catalogue(profile, tuple(items))


@pytest.fixture
def bpp() -> BppInfo:
    return BppInfo(
        app=SellerApp(bpp_id="test.odop-adapter.example", bpp_uri="https://test.odop-adapter.example/ondc",
                   name="Test ODOP Adapter", size_budget=2_000_000, window_seconds=3600),
        symbol="https://test.odop-adapter.example/images/logo.png",
        short_desc="ODOP cooperatives on ONDC (test)",
        long_desc="Seller app for One District One Product cooperatives (test fixture)",
        images=("https://test.odop-adapter.example/images/logo.png",),
        np_type="MSN",
    )


@pytest.fixture
def now() -> datetime:
    return NOW


@pytest.fixture
def context() -> Callable[..., dict[str, Any]]:
    def make(domain: str = "ONDC:RET16", *, city: str = "std:01899") -> dict[str, Any]:
        return {
            "domain": domain,
            "action": "on_search",
            "country": "IND",
            "city": city,
            "core_version": "1.2.5",
            "bap_id": "buyer.test.example",
            "bap_uri": "https://buyer.test.example/ondc",
            "bpp_id": "test.odop-adapter.example",
            "bpp_uri": "https://test.odop-adapter.example/ondc",
            "transaction_id": "7f7e9b6e-7b8a-4c1e-9d55-2a0f3c3b1a01",
            "message_id": "0c2b4a8e-9a55-4d43-8f43-6b2f2a7d9c02",
            "timestamp": "2030-01-15T06:30:01.000Z",
            "ttl": "PT30S",
        }

    return make


GOOD_ROW = {
    "id": "CR-001",
    "name": "Chamba Rumal",
    "category_id": "Home Decor",
    "price": "4500",
    "mrp": "5000",
    "stock": "3",
    "images": "https://test.odop-adapter.example/images/cr-001.jpg",
    "colour": "#8B0000",
    "hsn": "63049239",
    "gst_rate": "5",
}


@pytest.fixture
def row() -> Callable[..., RawRow]:
    """Build a RawRow from the good Home Decor row with overrides (a value of None removes the column)."""

    def make(row_no: int = 2, **overrides: str | None) -> RawRow:
        values = {**GOOD_ROW, **overrides}
        return RawRow(row_no, {k: v for k, v in values.items() if v is not None})

    return make


@pytest.fixture
def make_item() -> Callable[..., Item]:
    base = Item(
        id="I1",
        name="Test item",
        category_id="Home Decor",
        domain="ONDC:RET16",
        price=Decimal("100.00"),
        mrp=Decimal("120.00"),
        stock=5,
        images=("https://test.odop-adapter.example/images/i1.jpg",),
        colour="#FFFFFF",
    )

    def make(**overrides: Any) -> Item:
        return dataclasses.replace(base, **overrides)

    return make


@pytest.fixture
def golden() -> Callable[[str, Any], None]:
    """Compare ``data`` with golden/<name>.json; with UPDATE_GOLDEN=1, rewrite the file instead."""

    def check(name: str, data: Any) -> None:
        path = GOLDEN / f"{name}.json"
        text = json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
        if os.environ.get("UPDATE_GOLDEN") == "1":
            path.write_text(text, encoding="utf-8")
        assert path.exists(), f"missing golden file {path}; run with UPDATE_GOLDEN=1 to create it"
        assert json.loads(path.read_text(encoding="utf-8")) == json.loads(text)

    return check

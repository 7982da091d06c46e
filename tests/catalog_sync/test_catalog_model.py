"""model: round trips and hashing."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal

from catalog_sync.model import Catalogue, Item, item_hash


def test_item_round_trip_is_json_safe(catalogue: Catalogue) -> None:
    for item in catalogue.items:
        data = item.to_dict()
        assert json.loads(json.dumps(data)) == data
        assert isinstance(data["price"], str)
        assert Item.from_dict(data) == item


def test_catalogue_round_trip(catalogue: Catalogue) -> None:
    assert Catalogue.from_dict(json.loads(json.dumps(catalogue.to_dict()))) == catalogue


def test_item_hash_is_stable_and_content_based(make_item: Callable[..., Item]) -> None:
    a = make_item()
    assert item_hash(a) == item_hash(make_item())
    assert len(item_hash(a)) == 64
    assert item_hash(a) != item_hash(make_item(price=Decimal("100.01")))
    assert item_hash(make_item(price=Decimal("100.00"))) != item_hash(make_item(price=Decimal("100")))


def test_attribute_reads_variant_values(make_item: Callable[..., Item]) -> None:
    item = make_item(size="L", unit="gram", net_quantity=Decimal(250))
    assert item.attribute("size") == "L"
    assert item.attribute("net_quantity") == "250 gram"

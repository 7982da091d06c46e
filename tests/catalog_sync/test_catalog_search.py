"""search: intents from search messages and item filtering."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any

import pytest

from catalog_sync.errors import IntentError
from catalog_sync.model import Catalogue, Serviceability
from catalog_sync.search_intent import CatalogInc, SearchIntent, filter_items, intent_from_search


def _message(**intent: Any) -> dict[str, Any]:
    return {"intent": intent}


def test_full_intent() -> None:
    intent = intent_from_search(
        _message(
            fulfillment={
                "type": "Delivery",
                "end": {"location": {"gps": "12.9716,77.5946", "address": {"area_code": "560001"}}},
            },
            category={"id": "Home Decor"},
            item={"descriptor": {"name": "rumal"}},
            payment={"@ondc/org/buyer_app_finder_fee_type": "percent"},
        )
    )
    assert intent == SearchIntent("Home Decor", "rumal", "Delivery", "12.9716,77.5946", "560001", None)


def test_incremental_pull_and_pickup_alias() -> None:
    intent = intent_from_search(
        _message(
            fulfillment={"type": "Pickup"},
            tags=[
                {"code": "bap_terms", "list": []},
                {
                    "code": "catalog_inc",
                    "list": [
                        {"code": "start_time", "value": "2030-01-01T00:00:00.000Z"},
                        {"code": "end_time", "value": "2030-01-01T01:00:00.000Z"},
                    ],
                },
            ],
        )
    )
    assert intent.fulfillment_type == "Self-Pickup"
    assert intent.catalog_inc == CatalogInc(None, "2030-01-01T00:00:00.000Z", "2030-01-01T01:00:00.000Z")
    assert intent.is_incremental


@pytest.mark.parametrize(
    ("message", "path"),
    [
        ({"intent": []}, "message.intent"),
        (_message(fulfillment={"type": "Teleport"}), "message.intent.fulfillment.type"),
        (_message(item={"descriptor": {"name": 5}}), "message.intent.item.descriptor.name"),
        (_message(tags={"code": "catalog_inc"}), "message.intent.tags"),
        (
            _message(tags=[{"code": "catalog_inc", "list": [{"code": "mode", "value": "pause"}]}]),
            "message.intent.tags",
        ),
    ],
)
def test_bad_intents_name_the_path(message: dict[str, Any], path: str) -> None:
    with pytest.raises(IntentError) as info:
        intent_from_search(message)
    assert info.value.path == path


def test_filtering(catalogue: Catalogue) -> None:
    items = catalogue.items
    assert len(filter_items(items, None, catalogue.profile)) == len(items)
    by_cat = filter_items(items, SearchIntent(category_id="Caps & Hats"), catalogue.profile)
    assert [i.id for i in by_cat] == ["T12-CAP"]
    by_name = filter_items(items, SearchIntent(item_name="RUMAL"), catalogue.profile)
    assert [i.id for i in by_name] == ["T16-1", "T16-2"]
    assert filter_items(items, SearchIntent(fulfillment_type="Self-Pickup"), catalogue.profile) == []
    hidden = dataclasses.replace(items[0], enabled=False)
    assert hidden not in filter_items((hidden,), None, catalogue.profile)


def test_serviceability_by_pincode_and_radius(catalogue: Catalogue) -> None:
    pins = dataclasses.replace(
        catalogue.profile, serviceability=Serviceability("pincodes", ("176310-176320",))
    )
    assert filter_items(catalogue.items, SearchIntent(end_area_code="176315"), pins)
    assert not filter_items(catalogue.items, SearchIntent(end_area_code="560001"), pins)
    radius = dataclasses.replace(
        catalogue.profile, serviceability=Serviceability("radius", radius_km=Decimal(50))
    )
    assert filter_items(
        catalogue.items, SearchIntent(end_gps="32.2190,76.3234"), radius
    )  # Dharamshala ~45 km
    assert not filter_items(catalogue.items, SearchIntent(end_gps="12.9716,77.5946"), radius)  # Bengaluru

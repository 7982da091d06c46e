"""The LOG search we send: valid against ONDC's LOG10/LOG11 OpenAPI, and saying what the spec's examples say."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from adapter.logistics.parcel import Parcel
from adapter.logistics.search import Drop, LogSearch, log_category, log_domain, payload_category, search_body
from catalog_sync.profile import load_profile
from tests.logistics.conftest import example, examples, schema_errors

PROFILE = load_profile(json.loads((Path(__file__).parents[1] / "catalog_sync" / "fixtures" /
                                   "profile.json").read_text()))
NOW = dt.datetime(2030, 10, 1, 6, 30, tzinfo=dt.UTC)
SHIMLA = Drop(gps="31.1048,77.1734", area_code="171001")
PARCEL = Parcel(1170, Decimal(45), Decimal("30.5"), Decimal(8))


def body(domain: str = "ONDC:LOG11", category: str = "Standard Delivery",
         parcel: Parcel = PARCEL) -> dict[str, Any]:
    search = LogSearch(domain=domain, category=category, pickup=PROFILE.locations[0], drop=SHIMLA, parcel=parcel,
                       declared_value=Decimal("4500"), goods_category="Home Decor", provider_id="test-coop",
                       provider_name=PROFILE.name, opening=PROFILE.opening)
    return search_body(search, bap_id="seller.odop.test", bap_uri="https://seller.odop.test/ondc",
                       transaction_id="t-1", message_id="m-1", now=NOW)


@pytest.mark.parametrize(("domain", "category"), [
    ("ONDC:LOG11", "Standard Delivery"), ("ONDC:LOG11", "Express Delivery"),
    ("ONDC:LOG10", "Standard Delivery"), ("ONDC:LOG10", "Immediate Delivery"),
])
def test_our_search_validates_against_the_log_openapi(domain: str, category: str) -> None:
    payload = body(domain, category)
    assert schema_errors(domain, "search", payload) == []
    # And a whole-kilo parcel (a JSON integer weight) as well.
    whole = body(domain, category, Parcel(2000, Decimal(10), Decimal(10), Decimal(10)))
    assert whole["message"]["intent"]["@ondc/org/payload_details"]["weight"]["value"] == 2
    assert schema_errors(domain, "search", whole) == []


def test_our_search_says_what_the_spec_examples_say() -> None:
    ours, theirs = body(), example("LOG11_ORDER_FLOW_BASE_LINE.search")
    intent, spec = ours["message"]["intent"], theirs["message"]["intent"]
    assert set(ours["context"]) == set(theirs["context"])
    assert ours["context"] | {"bap_id": "-", "bap_uri": "-", "transaction_id": "-", "message_id": "-"} == {
        "domain": "ONDC:LOG11", "country": "IND", "city": "std:01899", "action": "search", "core_version": "1.2.5",
        "bap_id": "-", "bap_uri": "-", "transaction_id": "-", "message_id": "-",
        "timestamp": "2030-10-01T06:30:00.000Z", "ttl": "PT30S"}
    # The same keys in every part the spec fills (provider.time.duration is optional: we leave it out).
    assert set(intent) == set(spec) - {"tags"}
    assert set(intent["@ondc/org/payload_details"]) == set(spec["@ondc/org/payload_details"])
    assert [tag["code"] for tag in intent["fulfillment"]["tags"]] == [t["code"] for t in spec["fulfillment"]["tags"]]
    linked = {e["code"] for e in intent["fulfillment"]["tags"][1]["list"]}
    assert linked == {e["code"] for e in spec["fulfillment"]["tags"][1]["list"]}
    assert intent["payment"] == spec["payment"] == {"type": "POST-FULFILLMENT"}
    # Our values: from Chamba to Shimla, 1.17 kg in a 45 x 30.5 x 8 cm box worth 4,500 rupees.
    assert intent["fulfillment"]["start"]["location"] == {"gps": "32.5534,76.1258", "address": {"area_code": "176310"}}
    assert intent["fulfillment"]["end"]["location"] == {"gps": "31.1048,77.1734", "address": {"area_code": "171001"}}
    payload = intent["@ondc/org/payload_details"]
    assert payload["weight"] == {"unit": "kilogram", "value": 1.17}
    assert {k: v["value"] for k, v in payload["dimensions"].items()} == {"length": 45, "breadth": 30.5, "height": 8}
    assert payload["value"] == {"currency": "INR", "value": "4500.00"}
    assert dict((e["code"], e["value"]) for e in intent["fulfillment"]["tags"][1]["list"])["weight_value"] == "1.17"
    assert intent["provider"]["time"] == {"days": "1,2,3,4,5,6", "range": {"start": "0930", "end": "1800"},
                                          "schedule": {"holidays": ["2030-10-21"]}}


def test_past_holidays_are_not_sent() -> None:
    assert body()["message"]["intent"]["provider"]["time"]["schedule"]["holidays"] == ["2030-10-21"]
    search = LogSearch(domain="ONDC:LOG11", category="Standard Delivery", pickup=PROFILE.locations[0], drop=SHIMLA,
                       parcel=Parcel(100, Decimal(1), Decimal(1), Decimal(1)), declared_value=Decimal(1),
                       goods_category="Home Decor", provider_id="p", provider_name="n", opening=PROFILE.opening)
    # A year on, the 2030 holiday has passed.
    sent = search_body(search, bap_id="b", bap_uri="https://b.example", transaction_id="t", message_id="m",
                       now=NOW + dt.timedelta(days=400))
    assert "schedule" not in sent["message"]["intent"]["provider"]["time"]


@pytest.mark.parametrize("name", examples("search"))
def test_the_spec_search_examples_pass_the_openapi_we_check_against(name: str) -> None:
    # The vendored OpenAPI accepts ONDC's own searches: a failure of ours is ours, not the schema's.
    payload = example(name)
    assert schema_errors(payload["context"]["domain"], "search", payload) == []


@pytest.mark.parametrize(("retail", "domain", "asked"), [
    ("Standard Delivery", "ONDC:LOG11", "Standard Delivery"),
    ("Express Delivery", "ONDC:LOG11", "Express Delivery"),
    ("Same Day Delivery", "ONDC:LOG11", "Standard Delivery"),  # intercity couriers offer Standard and Express
    ("Same Day Delivery", "ONDC:LOG10", "Same Day Delivery"),
    ("Immediate Delivery", "ONDC:LOG10", "Immediate Delivery"),
])
def test_the_category_asked_for(retail: str, domain: str, asked: str) -> None:
    assert log_category(retail, domain) == asked


def test_domains_and_goods_categories() -> None:
    assert (log_domain("P2P"), log_domain("P2H2P")) == ("ONDC:LOG10", "ONDC:LOG11")
    assert (payload_category("ONDC:RET10"), payload_category("ONDC:RET12"), payload_category("ONDC:RET16")) == (
        "Grocery", "Fashion", "Home Decor")

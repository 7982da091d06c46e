"""mapping.to_on_search: golden files per domain plus behaviour the golden files can't show."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import orjson
import pytest

from catalog_sync.errors import MappingError
from catalog_sync.model import Catalogue, Credential, Serviceability
from catalog_sync.on_search import BppInfo, format_timestamp, to_on_search
from catalog_sync.search_intent import SearchIntent

Ctx = Callable[..., dict[str, Any]]


def _provider(body: dict[str, Any]) -> dict[str, Any]:
    provider: dict[str, Any] = body["message"]["catalog"]["bpp/providers"][0]
    return provider


@pytest.mark.parametrize("domain", ["ONDC:RET16", "ONDC:RET12", "ONDC:RET10"])
def test_golden_full_catalogue(
    catalogue: Catalogue,
    bpp: BppInfo,
    context: Ctx,
    now: datetime,
    golden: Callable[[str, Any], None],
    domain: str,
) -> None:
    pages = to_on_search(catalogue, bpp=bpp, context=context(domain), now=now)
    golden(f"on_search_{domain.split(':')[1]}", pages)


def test_context_is_used_verbatim_and_only_the_domain_s_items_go_in(
    catalogue: Catalogue, bpp: BppInfo, context: Ctx, now: datetime
) -> None:
    ctx = context("ONDC:RET12")
    (page,) = to_on_search(catalogue, bpp=bpp, context=ctx, now=now)
    assert page["context"] == ctx
    assert page["context"] is not ctx
    assert {i["id"] for i in _provider(page)["items"]} == {"T12-RED", "T12-BLU", "T12-CAP"}


def test_items_carry_mandatory_fields(
    catalogue: Catalogue, bpp: BppInfo, context: Ctx, now: datetime
) -> None:
    (page,) = to_on_search(catalogue, bpp=bpp, context=context("ONDC:RET16"), now=now)
    items = {i["id"]: i for i in _provider(page)["items"]}
    big = items["T16-2"]
    assert big["quantity"]["available"]["count"] == "99"  # 120 in stock, capped at the validator's 2 digits
    assert big["quantity"]["maximum"]["count"] == "1"
    assert items["T16-3"]["quantity"]["available"]["count"] == "0"
    assert big["price"] == {"currency": "INR", "value": "3200.50", "maximum_value": "3500.00"}
    assert big["descriptor"]["code"] == "4:58109100"
    brand = [
        e
        for t in items["T16-1"]["tags"]
        if t["code"] == "attribute"
        for e in t["list"]
        if e["code"] == "brand"
    ]
    assert brand == [
        {"code": "brand", "value": "Test Himalayan Crafts Cooperative"}
    ]  # defaults to the profile
    odop = [t for t in items["T16-1"]["tags"] if t["code"] == "odop"]
    assert odop[0]["list"][0] == {"code": "district", "value": "Chamba"}
    assert not [t for t in items["T16-3"]["tags"] if t["code"] == "odop"]
    assert "@ondc/org/statutory_reqs_prepackaged_food" not in big
    provider = _provider(page)
    assert provider["categories"][0]["descriptor"]["name"] == "Test Rumal"
    assert "@ondc/org/fssai_license_no" not in provider


def test_food_items(catalogue: Catalogue, bpp: BppInfo, context: Ctx, now: datetime) -> None:
    (page,) = to_on_search(catalogue, bpp=bpp, context=context("ONDC:RET10"), now=now)
    oil = next(i for i in _provider(page)["items"] if i["id"] == "T10-OIL")
    assert (
        oil["@ondc/org/statutory_reqs_prepackaged_food"]["brand_owner_FSSAI_license_no"] == "10000000000001"
    )
    assert {"code": "veg_nonveg", "list": [{"code": "veg", "value": "yes"}]} in oil["tags"]
    assert oil["quantity"]["unitized"]["measure"] == {"unit": "millilitre", "value": "200"}
    assert _provider(page)["@ondc/org/fssai_license_no"] == "00000000000000"


def test_intent_filters_and_empty_result(
    catalogue: Catalogue, bpp: BppInfo, context: Ctx, now: datetime
) -> None:
    pages = to_on_search(
        catalogue,
        bpp=bpp,
        context=context("ONDC:RET16"),
        now=now,
        intent=SearchIntent(category_id="Home Furnishing - Bedding and Linen"),
    )
    assert [i["id"] for i in _provider(pages[0])["items"]] == ["T16-3"]
    assert "categories" not in _provider(pages[0])
    assert (
        to_on_search(
            catalogue,
            bpp=bpp,
            context=context("ONDC:RET16"),
            now=now,
            intent=SearchIntent(item_name="teapot"),
        )
        == []
    )
    assert to_on_search(catalogue, bpp=bpp, context=context("ONDC:RET13"), now=now) == []


def test_serviceability_and_provider_id(
    catalogue: Catalogue, bpp: BppInfo, context: Ctx, now: datetime
) -> None:
    profile = dataclasses.replace(
        catalogue.profile, np_type="ISN", serviceability=Serviceability("radius", radius_km=Decimal(25))
    )
    (page,) = to_on_search(
        Catalogue(profile, catalogue.items), bpp=bpp, context=context("ONDC:RET16"), now=now
    )
    provider = _provider(page)
    assert provider["id"] == bpp.bpp_id
    assert provider["locations"][0]["circle"] == {
        "gps": "32.5534,76.1258",
        "radius": {"unit": "km", "value": "25"},
    }
    serv = [t for t in provider["tags"] if t["code"] == "serviceability"]
    assert {e["code"]: e["value"] for e in serv[0]["list"]}["type"] == "10"


def test_pagination_keeps_variant_groups_together(
    catalogue: Catalogue, bpp: BppInfo, context: Ctx, now: datetime
) -> None:
    items = tuple(
        dataclasses.replace(
            i, id=f"{i.id}-{n}", parent_item_id=f"{i.parent_item_id}-{n}" if i.parent_item_id else None
        )
        for n in range(30)
        for i in catalogue.items
        if i.domain == "ONDC:RET16"
    )
    pages = to_on_search(
        Catalogue(catalogue.profile, items),
        bpp=bpp,
        context=context("ONDC:RET16"),
        now=now,
        size_budget=20_000,
    )
    assert len(pages) > 2
    seen: dict[str, int] = {}
    for n, page in enumerate(pages):
        assert len(orjson.dumps(page)) <= 20_000
        provider = _provider(page)
        groups = {c["id"] for c in provider.get("categories", [])}
        for item in provider["items"]:
            if "parent_item_id" in item:
                assert item["parent_item_id"] in groups
                assert seen.setdefault(item["parent_item_id"], n) == n


def test_an_item_bigger_than_the_budget_fails_clearly(
    catalogue: Catalogue, bpp: BppInfo, context: Ctx, now: datetime
) -> None:
    with pytest.raises(MappingError, match="alone is larger than"):
        to_on_search(catalogue, bpp=bpp, context=context("ONDC:RET16"), now=now, size_budget=3_000)


def test_timestamps() -> None:
    assert (
        format_timestamp(datetime.fromisoformat("2030-01-15T12:00:00.5+05:30")) == "2030-01-15T06:30:00.500Z"
    )
    with pytest.raises(ValueError, match="aware"):
        format_timestamp(datetime(2030, 1, 1))  # noqa: DTZ001 - the point of the test


def test_only_the_attributes_a_domain_defines_are_sent(make_item: Any, catalogue: Catalogue, now: datetime) -> None:
    from catalog_sync.on_search_items import ItemRenderer

    # ONDC's review rejects an attribute its table does not define for the category (pattern for Home Decor).
    home = make_item(pattern="embroidered", material="silk", colour="#8B0000", colour_name="maroon")
    rendered = ItemRenderer(catalogue.profile, now=now).render(home)
    (attributes,) = [t["list"] for t in rendered["tags"] if t["code"] == "attribute"]
    codes = [a["code"] for a in attributes]
    assert "pattern" not in codes
    assert {"brand", "material", "colour", "colour_name"} <= set(codes)


def test_a_whole_catalogue_pushed_to_a_subscriber_is_shaped_like_an_incremental_push(
    catalogue: Catalogue, bpp: BppInfo, context: Ctx, now: datetime
) -> None:
    ctx = context("ONDC:RET16")
    (answer,) = to_on_search(catalogue, bpp=bpp, context=ctx, now=now)
    (pushed,) = to_on_search(catalogue, bpp=bpp, context=ctx, now=now, push=True)
    assert set(pushed["message"]["catalog"]) == {"bpp/providers"}
    provider, full = pushed["message"]["catalog"]["bpp/providers"][0], answer["message"]["catalog"]["bpp/providers"][0]
    # The provider is whole (locations, categories, tags); stock is only "in stock" or "not".
    assert set(provider) == set(full)
    assert [i["id"] for i in provider["items"]] == [i["id"] for i in full["items"]]
    assert {i["quantity"]["available"]["count"] for i in provider["items"]} <= {"99", "0"}
    assert any(i["quantity"]["available"]["count"] not in ("99", "0") for i in full["items"])


def test_credentials_valid_today_in_india_are_the_provider_s_creds(
    catalogue: Catalogue, bpp: BppInfo, context: Ctx, now: datetime
) -> None:
    today = now.astimezone(timezone(timedelta(hours=5, minutes=30))).date()
    gi = Credential(id="GI-AU-0042", kind="GI", name="Kinnauri Shawl (GI)", short_desc="Authorised user",
                    url="https://example.org/gi.png", verify_url="https://search.ipindia.gov.in/GIRPublic/")
    lapsed = dataclasses.replace(gi, id="OLD", valid_until=(today - timedelta(days=1)).isoformat())
    future = dataclasses.replace(gi, id="NEXT", valid_from=(today + timedelta(days=1)).isoformat())
    ends_today = dataclasses.replace(gi, id="TODAY", valid_until=today.isoformat())
    profile = dataclasses.replace(catalogue.profile, credentials=(gi, lapsed, future, ends_today))
    (page,) = to_on_search(Catalogue(profile, catalogue.items), bpp=bpp, context=context("ONDC:RET16"), now=now)
    creds = page["message"]["catalog"]["bpp/providers"][0]["creds"]
    assert [c["id"] for c in creds] == ["GI-AU-0042", "TODAY"]
    assert creds[0] == {"id": "GI-AU-0042", "url": "https://example.org/gi.png",
                        "descriptor": {"code": "GI", "name": "Kinnauri Shawl (GI)", "short_desc": "Authorised user"},
                        "tags": [{"code": "verification", "list": [
                            {"code": "verify_url", "value": "https://search.ipindia.gov.in/GIRPublic/"}]}]}
    (plain,) = to_on_search(catalogue, bpp=bpp, context=context("ONDC:RET16"), now=now)
    assert "creds" not in plain["message"]["catalog"]["bpp/providers"][0]

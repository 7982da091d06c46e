"""Every on_search we emit passes ONDC's OpenAPI (vendored) and the offline certification checks."""

from __future__ import annotations

import copy
import dataclasses
import pathlib
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import orjson
import pytest
import yaml

from catalog_sync.diff import diff_items, to_on_search_incremental
from catalog_sync.ingest import parse_catalogue
from catalog_sync.model import Catalogue
from catalog_sync.on_search import to_on_search
from catalog_sync.profile import load_profile
from catalog_sync.search_intent import intent_from_search
from catalog_sync.validate import validate_rows

RET16 = "retail-1.2.5-RET16-openapi.yaml"
RET10 = "retail-1.2.5-RET10-openapi.yaml"
DEMO = pathlib.Path(__file__).resolve().parents[2] / "examples" / "catalogues"


def assert_valid(contract: SimpleNamespace, body: dict[str, Any], domain: str) -> None:
    for filename in {contract.schema_files[domain], RET10}:
        assert contract.schema_errors(body, filename) == [], filename
    assert contract.certification_errors(body) == []


# --- the validator itself -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filename", "example"),
    [
        (RET16, "on_search.json"),
        (RET10, "on_search.json"),
        (RET16, "variants/discovery/on_search_RET12_fashion.json"),
        (RET16, "variants/discovery/on_search_incremental_push.json"),
        (RET16, "variants/discovery/on_search_incremental_disable.json"),
    ],
)
def test_ondc_examples_pass_our_schema_validator(
    contract: SimpleNamespace, filename: str, example: str
) -> None:
    assert contract.schema_errors(contract.load_example(example), filename) == []


def test_ondc_full_catalogue_example_passes_certification_checks(contract: SimpleNamespace) -> None:
    assert contract.certification_errors(contract.load_example("on_search.json")) == []


def test_validator_rejects_a_broken_payload(contract: SimpleNamespace, catalogue: Catalogue) -> None:
    body = to_on_search(
        catalogue, bpp=contract.bpp, context=contract.make_context("ONDC:RET16"), now=contract.now
    )[0]
    broken = copy.deepcopy(body)
    provider = broken["message"]["catalog"]["bpp/providers"][0]
    provider["locations"][0]["gps"] = "north of Chamba"
    provider["items"][0]["price"]["value"] = 12.5
    provider["items"][0]["surprise"] = True
    errors = contract.schema_errors(broken, RET10)
    assert any("gps" in e for e in errors)
    assert any("price/value" in e for e in errors)
    assert any("surprise" in e for e in errors)


def test_certification_checks_reject_big_counts(contract: SimpleNamespace, catalogue: Catalogue) -> None:
    body = to_on_search(
        catalogue, bpp=contract.bpp, context=contract.make_context("ONDC:RET16"), now=contract.now
    )[0]
    body["message"]["catalog"]["bpp/providers"][0]["items"][0]["quantity"]["available"]["count"] = "120"
    assert any("available.count" in e for e in contract.certification_errors(body))


# --- what we emit ---------------------------------------------------------------------------------


@pytest.mark.parametrize("domain", ["ONDC:RET16", "ONDC:RET12", "ONDC:RET10"])
def test_full_on_search_is_valid(contract: SimpleNamespace, catalogue: Catalogue, domain: str) -> None:
    pages = to_on_search(catalogue, bpp=contract.bpp, context=contract.make_context(domain), now=contract.now)
    assert len(pages) == 1
    assert_valid(contract, pages[0], domain)


def test_paginated_pages_are_each_valid_and_under_budget(
    contract: SimpleNamespace, catalogue: Catalogue
) -> None:
    many = tuple(
        dataclasses.replace(item, id=f"{item.id}-{n}", parent_item_id=None, variant_attributes=())
        for n in range(40)
        for item in catalogue.items
        if item.domain == "ONDC:RET16"
    )
    big = Catalogue(catalogue.profile, many)
    pages = to_on_search(
        big,
        bpp=contract.bpp,
        context=contract.make_context("ONDC:RET16"),
        now=contract.now,
        size_budget=30_000,
    )
    assert len(pages) > 3
    for page in pages:
        assert len(orjson.dumps(page)) <= 30_000
        assert_valid(contract, page, "ONDC:RET16")
    ids = [i["id"] for p in pages for i in p["message"]["catalog"]["bpp/providers"][0]["items"]]
    assert sorted(ids) == sorted(i.id for i in many)


def test_incremental_push_and_disable_are_valid(contract: SimpleNamespace, catalogue: Catalogue) -> None:
    old = catalogue.items
    changed = tuple(
        dataclasses.replace(i, price=i.price + Decimal(1))
        if i.id == "T16-1"
        else dataclasses.replace(i, enabled=False)
        if i.id == "T16-3"
        else i
        for i in old
        if i.id != "T16-2"
    )
    changeset = diff_items(old, changed)
    body = to_on_search_incremental(
        changeset,
        Catalogue(catalogue.profile, changed),
        context=contract.make_context("ONDC:RET16", city="*"),
        now=contract.now,
    )
    assert body is not None
    assert_valid(contract, body, "ONDC:RET16")
    labels = {i["id"]: i["time"]["label"] for i in body["message"]["catalog"]["bpp/providers"][0]["items"]}
    assert labels == {"T16-1": "enable", "T16-3": "disable", "T16-2": "disable"}


# --- ONDC's search examples load through our intent reader ----------------------------------------


def test_search_examples_validate_and_load(contract: SimpleNamespace) -> None:
    full = contract.load_example("search.json")
    inc = contract.load_example("variants/discovery/search_incremental_start.json")
    assert contract.schema_errors(full, RET16, "search") == []
    assert contract.schema_errors(inc, RET16, "search") == []
    intent = intent_from_search(full["message"])
    assert intent.fulfillment_type == "Delivery"
    assert not intent.is_incremental
    inc_intent = intent_from_search(inc["message"])
    assert inc_intent.catalog_inc is not None
    assert inc_intent.catalog_inc.mode == "start"


# --- the demo cooperatives render to valid catalogues ---------------------------------------------


def _demo(slug: str) -> Catalogue:
    profile = load_profile(yaml.safe_load((DEMO / slug / "profile.yaml").read_text(encoding="utf-8")))
    data = (DEMO / slug / "catalogue.csv").read_bytes()
    report = validate_rows(parse_catalogue(data, "catalogue.csv"), profile)
    assert report.ok, report.errors
    return Catalogue(profile, report.items)


@pytest.mark.parametrize(
    "slug", sorted(p.name for p in DEMO.iterdir() if p.is_dir()) if DEMO.exists() else []
)
def test_demo_catalogues_are_valid(slug: str, contract: SimpleNamespace) -> None:
    cat = _demo(slug)
    for domain in cat.profile.domains:
        pages = to_on_search(cat, bpp=contract.bpp, context=contract.make_context(domain), now=contract.now)
        assert pages, f"{slug} has no items in {domain}"
        for page in pages:
            assert_valid(contract, page, domain)

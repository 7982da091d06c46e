"""The quick /search check never says yes where the schemas say no, and says yes to the searches buyer apps send."""

from __future__ import annotations

import copy
import json
import pathlib
import random
from typing import Any

import orjson
import pytest

from adapter.protocol.messages import validation_errors
from adapter.protocol.search_check import plainly_valid_search
from tests.support.network import search_body

EXAMPLES = pathlib.Path(__file__).resolve().parents[1] / "fixtures" / "ondc" / "examples"  # vendored ONDC examples


def real_searches() -> list[dict[str, Any]]:
    """ONDC's example search, and ours in its usual shapes (full catalogue, by item, by category, with a place)."""
    found = [json.loads((EXAMPLES / "search.json").read_text())]
    fee = {"@ondc/org/buyer_app_finder_fee_type": "percent", "@ondc/org/buyer_app_finder_fee_amount": "3"}
    intents: list[dict[str, Any]] = [
        {"fulfillment": {"type": "Delivery"}, "payment": fee},
        {"item": {"descriptor": {"name": "rumal"}}, "payment": fee},
        {"category": {"id": "Handicraft"}, "fulfillment": {"type": "Delivery", "end": {"location": {
            "gps": "32.5534,76.1258", "address": {"area_code": "176310"}}}}},
        {"tags": [{"code": "catalog_inc", "list": [{"code": "mode", "value": "start"}]}], "payment": fee},
    ]
    return found + [orjson.loads(search_body(message={"intent": intent})) for intent in intents]


def test_the_searches_buyer_apps_send_take_the_quick_path() -> None:
    searches = real_searches()
    assert len(searches) >= 4
    for search in searches:
        assert validation_errors("search", search) == []
        assert plainly_valid_search(search), search["message"]


ODD_VALUES: list[Any] = [None, "", "x" * 129, "a\x00b", 0, 1.5, True, [], {}, "not a url", "PT30S", "std:080",
                         "2024-02-30T10:00:00.000Z", "ONDC:RET1", "ind", "Delivery", "percent", "3.5", "12.9,77.5",
                         "http://" + "x" * 2000 + ".example", [{}], [{"code": ""}], [{"code": "x", "list": [{}]}]]


def _paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    if isinstance(value, dict):
        for key, nested in value.items():
            found += _paths(nested, (*path, key))
    elif isinstance(value, list):
        for index, nested in enumerate(value):
            found += _paths(nested, (*path, index))
    return found


def _mutate(payload: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    mutated = copy.deepcopy(payload)
    for _ in range(rng.randint(1, 3)):
        paths = _paths(mutated)[1:]
        if not paths:
            break
        path = rng.choice(paths)
        parent = mutated
        for step in path[:-1]:
            parent = parent[step]
        choice = rng.random()
        if choice < 0.25 and isinstance(parent, dict):
            del parent[path[-1]]
        elif choice < 0.35 and isinstance(parent, dict):
            parent[rng.choice(["bpp_id", "bpp_uri", "extra", "list", "tags", "end", "location", "gps"])] = (
                rng.choice(ODD_VALUES))
        else:
            parent[path[-1]] = copy.deepcopy(rng.choice(ODD_VALUES))
    return mutated


@pytest.mark.parametrize("seed", range(8))
def test_whatever_the_quick_check_accepts_the_schemas_accept_too(seed: int) -> None:
    rng = random.Random(seed)
    accepted = rejected = 0
    for _ in range(600):
        mutated = _mutate(rng.choice(real_searches()), rng)
        if plainly_valid_search(mutated):
            accepted += 1
            assert validation_errors("search", mutated) == [], mutated
        else:
            rejected += 1
    assert accepted  # both sides were exercised
    assert rejected


@pytest.mark.parametrize("bap_uri", ["not a url", "ftp://buyer.example/ondc", "https://", "https://buyer app/ondc"])
def test_a_bad_bap_uri_is_refused_every_time_it_comes_back(bap_uri: str) -> None:
    # Each URI's answer is kept (search_check._valid_url): a refusal must stay a refusal, and a yes a yes.
    good = real_searches()[1]
    bad = copy.deepcopy(good)
    bad["context"]["bap_uri"] = bap_uri
    for _ in range(2):
        assert plainly_valid_search(good)
        assert not plainly_valid_search(bad)
        assert validation_errors("search", bad) != []


def test_compile_patterns_leaves_the_url_pattern_compiled(monkeypatch: pytest.MonkeyPatch) -> None:
    # The web app calls it when it is built (SearchPath), so no request thread of a new process compiles it.
    from marshmallow import validate

    from adapter.protocol.search_check import compile_patterns

    monkeypatch.setattr(validate.URL._regex, "_memoized", {})
    compile_patterns()
    assert list(validate.URL._regex._memoized) == [(False, True, False)]  # (relative, absolute, require_tld)

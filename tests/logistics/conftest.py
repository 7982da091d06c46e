"""Logistics test helpers: ONDC's LOG10/LOG11 OpenAPI (vendored in tests/fixtures/ondc) as request validators,
and the spec's flow examples (tests/fixtures/ondc/logistics-examples)."""

from __future__ import annotations

import functools
import json
import pathlib
from typing import Any

import yaml
from jsonschema import Draft7Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

ONDC = pathlib.Path(__file__).resolve().parents[1] / "fixtures" / "ondc"
EXAMPLES = ONDC / "logistics-examples"


@functools.cache
def log_validator(domain: str, action: str) -> Draft7Validator:
    """The request body schema of POST /{action} in ONDC's OpenAPI for ``domain`` (ONDC:LOG10 or ONDC:LOG11)."""
    filename = f"logistics-1.2.5-{domain.removeprefix('ONDC:')}-openapi.yaml"
    doc = yaml.safe_load((ONDC / "schema" / filename).read_text(encoding="utf-8"))
    uri = f"urn:ondc:{filename}"
    registry: Registry[Any] = Registry().with_resource(uri, Resource.from_contents(doc, default_specification=DRAFT7))
    pointer = f"/paths/~1{action}/post/requestBody/content/application~1json/schema"
    return Draft7Validator({"$ref": f"{uri}#{pointer}"}, registry=registry,
                           format_checker=Draft7Validator.FORMAT_CHECKER)


def schema_errors(domain: str, action: str, payload: dict[str, Any]) -> list[str]:
    """Every OpenAPI problem of ``payload`` as "path: message"."""
    return [f"{'.'.join(map(str, e.absolute_path))}: {e.message}"
            for e in log_validator(domain, action).iter_errors(payload)]


def example(name: str) -> dict[str, Any]:
    """One vendored example payload, e.g. ``LOG11_ORDER_FLOW_BASE_LINE.on_search``."""
    loaded: dict[str, Any] = json.loads((EXAMPLES / f"{name}.json").read_text(encoding="utf-8"))
    return loaded


def examples(action: str) -> list[str]:
    """The names of every vendored example of ``action``."""
    return sorted(path.name.removesuffix(".json") for path in EXAMPLES.glob(f"*.{action}.json"))

"""Reading request bodies: one place that turns bad input into a 422 naming each bad field."""

from __future__ import annotations

from typing import Any

import yaml
from flask import request
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from adapter.errors import InvalidRequestError


def json_object(*, required: bool = True) -> dict[str, Any]:
    """The JSON body, which must be an object (an empty body is ``{}`` when not ``required``)."""
    if not required and not request.get_data(cache=True):
        return {}
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        raise InvalidRequestError("the body must be a JSON object")
    return payload


def load_json(schema: Schema) -> dict[str, Any]:
    """Parse and validate the JSON body with a marshmallow schema."""
    try:
        data: dict[str, Any] = schema.load(json_object())
    except ValidationError as error:
        raise InvalidRequestError("invalid fields", details=error.messages) from error
    return data


class Page(Schema):
    """Paging for lists (newest first)."""

    class Meta:
        unknown = EXCLUDE

    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0, max=10**9))


def load_query(schema: Schema) -> dict[str, Any]:
    """Parse and validate the query string with a marshmallow schema (unknown parameters are ignored)."""
    try:
        data: dict[str, Any] = schema.load(request.args.to_dict(), unknown=EXCLUDE)
    except ValidationError as error:
        raise InvalidRequestError("invalid query parameters", details=error.messages) from error
    return data


def json_or_yaml_object() -> dict[str, Any]:
    """A JSON body, or a YAML one when the content type says YAML."""
    if request.mimetype in ("application/yaml", "application/x-yaml", "text/yaml"):
        try:
            payload = yaml.safe_load(request.get_data(as_text=True))
        except yaml.YAMLError as error:
            raise InvalidRequestError(f"the body is not valid YAML: {error}") from error
        if not isinstance(payload, dict):
            raise InvalidRequestError("the YAML body must be a mapping of fields")
        return payload
    return json_object()

"""Reading request bodies: one place that turns bad input into a 422 naming each bad field."""

from __future__ import annotations

from typing import Any

import yaml
from flask import request
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from adapter.errors import InvalidRequestError

TOO_DEEP = "the body is nested too deeply"


def json_object(*, required: bool = True) -> dict[str, Any]:
    """The JSON body, which must be an object (an empty body is ``{}`` when not ``required``)."""
    if not required and not request.get_data(cache=True):
        return {}
    try:
        payload = request.get_json(silent=True)
    except RecursionError as error:
        raise InvalidRequestError(TOO_DEEP) from error
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


class WholeNumber(fields.Integer):
    """An integer in ASCII digits (``int()`` alone also takes Arabic-Indic and full-width digits, and ``1_0``)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        if not (isinstance(value, int) and not isinstance(value, bool)) and not (
                isinstance(value, str) and value.isascii() and value.isdigit()):
            raise self.make_error("invalid")
        return int(super()._deserialize(value, attr, data, **kwargs))


class NoAliasLoader(yaml.SafeLoader):
    """YAML without anchors and aliases: a few aliased lines could otherwise expand to gigabytes."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]
            raise yaml.composer.ComposerError(None, None, "aliases (*name) are not accepted", event.start_mark)
        return super().compose_node(parent, index)


class Page(Schema):
    """Paging for lists (newest first)."""

    class Meta:
        unknown = EXCLUDE

    limit = WholeNumber(load_default=50, validate=validate.Range(min=1, max=500))
    offset = WholeNumber(load_default=0, validate=validate.Range(min=0, max=10**9))


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
            payload = yaml.load(request.get_data(as_text=True), Loader=NoAliasLoader)
        except yaml.YAMLError as error:
            raise InvalidRequestError(f"the body is not valid YAML: {error}") from error
        except RecursionError as error:
            raise InvalidRequestError(TOO_DEEP) from error
        if not isinstance(payload, dict):
            raise InvalidRequestError("the YAML body must be a mapping of fields")
        return payload
    return json_object()

"""The operator API's published contract (OpenAPI 3), built from the marshmallow schemas the views use.

Every view under /api/v1 declares what it reads and what it answers with :func:`documented`; :func:`build_spec`
walks the app's URL map and writes the OpenAPI document with apispec, so a route cannot exist without appearing in
the contract (tests/web/test_openapi.py fails on an undocumented route). The document is served at
``/api/v1/openapi.json`` and as a readable page at ``/api/v1/docs`` (no scripts, works offline).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Blueprint, Flask, Response, current_app, jsonify, render_template
from markupsafe import Markup
from marshmallow import Schema, fields

from catalog_sync import fields as cells
from catalog_sync.profile import DaysField

VERSION = "1.0.0"
PREFIX = "/api/v1"
METHODS = ("get", "put", "patch", "post", "delete")
# Media types of answers that are files rather than JSON.
FILES = {"csv": "text/csv", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}

bp = Blueprint("contract", __name__, url_prefix=PREFIX)
View = TypeVar("View", bound=Callable[..., Any])


def timestamp(*, required: bool = False) -> fields.String:
    """A time as the API writes it: an ISO 8601 string (null, unless ``required``, when it has not happened)."""
    if required:
        return fields.String(required=True, metadata={"format": "date-time"})
    return fields.String(allow_none=True, metadata={"format": "date-time"})


class ErrorDetail(Schema):
    """What went wrong, for people and for programs."""

    code = fields.String(required=True, metadata={
        "description": "machine-readable: invalid_request, unauthenticated, forbidden, not_found, conflict, "
                       "too_many_requests, invalid_catalogue, confirmation_needed, method_not_allowed, "
                       "request_entity_too_large, internal_error", "example": "invalid_request"})
    message = fields.String(required=True, metadata={"example": "invalid fields"})
    details = fields.Raw(metadata={"description": "which fields or values were wrong (shape depends on the error)",
                                   "example": {"slug": ["Missing data for required field."]}})
    request_id = fields.String(allow_none=True, metadata={"description": "quote it when reporting a 500"})
    report = fields.Dict(metadata={"description": "invalid_catalogue: every row and column with a problem"})
    plan = fields.Dict(metadata={"description": "confirmation_needed: what the file would change"})
    upload = fields.Dict(metadata={"description": "confirmation_needed: the upload kept for confirmation"})
    confirm_url = fields.String(metadata={"description": "confirmation_needed: POST here to apply it"})


class ErrorOut(Schema):
    """Every 4xx and 5xx answer of the API."""

    error = fields.Nested(ErrorDetail, required=True)


ERROR_MEANINGS = {
    401: "no API key, or one that is not recognised",
    403: "this needs the operator (admin) key",
    404: "no such resource, or one belonging to another cooperative",
    409: "the resource is not in a state that allows this",
    413: "the request body is larger than the limit",
    422: "the request is invalid: `error.details` names each bad field",
    429: "too many wrong keys from this address: wait `Retry-After` seconds",
}


@dataclass(frozen=True)
class Doc:
    """What one operation reads and answers."""

    summary: str
    responses: Mapping[int, Any]
    auth: str = "any"  # "any": the admin key or the cooperative's own key; "admin": only it; "public": no key
    body: type[Schema] | None = None
    body_example: Any = None
    body_yaml: bool = False
    body_optional: bool = False
    multipart: type[Schema] | None = None
    query: type[Schema] | None = None
    errors: tuple[int, ...] = ()
    path: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


def documented(summary: str, *, responses: Mapping[int, Any], **kwargs: Any) -> Callable[[View], View]:
    """Declare a view's contract: ``responses`` maps a status to a Schema class, a file kind (``"csv"``,
    ``"xlsx"``) or a ``(description, Schema)`` pair; ``body``/``multipart``/``query`` are the Schemas it reads."""
    doc = Doc(summary=summary, responses=responses, **kwargs)

    def mark(view: View) -> View:
        view.api_doc = doc  # type: ignore[attr-defined]
        return view

    return mark


def init_app(app: Flask) -> None:
    """Register the contract's routes."""
    app.register_blueprint(bp)


SECURITY: dict[str, list[dict[str, list[str]]]] = {
    "any": [{"adminKey": []}, {"cooperativeKey": []}], "admin": [{"adminKey": []}], "public": []}
PARAM = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")


def operations(app: Flask) -> list[tuple[str, str, str, Doc | None]]:
    """(path, method, endpoint, its Doc or None) for every API route, the contract's own routes excepted."""
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(PREFIX + "/") or rule.endpoint.startswith("contract."):
            continue
        view = app.view_functions[rule.endpoint]
        for method in sorted(m.lower() for m in rule.methods or () if m.lower() in METHODS):
            found.append((rule.rule, method, rule.endpoint, getattr(view, "api_doc", None)))
    return found


def undocumented(app: Flask) -> list[str]:
    """Routes under /api/v1 with no declared contract (the test suite keeps this empty)."""
    return [f"{method.upper()} {path}" for path, method, _, doc in operations(app) if doc is None]


def _name(schema: Any) -> str:
    cls = schema if isinstance(schema, type) else type(schema)
    return cls.__name__.lstrip("_").removesuffix("Schema")


def _cell_property(self: Any, field_obj: fields.Field[Any], **kwargs: Any) -> dict[str, Any]:
    """The spreadsheet-style fields the catalogue and profile share: what each accepts, as JSON Schema."""
    if isinstance(field_obj, DaysField):
        return {"type": "array", "items": {"type": "integer", "minimum": 1, "maximum": 7},
                "description": "1 (Monday) to 7 (Sunday); a string like 1-6 is accepted too"}
    if not isinstance(field_obj, cells.CellField):
        return {}
    prop: dict[str, Any] = {"type": "string"}
    if isinstance(field_obj, cells.Choice):
        prop["enum"] = sorted(set(field_obj.choices.values()))
    elif isinstance(field_obj, cells.Count):
        prop = {"type": "integer", "minimum": field_obj.minimum, "maximum": field_obj.maximum,
                "description": "a whole number (a string of digits is accepted too)"}
    elif isinstance(field_obj, (cells.Money, cells.Percent, cells.Quantity)):
        prop["pattern"] = r"^[0-9]+(\.[0-9]+)?$"
        prop["description"] = "a decimal as a string (numbers are accepted too)"
    if field_obj.load_default is None or field_obj.allow_none:
        prop["nullable"] = True
    return prop


def build_spec(app: Flask) -> dict[str, Any]:
    """The OpenAPI 3.0 document of every documented route under /api/v1."""
    plugin = MarshmallowPlugin(schema_name_resolver=_name)
    spec = APISpec(
        title="ODOP seller adapter: operator API", version=VERSION, openapi_version="3.0.3", plugins=[plugin],
        info={"description": _DESCRIPTION},
        servers=[{"url": "/", "description": "this adapter"}],
    )
    plugin.converter.add_attribute_function(_cell_property)  # type: ignore[union-attr]
    spec.components.security_scheme("adminKey", {
        "type": "http", "scheme": "bearer",
        "description": "The operator's key (ADMIN_API_KEY): every cooperative and the operator views."})
    spec.components.security_scheme("cooperativeKey", {
        "type": "http", "scheme": "bearer",
        "description": "A cooperative's key (shown once when it is created): its own resources only."})
    spec.components.schema("Error", schema=ErrorOut)
    for path, method, endpoint, doc in operations(app):
        if doc is not None:
            view = app.view_functions[endpoint]
            spec.path(path=PARAM.sub(r"{\2}", path), operations={method: _operation(path, endpoint, view, doc)})
    return spec.to_dict()


def _operation(path: str, endpoint: str, view: Callable[..., Any], doc: Doc) -> dict[str, Any]:
    description = (view.__doc__ or "").strip()
    operation: dict[str, Any] = {
        "summary": doc.summary, "operationId": endpoint.replace(".", "_"), "tags": [endpoint.split(".")[0]],
        "security": SECURITY[doc.auth],
        "parameters": _path_parameters(path, doc),
        "responses": {str(status): _response(status, answer) for status, answer in doc.responses.items()},
    }
    if description and description != doc.summary:
        operation["description"] = description
    if doc.query is not None:
        operation["parameters"].append({"in": "query", "schema": doc.query})
    if doc.body is not None:
        media: dict[str, Any] = {"schema": doc.body}
        if doc.body_example is not None:
            media["example"] = doc.body_example
        content = {"application/json": media}
        if doc.body_yaml:
            content["application/yaml"] = {"schema": doc.body}
        operation["requestBody"] = {"required": not doc.body_optional, "content": content}
    if doc.multipart is not None:
        operation["requestBody"] = {"required": True, "content": {"multipart/form-data": {"schema": doc.multipart}}}
    errors = set(doc.errors) | ({401, 429} if doc.auth != "public" else set())
    if doc.auth == "admin":
        errors.add(403)
    if operation["parameters"]:
        errors.add(404)
    if doc.body is not None or doc.multipart is not None or doc.query is not None:
        errors.add(422)
    if doc.body is not None or doc.multipart is not None:
        errors.add(413)
    for status in sorted(errors - set(doc.responses)):
        operation["responses"][str(status)] = {"description": ERROR_MEANINGS[status], "content": {
            "application/json": {"schema": "Error"}}}
    return operation


def _path_parameters(path: str, doc: Doc) -> list[dict[str, Any]]:
    params = []
    for converter, name in PARAM.findall(path):
        schema: dict[str, Any] = ({"type": "integer", "minimum": 0, "maximum": 2**63 - 1} if converter == "int"
                                  else {"type": "string", "minLength": 1})
        schema |= doc.path.get(name, {})
        params.append({"in": "path", "name": name, "required": True, "schema": schema})
    return params


def _response(status: int, answer: Any) -> dict[str, Any]:
    if status >= 400:  # always the Error body; the answer is what the error means here
        return {"description": answer or ERROR_MEANINGS.get(status, "error"),
                "content": {"application/json": {"schema": "Error"}}}
    description, schema = answer if isinstance(answer, tuple) else (None, answer)
    if isinstance(schema, str):
        kinds = schema.split("|")
        return {"description": description or f"the file ({', '.join(kinds).upper()})",
                "content": {FILES[kind]: {"schema": {"type": "string", "format": "binary"}} for kind in kinds}}
    if isinstance(schema, list):
        return {"description": description or "one of these",
                "content": {"application/json": {"schema": {"oneOf": schema}}}}
    return {"description": description or (schema.__doc__ or "").strip().splitlines()[0],
            "content": {"application/json": {"schema": schema}}}


_DESCRIPTION = """\
The REST API operators and cooperatives use to run the adapter from their own dashboards and scripts
(docs/operations.md explains each part in prose).

**Keys.** Send `Authorization: Bearer KEY`. The admin key (ADMIN_API_KEY) sees every cooperative and the operator
views; a cooperative's key sees only that cooperative: another cooperative's resources answer 404, as if they did
not exist.

**Errors.** Every 4xx and 5xx answer is `{"error": {"code", "message", "details"?}}`; a 422 names each bad field
in `details`; a 500 carries a `request_id` to quote.

**Round trips.** What a GET returns can be sent back unchanged with the matching PUT or PATCH.
"""


@bp.get("/openapi.json")
def openapi_json() -> Response:
    """The OpenAPI 3 document (no key needed: it holds no data)."""
    return jsonify(_cached_spec())


@bp.get("/docs")
def openapi_page() -> str:
    """The same contract as a page to read."""
    spec = _cached_spec()
    groups: dict[str, list[dict[str, Any]]] = {}
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            groups.setdefault(operation["tags"][0], []).append({"path": path, "method": method.upper(), **operation})
    schemas = {name: json.dumps(schema, indent=2, ensure_ascii=False)
               for name, schema in spec["components"]["schemas"].items()}
    return render_template("api_docs.html", spec=spec, groups=groups, schemas=schemas, schema_of=_schema_link,
                           dumps=lambda value: json.dumps(value, indent=2, ensure_ascii=False))


def _schema_link(schema: Mapping[str, Any]) -> Markup:
    """A schema as the page shows it: a link to a named schema, a list of them, or its JSON."""
    if "$ref" in schema:
        name = str(schema["$ref"]).rsplit("/", 1)[1]
        return Markup('<a href="#schema-{0}">{0}</a>').format(name)
    if "oneOf" in schema:
        return Markup(" or ").join(_schema_link(option) for option in schema["oneOf"])
    return Markup("<code>{}</code>").format(json.dumps(schema, ensure_ascii=False))


def _cached_spec() -> dict[str, Any]:
    spec: dict[str, Any] | None = current_app.extensions.get("openapi")
    if spec is None:
        spec = current_app.extensions["openapi"] = build_spec(current_app)
    return spec

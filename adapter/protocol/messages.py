"""Schema checks of inbound ONDC requests (what buyer apps send us), before we ACK.

`validate_request(action, payload)` raises `ProtocolError` (code 30000) for the first problem, context first;
`validation_errors(action, payload)` lists every problem as (JSON path, message). Paths look like
`context.transaction_id` or `message.order.items[0].quantity.count`; a body that is not an object has path "".
Unknown keys are always allowed: Beckn objects are open and ONDC keeps adding fields.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from marshmallow import Schema, validate
from marshmallow.fields import Field

from adapter.errors import ProtocolError
from adapter.protocol.context import RSF_ACTIONS
from adapter.protocol.messages_actions import (
    CancelMessage,
    CatalogRejectionBody,
    IssueMessage,
    OrderIdMessage,
    RatingMessage,
    SearchMessage,
    SupportMessage,
    UpdateMessage,
)
from adapter.protocol.messages_base import Open, check_duration, check_timestamp, ident, text
from adapter.protocol.messages_logistics import LOG_CALLBACK_MESSAGES
from adapter.protocol.messages_orders import ConfirmMessage, InitMessage, SelectMessage
from adapter.protocol.messages_rsf import ReconMessage
from adapter.protocol.messages_rsf import context_schema as rsf_context_schema

INBOUND_ACTIONS: tuple[str, ...] = (
    "search",
    "select",
    "init",
    "confirm",
    "status",
    "track",
    "cancel",
    "update",
    "rating",
    "support",
    "issue",
    "catalog_rejection",
    "recon",  # RSF 2.0 (adapter.protocol.messages_rsf): a Beckn 2.0 context in the ONDC:NTS10 domain
)
# Callbacks we receive as a logistics buyer (the BAP of ONDC:LOG10/LOG11): a courier answering our search,
# booking, tracking and cancelling a shipment, or telling us unasked where the parcel is.
CALLBACK_ACTIONS: tuple[str, ...] = ("on_search", "on_init", "on_confirm", "on_status", "on_track", "on_cancel",
                                     "on_update")
LOG_DOMAIN_PATTERN = r"ONDC:LOG1[01]\Z"
# Actions that are not answered by a callback (a buyer app tells us something and expects only the ACK; a
# courier's callback is itself the answer).
UNANSWERED_ACTIONS: frozenset[str] = frozenset({"catalog_rejection", *CALLBACK_ACTIONS})

SCHEMA_ERROR_CODE = "30000"
CONTEXT_ERROR = "CONTEXT-ERROR"
JSON_SCHEMA_ERROR = "JSON-SCHEMA-ERROR"

_MESSAGE_SCHEMAS: dict[str, type[Schema]] = {
    "search": SearchMessage,
    "select": SelectMessage,
    "init": InitMessage,
    "confirm": ConfirmMessage,
    "status": OrderIdMessage,
    "track": OrderIdMessage,
    "cancel": CancelMessage,
    "update": UpdateMessage,
    "rating": RatingMessage,
    "support": SupportMessage,
    "issue": IssueMessage,
    # No message: the rejection's `errors` list sits beside the context (ONDC RET 1.2.x catalogue rejection).
    "catalog_rejection": CatalogRejectionBody,
    "recon": ReconMessage,
}


MAX_URI_LENGTH = 2000


def _url_check() -> Any:
    # Our callbacks go to <uri>/<action>, kept in a 2,048-character column: 2,000 leaves room for the action.
    return validate.And(
        validate.Length(max=MAX_URI_LENGTH, error="must be at most {max} characters long"),
        validate.URL(schemes={"http", "https"}, require_tld=False, error="must be an http(s) URL"),
    )


def _callback_context_schema(action: str) -> Schema:
    """The context of a courier's callback: a logistics domain, both parties' ids and URIs (ttl optional, as in
    the spec's on_search examples)."""
    fields: dict[str, Field[Any]] = {
        "domain": text(required=True, check=validate.Regexp(LOG_DOMAIN_PATTERN,
                                                            error="must be ONDC:LOG10 or ONDC:LOG11")),
        "country": text(required=True, check=validate.Equal("IND", error="must be IND")),
        "city": text(required=True),
        "action": text(required=True, check=validate.Equal(action, error="must be {other} on this endpoint")),
        "core_version": text(required=True),
        "bap_id": ident(),
        "bap_uri": text(required=True, check=_url_check()),
        "bpp_id": ident(),
        "bpp_uri": text(required=True, check=_url_check()),
        "transaction_id": ident(),
        "message_id": ident(),
        "timestamp": text(required=True, check=check_timestamp),
        "ttl": text(check=check_duration),
    }
    return Open.from_dict(fields, name=f"{action}_callback_context")()


def _context_schema(action: str) -> Schema:
    """The context schema for one endpoint: its action, and bpp_id/bpp_uri except on search (PROTOCOL.md §2)."""
    bpp_required = action != "search"
    # A rejection only informs us: taken without a ttl (some buyer apps leave it out), PT30S is then assumed.
    ttl_required = action not in UNANSWERED_ACTIONS
    # Our callbacks go to <uri>/on_<action>, kept in a 2,048-character column: 2,000 leaves room for the action.
    url = validate.And(
        validate.Length(max=MAX_URI_LENGTH, error="must be at most {max} characters long"),
        validate.URL(schemes={"http", "https"}, require_tld=False, error="must be an http(s) URL"),
    )
    if action in RSF_ACTIONS:
        return rsf_context_schema(action, url=url)
    fields: dict[str, Field[Any]] = {
        "domain": text(
            required=True,
            check=validate.Regexp(r"ONDC:RET[0-9A-Z]{2}\Z", error="must be an ONDC retail domain such as ONDC:RET16"),
        ),
        "country": text(
            required=True,
            check=validate.Regexp(r"[A-Z]{3}\Z", error="must be an ISO 3166 alpha-3 country code such as IND"),
        ),
        "city": text(
            required=True,
            check=validate.Regexp(r"(std:[0-9]{2,6}|\*)\Z", error='must be a city code such as std:080, or "*"'),
        ),
        "action": text(required=True, check=validate.Equal(action, error="must be {other} on this endpoint")),
        "core_version": text(required=True),
        "bap_id": ident(),
        "bap_uri": text(required=True, check=url),
        "bpp_id": ident(required=bpp_required),
        "bpp_uri": text(required=bpp_required, check=url),
        "transaction_id": ident(),
        "message_id": ident(),
        "timestamp": text(required=True, check=check_timestamp),
        "ttl": text(required=ttl_required, check=check_duration),
    }
    return Open.from_dict(fields, name=f"{action}_context")()


@dataclass(frozen=True)
class _Endpoint:
    """The two schema instances that check one action's request (built once, at import)."""

    context: Schema
    message: Schema


_ENDPOINTS = {action: _Endpoint(_context_schema(action), _MESSAGE_SCHEMAS[action]()) for action in INBOUND_ACTIONS}
_ENDPOINTS |= {action: _Endpoint(_callback_context_schema(action), LOG_CALLBACK_MESSAGES[action]())
               for action in CALLBACK_ACTIONS}


def validation_errors(action: str, payload: object) -> list[tuple[str, str]]:
    """Every (json path, message) problem of a request to `action`, context problems first."""
    endpoint = _ENDPOINTS.get(action)
    if endpoint is None:
        raise ValueError(f"{action!r} is not an inbound action; expected one of {INBOUND_ACTIONS + CALLBACK_ACTIONS}")
    if not isinstance(payload, dict):
        return [("", "the request body must be a JSON object with context and message")]
    context_errors = _section_errors(payload, "context", endpoint.context)
    if action in CALLBACK_ACTIONS and "message" not in payload and isinstance(payload.get("error"), dict):
        return context_errors  # a courier's error answer carries no message
    if action == "catalog_rejection":  # its reasons sit beside the context, in no message
        body = {key: value for key, value in payload.items() if key != "context"}
        return [*context_errors, *_body_errors(body, endpoint.message)]
    return [*context_errors, *_section_errors(payload, "message", endpoint.message)]


def validate_request(action: str, payload: object) -> None:
    """Raise ProtocolError (30000) for the first problem of a request to `action`, context first."""
    problems = validation_errors(action, payload)
    if problems:
        path, message = problems[0]
        error_type = CONTEXT_ERROR if _in_context(path) else JSON_SCHEMA_ERROR
        raise ProtocolError(message, ondc_code=SCHEMA_ERROR_CODE, error_type=error_type, path=path or None)


def _in_context(path: str) -> bool:
    """Whether a problem path lies inside `context`."""
    return path == "context" or path.startswith(("context.", "context["))


def _section_errors(payload: dict[Any, Any], name: str, schema: Schema) -> list[tuple[str, str]]:
    """The problems of payload[name] (context or message) against its schema."""
    if name not in payload:
        return [(name, f"{name} is required")]
    section = payload[name]
    if not isinstance(section, dict):
        return [(name, f"{name} must be an object")]
    return list(_flatten(schema.validate(section), name))


def _body_errors(body: dict[Any, Any], schema: Schema) -> list[tuple[str, str]]:
    """The problems of the top-level keys beside the context (each path starts with its key)."""
    return [problem for key, nested in schema.validate(body).items() for problem in _flatten(nested, str(key))]


def _flatten(errors: Any, path: str) -> Iterator[tuple[str, str]]:
    """Walk marshmallow's nested error dict in its (declaration) order, yielding (path, message)."""
    if isinstance(errors, dict):
        for key, nested in errors.items():
            yield from _flatten(nested, _child_path(path, key))
    elif isinstance(errors, list):
        for entry in errors:
            if isinstance(entry, dict | list):
                yield from _flatten(entry, path)
            else:
                yield path, f"{path} {entry}"
    else:
        yield path, f"{path} {errors}"


def _child_path(path: str, key: Any) -> str:
    """Extend a JSON path by a key or a list index; `_schema` errors belong to the object itself."""
    if key == "_schema":
        return path
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}"

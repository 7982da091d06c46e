"""What the test courier accepts: each LOG request's context and the fields it acts on. Pure.

A request that fails here is NACKed with ONDC logistics' 60006 ("Invalid request, not compliant with API
contract") and the JSON path, or 65003 when it is stale; nothing is stored and no callback follows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from adapter.errors import ProtocolError
from adapter.logistics.courier.rates import Parcel, parse_gps
from adapter.logistics.courier.states import DOMAINS
from adapter.protocol.context import parse_duration, parse_timestamp

__all__ = [
    "ACTIONS",
    "INVALID_REQUEST",
    "INVALID_SIGNATURE",
    "STALE_REQUEST",
    "Route",
    "check_request",
    "invalid",
    "parcel_of",
    "route_of",
]

ACTIONS = ("search", "init", "confirm", "status", "track", "cancel", "update")
# ONDC logistics 1.2.5 errors/index.yaml (codes the BPP uses in a NACK).
INVALID_SIGNATURE = "60005"
INVALID_REQUEST = "60006"
STALE_REQUEST = "65003"
CORE_VERSION = "1.2.5"
_WEIGHT_UNITS = {"kilogram": Decimal(1), "gram": Decimal("0.001")}
_LENGTH_UNITS = {"centimeter": Decimal(1), "meter": Decimal(100)}


@dataclass(frozen=True)
class Route:
    """Where a parcel is picked up and dropped: GPS points and pincodes."""

    start_gps: str
    end_gps: str
    start_pincode: str
    end_pincode: str


def invalid(message: str, path: str, *, context: bool = False) -> ProtocolError:
    """The NACK for a request we cannot take."""
    return ProtocolError(message, ondc_code=INVALID_REQUEST, path=path,
                         error_type="CONTEXT-ERROR" if context else "JSON-SCHEMA-ERROR")


def _get(data: Any, path: str, where: str = "") -> Any:
    """The value at a dotted path of ``data``; a NACK naming ``where`` + path when a step is missing."""
    value = data
    walked: list[str] = []
    for key in path.split("."):
        walked.append(key)
        full = where + ".".join(walked)
        if key.isdigit():
            if not isinstance(value, list) or len(value) <= int(key):
                raise invalid(f"{full} is required (a list with at least {int(key) + 1} element(s))", full)
            value = value[int(key)]
            continue
        if not isinstance(value, dict) or key not in value:
            raise invalid(f"{full} is required", full)
        value = value[key]
    return value


def _text(data: Any, path: str, where: str = "") -> str:
    value = _get(data, path, where)
    if not isinstance(value, str) or not value.strip():
        raise invalid(f"{where}{path} must be a non-empty string", where + path)
    return value


def _gps(data: Any, path: str, where: str = "") -> str:
    value = _text(data, path, where)
    try:
        parse_gps(value)
    except ValueError as error:
        raise invalid(f"{where}{path}: {error}", where + path) from None
    return value


def _optional_text(data: Any, path: str) -> str:
    try:
        value = _get(data, path)
    except ProtocolError:
        return ""
    return value if isinstance(value, str) else ""


def check_request(action: str, payload: dict[str, Any], *, bpp_id: str, now: dt.datetime,
                  clock_skew: int) -> None:
    """Raise a ProtocolError NACK unless ``payload`` is a LOG ``action`` request we can act on."""
    context = payload["context"]
    if context.get("action") != action:
        raise invalid(f"context.action must be {action!r} on this endpoint", "context.action", context=True)
    if context.get("domain") not in DOMAINS:
        raise invalid(f"context.domain must be one of {', '.join(DOMAINS)}", "context.domain", context=True)
    if context.get("core_version") != CORE_VERSION:
        raise invalid(f"context.core_version must be {CORE_VERSION}", "context.core_version", context=True)
    for key in ("country", "city", "bap_id", "bap_uri", "transaction_id", "message_id", "timestamp"):
        if not isinstance(context.get(key), str) or not context[key].strip():
            raise invalid(f"context.{key} must be a non-empty string", f"context.{key}", context=True)
    if not context["bap_uri"].startswith(("http://", "https://")):
        raise invalid("context.bap_uri must be an http(s) URL", "context.bap_uri", context=True)
    if action != "search" and context.get("bpp_id") != bpp_id:
        raise invalid(f"context.bpp_id must be {bpp_id!r}", "context.bpp_id", context=True)
    _check_timing(context, now, clock_skew)
    if not isinstance(payload.get("message"), dict):
        raise invalid("message must be an object", "message")
    _CHECKS[action](payload["message"])


def _check_timing(context: dict[str, Any], now: dt.datetime, clock_skew: int) -> None:
    try:
        sent = parse_timestamp(context["timestamp"])
    except ValueError:
        raise invalid("context.timestamp must be RFC 3339 with a zone", "context.timestamp", context=True) from None
    try:
        ttl = parse_duration(str(context.get("ttl", "PT30S")))
    except ValueError:
        raise invalid("context.ttl must be an ISO 8601 duration like PT30S", "context.ttl", context=True) from None
    skew = dt.timedelta(seconds=clock_skew)
    if sent > now + skew or sent + ttl + skew < now:
        raise ProtocolError("the request is stale: its timestamp plus ttl has passed, or is in the future",
                            ondc_code=STALE_REQUEST, error_type="CONTEXT-ERROR", path="context.timestamp")


def _number(data: Any, path: str, where: str = "") -> Decimal:
    value = _get(data, path, where)
    full = where + path
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise invalid(f"{full} must be a number", full)
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise invalid(f"{full} must be a number", full) from None
    if not number.is_finite() or number < 0:
        raise invalid(f"{full} must be a number of at least 0", full)
    return number


def parcel_of(details: dict[str, Any], path: str) -> Parcel:
    """The parcel an intent's @ondc/org/payload_details describes (weight required, dimensions optional)."""
    where = f"{path}."
    unit = _text(details, "weight.unit", where)
    if unit not in _WEIGHT_UNITS:
        raise invalid(f"{where}weight.unit must be kilogram or gram", f"{where}weight.unit")
    weight = _number(details, "weight.value", where) * _WEIGHT_UNITS[unit]
    if weight <= 0:
        raise invalid(f"{where}weight.value must be more than 0", f"{where}weight.value")
    dimensions = details.get("dimensions")
    if dimensions is None:
        return Parcel(weight)
    sides: list[Decimal] = []
    for side in ("length", "breadth", "height"):
        side_unit = _text(details, f"dimensions.{side}.unit", where)
        if side_unit not in _LENGTH_UNITS:
            raise invalid(f"{where}dimensions.{side}.unit must be centimeter or meter",
                          f"{where}dimensions.{side}.unit")
        sides.append(_number(details, f"dimensions.{side}.value", where) * _LENGTH_UNITS[side_unit])
    return Parcel(weight, *sides)


def route_of(fulfillment: dict[str, Any], path: str) -> Route:
    """The pickup and drop points of a search intent's or an order's fulfilment."""
    where = f"{path}."
    return Route(_gps(fulfillment, "start.location.gps", where), _gps(fulfillment, "end.location.gps", where),
                 _optional_text(fulfillment, "start.location.address.area_code"),
                 _optional_text(fulfillment, "end.location.address.area_code"))


def _search(message: dict[str, Any]) -> None:
    intent = _get(message, "intent", "message.")
    route_of(_get(intent, "fulfillment", "message.intent."), "message.intent.fulfillment")
    parcel_of(_get(intent, "@ondc/org/payload_details", "message.intent."),
              "message.intent.@ondc/org/payload_details")
    category = intent.get("category")
    if category is not None and not (isinstance(category, dict) and isinstance(category.get("id"), str)):
        raise invalid("message.intent.category.id must be a string", "message.intent.category.id")


def _order(message: dict[str, Any]) -> dict[str, Any]:
    order = _get(message, "order", "message.")
    if not isinstance(order, dict):
        raise invalid("message.order must be an object", "message.order")
    _text(message, "order.items.0.id", "message.")
    _text(message, "order.provider.id", "message.")
    route_of(_get(message, "order.fulfillments.0", "message."), "message.order.fulfillments.0")
    return order


def _init(message: dict[str, Any]) -> None:
    _order(message)


def _confirm(message: dict[str, Any]) -> None:
    _order(message)
    _text(message, "order.id", "message.")


def _order_id(message: dict[str, Any]) -> None:
    _text(message, "order_id", "message.")


def _cancel(message: dict[str, Any]) -> None:
    _text(message, "order_id", "message.")
    _text(message, "cancellation_reason_id", "message.")


def _update(message: dict[str, Any]) -> None:
    _text(message, "update_target", "message.")
    _text(message, "order.id", "message.")
    _get(message, "order.fulfillments.0", "message.")


_CHECKS = {"search": _search, "init": _init, "confirm": _confirm, "status": _order_id, "track": _order_id,
           "cancel": _cancel, "update": _update}

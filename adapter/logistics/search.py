"""The LOG ``search`` we send couriers for one order's parcel (ONDC logistics 1.2.5, ``search_LOGISTICS``).

Built as the spec's flow examples show it (LOG10/LOG11 ORDER_FLOW_BASE_LINE): pickup and drop GPS with their
pincodes, the parcel's weight and size both in ``@ondc/org/payload_details`` (deprecated in the spec, still read
by couriers) and in the ``linked_order`` tag that replaces it, the delivery category, the payment type, and the
cooperative's working days and hours as ``provider.time``. Pure: ids, time and places are passed in.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal

from adapter.logistics.parcel import Parcel
from adapter.protocol.context import CORE_VERSION, format_timestamp
from catalog_sync.model import Location, Opening

__all__ = ["LOG_DOMAINS", "Drop", "LogSearch", "log_category", "log_domain", "payload_category", "search_body"]

LOG_DOMAINS = ("ONDC:LOG10", "ONDC:LOG11")
# ONDC logistics 1.2.5 validations (REQUIRED_MESSAGE_ID): the delivery categories a search may ask for.
LOG_CATEGORIES = frozenset({"Express Delivery", "Standard Delivery", "Immediate Delivery", "Next Day Delivery",
                            "Same Day Delivery", "Instant Delivery"})
# Intercity couriers (LOG11) offer Standard and Express; hyperlocal ones (LOG10) also the same-day kinds.
_INTERCITY = frozenset({"Standard Delivery", "Express Delivery"})
# The payload category couriers price by, from the retail domain (the flows' examples use Grocery, F&B, Fashion).
_PAYLOAD_CATEGORIES = {
    "ONDC:RET10": "Grocery",
    "ONDC:RET11": "F&B",
    "ONDC:RET12": "Fashion",
    "ONDC:RET13": "BPC",
    "ONDC:RET14": "Electronics",
    "ONDC:RET16": "Home Decor",
    "ONDC:RET18": "Health & Wellness",
    "ONDC:RET19": "Pharma",
}
SEARCH_TTL = "PT30S"


def log_domain(routing: Literal["P2P", "P2H2P"]) -> str:
    """ONDC:LOG10 for a hyperlocal parcel (P2P), ONDC:LOG11 for an intercity one (P2H2P)."""
    return "ONDC:LOG10" if routing == "P2P" else "ONDC:LOG11"


def log_category(retail_category: str, domain: str) -> str:
    """The delivery category to ask couriers for: the retail one when the LOG domain offers it, else Standard."""
    if retail_category in LOG_CATEGORIES and (domain == "ONDC:LOG10" or retail_category in _INTERCITY):
        return retail_category
    return "Standard Delivery"


def payload_category(retail_domain: str) -> str:
    """The payload category of a retail domain's goods (Home Decor for RET16 ...)."""
    return _PAYLOAD_CATEGORIES.get(retail_domain, "Home Decor")


@dataclass(frozen=True, slots=True)
class Drop:
    """Where the parcel goes: the buyer's GPS ("lat,lng") and pincode."""

    gps: str
    area_code: str


@dataclass(frozen=True, slots=True)
class LogSearch:
    """Everything one LOG search says, apart from who we are and the message ids."""

    domain: str
    category: str
    pickup: Location
    drop: Drop
    parcel: Parcel
    declared_value: Decimal
    goods_category: str
    provider_id: str
    provider_name: str
    opening: Opening


def _rupees(value: Decimal) -> str:
    """Rupees with two decimals, as ONDC prices are written."""
    return f"{value.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):f}"


def _number(value: Decimal) -> int | float:
    """A JSON number for a weight or a side (the spec's examples send numbers, not strings)."""
    return int(value) if value == value.to_integral_value() else float(value)


def _provider_time(opening: Opening, today: str) -> dict[str, Any]:
    holidays = sorted(day for day in opening.holidays if day >= today)
    time: dict[str, Any] = {"days": ",".join(str(day) for day in opening.days),
                            "range": {"start": opening.open_time, "end": opening.close_time}}
    if holidays:
        time["schedule"] = {"holidays": holidays}
    return time


def search_body(search: LogSearch, *, bap_id: str, bap_uri: str, transaction_id: str, message_id: str,
                now: dt.datetime) -> dict[str, Any]:
    """The complete LOG search message (context and intent)."""
    parcel, weight = search.parcel, _number(search.parcel.weight_kg)
    sides = {"length": parcel.length_cm, "breadth": parcel.breadth_cm, "height": parcel.height_cm}
    value = _rupees(search.declared_value)
    linked_order = [
        {"code": "currency", "value": "INR"},
        {"code": "declared_value", "value": value},
        {"code": "category", "value": search.goods_category},
        {"code": "weight_unit", "value": "kilogram"},
        {"code": "weight_value", "value": str(parcel.weight_kg)},
        {"code": "dim_unit", "value": "centimeter"},
        *({"code": name, "value": str(side)} for name, side in sides.items()),
    ]
    context = {"domain": search.domain, "country": "IND", "city": search.pickup.city_code, "action": "search",
               "core_version": CORE_VERSION, "bap_id": bap_id, "bap_uri": bap_uri, "transaction_id": transaction_id,
               "message_id": message_id, "timestamp": format_timestamp(now), "ttl": SEARCH_TTL}
    intent = {
        "category": {"id": search.category},
        "provider": {"time": _provider_time(search.opening, now.date().isoformat())},
        "fulfillment": {
            "type": "Delivery",
            "start": {"location": {"gps": search.pickup.gps.replace(" ", ""),
                                   "address": {"area_code": search.pickup.area_code}}},
            "end": {"location": {"gps": search.drop.gps.replace(" ", ""),
                                 "address": {"area_code": search.drop.area_code}}},
            "tags": [
                {"code": "linked_provider", "list": [{"code": "id", "value": search.provider_id},
                                                     {"code": "name", "value": search.provider_name}]},
                {"code": "linked_order", "list": linked_order},
            ],
        },
        # The seller app pays the courier after delivery, out of the order's delivery charge.
        "payment": {"type": "POST-FULFILLMENT"},
        "@ondc/org/payload_details": {
            "weight": {"unit": "kilogram", "value": weight},
            "dimensions": {name: {"unit": "centimeter", "value": _number(side)} for name, side in sides.items()},
            "category": search.goods_category,
            "value": {"currency": "INR", "value": value},
            "dangerous_goods": False,
        },
    }
    return {"context": context, "message": {"intent": intent}}

"""Search intents: read an ONDC ``search`` message and filter a catalogue's items by it."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from catalog_sync.errors import IntentError
from catalog_sync.model import Item, Location, Profile

__all__ = [
    "CatalogInc",
    "SearchIntent",
    "filter_items",
    "intent_from_search",
    "location_serves",
]

# Buyer apps send the OpenAPI spelling or the examples' spelling; both mean the same fulfilment.
_FULFILMENT_ALIASES = {
    "Delivery": "Delivery",
    "Self-Pickup": "Self-Pickup",
    "Pickup": "Self-Pickup",
    "Buyer-Delivery": "Buyer-Delivery",
    "Delivery and Pickup": "Delivery",
}


@dataclass(frozen=True, slots=True)
class CatalogInc:
    """The ``catalog_inc`` tag: mode start/stop (regular push), or a one-off start_time..end_time pull."""

    mode: str | None = None
    start_time: str | None = None
    end_time: str | None = None


@dataclass(frozen=True, slots=True)
class SearchIntent:
    """What a buyer app searched for; every field is optional."""

    category_id: str | None = None
    item_name: str | None = None
    fulfillment_type: str | None = None
    end_gps: str | None = None
    end_area_code: str | None = None
    catalog_inc: CatalogInc | None = None

    @property
    def is_incremental(self) -> bool:
        """True for an incremental-catalogue request (push subscription or one-off pull)."""
        return self.catalog_inc is not None


def _obj(value: Any, path: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise IntentError(f"{path} must be an object", path)
    return value


def _str(value: Any, path: str) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise IntentError(f"{path} must be a string", path)
    return value


def _tag_values(tags: Any, code: str, path: str) -> dict[str, str] | None:
    if tags is None:
        return None
    if not isinstance(tags, list):
        raise IntentError(f"{path} must be a list", path)
    for i, group in enumerate(tags):
        group = _obj(group, f"{path}[{i}]")
        if group.get("code") != code:
            continue
        entries = group.get("list", [])
        if not isinstance(entries, list):
            raise IntentError(f"{path}[{i}].list must be a list", f"{path}[{i}].list")
        out: dict[str, str] = {}
        for j, entry in enumerate(entries):
            entry = _obj(entry, f"{path}[{i}].list[{j}]")
            key = _str(entry.get("code"), f"{path}[{i}].list[{j}].code")
            if key is not None:
                out[key] = _str(entry.get("value"), f"{path}[{i}].list[{j}].value") or ""
        return out
    return None


def intent_from_search(message: dict[str, Any]) -> SearchIntent:
    """Read ``message`` of a search request (``{"intent": {...}}``) into a SearchIntent."""
    message = _obj(message, "message")
    intent = _obj(message.get("intent"), "message.intent")
    p = "message.intent"
    fulfilment = _obj(intent.get("fulfillment"), f"{p}.fulfillment")
    ftype = _str(fulfilment.get("type"), f"{p}.fulfillment.type")
    if ftype is not None and ftype not in _FULFILMENT_ALIASES:
        raise IntentError(f"{p}.fulfillment.type '{ftype}' is not a fulfilment type", f"{p}.fulfillment.type")
    end = _obj(fulfilment.get("end"), f"{p}.fulfillment.end")
    location = _obj(end.get("location"), f"{p}.fulfillment.end.location")
    address = _obj(location.get("address"), f"{p}.fulfillment.end.location.address")
    item = _obj(intent.get("item"), f"{p}.item")
    descriptor = _obj(item.get("descriptor"), f"{p}.item.descriptor")
    category = _obj(intent.get("category"), f"{p}.category")
    inc = _tag_values(intent.get("tags"), "catalog_inc", f"{p}.tags")
    catalog_inc = None
    if inc is not None:
        mode = inc.get("mode") or None
        if mode not in {None, "start", "stop"}:
            raise IntentError(f"catalog_inc mode '{mode}' must be start or stop", f"{p}.tags")
        catalog_inc = CatalogInc(
            mode=mode, start_time=inc.get("start_time") or None, end_time=inc.get("end_time") or None
        )
    return SearchIntent(
        category_id=_str(category.get("id"), f"{p}.category.id"),
        item_name=_str(descriptor.get("name"), f"{p}.item.descriptor.name"),
        fulfillment_type=_FULFILMENT_ALIASES[ftype] if ftype else None,
        end_gps=_str(location.get("gps"), f"{p}.fulfillment.end.location.gps"),
        end_area_code=_str(address.get("area_code"), f"{p}.fulfillment.end.location.address.area_code"),
        catalog_inc=catalog_inc,
    )


def _km(gps_a: str, gps_b: str) -> float | None:
    try:
        lat1, lng1 = (math.radians(float(x)) for x in gps_a.split(","))
        lat2, lng2 = (math.radians(float(x)) for x in gps_b.split(","))
    except ValueError:
        return None
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lng2 - lng1) / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(h))


def _pincode_in(area_code: str, ranges: Iterable[str]) -> bool:
    for entry in ranges:
        low, _, high = entry.partition("-")
        if low <= area_code <= (high or low):
            return True
    return False


def location_serves(profile: Profile, location: Location, *, area_code: str | None, gps: str | None) -> bool:
    """True if deliveries from ``location`` reach the buyer's pincode/GPS (unknown buyer place = True)."""
    serv = profile.serviceability
    if serv.kind == "pan_india":
        return True
    if serv.kind == "pincodes":
        return area_code is None or _pincode_in(area_code, serv.pincodes)
    if gps is None or serv.radius_km is None:
        return True
    km = _km(location.gps, gps)
    return km is None or km <= float(serv.radius_km)


def served_locations(intent: SearchIntent, profile: Profile) -> frozenset[str]:
    """The ids of the cooperative's locations that serve the intent's place (all of them for self-pickup)."""
    return frozenset(
        loc.id
        for loc in profile.locations
        if intent.fulfillment_type == "Self-Pickup"
        or location_serves(profile, loc, area_code=intent.end_area_code, gps=intent.end_gps)
    )


def filter_items(items: Iterable[Item], intent: SearchIntent | None, profile: Profile) -> list[Item]:
    """Return the enabled items that match the intent (category, name, fulfilment, buyer's place)."""
    enabled = [i for i in items if i.enabled]
    if intent is None:
        return enabled
    if intent.fulfillment_type and intent.fulfillment_type not in profile.fulfillment_types:
        return []
    default_location = profile.locations[0].id
    served = served_locations(intent, profile)
    needle = intent.item_name.casefold() if intent.item_name else None
    out: list[Item] = []
    for item in enabled:
        if intent.category_id and item.category_id != intent.category_id:
            continue
        if needle and needle not in item.name.casefold():
            continue
        if (item.location_id or default_location) not in served:
            continue
        out.append(item)
    return out

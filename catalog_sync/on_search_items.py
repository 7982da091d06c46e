"""Render one catalogue item as an ONDC ``items[]`` entry (shared by full and incremental on_search)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from catalog_sync.categories import FOOD_DOMAINS
from catalog_sync.model import Item, Location, Profile

__all__ = ["FULFILMENT_IDS", "ItemRenderer", "format_timestamp", "money_text", "provider_id", "tag_group"]

FULFILMENT_IDS = {"Delivery": "F1", "Self-Pickup": "F2", "Buyer-Delivery": "F3"}
# ONDC descriptor.code prefixes: 1 EAN, 2 ISBN, 3 GTIN, 4 HSN, 5 UPC, 6 others.
_CODE_PREFIX = {"ean": "1", "isbn": "2", "gtin": "3", "hsn": "4", "upc": "5", "other": "6"}
# validations.yaml ITEMS_QUANTITY_*_COUNT: ^[0-9]{1,2}$, so counts are capped at 99.
_MAX_COUNT = 99
_ATTRIBUTES = ("colour", "colour_name", "material", "size", "gender", "fabric", "pattern", "size_chart")
# The attribute codes each domain's categories define (ONDC's attribute tables, as its review checks them): an
# attribute a category does not define is an error there, so it is not sent. Fashion defines all of ours.
_ATTRIBUTES_BY_DOMAIN: dict[str, tuple[str, ...]] = {
    "ONDC:RET12": _ATTRIBUTES,  # material and fabric are sent in the table's spelling (validate.py checks them)
    "ONDC:RET16": ("colour", "colour_name", "material", "size"),
    "ONDC:RET13": ("colour", "gender"),
    "ONDC:RET10": (),
    "ONDC:RET19": (),
}
_ODOP_FIELDS = ("gi_tag", "district", "artisan", "craft")


def format_timestamp(now: datetime) -> str:
    """Return RFC 3339 UTC with milliseconds, e.g. 2024-06-23T00:16:46.000Z; ``now`` must be aware."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    utc = now.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def provider_id(profile: Profile, bpp_id: str) -> str:
    """Return the provider id: an ISN's is its bpp_id (PROTOCOL.md §6), an MSN uses the slug."""
    return bpp_id if profile.np_type == "ISN" else profile.slug


# India Standard Time: the calendar and clock of every ONDC rule we apply (the one definition; others import it).
IST = timezone(timedelta(hours=5, minutes=30), "IST")


def provider_creds(profile: Profile, now: datetime) -> list[dict[str, Any]]:
    """The provider's ``creds`` (ONDC RET 1.2.5): the credentials valid today in India, in the shape ONDC's
    review checks (id; descriptor code, name and short_desc; url; a ``verification`` tag with ``verify_url``).
    The same list goes in the order messages, which must repeat what on_search said."""
    day = now.astimezone(IST).date().isoformat()
    out: list[dict[str, Any]] = []
    for cred in profile.credentials:
        if not cred.valid_on(day):
            continue
        entry: dict[str, Any] = {"id": cred.id,
                                 "descriptor": {"code": cred.kind, "name": cred.name, "short_desc": cred.short_desc}}
        if cred.url:
            entry["url"] = cred.url
        if cred.verify_url:
            entry["tags"] = [tag_group("verification", [("verify_url", cred.verify_url)])]
        out.append(entry)
    return out


def money_text(value: Decimal) -> str:
    """Return rupees as a 2-decimal string, e.g. 450.00."""
    return f"{value:.2f}"


def tag_group(code: str, pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """Return an ONDC tag group {code, list: [{code, value}]}."""
    return {"code": code, "list": [{"code": k, "value": v} for k, v in pairs]}


def _address(loc: Location) -> str:
    return f"{loc.street}, {loc.locality}, {loc.city}, {loc.state} {loc.area_code}"


class ItemRenderer:
    """Renders items of one cooperative; per-profile work is done once so each item costs O(1)."""

    def __init__(self, profile: Profile, *, now: datetime, mask_stock: bool = False) -> None:
        self.profile = profile
        self.mask_stock = mask_stock  # available as "99" (in stock) or "0", as incremental pushes must
        self.timestamp = format_timestamp(now)
        self.default_location = profile.locations[0].id
        self.addresses = {loc.id: _address(loc) for loc in profile.locations}
        self.care = profile.consumer_care.as_ondc()
        types = profile.fulfillment_types
        self.fulfillment_id = FULFILMENT_IDS["Delivery" if "Delivery" in types else types[0]]
        self._formatted: dict[Decimal, str] = {}
        self._quantities: dict[Decimal, str] = {}

    def money_text(self, value: Decimal) -> str:
        text = self._formatted.get(value)
        if text is None:
            text = self._formatted[value] = f"{value:.2f}"
        return text

    def render(self, item: Item, *, label: str = "enable") -> dict[str, Any]:
        """Return the ONDC ``items[]`` entry for this item."""
        # Plain literals and few calls: this runs once per item of a 10,000-item catalogue.
        profile = self.profile
        location_id = item.location_id or self.default_location
        quantity = self._quantities.get(item.net_quantity)
        if quantity is None:
            quantity = self._quantities[item.net_quantity] = format(item.net_quantity, "f")
        short_desc = item.short_desc or item.name
        descriptor: dict[str, Any] = {
            "name": item.name,
            "symbol": item.images[0],
            "short_desc": short_desc,
            "long_desc": item.long_desc or short_desc,
            "images": list(item.images),
        }
        if item.code_type:
            descriptor["code"] = f"{_CODE_PREFIX[item.code_type]}:{item.code}"
        attrs = [{"code": "brand", "value": item.brand or profile.name}]
        for name in _ATTRIBUTES_BY_DOMAIN.get(item.domain, _ATTRIBUTES):
            value = getattr(item, name)
            if value:
                attrs.append({"code": name, "value": value})
        if item.prescription_required is not None:
            attrs.append(
                {"code": "prescription_required", "value": "yes" if item.prescription_required else "no"}
            )
        tags: list[dict[str, Any]] = [
            {"code": "origin", "list": [{"code": "country", "value": item.country_of_origin}]},
            {"code": "attribute", "list": attrs},
        ]
        out: dict[str, Any] = {
            "id": item.id,
            "time": {"label": label, "timestamp": self.timestamp},
            "descriptor": descriptor,
            "quantity": {
                "unitized": {"measure": {"unit": item.unit, "value": quantity}},
                "available": {"count": ("99" if item.stock > 0 else "0") if self.mask_stock
                              else str(min(item.stock, _MAX_COUNT))},
                "maximum": {"count": str(min(item.max_per_order, item.stock, _MAX_COUNT))},
            },
            "price": {
                "currency": "INR",
                "value": self.money_text(item.price),
                "maximum_value": self.money_text(item.mrp),
            },
            "category_id": item.category_id,
            "fulfillment_id": self.fulfillment_id,
            "location_id": location_id,
            "@ondc/org/returnable": item.returnable,
            "@ondc/org/cancellable": item.cancellable,
            "@ondc/org/return_window": item.return_window,
            "@ondc/org/seller_pickup_return": item.seller_pickup_return,
            "@ondc/org/time_to_ship": item.time_to_ship,
            "@ondc/org/available_on_cod": item.cod,
            "@ondc/org/contact_details_consumer_care": self.care,
            "@ondc/org/statutory_reqs_packaged_commodities": {
                "manufacturer_or_packer_name": item.manufacturer_name or profile.legal_name,
                "manufacturer_or_packer_address": item.manufacturer_address
                or self.addresses.get(location_id, self.addresses[self.default_location]),
                "common_or_generic_name_of_commodity": item.common_name or item.category_id,
                "net_quantity_or_measure_of_commodity_in_pkg": f"{quantity} {item.unit}",
                "month_year_of_manufacture_packing_import": item.month_year_of_manufacture,
            },
            "tags": tags,
        }
        if item.parent_item_id:
            out["parent_item_id"] = item.parent_item_id
        if item.domain in FOOD_DOMAINS:
            fssai = item.fssai_license_no or profile.fssai_license_no or ""
            out["@ondc/org/statutory_reqs_prepackaged_food"] = {
                "nutritional_info": item.nutritional_info or "NA",
                "additives_info": item.additives_info or "NA",
                "brand_owner_FSSAI_license_no": fssai,
                "other_FSSAI_license_no": fssai,
                "importer_FSSAI_license_no": "NA",
            }
            if item.veg_nonveg:
                tags.append({"code": "veg_nonveg", "list": [{"code": item.veg_nonveg, "value": "yes"}]})
        odop = [{"code": name, "value": value} for name in _ODOP_FIELDS if (value := getattr(item, name))]
        if odop:
            # No ONDC tag code covers ODOP/GI provenance (schema/enums/tags.yaml); a custom group is allowed.
            tags.append({"code": "odop", "list": odop})
        return out

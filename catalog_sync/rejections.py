"""What a buyer app's catalogue rejection means for a cooperative: which item, which spreadsheet column, what to do.

A buyer app that will not show part of a catalogue says so with ``catalog_rejection`` (ONDC RET 1.2.x flows 7 and
9): a list of ``{code, type, path, message}``. Codes are ONDC's (90xxx the shop, 91xxx an item, 92xxx the seller
app); paths come in several spellings, and this module reads all we have met:

- index paths: ``bpp/providers/0/items/4/price/value``, ``message.catalog['bpp/providers'][0].items[4].price``,
  JSON pointers ``/message/catalog/bpp~1providers/0/items/4/price/value``;
- id filters (JSONPath): ``message.catalog.bpp/providers[?(@.id==P1)].items[?(@.id=='I5')]``.

``parse_path`` finds the provider and item (by id or position) and the field; ``locate`` resolves positions against
the on_search we sent; ``column_for`` names the spreadsheet column (or, for a shop-level reason, the profile field);
``explain`` gives the meaning and the fix in the reader's language. Pure: no database, no network.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["REASONS", "Located", "Reason", "Target", "column_for", "explain", "locate", "parse_path"]


def N_(message: str) -> str:
    """Mark a msgid for extraction (gettext's usual name for it); `explain` translates it when shown."""
    return message


@dataclass(frozen=True)
class Reason:
    """One ONDC rejection code: its kind, ONDC's wording (English: the msgid; every translation is in the
    console's gettext catalogues, adapter/web/translations) and the column or profile field it is about when the
    path does not say."""

    kind: str
    en: str
    column: str | None = None


_P, _I, _B = "PROVIDER-ERROR", "ITEM-ERROR", "BPP-ERROR"
# ONDC's catalogue rejection codes (the codes ONDC's log-validation-utility knows, with their kinds).
REASONS: dict[str, Reason] = {
    "90001": Reason(_P, N_("Fulfilment rate below declared standards")),
    "90002": Reason(_P, N_("On-time delivery rate below declared standards")),
    "90003": Reason(_P, N_("Select call failure more than published threshold")),
    "90004": Reason(_P, N_("Init call failure more than published threshold")),
    "90005": Reason(_P, N_("Confirm call failure more than published threshold")),
    "90006": Reason(_P, N_("Customer issues not resolved within resolution times")),
    "90007": Reason(_P, N_("Duplicate store")),
    "90008": Reason(_P, N_("Customer complaints more than published standards")),
    "90009": Reason(_P, N_("Store rejected: too many items rejected")),
    "90010": Reason("INTEGRATION-ERROR", N_("Missing authorisation from the network participant")),
    "90011": Reason(_P, N_("Merchant status sent by the seller app is unavailable")),
    "90012": Reason(_P, N_("Country of origin not present (packaged products)"), "country_of_origin"),
    "90013": Reason(_P, N_("Only hyperlocal delivery allowed"), "profile.serviceability"),
    "90014": Reason(_P, N_("Invalid latitude"), "profile.locations.gps"),
    "90015": Reason(_P, N_("Invalid longitude"), "profile.locations.gps"),
    "90016": Reason(_P, N_("Invalid customisation group data")),
    "90017": Reason(_P, N_("Stores less than declared threshold")),
    "90018": Reason(_P, N_("Empty address field"), "profile.locations.address"),
    "90019": Reason(_P, N_("Other provider error")),
    "90020": Reason(_P, N_("Tags type not present against items")),
    "90021": Reason(_P, N_("Invalid address received"), "profile.locations.address"),
    "90022": Reason(_P, N_("Invalid city received"), "profile.locations.city"),
    "90023": Reason(_P, N_("Invalid contact number: not 10 digits"), "profile.consumer_care.phone"),
    "90024": Reason(_P, N_("Invalid FSSAI licence number"), "profile.fssai_license_no"),
    "90025": Reason(_P, N_("Delivery radius not given"), "profile.serviceability"),
    "90026": Reason(_P, N_("Store timing not in the correct format"), "profile.opening"),
    "90027": Reason(_P, N_("Locality and city mismatch"), "profile.locations.city"),
    "90028": Reason(_P, N_("Store not received on search for 2 consecutive days")),
    "90029": Reason(_P, N_("Store disabled by the seller app")),
    "90030": Reason(_P, N_("Store category mapping empty or unavailable at the buyer app")),
    "90031": Reason("INTEGRATION-ERROR", N_("Network integration version mismatch")),
    "90032": Reason(_P, N_("Store location error"), "profile.locations.gps"),
    "90033": Reason(_P, N_("Provider is blacklisted")),
    "91001": Reason(_I, N_("Item price is higher than its MRP"), "price"),
    "91002": Reason(_I, N_("Use of restricted keywords"), "name"),
    "91003": Reason(_I, N_("No images found"), "images"),
    "91004": Reason(_I, N_("Duplicate images found"), "images"),
    "91005": Reason(_I, N_("Low-quality image found"), "images"),
    "91006": Reason(_I, N_("Image and title do not match"), "images"),
    "91007": Reason(_I, N_("Another mandatory or statutory field is missing")),
    "91008": Reason(_I, N_("Duplicate product"), "name"),
    "91010": Reason(_I, N_("Price is zero"), "price"),
    "91011": Reason(_I, N_("Incorrect image file format"), "images"),
    "91012": Reason(_I, N_("Country of origin not present (packaged products)"), "country_of_origin"),
    "91013": Reason(_I, N_("Net quantity not present"), "net_quantity"),
    "91014": Reason(_I, N_("FSSAI or statutory requirement not present (packaged products)"), "fssai_license_no"),
    "91015": Reason(_I, N_("BIS mark not present")),
    "91016": Reason(_I, N_("Product miscategorised"), "category_id"),
    "91017": Reason(_I, N_("Other item error (see the buyer app's description)")),
    "91018": Reason(_I, N_("Available quantity is absent or invalid"), "stock"),
    "91019": Reason(_I, N_("Category does not exist"), "category_id"),
    "91020": Reason(_I, N_("Customisation parameters not shared"), "variant_attributes"),
    "91021": Reason(_I, N_("Category field is missing"), "category_id"),
    "91022": Reason(_I, N_("Customer care contact details missing"), "profile.consumer_care"),
    "91023": Reason(_I, N_("MRP less than zero"), "mrp"),
    "91024": Reason(_I, N_("Price less than zero"), "price"),
    "91025": Reason(_I, N_("Item status sent by the seller app is unavailable"), "enabled"),
    "91026": Reason(_I, N_("Invalid item id"), "id"),
    "91027": Reason(_I, N_("Invalid service provider id")),
    "91028": Reason(_I, N_("Customisation not present"), "variant_attributes"),
    "91029": Reason(_I, N_("Invalid customisation group"), "parent_item_id"),
    "92001": Reason(_B, N_("Network integration version mismatch")),
    "92002": Reason(_B, N_("Missing authorisation from the network participant")),
    "92003": Reason(_B, N_("Mandatory field missing or wrong format for all providers")),
    "92004": Reason(_B, N_("Invalid domain sent")),
    "92005": Reason(_B, N_("Seller app is blacklisted, inactive or not onboarded yet")),
    "92006": Reason(_B, N_("Provider rejections crossed the threshold in one transaction")),
}

# What to do, per spreadsheet column or profile field (English msgids: see N_).
FIXES: dict[str, str] = {
    "price": N_("Correct the price column of this row: it must be more than 0 and not above mrp."),
    "mrp": N_("Correct the mrp column: the printed maximum retail price, not lower than the price."),
    "images": N_("Replace the photos in the images column: clear JPEG or PNG pictures of this very item, each "
                 "different, at least 500 by 500 pixels, on https:// links."),
    "name": N_("Reword the name (and descriptions): say what the item is, without words such as 'best', 'cheapest' "
               "or other sellers' brands, and make each item's name different."),
    "category_id": N_("Choose the right category in category_id (the template for each category lists them)."),
    "stock": N_("Fill in stock with the number of pieces on hand (0 when sold out)."),
    "net_quantity": N_("Fill in net_quantity and unit as printed on the pack, e.g. 250 and gram."),
    "country_of_origin": N_("Fill in country_of_origin (IND for goods made in India)."),
    "fssai_license_no": N_("Fill in the FSSAI licence number (14 digits) in the profile or the fssai_license_no "
                           "column."),
    "variant_attributes": N_("Check the variant columns: parent_item_id groups the variants, variant_attributes "
                             "names what differs (e.g. size,colour) and every variant fills those columns."),
    "parent_item_id": N_("Check parent_item_id: items of one variant group share it and differ only in the columns "
                         "named in variant_attributes."),
    "enabled": N_("The item was sent as not on sale: set enabled to yes when it is available."),
    "id": N_("Give this item a short id of letters, digits, - or _ (at most 36), different from every other item."),
    "profile.locations.gps": N_("Correct the shop's GPS position in the profile (latitude,longitude of the shop, "
                                "e.g. 32.1109,76.5363)."),
    "profile.locations.address": N_("Complete the shop's address in the profile: street, locality, city, state and "
                                    "PIN code."),
    "profile.locations.city": N_("Correct the city and locality of the shop in the profile so they match its PIN "
                                 "code."),
    "profile.consumer_care": N_("Fill in customer care (name, e-mail, 10-digit phone) in the profile."),
    "profile.consumer_care.phone": N_("Give a 10-digit mobile or landline number for customer care in the profile."),
    "profile.fssai_license_no": N_("Fill in the 14-digit FSSAI licence number in the profile."),
    "profile.serviceability": N_("Set where the shop delivers in the profile (serviceability: all India, some cities "
                                 "or a radius in km)."),
    "profile.opening": N_("Set the shop's opening days and hours in the profile (e.g. days 1-6, 10:00 to 18:00)."),
}
GENERIC_FIX = {
    _I: N_("Read the buyer app's description, correct the item in your spreadsheet and upload it again."),
    _P: N_("This is about the shop, not one item: read the buyer app's description and ask your operator to help "
           "with the profile or the service."),
    _B: N_("This is about the seller app as a whole: your operator has been told; nothing to change in your "
           "catalogue."),
}

# Field paths under an item, most specific first: (leading keys, column).
_ITEM_FIELDS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("price", "maximum_value"), "mrp"),
    (("price",), "price"),
    (("descriptor", "name"), "name"),
    (("descriptor", "short_desc"), "short_desc"),
    (("descriptor", "long_desc"), "long_desc"),
    (("descriptor", "images"), "images"),
    (("descriptor", "symbol"), "images"),
    (("descriptor", "code"), "code"),
    (("quantity", "available"), "stock"),
    (("quantity", "maximum"), "max_per_order"),
    (("quantity", "unitized"), "net_quantity"),
    (("category_id",), "category_id"),
    (("category_ids",), "category_id"),
    (("parent_item_id",), "parent_item_id"),
    (("location_id",), "location_id"),
    (("id",), "id"),
    (("time", "label"), "enabled"),
    (("@ondc", "org", "returnable"), "returnable"),
    (("@ondc", "org", "return_window"), "return_window"),
    (("@ondc", "org", "seller_pickup_return"), "seller_pickup_return"),
    (("@ondc", "org", "cancellable"), "cancellable"),
    (("@ondc", "org", "time_to_ship"), "time_to_ship"),
    (("@ondc", "org", "available_on_cod"), "cod"),
    (("@ondc", "org", "contact_details_consumer_care"), "profile.consumer_care"),
)
# Keys inside the statutory blocks and tags, and the column each fills.
_NAMED_FIELDS: dict[str, str] = {
    "manufacturer_or_packer_name": "manufacturer_name",
    "manufacturer_or_packer_address": "manufacturer_address",
    "common_or_generic_name_of_commodity": "common_name",
    "net_quantity_or_measure_of_commodity_in_pkg": "net_quantity",
    "month_year_of_manufacture_packing_import": "month_year_of_manufacture",
    "imported_product_country_of_origin": "country_of_origin",
    "origin": "country_of_origin",
    "nutritional_info": "nutritional_info",
    "additives_info": "additives_info",
    "brand_owner_FSSAI_license_no": "fssai_license_no",
    "colour": "colour", "colour_name": "colour_name", "size": "size", "size_chart": "size_chart",
    "material": "material", "pattern": "pattern", "gender": "gender", "fabric": "fabric", "brand": "brand",
    "veg": "veg_nonveg", "non_veg": "veg_nonveg", "gi_tag": "gi_tag", "artisan": "artisan", "craft": "craft",
}
_PROVIDER_FIELDS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("locations", "gps"), "profile.locations.gps"),
    (("locations", "address", "city"), "profile.locations.city"),
    (("locations", "address"), "profile.locations.address"),
    (("locations",), "profile.locations.address"),
    (("@ondc", "org", "fssai_license_no"), "profile.fssai_license_no"),
    (("time",), "profile.opening"),
    (("descriptor",), "profile.name"),
    (("fulfillments", "contact", "phone"), "profile.consumer_care.phone"),
    (("fulfillments", "contact"), "profile.consumer_care"),
)


@dataclass(frozen=True)
class Target:
    """Where a rejection points in an on_search: the provider and item, by id or by position, and the field
    under the item (or the provider) as a tuple of keys."""

    provider_id: str | None = None
    provider_index: int | None = None
    item_id: str | None = None
    item_index: int | None = None
    field: tuple[str, ...] = ()
    has_item: bool = False


# An id filter: ``[?(@.id=='I5')]``. The id holds no space or quote and is at most 128 characters, which keeps
# the match linear on hostile paths (a path may be 2,000 characters, a message 1,000 paths).
_FILTER = r"\[\?\(\s*@\.id\s*={1,3}\s*['\"]?(?P<{g}id>[^'\"\)\]\s]{1,128})['\"]?\s*\)\]"
_SEGMENT = r"(?:/(?P<{g}a>\d+)|\[(?P<{g}b>\d+)\]|\.(?P<{g}c>\d+)(?![\w])|" + _FILTER + ")"
_PROVIDERS = re.compile(r"bpp/providers['\"]?\]?" + _SEGMENT.replace("{g}", "p"))
_ITEMS = re.compile(r"(?<![\w@])items" + _SEGMENT.replace("{g}", "i"))
_WORD = re.compile(r"@?[A-Za-z_][A-Za-z0-9_]*")


def parse_path(path: str | None) -> Target:
    """The provider, item and field a rejection's path names (whatever is missing is None or empty)."""
    text = (path or "").replace("~1", "/").replace("~0", "~")
    provider = _PROVIDERS.search(text)
    rest = text[provider.end():] if provider else text
    item = _ITEMS.search(rest)
    tail = rest[item.end():] if item else (rest if provider else "")
    provider_index, provider_id = _position(provider, "p")
    item_index, item_id = _position(item, "i")
    return Target(provider_id=provider_id, provider_index=provider_index, item_id=item_id, item_index=item_index,
                  field=tuple(_WORD.findall(tail)), has_item=item is not None)


def _position(match: re.Match[str] | None, group: str) -> tuple[int | None, str | None]:
    if match is None:
        return None, None
    index = next((match.group(group + k) for k in "abc" if match.group(group + k) is not None), None)
    return (int(index) if index is not None else None), match.group(group + "id")


def column_for(code: str, target: Target) -> str | None:
    """The spreadsheet column (or ``profile.<field>``) a reason is about: from the path when it says, else from
    the code."""
    field = target.field
    table = _ITEM_FIELDS if target.has_item else _PROVIDER_FIELDS
    for keys, column in table:
        if field[:len(keys)] == keys:
            return column
    for word in reversed(field):
        if word in _NAMED_FIELDS:
            return _NAMED_FIELDS[word]
    reason = REASONS.get(code)
    return reason.column if reason else None


def explain(code: str, kind: str | None, column: str | None,
            gettext: Callable[[str], str] = str) -> tuple[str, str]:
    """(what the code means, what to do) through ``gettext`` (English without one); unknown codes say so."""
    reason = REASONS.get(code)
    if reason is None:
        meaning = gettext(N_("Code %(code)s: see the buyer app's description")) % {"code": code}
    else:
        meaning = gettext(reason.en)
    fix = FIXES.get(column or "") or GENERIC_FIX.get(reason.kind if reason else (kind or _I), GENERIC_FIX[_I])
    if column and column not in FIXES and not column.startswith("profile."):
        return meaning, (gettext(N_("Check the %(column)s column of this row.")) % {"column": column} + " "
                         + gettext(GENERIC_FIX[_I]))
    return meaning, gettext(fix)


@dataclass(frozen=True)
class Located:
    """A rejection traced into one of our answers: which answer (its index), the provider and the item ids."""

    answer: int | None
    provider_id: str | None
    item_id: str | None


def locate(target: Target, answers: Sequence[dict[str, Any]], message: str | None = None,
           owners: Sequence[object] | None = None) -> Located:
    """Resolve a target against the on_search bodies we sent in that transaction (one per cooperative).

    Positions are read in the answer they index; when several answers fit (every answer has a provider at
    position 0), the buyer app's message decides if it names the item found at that position in exactly one of
    them; fits that all belong to one owner (``owners``, parallel to ``answers``: pages or pushes of one
    cooperative) with one item are that item. Otherwise the answer is unknown (``answer`` None) and the operator
    sorts it out. Only when the path names no item at all may the message name one anywhere in the answers.
    """
    fits: list[tuple[int, dict[str, Any], dict[str, Any] | None]] = []
    for number, body in enumerate(answers):
        providers = _providers(body)
        provider = _pick(providers, target.provider_id, target.provider_index)
        if provider is None and (target.provider_id is not None or target.provider_index is not None):
            continue
        candidates = [provider] if provider is not None else providers
        for candidate in candidates:
            item = _pick(candidate.get("items") or [], target.item_id, target.item_index)
            if target.has_item and item is None and (target.item_id or target.item_index is not None):
                continue
            fits.append((number, candidate, item))
    words = _words(message)
    if len(fits) > 1 and words:
        named = [fit for fit in fits if fit[2] is not None and str(fit[2].get("id", "")) in words]
        if len(named) == 1:
            fits = named
        elif not target.has_item:
            mentioned = [(n, p, i) for n, p, _ in fits for i in p.get("items") or [] if str(i.get("id", "")) in words]
            if len(mentioned) == 1:
                fits = mentioned
    if len(fits) > 1 and owners is not None and len({owners[n] for n, _, _ in fits}) == 1 and len(
            {str((i or {}).get("id")) for _, _, i in fits}) == 1:
        fits = fits[:1]  # the same item of one cooperative, in several of its pages or pushes
    if len(fits) != 1:
        return Located(answer=None, provider_id=target.provider_id, item_id=target.item_id)
    number, provider, item = fits[0]
    return Located(answer=number, provider_id=str(provider.get("id")) if provider.get("id") else None,
                   item_id=str(item.get("id")) if item and item.get("id") else target.item_id)


def _providers(body: dict[str, Any]) -> list[dict[str, Any]]:
    catalog = (body.get("message") or {}).get("catalog") or {}
    providers = catalog.get("bpp/providers") or []
    return [p for p in providers if isinstance(p, dict)]


def _pick(entries: Iterable[Any], wanted_id: str | None, index: int | None) -> dict[str, Any] | None:
    listed = [e for e in entries if isinstance(e, dict)]
    if wanted_id is not None:
        return next((e for e in listed if str(e.get("id")) == wanted_id), None)
    if index is not None:
        return listed[index] if 0 <= index < len(listed) else None
    return None


_TOKEN = re.compile(r"[\w-]+")


def _words(message: str | None) -> frozenset[str]:
    """The ids a buyer app's message could name (letters, digits, - and _), read once."""
    return frozenset(_TOKEN.findall(message[:2000])) if message else frozenset()

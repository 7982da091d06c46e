"""What the printable order documents share: the packing slip (console) and the invoice (public link).

The order keeps what the buyer app sent: the delivery ``end`` (``person.name`` is the buyer, ``address.name`` the
house), its ``instructions`` (the buyer's note) and the quote's breakup. These helpers turn that into lines to print.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext

from adapter.money import documents
from adapter.store.models import Order
from catalog_sync.model import Item, Location, Profile

LazyString = Any  # flask_babel.speaklater.LazyString (flask_babel has no type hints)

# The quote's own lines (adapter.orders.quote.TITLES) by title type, in the reader's language.
BREAKUP_TITLES: dict[str, LazyString] = {
    "delivery": lazy_gettext("Delivery charges"),
    "packing": lazy_gettext("Packing charges"),
    "misc": lazy_gettext("Convenience fee"),
    "tax": lazy_gettext("Tax"),
    "tax_f": lazy_gettext("Tax"),
    "discount": lazy_gettext("Discount"),
    "discount_f": lazy_gettext("Discount"),
}
QUANTITY = "@ondc/org/item_quantity"


@dataclass(frozen=True)
class SlipLine:
    """One line of a packing slip: what to put in the parcel, and how many."""

    item_id: str
    title: str
    quantity: int
    artisan: str


@dataclass(frozen=True)
class InvoiceLine:
    """One line of an invoice: an item with its count, or a charge (count None)."""

    title: str
    quantity: int | None
    amount: str


def _text(value: Any) -> str:
    return str(value).strip() if value not in (None, "") else ""


def address_lines(address: Any) -> list[str]:
    """An address as printed on a parcel: house, building, street and locality each on a line, then
    ``city, state PIN`` (none for what is not an address object)."""
    return list(documents.address_lines(address))


def location_lines(location: Location | None) -> list[str]:
    """A cooperative's location (workshop, store) as address lines."""
    if location is None:
        return []
    return address_lines({"name": location.name, "street": location.street, "locality": location.locality,
                          "city": location.city, "state": location.state, "area_code": location.area_code})


def pickup_location(profile: Profile | None, order: Order) -> Location | None:
    """Where the parcel leaves from: the location of the order's first line, else the cooperative's first."""
    if profile is None or not profile.locations:
        return None
    for line in order.lines:
        found = profile.location(str(line.get("location_id") or ""))
        if found is not None:
            return found
    return profile.locations[0]


def delivery_end(order: Order) -> dict[str, Any]:
    """The buyer's side of the delivery, as the buyer app sent it ({} when there is none)."""
    fulfilment = order.fulfillments[0] if order.fulfillments else {}
    end = fulfilment.get("end") if isinstance(fulfilment, dict) else None
    return end if isinstance(end, dict) else {}


def buyer_name(order: Order) -> str:
    """Who receives the parcel: the delivery's person, else the billing name."""
    person = delivery_end(order).get("person") or {}
    return _text(person.get("name") if isinstance(person, dict) else "") or _text(order.billing.get("name"))


def buyer_note(order: Order) -> str:
    """The buyer's delivery instructions (``end.instructions``: name, short and long description)."""
    said = delivery_end(order).get("instructions") or {}
    if not isinstance(said, dict):
        return ""
    parts: list[str] = []
    for key in ("name", "short_desc", "long_desc"):
        text = _text(said.get(key))
        if text and text not in parts:
            parts.append(text)
    return " · ".join(parts)


def quoted_titles(order: Order) -> dict[str, str]:
    """Item titles as the quote gave them, by item id."""
    return {str(b.get("@ondc/org/item_id")): _text(b.get("title")) for b in order.quote.get("breakup", [])
            if b.get("@ondc/org/title_type") == "item"}


def slip_lines(order: Order, items: dict[str, Item]) -> list[SlipLine]:
    """What to pack: each line with a quantity left (a cancelled part is not packed), its title and artisan."""
    titles = quoted_titles(order)
    out = []
    for line in order.lines:
        item_id, quantity = str(line.get("item_id", "")), int(line.get("quantity") or 0)
        if quantity <= 0:
            continue
        item = items.get(item_id)
        title = titles.get(item_id) or (item.name if item else "") or item_id
        out.append(SlipLine(item_id=item_id, title=title, quantity=quantity, artisan=item.artisan if item else ""))
    return out


def breakup_title(line: dict[str, Any]) -> str:
    """A quote line's title for the reader: an item's as quoted, a charge's in the reader's language."""
    label = BREAKUP_TITLES.get(str(line.get("@ondc/org/title_type")))
    return str(label) if label is not None and line.get("@ondc/org/title_type") != "item" else _text(line.get("title"))


def invoice_lines(quote: dict[str, Any]) -> list[InvoiceLine]:
    """The quote's breakup as invoice lines; a cancelled item (count 0) and its own charges are left out."""
    breakup = [b for b in quote.get("breakup", []) if isinstance(b, dict)]
    gone = {str(b.get("@ondc/org/item_id")) for b in breakup if b.get("@ondc/org/title_type") == "item"
            and str((b.get(QUANTITY) or {}).get("count", "")) == "0"}
    out = []
    for b in breakup:
        if str(b.get("@ondc/org/item_id")) in gone:
            continue
        kind = b.get("@ondc/org/title_type")
        amount = _text((b.get("price") or {}).get("value"))
        if kind == "item":
            count = str((b.get(QUANTITY) or {}).get("count", ""))
            out.append(InvoiceLine(_text(b.get("title")), int(count) if count.isdigit() else None, amount))
        else:
            out.append(InvoiceLine(breakup_title(b), None, amount))
    return out


__all__ = ["BREAKUP_TITLES", "InvoiceLine", "SlipLine", "address_lines", "breakup_title", "buyer_name", "buyer_note",
           "delivery_end", "invoice_lines", "location_lines", "pickup_location", "quoted_titles", "slip_lines"]

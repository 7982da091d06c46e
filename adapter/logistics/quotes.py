"""Courier quotes: a LOG ``on_search`` catalogue read into quotes, and the choice by the cooperative's policy.

A courier's catalogue (ONDC logistics 1.2.5 ``on_search_LOGISTICS``) lists, per provider, items with a price and
a TAT (``time.duration``, else its category's), each tied to a fulfilment. What we read, following the flows'
examples:

* a delivery quote is an item of a Delivery fulfilment with no ``parent_item_id`` and a ``type`` tag of ``base``
  (or none);
* a ``surge`` item of the same provider and category is added to its price (SURGE_FEE_FLOW);
* the RTO item beside it (an RTO fulfilment, parent the forward item) is what a return to origin would cost, a
  ``cod`` item is the fee for collecting cash, and items with ``weight_slab`` tags or of fulfilments banded by
  ``motorable_distance`` are a rate card (RATE_CARD flows) rather than a price for this parcel: none of them is
  a delivery quote, so they are left out.

Pure.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from adapter.protocol.context import parse_duration

__all__ = ["CourierQuote", "choose", "read_quotes"]

MAX_PRICE = Decimal(100_000)  # rupees: a "quote" above this is not a parcel's delivery charge
MAX_TAT = dt.timedelta(days=30)  # pickup to delivery: longer is no delivery promise for a parcel
MAX_ID = 255  # characters: the chosen quote's provider and item ids are kept in columns of this size


@dataclass(frozen=True, slots=True)
class CourierQuote:
    """One courier offer for the parcel: who (subscriber and provider), which item, its category, price and TAT."""

    bpp_id: str
    bpp_uri: str
    provider_id: str
    provider_name: str
    item_id: str
    category: str
    price: Decimal
    tat: str  # ISO 8601 duration, pickup to delivery

    @property
    def tat_seconds(self) -> float:
        """The TAT as a number, for comparing."""
        return parse_duration(self.tat).total_seconds()

    def to_dict(self) -> dict[str, str]:
        """JSON-safe, for the draft and the search's record."""
        return {"bpp_id": self.bpp_id, "bpp_uri": self.bpp_uri, "provider_id": self.provider_id,
                "provider_name": self.provider_name, "item_id": self.item_id, "category": self.category,
                "price": f"{self.price:f}", "tat": self.tat}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CourierQuote:
        """From ``to_dict`` output."""
        return cls(**{**data, "price": Decimal(str(data["price"]))})


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: object) -> list[dict[str, Any]]:
    return [entry for entry in value if isinstance(entry, dict)] if isinstance(value, list) else []


def _price(item: dict[str, Any]) -> Decimal | None:
    price = item.get("price")
    if not isinstance(price, dict) or price.get("currency", "INR") != "INR":
        return None
    try:
        value = Decimal(str(price.get("value")))
    except InvalidOperation:
        return None
    return value if value.is_finite() and 0 <= value <= MAX_PRICE else None


def _iso(length: dt.timedelta) -> str:
    """A duration in its shortest ISO 8601 form in whole seconds (``P3D``, ``PT1H30M``, ``P1DT2H``)."""
    days, rest = divmod(math.ceil(length.total_seconds()), 86_400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    time = "".join(f"{n}{unit}" for n, unit in ((hours, "H"), (minutes, "M"), (seconds, "S")) if n)
    return ("P" + (f"{days}D" if days else "") + (f"T{time}" if time else "")) if days or time else "PT0S"


def _tat(*times: object) -> str | None:
    """The first readable duration, normalised (what the order flows add to the time to ship); one longer than
    MAX_TAT is none."""
    for time in times:
        duration = time.get("duration") if isinstance(time, dict) else None
        if isinstance(duration, str):
            try:
                length = parse_duration(duration)
            except (ValueError, OverflowError):
                continue
            return _iso(length) if length <= MAX_TAT else None
    return None


def _id(value: object) -> str:
    text = _text(value)
    return text if len(text) <= MAX_ID else ""


def _kind(item: dict[str, Any]) -> str:
    """The item's ``type`` tag (base, surge, cod ...), ``rate_card`` for weight slabs, ``base`` when untagged."""
    kind = "base"
    for tag in _list(item.get("tags")):
        if tag.get("code") == "weight_slab":
            return "rate_card"
        if tag.get("code") == "type":
            kind = next((_text(e.get("value")) for e in _list(tag.get("list")) if e.get("code") == "type"), kind)
    return kind or "base"


def read_quotes(message: dict[str, Any], *, bpp_id: str, bpp_uri: str) -> list[CourierQuote]:
    """The delivery quotes in the ``message`` of one courier's ``on_search`` (none for an error answer or an empty
    catalogue); ``bpp_id`` and ``bpp_uri`` are the courier's, from the context.

    Entries that cannot be read (no price in INR, no TAT up to MAX_TAT, an id longer than MAX_ID) are left out
    rather than guessed.
    """
    catalog = _dict(_dict(message).get("catalog"))
    quotes: list[CourierQuote] = []
    for provider in _list(catalog.get("bpp/providers")):
        # A fulfilment banded by distance (a motorable_distance tag with lower/upper) belongs to a rate card.
        delivery = {_text(f.get("id")) for f in _list(provider.get("fulfillments")) if f.get("type") == "Delivery"
                    and not any(t.get("code") == "motorable_distance" for t in _list(f.get("tags")))}
        category_times = {_text(c.get("id")): c.get("time") for c in _list(provider.get("categories"))}
        name = _text(_dict(provider.get("descriptor")).get("name"))
        forward = [item for item in _list(provider.get("items"))
                   if not _text(item.get("parent_item_id")) and _text(item.get("fulfillment_id")) in delivery]
        surges: dict[str, Decimal] = {}
        for item in forward:
            if _kind(item) == "surge" and (price := _price(item)) is not None:
                category = _text(item.get("category_id"))
                surges[category] = surges.get(category, Decimal(0)) + price
        for item in forward:
            category = _text(item.get("category_id"))
            price, tat = _price(item), _tat(item.get("time"), category_times.get(category))
            provider_id, item_id = _text(provider.get("id")), _id(item.get("id"))
            if _kind(item) != "base" or price is None or tat is None or not item_id or len(provider_id) > MAX_ID:
                continue
            quotes.append(CourierQuote(bpp_id=bpp_id, bpp_uri=bpp_uri, provider_id=provider_id,
                                       provider_name=name, item_id=item_id, category=category,
                                       price=price + surges.get(category, Decimal(0)), tat=tat))
    return quotes


def choose(quotes: Iterable[CourierQuote], *, policy: str, preferred: Sequence[str] = ()) -> CourierQuote | None:
    """The quote the cooperative's policy picks, or None when there is none.

    Preferred couriers (matched by subscriber id or provider id) come first when any of them quoted; then
    ``cheapest`` takes the lowest price (the shorter TAT on a tie), ``fastest`` the shortest TAT (the lower price
    on a tie). The last tie-break is the courier's ids, so the same answers always give the same choice.
    """
    offers = list(quotes)
    favourites = [q for q in offers if q.bpp_id in preferred or q.provider_id in preferred]
    pool = favourites or offers
    if not pool:
        return None
    if policy == "fastest":
        return min(pool, key=lambda q: (q.tat_seconds, q.price, q.bpp_id, q.provider_id, q.item_id))
    if policy == "cheapest":
        return min(pool, key=lambda q: (q.price, q.tat_seconds, q.bpp_id, q.provider_id, q.item_id))
    raise ValueError(f"unknown shipping policy {policy!r}")

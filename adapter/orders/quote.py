"""Quotes: the ``quote`` object of on_select/on_init/on_confirm/on_status/on_update/on_cancel (PROTOCOL.md §7).

Rules (see docs/orders.md):

* Money is Decimal, rounded half-up to paise. An item line is ``round(unit price) x count``, so it is exact and
  always equals ``item.price.value x @ondc/org/item_quantity.count`` as the buyer app sees them.
* ``quote.price.value`` is the sum of the rounded breakup values, so the two agree exactly.
* Catalogue prices are tax-inclusive (GST included), so no tax lines are added unless a ``tax_rate`` says the
  prices are tax-exclusive. Tax, packing and convenience (misc) lines appear only when non-zero; the delivery
  line appears only when the fulfilment is Serviceable (also at 0.00, for free delivery).
* When no item can be supplied (every count 0) there is nothing to ship and no fulfilment-level line
  (as in ONDC's on_select_out_of_stock example).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from adapter.orders import delivery_terms as dt
from adapter.orders.errors import (
    BelowMinimumOrderValueError,
    ItemNotFoundError,
    LocationNotFoundError,
    MaxQuantityExceededError,
    MinimumQuantityError,
    NotServiceableError,
    OrderError,
    OutOfStockError,
    ProviderNotFoundError,
    StoreClosedError,
    to_ondc_error,
)
from adapter.orders.money import CURRENCY, money, money_text
from catalog_sync.model import Item, Profile

__all__ = [
    "FULFILMENT_TITLE_TYPES",
    "ITEM_TITLE_TYPES",
    "BreakupLine",
    "Quote",
    "QuoteLine",
    "SelectionResult",
    "ShippingCharge",
    "build_quote",
    "check_selection",
    "quote_trail_tag",
    "requote_after_cancel",
]

# PROTOCOL.md §7: item-level lines carry the item id, fulfilment-level lines the fulfilment id.
ITEM_TITLE_TYPES = frozenset({"item", "tax", "discount"})
FULFILMENT_TITLE_TYPES = frozenset({"delivery", "packing", "misc", "discount_f", "tax_f"})
# validations.yaml ITEMS_QUANTITY_*_COUNT allows at most two digits (the catalogue caps the same way).
_MAX_COUNT = 99

TITLES = {"delivery": "Delivery charges", "packing": "Packing charges", "misc": "Convenience Fee", "tax": "Tax"}


@dataclass(frozen=True, slots=True)
class QuoteLine:
    """An item and the quantity to quote for it."""

    item: Item
    quantity: int


@dataclass(frozen=True, slots=True)
class BreakupLine:
    """One ``quote.breakup[]`` entry. ``value`` is already rounded to paise."""

    title_type: str
    item_id: str
    title: str
    value: Decimal
    quantity: int | None = None  # item lines only
    unit_price: Decimal | None = None  # item lines only
    available: int | None = None  # item lines only
    maximum: int | None = None  # item lines only

    def to_ondc(self, *, with_stock: bool = False) -> dict[str, Any]:
        """Return the ONDC breakup entry; ``with_stock`` adds the item's availability (on_select only).

        ONDC masks stock: available is "99" when the item can be bought and "0" when not; maximum is the most one
        order may take. After on_select the quote carries no quantity object at all (ONDC's review checks both).
        """
        out: dict[str, Any] = {"@ondc/org/item_id": self.item_id}
        if self.quantity is not None:
            out["@ondc/org/item_quantity"] = {"count": self.quantity}
        out["@ondc/org/title_type"] = self.title_type
        if self.title_type == "item":
            item: dict[str, Any] = {"price": {"currency": CURRENCY, "value": money_text(self.unit_price or 0)}}
            if with_stock and self.available is not None and self.maximum is not None:
                item["quantity"] = {
                    "available": {"count": "99" if self.available > 0 else "0"},
                    "maximum": {"count": str(self.maximum)},
                }
            out["item"] = item
        out["price"] = {"currency": CURRENCY, "value": money_text(self.value)}
        out["title"] = self.title
        return out


@dataclass(frozen=True, slots=True)
class Quote:
    """A priced breakup; ``total`` is the exact sum of the line values."""

    breakup: tuple[BreakupLine, ...]
    ttl: str = "P1D"
    tax_rate: Decimal | None = None

    @property
    def total(self) -> Decimal:
        """The quote price: the sum of every breakup value."""
        return sum((line.value for line in self.breakup), money(0))

    @property
    def item_total(self) -> Decimal:
        """The sum of the item lines (the order value used for fees and the minimum order value)."""
        return sum((line.value for line in self.breakup if line.title_type == "item"), money(0))

    def quantities(self) -> dict[str, int]:
        """Return item id -> quoted count."""
        return {line.item_id: line.quantity or 0 for line in self.breakup if line.title_type == "item"}

    def to_ondc(self, *, with_stock: bool = False) -> dict[str, Any]:
        """Return the ONDC ``quote`` object (``with_stock`` for on_select: see ``BreakupLine.to_ondc``)."""
        return {
            "price": {"currency": CURRENCY, "value": money_text(self.total)},
            "breakup": [line.to_ondc(with_stock=with_stock) for line in self.breakup],
            "ttl": self.ttl,
        }


def _item_lines(item: Item, quantity: int, tax_rate: Decimal | None) -> list[BreakupLine]:
    if quantity < 0:
        raise ValueError(f"negative quantity for item {item.id!r}")
    unit = money(item.price)
    available = min(max(item.stock, 0), _MAX_COUNT) if item.enabled else 0
    line = BreakupLine(
        title_type="item",
        item_id=item.id,
        title=item.name,
        value=unit * quantity,  # already exact to paise
        quantity=quantity,
        unit_price=unit,
        available=available,
        maximum=min(item.max_per_order, available),
    )
    lines = [line]
    if tax_rate is not None:
        tax = money(line.value * tax_rate)
        if tax:
            lines.append(BreakupLine("tax", item.id, TITLES["tax"], tax))
    return lines


def build_quote(
    lines: Sequence[QuoteLine],
    *,
    terms: dt.DeliveryTerms,
    fulfillment_id: str,
    serviceable: bool,
    profile: Profile | None = None,
    ttl: str = "P1D",
    tax_rate: Decimal | None = None,
    delivery_fee: Decimal | None = None,
) -> Quote:
    """Price these lines: item (and tax) lines, then delivery, packing and convenience fee per PROTOCOL.md §7.

    ``tax_rate`` is a fraction (0.18 for 18 % GST) for tax-exclusive prices; leave it None for the catalogue's
    tax-inclusive prices. ``delivery_fee`` (a courier's quote) replaces the terms' slabs and free delivery.
    ``profile`` is accepted for call-site symmetry with ``check_selection`` and not used.
    """
    del profile  # the arithmetic needs only terms and lines
    seen: set[str] = set()
    breakup: list[BreakupLine] = []
    for line in lines:
        if line.item.id in seen:
            raise ValueError(f"item {line.item.id!r} is quoted twice")
        seen.add(line.item.id)
        breakup.extend(_item_lines(line.item, line.quantity, tax_rate))
    item_total = sum((b.value for b in breakup if b.title_type == "item"), money(0))
    if item_total > 0:
        if serviceable:
            fee = money(delivery_fee) if delivery_fee is not None else terms.fee(item_total)
            breakup.append(BreakupLine("delivery", fulfillment_id, TITLES["delivery"], fee))
        for title_type, fee in (("packing", terms.packing_fee), ("misc", terms.convenience_fee)):
            if money(fee):
                breakup.append(BreakupLine(title_type, fulfillment_id, TITLES[title_type], money(fee)))
    return Quote(tuple(breakup), ttl=ttl, tax_rate=tax_rate)


def quote_trail_tag(title_type: str, line_id: str, delta: Decimal) -> dict[str, Any]:
    """Return one ``quote_trail`` tag group (type, id, currency, value) as in ONDC's on_cancel examples."""
    return {
        "code": "quote_trail",
        "list": [
            {"code": "type", "value": title_type},
            {"code": "id", "value": line_id},
            {"code": "currency", "value": CURRENCY},
            {"code": "value", "value": money_text(delta)},
        ],
    }


def requote_after_cancel(
    quote: Quote, cancelled: Mapping[str, int], *, refund_fulfilment_charges: bool | None = None
) -> tuple[Quote, list[dict[str, Any]]]:
    """Reduce item counts by ``cancelled`` (item id -> qty) and return the new quote and its quote_trail tags.

    Cancelled items stay in the breakup with the reduced count (0 when fully cancelled) and recomputed value;
    their tax lines are recomputed too. Fulfilment-level lines (delivery, packing, misc) are refunded (set to
    0.00) when ``refund_fulfilment_charges`` is true; by default that happens exactly when no item is left,
    as in ONDC's full-cancel examples. A return passes ``refund_fulfilment_charges=False``.
    The trail has one tag per changed line, in breakup order, with the (negative) change in value.
    """
    counts = quote.quantities()
    for item_id, qty in cancelled.items():
        if item_id not in counts:
            raise ValueError(f"item {item_id!r} is not in the quote")
        if not 0 < qty <= counts[item_id]:
            raise ValueError(f"cannot cancel {qty} of item {item_id!r}: {counts[item_id]} quoted")
    new_counts = {item_id: count - cancelled.get(item_id, 0) for item_id, count in counts.items()}
    refund = refund_fulfilment_charges
    if refund is None:
        refund = not any(new_counts.values())

    new_item_values: dict[str, Decimal] = {}
    new_lines: list[BreakupLine] = []
    for line in quote.breakup:
        new = line
        if line.title_type == "item" and line.item_id in cancelled:
            count = new_counts[line.item_id]
            new = replace(line, quantity=count, value=(line.unit_price or money(0)) * count)
            new_item_values[line.item_id] = new.value
        elif line.title_type == "tax" and line.item_id in new_item_values and quote.tax_rate is not None:
            new = replace(line, value=money(new_item_values[line.item_id] * quote.tax_rate))
        elif line.title_type in FULFILMENT_TITLE_TYPES and refund:
            new = replace(line, value=money(0))
        new_lines.append(new)
    trail = [
        quote_trail_tag(new.title_type, new.item_id, new.value - old.value)
        for old, new in zip(quote.breakup, new_lines, strict=True)
        if new.value != old.value
    ]
    return replace(quote, breakup=tuple(new_lines)), trail


@dataclass(frozen=True, slots=True)
class ShippingCharge:
    """A delivery charge and transit time that replace the slabs' (a courier's live quote: docs/logistics.md)."""

    fee: Decimal
    transit: str  # ISO 8601 duration from hand-over to delivery


@dataclass(frozen=True, slots=True)
class SelectionResult:
    """What on_select needs: the quote, the quoted lines, the errors and the fulfilment facts."""

    quote: Quote
    lines: tuple[QuoteLine, ...]
    errors: tuple[OrderError, ...]
    serviceable: bool
    fulfillment_state: Literal["Serviceable", "Non-serviceable"]
    tat: str
    category: str
    routing: Literal["P2P", "P2H2P"]

    @property
    def error(self) -> dict[str, str] | None:
        """The callback ``error`` object, or None."""
        return to_ondc_error(self.errors)


def _merge(requested: Iterable[tuple[str, int, str]]) -> dict[str, tuple[int, str]]:
    merged: dict[str, tuple[int, str]] = {}
    for item_id, qty, location_id in requested:
        previous, first_location = merged.get(item_id, (0, location_id))
        merged[item_id] = (previous + qty, first_location)
    return merged


def check_selection(
    items_by_id: Mapping[str, Item],
    requested: Sequence[tuple[str, int, str]],
    *,
    profile: Profile,
    provider_id: str,
    expected_provider_id: str,
    now: datetime,
    end_area_code: str | None,
    end_gps: str | None,
    terms: dt.DeliveryTerms,
    fulfillment_id: str = "F1",
    ttl: str = "P1D",
    tax_rate: Decimal | None = None,
    shipping: ShippingCharge | None = None,
) -> SelectionResult:
    """Check a select request ((item_id, qty, location_id) lines) against the catalogue and quote what we can.

    Unknown items and locations are left out of the quote (30004/30002); short stock is quoted at the available
    count (40002 with the counts), quantities above max_per_order at the maximum (40009). A closed store (30017)
    or an unserviceable drop-off (30009) makes the fulfilment Non-serviceable, without a delivery line.
    ``shipping`` (a courier's quote) sets the delivery charge and the transit time instead of ``terms``.
    """
    routing = dt.routing(profile.serviceability.kind)
    transit = shipping.transit if shipping is not None else terms.transit_for(profile.serviceability.kind)
    if provider_id != expected_provider_id:
        o2d = dt.tat("PT0S", transit)
        return SelectionResult(Quote((), ttl=ttl, tax_rate=tax_rate), (), (ProviderNotFoundError(provider_id),),
                               False, "Non-serviceable", o2d, terms.category_for(o2d), routing)

    errors: list[OrderError] = []
    known_locations = [loc.id for loc in profile.locations]
    default_location = known_locations[0] if known_locations else ""
    bad_locations: set[str] = set()
    short: dict[str, int] = {}
    lines: list[QuoteLine] = []
    for item_id, (qty, location_id) in _merge(requested).items():
        if location_id and location_id not in known_locations:
            if location_id not in bad_locations:
                bad_locations.add(location_id)
                errors.append(LocationNotFoundError(location_id))
            continue
        item = items_by_id.get(item_id)
        if item is None:
            errors.append(ItemNotFoundError(item_id))
            continue
        if location_id and (item.location_id or default_location) != location_id:
            errors.append(ItemNotFoundError(item_id, f"Item {item_id!r} is not sold from location {location_id!r}"))
            continue
        stock = max(item.stock, 0) if item.enabled else 0
        if qty < 1:
            errors.append(MinimumQuantityError(item_id, qty))
            quoted = 0
        elif qty > item.max_per_order and stock >= item.max_per_order:
            errors.append(MaxQuantityExceededError(item_id, qty, item.max_per_order))
            quoted = item.max_per_order
        elif qty > stock:
            short[item_id] = stock
            quoted = stock
        else:
            quoted = qty
        lines.append(QuoteLine(item, quoted))
    if short:
        errors.append(OutOfStockError(short))

    open_now = dt.takes_orders(profile, now)
    if not open_now:
        errors.append(StoreClosedError())
    start_location = next((loc for _, (_, loc) in _merge(requested).items() if loc in known_locations), None)
    in_area = dt.is_serviceable(profile, end_area_code, end_gps, location_id=start_location)
    if not in_area:
        errors.append(NotServiceableError())
    serviceable = open_now and in_area

    quote = build_quote(lines, terms=terms, fulfillment_id=fulfillment_id, serviceable=serviceable,
                        ttl=ttl, tax_rate=tax_rate, delivery_fee=shipping.fee if shipping is not None else None)
    minimum = profile.min_order_value
    if minimum is not None and 0 < quote.item_total < minimum:
        errors.append(BelowMinimumOrderValueError(quote.item_total, minimum))
    o2d = dt.tat(dt.longest(line.item.time_to_ship for line in lines if line.quantity > 0), transit)
    return SelectionResult(
        quote=quote,
        lines=tuple(lines),
        errors=tuple(errors),
        serviceable=serviceable,
        fulfillment_state="Serviceable" if serviceable else "Non-serviceable",
        tat=o2d,
        category=terms.category_for(o2d),
        routing=routing,
    )

"""Builders of the ``message`` object of our order callbacks (PROTOCOL.md §3); callers add the context.

    on_select_message(selection, ...)   on_select: provider, items, one Delivery fulfilment, quote
    on_select_error(selection)          on_select's top-level ``error`` (or None)
    on_init_message(order, settlement=) on_init: billing echoed, end stop, quote, payment + settlement, bpp_terms
    order_message(order)                the full order snapshot of on_confirm, on_status, on_cancel and on_update
    on_track_message(fulfillment_id,..) on_track: a tracking URL or the last known position

Shapes follow ONDC's RET16 1.2.5 examples (shared/ondc/examples). Buyer objects (billing, payment) are echoed
unchanged (deep copies, so a caller mutating the result cannot touch the stored view). Every builder is pure.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from adapter.orders.errors import to_ondc_error
from adapter.orders.quote import FULFILMENT_TITLE_TYPES, SelectionResult
from adapter.orders.records import (
    Address,
    BppTerms,
    FulfilmentView,
    OrderItemView,
    OrderView,
    Settlement,
    Stop,
)
from adapter.protocol.context import format_timestamp

__all__ = [
    "bpp_terms_tag",
    "on_init_message",
    "on_select_error",
    "on_select_message",
    "on_track_message",
    "order_message",
    "quote_without_stock",
    "settlement_details",
]

_SETTLEMENT = "@ondc/org/settlement_details"


def _address(address: Address) -> dict[str, str]:
    fields = {
        "name": address.name,
        "building": address.building,
        "locality": address.locality,
        "city": address.city,
        "state": address.state,
        "country": address.country,
        "area_code": address.area_code,
    }
    return {key: value for key, value in fields.items() if value}


def _location(stop: Stop, *, with_descriptor: bool) -> dict[str, Any]:
    location: dict[str, Any] = {}
    if with_descriptor and stop.location_id is not None:
        location["id"] = stop.location_id
    if with_descriptor and stop.name is not None:
        location["descriptor"] = {"name": stop.name}
    if stop.gps is not None:
        location["gps"] = stop.gps
    if stop.address is not None:
        location["address"] = _address(stop.address)
    return location


def _time(stop: Stop) -> dict[str, Any]:
    time: dict[str, Any] = {}
    if stop.time_range is not None:
        start, end = stop.time_range
        time["range"] = {"start": format_timestamp(start), "end": format_timestamp(end)}
    if stop.timestamp is not None:
        time["timestamp"] = format_timestamp(stop.timestamp)
    return time


def _stop(stop: Stop, *, seller_side: bool) -> dict[str, Any]:
    """Render a start (seller_side: location id and store name) or an end stop; only what is set."""
    out: dict[str, Any] = {}
    location = _location(stop, with_descriptor=seller_side)
    if location:
        out["location"] = location
    if stop.contact is not None:
        out["contact"] = {"phone": stop.contact.phone, "email": stop.contact.email}
    if stop.person_name is not None:
        out["person"] = {"name": stop.person_name}
    time = _time(stop)
    if time:
        out["time"] = time
    if stop.instructions is not None:
        out["instructions"] = copy.deepcopy(stop.instructions)
    return out


def _state(code: str) -> dict[str, Any]:
    return {"descriptor": {"code": code}}


def _provider(provider_id: str, location_id: str, creds: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    provider: dict[str, Any] = {"id": provider_id, "locations": [{"id": location_id}]}
    if creds:
        provider["creds"] = copy.deepcopy(creds)
    return provider


def _item(item: OrderItemView, *, with_quantity: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {"id": item.item_id, "fulfillment_id": item.fulfillment_id}
    if with_quantity:
        out["quantity"] = {"count": item.quantity}
    if item.location_id is not None:
        out["location_id"] = item.location_id
    if item.parent_item_id is not None:
        out["parent_item_id"] = item.parent_item_id
    return out


def bpp_terms_tag(terms: BppTerms) -> dict[str, Any]:
    """Return the ``bpp_terms`` tag group: np_type, tax_number (GSTIN), provider_tax_number (PAN)."""
    return {
        "code": "bpp_terms",
        "list": [
            {"code": "np_type", "value": terms.np_type},
            {"code": "tax_number", "value": terms.gstin},
            {"code": "provider_tax_number", "value": terms.pan},
        ],
    }


def settlement_details(settlement: Settlement) -> dict[str, str]:
    """Return our ``@ondc/org/settlement_details`` entry (seller-app, sale-amount)."""
    out = {
        "settlement_counterparty": "seller-app",
        "settlement_phase": "sale-amount",
        "settlement_type": settlement.kind,
    }
    optional = {
        "upi_address": settlement.upi_address,
        "settlement_bank_account_no": settlement.account_no,
        "settlement_ifsc_code": settlement.ifsc,
        "bank_name": settlement.bank_name,
        "branch_name": settlement.branch,
        "beneficiary_name": settlement.beneficiary,
    }
    out.update({key: value for key, value in optional.items() if value})
    return out


def quote_without_stock(quote: dict[str, Any]) -> dict[str, Any]:
    """A stored quote as sent after on_select: without the items' quantity objects (orders stored before
    quotes were kept without them still have them)."""
    out = copy.deepcopy(quote)
    for line in out.get("breakup", []):
        item = line.get("item")
        if isinstance(item, dict):
            item.pop("quantity", None)
    return out


def _with_settlement(payment: dict[str, Any], settlement: Settlement) -> dict[str, Any]:
    """The buyer's payment object with our seller-app sale-amount entry first, other entries kept."""
    out = copy.deepcopy(payment)
    others = [
        entry
        for entry in out.get(_SETTLEMENT, [])
        if (entry.get("settlement_counterparty"), entry.get("settlement_phase")) != ("seller-app", "sale-amount")
    ]
    out[_SETTLEMENT] = [settlement_details(settlement), *others]
    return out


def _fulfilment_id(selection: SelectionResult, items: Sequence[OrderItemView]) -> str:
    ids = {item.fulfillment_id for item in items}
    if len(ids) > 1:
        raise ValueError(f"on_select has one fulfilment, items name {sorted(ids)}")
    if ids:
        return ids.pop()
    lines = (line.item_id for line in selection.quote.breakup if line.title_type in FULFILMENT_TITLE_TYPES)
    return next(lines, "F1")


def on_select_message(
    selection: SelectionResult,
    *,
    provider_id: str,
    location_id: str,
    items: Sequence[OrderItemView],
    provider_name: str,
    tracking: bool = False,
) -> dict[str, Any]:
    """Return on_select's message: provider, items, the Delivery fulfilment (Serviceable or not, TAT, category), quote.

    ``tracking`` says whether we will answer /track for this order (40005 otherwise), so it defaults to False.
    """
    fulfilment = {
        "id": _fulfilment_id(selection, items),
        "type": "Delivery",
        "@ondc/org/provider_name": provider_name,
        "@ondc/org/category": selection.category,
        "@ondc/org/TAT": selection.tat,
        "tracking": tracking,
        "state": _state(selection.fulfillment_state),
    }
    return {
        "order": {
            "provider": _provider(provider_id, location_id),
            "items": [_item(item, with_quantity=False) for item in items],
            "fulfillments": [fulfilment],
            "quote": selection.quote.to_ondc(with_stock=True),
        }
    }


def on_select_error(selection: SelectionResult) -> dict[str, str] | None:
    """Return on_select's top-level ``error`` (out of stock, not serviceable, ...) or None."""
    return to_ondc_error(selection.errors)


def _init_fulfilment(fulfilment: FulfilmentView) -> dict[str, Any]:
    out: dict[str, Any] = {"id": fulfilment.id, "type": fulfilment.type, "tracking": fulfilment.tracking}
    if fulfilment.end is not None:
        # ONDC RET16 1.2.5 on_init: the end stop carries only location and contact.
        end = _stop(fulfilment.end, seller_side=False)
        out["end"] = {key: end[key] for key in ("location", "contact") if key in end}
    return out


def on_init_message(order: OrderView, *, settlement: Settlement) -> dict[str, Any]:
    """Return on_init's message: billing echoed, items, fulfilments (end stop), quote, payment, bpp_terms."""
    return {
        "order": {
            "provider": _provider(order.provider_id, order.provider_location_id),
            "items": [_item(item) for item in order.items],
            "billing": copy.deepcopy(order.billing),
            "fulfillments": [_init_fulfilment(f) for f in order.fulfillments],
            "quote": quote_without_stock(order.quote),
            "payment": _with_settlement(order.payment, settlement),
            "tags": [bpp_terms_tag(order.bpp_terms)],
        }
    }


def _fulfilment(fulfilment: FulfilmentView) -> dict[str, Any]:
    out: dict[str, Any] = {"id": fulfilment.id, "type": fulfilment.type}
    if fulfilment.provider_name is not None:
        out["@ondc/org/provider_name"] = fulfilment.provider_name
    if fulfilment.tat is not None:
        out["@ondc/org/TAT"] = fulfilment.tat
    if fulfilment.type != "Cancel":  # ONDC's Cancel fulfilments carry no tracking flag
        out["tracking"] = fulfilment.tracking
    out["state"] = _state(fulfilment.state)
    if fulfilment.state_updated_at is not None:
        out["@ondc/org/state_updated_at"] = format_timestamp(fulfilment.state_updated_at)
    returning = fulfilment.type == "RTO"  # an RTO starts at the buyer and ends at the store
    if fulfilment.start is not None:
        out["start"] = _stop(fulfilment.start, seller_side=not returning)
    if fulfilment.end is not None:
        out["end"] = _stop(fulfilment.end, seller_side=returning)
    if fulfilment.tags:
        out["tags"] = copy.deepcopy(fulfilment.tags)
    return out


def order_message(order: OrderView) -> dict[str, Any]:
    """Return the full order snapshot: the message of on_confirm, on_status, on_cancel and on_update."""
    body: dict[str, Any] = {
        "id": order.order_id,
        "state": order.state,
        "provider": _provider(order.provider_id, order.provider_location_id, order.provider_creds),
        "items": [_item(item) for item in order.items],
        "billing": copy.deepcopy(order.billing),
        "fulfillments": [_fulfilment(f) for f in order.fulfillments],
        "quote": quote_without_stock(order.quote),
        "payment": copy.deepcopy(order.payment),
        "tags": [bpp_terms_tag(order.bpp_terms), *([copy.deepcopy(order.bap_terms)] if order.bap_terms else [])],
    }
    if order.documents:
        body["documents"] = copy.deepcopy(order.documents)
    if order.cancellation is not None:
        body["cancellation"] = {
            "cancelled_by": order.cancellation.initiated_by,
            "reason": {"id": order.cancellation.reason_id},
        }
    body["created_at"] = order.created_at_echo or format_timestamp(order.created_at)
    body["updated_at"] = format_timestamp(order.updated_at)
    return {"order": body}


def on_track_message(
    fulfillment_id: str, *, url: str | None, gps: str | None, updated_at: datetime, order_id: str | None = None,
    live: bool = True,
) -> dict[str, Any]:
    """Return on_track's message: a tracking URL and/or the last GPS fix (taken at ``updated_at``).

    ``live=False`` is the answer for a parcel nobody tracks live: status ``inactive`` and the last place it is
    known to have been (the cooperative's store until delivery, the buyer's address after).
    """
    if url is None and gps is None:
        raise ValueError("on_track needs a tracking url or a gps position")
    tracking: dict[str, Any] = {"id": fulfillment_id}
    if url is not None:
        tracking["url"] = url
    if gps is not None:
        stamp = format_timestamp(updated_at)
        tracking["location"] = {"gps": gps, "time": {"timestamp": stamp}, "updated_at": stamp}
    tracking["status"] = "active" if live else "inactive"
    if order_id is not None:
        tracking["tags"] = [{"code": "order", "list": [{"code": "id", "value": order_id}]}]
    return {"tracking": tracking}

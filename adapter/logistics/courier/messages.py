"""The test courier's callbacks, shaped like ONDC logistics 1.2.5's flow examples (LOG10/LOG11). Pure.

Every function takes what it needs, time included, and returns plain JSON-ready dicts. The order object of
on_confirm, on_status, on_update and on_cancel is one document: the confirmed order, moved along by
`with_state`, `cancelled` and `rto_initiated`.
"""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from adapter.logistics.courier.rates import SERVICES, Quote
from adapter.logistics.courier.states import (
    CANCELLED,
    RANK,
    RTO_DELIVERED,
    RTO_DISPOSED,
    RTO_INITIATED,
    order_state,
)
from adapter.protocol.context import CORE_VERSION, DEFAULT_TTL, format_timestamp, parse_duration

__all__ = [
    "PROVIDER_ID",
    "CourierInfo",
    "callback_context",
    "cancelled",
    "catalog",
    "confirmed_order",
    "delivery_fulfillment",
    "error_body",
    "initialised_order",
    "quote_breakup",
    "rto_finished",
    "rto_initiated",
    "tracking",
    "with_state",
]

PROVIDER_ID = "odop-test-courier"
STATIC_TERMS = "https://github.com/ONDC-Official/NP-Static-Terms/lspNP_LSP/1.0/tc.pdf"
IST = dt.timezone(dt.timedelta(hours=5, minutes=30))
# A pretend rider: the name says it is the test courier's, the number is a placeholder.
AGENT = {"name": "Test Courier Rider", "phone": "9999900000"}
VEHICLE = {"registration": "HP01TC0001"}
PICKUP_WAIT = {"ONDC:LOG10": "PT1H", "ONDC:LOG11": "P1D"}


@dataclass(frozen=True)
class CourierInfo:
    """Who the courier is on the network and where it serves labels and tracking pages."""

    bpp_id: str
    bpp_uri: str
    public_url: str
    name: str = "ODOP Test Courier"
    upi: str = "odop-test-courier@upi"

    def label_url(self, awb: str) -> str:
        """The shipping label (PDF) the courier serves for an AWB."""
        return f"{self.public_url.rstrip('/')}/labels/{awb}.pdf"

    def tracking_url(self, awb: str) -> str:
        """The tracking page the courier serves for an AWB."""
        return f"{self.public_url.rstrip('/')}/track/{awb}"


def _tag(code: str, **values: str) -> dict[str, Any]:
    return {"code": code, "list": [{"code": key, "value": value} for key, value in values.items()]}


def _money(value: Decimal) -> dict[str, str]:
    return {"currency": "INR", "value": f"{value:.2f}"}


def callback_context(request: dict[str, Any], action: str, info: CourierInfo, now: dt.datetime,
                     message_id: str | None = None) -> dict[str, Any]:
    """The context of our answer to ``request`` (same message_id), or of an unsolicited one (a new id)."""
    return {
        "domain": request["domain"], "country": request.get("country", "IND"), "city": request["city"],
        "action": action, "core_version": CORE_VERSION,
        "bap_id": request["bap_id"], "bap_uri": request["bap_uri"],
        "bpp_id": info.bpp_id, "bpp_uri": info.bpp_uri,
        "transaction_id": request["transaction_id"], "message_id": message_id or request["message_id"],
        "timestamp": format_timestamp(now), "ttl": DEFAULT_TTL,
    }


def error_body(context: dict[str, Any], code: str, message: str, kind: str = "DOMAIN-ERROR") -> dict[str, Any]:
    """An on_* callback that carries only an error (ONDC logistics errors/index.yaml codes)."""
    return {"context": context, "error": {"type": kind, "code": code, "message": message}}


def _tat_time(tat: str, now: dt.datetime) -> dict[str, str]:
    due = (now + parse_duration(tat)).astimezone(IST)
    return {"label": "TAT", "duration": tat, "timestamp": due.date().isoformat()}


def catalog(info: CourierInfo, quotes: list[Quote], domain: str, now: dt.datetime) -> dict[str, Any]:
    """on_search's catalogue: one provider, a Delivery and an RTO item for each quoted category."""
    km = quotes[0].km
    items: list[dict[str, Any]] = []
    for q in quotes:
        time = _tat_time(q.tat, now)
        items.append({"id": q.service.item_id, "parent_item_id": "", "category_id": q.service.category,
                      "fulfillment_id": "1",
                      "descriptor": {"name": q.service.name, "short_desc": q.service.name,
                                     "long_desc": f"{q.service.name}: {q.chargeable_kg:.3f} kg chargeable, "
                                                  f"{q.slabs} slab(s) of 500 g, {q.km} km"},
                      "price": _money(q.total), "time": time})
        items.append({"id": f"{q.service.item_id}-RTO", "parent_item_id": q.service.item_id,
                      "category_id": q.service.category, "fulfillment_id": "2",
                      "descriptor": {"name": "RTO quote", "short_desc": "RTO quote",
                                     "long_desc": "Return to origin, if the parcel cannot be delivered"},
                      "price": _money(q.rto + q.rto_tax),
                      "time": time})
    return {
        "bpp/descriptor": {"name": info.name, "tags": [_tag(
            "bpp_terms", static_terms="", static_terms_new=STATIC_TERMS, effective_date=format_timestamp(now))]},
        "bpp/providers": [{
            "id": PROVIDER_ID,
            "descriptor": {"name": info.name, "short_desc": info.name,
                           "long_desc": f"{info.name}: a test logistics provider that quotes by distance and weight"},
            "categories": [{"id": q.service.category, "time": _tat_time(q.tat, now)} for q in quotes],
            "fulfillments": [
                {"id": "1", "type": "Delivery", "start": {"time": {"duration": PICKUP_WAIT[domain]}},
                 "tags": [_tag("distance", motorable_distance_type="kilometer", motorable_distance=f"{km}")]},
                {"id": "2", "type": "RTO"},
            ],
            "items": items,
        }],
    }


def quote_breakup(item_id: str, delivery: Decimal, tax: Decimal, *, ttl: str | None = None) -> dict[str, Any]:
    """An order quote: the delivery charge and its tax, for one item."""
    quote: dict[str, Any] = {
        "price": _money(delivery + tax),
        "breakup": [
            {"@ondc/org/item_id": item_id, "@ondc/org/title_type": "delivery", "price": _money(delivery)},
            {"@ondc/org/item_id": item_id, "@ondc/org/title_type": "tax", "price": _money(tax)},
        ],
    }
    if ttl:
        quote["ttl"] = ttl
    return quote


def _payment(payment: Any, info: CourierInfo) -> dict[str, Any]:
    paid = dict(payment) if isinstance(payment, dict) else {}
    paid.setdefault("type", "POST-FULFILLMENT")
    paid.setdefault("collected_by", "BAP")
    paid["@ondc/org/settlement_details"] = [{
        "settlement_counterparty": "lsp", "settlement_type": "upi", "upi_address": info.upi,
        "beneficiary_name": info.name}]
    return paid


def initialised_order(order: dict[str, Any], info: CourierInfo, delivery: Decimal, tax: Decimal) -> dict[str, Any]:
    """on_init's order: what the logistics buyer sent, with our quote, settlement details and terms."""
    item = order["items"][0]
    return {
        "provider": order["provider"],
        "items": [{"id": item["id"], "fulfillment_id": item.get("fulfillment_id", "1")}],
        "fulfillments": order["fulfillments"],
        **({"billing": order["billing"]} if "billing" in order else {}),
        "quote": quote_breakup(item["id"], delivery, tax, ttl="PT15M"),
        "payment": _payment(order.get("payment"), info),
        "tags": [_tag("bpp_terms", static_terms=STATIC_TERMS)],
    }


def delivery_fulfillment(order: dict[str, Any]) -> dict[str, Any]:
    """The order's Delivery fulfilment (the first one when none says its type)."""
    fulfilments = order["fulfillments"]
    return next((f for f in fulfilments if f.get("type") == "Delivery"), fulfilments[0])


def confirmed_order(order: dict[str, Any], info: CourierInfo, *, awb: str, delivery: Decimal, tax: Decimal,
                    tat: str, domain: str, now: dt.datetime) -> dict[str, Any]:
    """on_confirm's order: theirs, Accepted, with the AWB, the pickup slot, the label and our quote."""
    confirmed = copy.deepcopy(order)
    fulfilment = delivery_fulfillment(confirmed)
    fulfilment.setdefault("type", "Delivery")
    fulfilment["@ondc/org/awb_no"] = awb
    fulfilment["state"] = {"descriptor": {"code": "Pending"}}
    fulfilment["tracking"] = True
    slot_start = now + dt.timedelta(hours=1)
    slot_end = slot_start + dt.timedelta(hours=2)
    fulfilment.setdefault("start", {})["time"] = {
        "duration": PICKUP_WAIT[domain],
        "range": {"start": format_timestamp(slot_start), "end": format_timestamp(slot_end)}}
    fulfilment.setdefault("end", {})["time"] = {
        "range": {"start": format_timestamp(slot_end), "end": format_timestamp(slot_end + parse_duration(tat))}}
    fulfilment["tags"] = [t for t in fulfilment.get("tags", []) if t.get("code") != "shipping_label"] + [
        _tag("shipping_label", type="pdf", url=info.label_url(awb))]
    item = confirmed["items"][0]
    item.setdefault("fulfillment_id", fulfilment.get("id", "1"))
    item["time"] = _tat_time(tat, now)
    confirmed["items"] = [item]
    confirmed["quote"] = quote_breakup(item["id"], delivery, tax)
    confirmed["payment"] = _payment(confirmed.get("payment"), info)
    terms = [t for t in confirmed.get("tags", []) if t.get("code") != "bpp_terms"]
    confirmed["tags"] = [*terms, _tag("bpp_terms", static_terms=STATIC_TERMS)]
    confirmed["state"] = "Accepted"
    confirmed.setdefault("created_at", format_timestamp(now))
    confirmed["updated_at"] = format_timestamp(now)
    return confirmed


def with_state(order: dict[str, Any], state: str, now: dt.datetime) -> dict[str, Any]:
    """The order once its Delivery fulfilment is in ``state`` (a forward state, not RTO or cancelled)."""
    moved = copy.deepcopy(order)
    fulfilment = delivery_fulfillment(moved)
    fulfilment["state"] = {"descriptor": {"code": state}}
    if RANK.get(state, 0) >= RANK["Agent-assigned"]:
        fulfilment["agent"] = dict(AGENT)
        fulfilment["vehicle"] = dict(VEHICLE)
    # ONDC LOG validations: the pickup time is in start.time.timestamp from pickup on, and the delivery time
    # in end.time.timestamp once delivered.
    if RANK.get(state, 0) >= RANK["Order-picked-up"]:
        fulfilment.setdefault("start", {}).setdefault("time", {}).setdefault("timestamp", format_timestamp(now))
    if state == "Order-delivered":
        fulfilment.setdefault("end", {}).setdefault("time", {})["timestamp"] = format_timestamp(now)
    moved["state"] = order_state(state)
    moved["updated_at"] = format_timestamp(now)
    return moved


def reweighed(order: dict[str, Any], *, weight_kg: Decimal, diff: Decimal, diff_tax: Decimal, proof_url: str,
              now: dt.datetime) -> dict[str, Any]:
    """The order once the parcel weighed more at pickup than declared (ONDC LOG 1.2.5 weight differential,
    pushed as an unsolicited on_update): ``diff`` and ``tax_diff`` lines in the quote, the weight found in a
    ``linked_order_diff`` tag and a photo of the scale in ``linked_order_diff_proof``."""
    changed = copy.deepcopy(order)
    fulfilment = delivery_fulfillment(changed)
    linked = (changed.get("@ondc/org/linked_order") or {}).get("order") or {}
    kept = [t for t in fulfilment.get("tags", []) if t.get("code") not in ("linked_order_diff",
                                                                            "linked_order_diff_proof")]
    fulfilment["tags"] = [*kept, _tag("linked_order_diff", id=str(linked.get("id", changed.get("id", ""))),
                                      weight_unit="kilogram", weight_value=f"{weight_kg}"),
                          _tag("linked_order_diff_proof", type="image", url=proof_url)]
    quote = changed["quote"]
    item_id = changed["items"][0]["id"]
    lines = [b for b in quote["breakup"] if b.get("@ondc/org/title_type") not in ("diff", "tax_diff")]
    before = sum((Decimal(b["price"]["value"]) for b in lines), Decimal(0))
    quote["breakup"] = [*lines,
                        {"@ondc/org/item_id": item_id, "@ondc/org/title_type": "diff", "price": _money(diff)},
                        {"@ondc/org/item_id": item_id, "@ondc/org/title_type": "tax_diff", "price": _money(diff_tax)}]
    quote["price"] = _money(before + diff + diff_tax)
    changed["updated_at"] = format_timestamp(now)
    return changed


def _precancel(state: str, since: str) -> dict[str, Any]:
    return _tag("precancel_state", fulfillment_state=state, updated_at=since)


def cancelled(order: dict[str, Any], *, previous: str, since: str, reason_id: str, cancelled_by: str,
              now: dt.datetime) -> dict[str, Any]:
    """The order cancelled before pickup; nothing is charged if no rider was assigned yet."""
    done = copy.deepcopy(order)
    fulfilment = delivery_fulfillment(done)
    fulfilment["state"] = {"descriptor": {"code": CANCELLED}}
    fulfilment["tags"] = [*fulfilment.get("tags", []), _precancel(previous, since)]
    if RANK.get(previous, 0) < RANK["Agent-assigned"]:
        done["quote"] = quote_breakup(done["items"][0]["id"], Decimal(0), Decimal(0))
    done["cancellation"] = {"cancelled_by": cancelled_by, "reason": {"id": reason_id}}
    done["state"] = order_state(CANCELLED)
    done["updated_at"] = format_timestamp(now)
    return done


def rto_initiated(order: dict[str, Any], *, previous: str, since: str, reason_id: str, cancelled_by: str,
                  rto_charge: Decimal, rto_tax: Decimal, now: dt.datetime) -> dict[str, Any]:
    """The order once the parcel starts back to the seller (ONDC LOG 1.2.5 RTO flow, unsolicited on_cancel)."""
    back = copy.deepcopy(order)
    fulfilment = delivery_fulfillment(back)
    forward_id = fulfilment.get("id", "1")
    rto_id = f"{forward_id}-RTO"
    fulfilment["state"] = {"descriptor": {"code": "RTO"}}
    fulfilment["tags"] = [*fulfilment.get("tags", []), _precancel(previous, since), _tag(
        "rto_event", retry_count="1", rto_id=rto_id, cancellation_reason_id=reason_id, cancelled_by=cancelled_by)]
    back["fulfillments"] = [*back["fulfillments"], {
        "id": rto_id, "type": "RTO", "state": {"descriptor": {"code": RTO_INITIATED}},
        "start": {"time": {"timestamp": format_timestamp(now)}}}]
    item = back["items"][0]
    rto_item = f"{item['id']}-RTO"
    back["items"] = [item, {"id": rto_item, "category_id": item.get("category_id", SERVICES[0].category),
                            "fulfillment_id": rto_id, "descriptor": {"name": "RTO quote"}}]
    quote = back["quote"]
    total = Decimal(quote["price"]["value"]) + rto_charge + rto_tax
    quote["breakup"] = [*quote["breakup"],
                        {"@ondc/org/item_id": rto_item, "@ondc/org/title_type": "rto", "price": _money(rto_charge)},
                        {"@ondc/org/item_id": rto_item, "@ondc/org/title_type": "tax", "price": _money(rto_tax)}]
    quote["price"] = _money(total)
    back["cancellation"] = {"cancelled_by": cancelled_by, "reason": {"id": reason_id}}
    back["state"] = order_state(RTO_INITIATED)
    back["updated_at"] = format_timestamp(now)
    return back


def rto_finished(order: dict[str, Any], state: str, now: dt.datetime) -> dict[str, Any]:
    """The order once the returning parcel is back with the seller (RTO-Delivered) or disposed of."""
    if state not in (RTO_DELIVERED, RTO_DISPOSED):
        raise ValueError(f"{state} does not finish a return")
    done = copy.deepcopy(order)
    rto = next(f for f in done["fulfillments"] if f.get("type") == "RTO")
    rto["state"] = {"descriptor": {"code": state}}
    rto.setdefault("end", {})["time"] = {"timestamp": format_timestamp(now)}
    done["state"] = order_state(state)
    done["updated_at"] = format_timestamp(now)
    return done


def tracking(order: dict[str, Any], *, url: str, gps: str, active: bool, now: dt.datetime) -> dict[str, Any]:
    """on_track's tracking object: our tracking page, and where the parcel is now."""
    fulfilment = delivery_fulfillment(order)
    stamp = format_timestamp(now)
    return {
        "id": fulfilment.get("id", "1"), "url": url, "status": "active" if active else "inactive",
        "location": {"gps": gps, "time": {"timestamp": stamp}, "updated_at": stamp},
        "tags": [_tag("order", id=order["id"]), _tag("config", attr="tracking.url", type="deferred")],
    }

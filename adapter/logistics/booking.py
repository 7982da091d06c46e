"""Booking a courier for one order fulfilment: the LOG ``init``, ``confirm``, ``update`` (ready to ship), ``track``
and ``cancel`` we send, and what we read from the courier's ``on_init``, ``on_confirm``, ``on_status``,
``on_update`` (a weight differential) and ``on_cancel``.

Shaped like ONDC logistics 1.2.5's flow examples (LOG10/LOG11 ORDER_FLOW_BASE_LINE): we are the BAP, in the LOG
transaction of the search whose quote the select chose. Pure: ids, time and places are passed in.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from adapter.protocol.context import CORE_VERSION, format_timestamp
from catalog_sync.model import Location

__all__ = ["Booking", "CourierOrder", "ExtraCharge", "cancel_body", "confirm_body", "init_body", "read_order",
           "ready_body", "track_body", "tracking_url"]

LOG_TTL = "PT30S"
FULFILMENT_ID = "1"


@dataclass(frozen=True, slots=True)
class Booking:
    """What a LOG init/confirm says of one parcel: who ships it, from where to where, and what it weighs."""

    domain: str
    city: str
    transaction_id: str
    bpp_id: str
    bpp_uri: str
    provider_id: str
    item_id: str
    category: str
    log_order_id: str
    retail_order_id: str
    pickup: Location
    pickup_name: str
    pickup_phone: str
    pickup_email: str
    drop: dict[str, Any]  # the retail fulfilment's ``end`` (location and contact), as the buyer app sent it
    parcel: dict[str, Any]  # LogisticsSearch.parcel
    declared_value: str
    goods_category: str


def _context(booking: Booking, action: str, *, bap_id: str, bap_uri: str, message_id: str,
             now: dt.datetime) -> dict[str, Any]:
    return {"domain": booking.domain, "country": "IND", "city": booking.city, "action": action,
            "core_version": CORE_VERSION, "bap_id": bap_id, "bap_uri": bap_uri, "bpp_id": booking.bpp_id,
            "bpp_uri": booking.bpp_uri, "transaction_id": booking.transaction_id, "message_id": message_id,
            "timestamp": format_timestamp(now), "ttl": LOG_TTL}


def _start(booking: Booking) -> dict[str, Any]:
    place = booking.pickup
    return {"location": {"gps": place.gps.replace(" ", ""),
                         "address": {"name": booking.pickup_name, "building": place.street,
                                     "locality": place.locality, "city": place.city, "state": place.state,
                                     "country": "India", "area_code": place.area_code}},
            "contact": {"phone": booking.pickup_phone, "email": booking.pickup_email}}


def _end(booking: Booking) -> dict[str, Any]:
    end = booking.drop
    location = end.get("location") or {}
    address = dict(location.get("address") or {})
    address.setdefault("country", "India")
    contact = end.get("contact") or {}
    person = end.get("person") or {}
    if person.get("name"):
        address.setdefault("name", person["name"])
    return {"location": {"gps": str(location.get("gps", "")).replace(" ", ""), "address": address},
            "contact": {key: contact[key] for key in ("phone", "email") if contact.get(key)}}


def _items(booking: Booking) -> list[dict[str, Any]]:
    return [{"id": booking.item_id, "fulfillment_id": FULFILMENT_ID, "category_id": booking.category,
             "descriptor": {"code": "P2P" if booking.domain == "ONDC:LOG10" else "P2H2P"}}]


def _billing(booking: Booking, now: dt.datetime) -> dict[str, Any]:
    place = booking.pickup
    return {"name": booking.pickup_name,
            "address": {"name": booking.pickup_name, "building": place.street, "locality": place.locality,
                        "city": place.city, "state": place.state, "country": "India", "area_code": place.area_code},
            "phone": booking.pickup_phone, "email": booking.pickup_email,
            "created_at": format_timestamp(now), "updated_at": format_timestamp(now)}


def init_body(booking: Booking, *, bap_id: str, bap_uri: str, message_id: str, now: dt.datetime) -> dict[str, Any]:
    """The LOG init: the chosen item, pickup and drop with contacts, our billing, and post-fulfilment payment."""
    order = {
        "provider": {"id": booking.provider_id},
        "items": _items(booking),
        "fulfillments": [{"id": FULFILMENT_ID, "type": "Delivery", "start": _start(booking), "end": _end(booking)}],
        "billing": _billing(booking, now),
        "payment": {"type": "POST-FULFILLMENT", "collected_by": "BAP"},
    }
    return {"context": _context(booking, "init", bap_id=bap_id, bap_uri=bap_uri, message_id=message_id, now=now),
            "message": {"order": order}}


def _ready_tag(ready: bool) -> dict[str, Any]:
    return {"code": "state", "list": [{"code": "ready_to_ship", "value": "yes" if ready else "no"}]}


def confirm_body(booking: Booking, quote: dict[str, Any] | None, *, ready: bool, bap_id: str, bap_uri: str,
                 message_id: str, now: dt.datetime) -> dict[str, Any]:
    """The LOG confirm: the order as initialised, the courier's quote, whether the parcel is ready to ship (an
    order booked when accepted is not, until it is packed: :func:`ready_body`), and the linked retail order."""
    parcel = booking.parcel
    fulfilment = {
        "id": FULFILMENT_ID, "type": "Delivery", "start": _start(booking), "end": _end(booking),
        "tags": [_ready_tag(ready)],
    }
    stamp = format_timestamp(now)
    order: dict[str, Any] = {
        "id": booking.log_order_id,
        "state": "Created",
        "provider": {"id": booking.provider_id},
        "items": _items(booking),
        "fulfillments": [fulfilment],
        "billing": _billing(booking, now),
        "payment": {"type": "POST-FULFILLMENT", "collected_by": "BAP"},
        "@ondc/org/linked_order": {
            "items": [],
            "provider": {"descriptor": {"name": booking.pickup_name},
                         "address": _start(booking)["location"]["address"]},
            "order": {"id": booking.retail_order_id,
                      "weight": {"unit": "kilogram", "value": parcel["weight_g"] / 1000},
                      "dimensions": {side: {"unit": "centimeter", "value": float(parcel[f"{side}_cm"])}
                                     for side in ("length", "breadth", "height")}},
        },
        "tags": [{"code": "bap_terms", "list": [{"code": "accept_bpp_terms", "value": "Y"}]}],
        "created_at": stamp, "updated_at": stamp,
    }
    if quote:
        order["quote"] = quote
    return {"context": _context(booking, "confirm", bap_id=bap_id, bap_uri=bap_uri, message_id=message_id,
                                now=now), "message": {"order": order}}


def ready_body(booking: Booking, awb: str | None, *, bap_id: str, bap_uri: str, message_id: str,
               now: dt.datetime) -> dict[str, Any]:
    """The LOG update that tells the courier a booked parcel is packed and ready to ship (``update_target``
    fulfillment, as in ONDC's LOG 1.2.5 base flow)."""
    fulfilment: dict[str, Any] = {"id": FULFILMENT_ID, "type": "Delivery", "tags": [_ready_tag(True)]}
    if awb:
        fulfilment["@ondc/org/awb_no"] = awb
    order = {"id": booking.log_order_id, "items": _items(booking), "fulfillments": [fulfilment],
             "updated_at": format_timestamp(now)}
    return {"context": _context(booking, "update", bap_id=bap_id, bap_uri=bap_uri, message_id=message_id, now=now),
            "message": {"update_target": "fulfillment", "order": order}}


def track_body(booking: Booking, *, bap_id: str, bap_uri: str, message_id: str, now: dt.datetime) -> dict[str, Any]:
    """The LOG track: where is this order's parcel (answered with the courier's tracking URL)."""
    return {"context": _context(booking, "track", bap_id=bap_id, bap_uri=bap_uri, message_id=message_id, now=now),
            "message": {"order_id": booking.log_order_id}}


def cancel_body(booking: Booking, reason_id: str, *, bap_id: str, bap_uri: str, message_id: str,
                now: dt.datetime) -> dict[str, Any]:
    """The LOG cancel of a booked shipment."""
    return {"context": _context(booking, "cancel", bap_id=bap_id, bap_uri=bap_uri, message_id=message_id, now=now),
            "message": {"order_id": booking.log_order_id, "cancellation_reason_id": reason_id}}


@dataclass(frozen=True, slots=True)
class CourierOrder:
    """What we read of a courier's order (on_init/on_confirm/on_status/on_cancel)."""

    order_id: str | None
    state: str | None  # the Delivery fulfilment's state code
    rto_state: str | None  # the RTO fulfilment's state code, when the parcel is going back
    awb: str | None
    label_url: str | None
    pickup_slot: dict[str, str] | None
    quote: dict[str, Any] | None
    extra: ExtraCharge | None = None  # a weight differential (diff/tax_diff lines), when the courier charged one


@dataclass(frozen=True, slots=True)
class ExtraCharge:
    """What a courier charges beyond its quote for a parcel heavier than declared (ONDC LOG weight differential)."""

    amount: Decimal  # the diff lines
    tax: Decimal  # the tax_diff lines
    weight_kg: Decimal | None  # the weight it found (linked_order_diff), when it says
    proof: str | None  # a photo of the scale (linked_order_diff_proof), when it gives one


# The longest value of each kind we keep (the shipments columns); a longer one is no state, AWB or link of a
# real courier, and is read as missing rather than stored cut short.
MAX_STATE, MAX_AWB, MAX_URL, MAX_TIME = 32, 64, 2048, 64


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _dicts(value: object) -> list[dict[str, Any]]:
    return [entry for entry in value if isinstance(entry, dict)] if isinstance(value, list) else []


def _short(value: object, longest: int) -> str | None:
    """A string or number as text, when it is not empty and at most ``longest`` characters long."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    text = str(value)
    return text if 0 < len(text) <= longest else None


def _code(fulfilment: dict[str, Any]) -> str | None:
    code = _dict(_dict(fulfilment.get("state")).get("descriptor")).get("code")
    return code if isinstance(code, str) and 0 < len(code) <= MAX_STATE else None


def _label(fulfilment: dict[str, Any]) -> str | None:
    url = _tag_values(fulfilment, "shipping_label").get("url")
    return url if url is not None and len(url) <= MAX_URL else None


def _tag_values(fulfilment: dict[str, Any], code: str) -> dict[str, str]:
    """The text values of the fulfilment's first tag ``code``, by their codes (what is not text is left out)."""
    for tag in _dicts(fulfilment.get("tags")):
        if tag.get("code") == code:
            return {str(e.get("code")): e["value"] for e in _dicts(tag.get("list")) if isinstance(e.get("value"), str)}
    return {}


def _decimal(value: Any) -> Decimal | None:
    try:
        number = Decimal(str(value))
    except ArithmeticError:
        return None
    return number if number.is_finite() and abs(number) < 10 ** 9 else None


def _extra(order: dict[str, Any], delivery: dict[str, Any]) -> ExtraCharge | None:
    sums = {"diff": Decimal(0), "tax_diff": Decimal(0)}
    for line in _dicts(_dict(order.get("quote")).get("breakup")):
        kind = line.get("@ondc/org/title_type")
        value = _decimal(_dict(line.get("price")).get("value")) if kind in sums else None
        if value is not None:
            sums[str(kind)] += value
    if not sums["diff"] and not sums["tax_diff"]:
        return None
    found = _tag_values(delivery, "linked_order_diff")
    weight = _decimal(found.get("weight_value"))
    if weight is not None and found.get("weight_unit") == "gram":
        weight = weight / 1000
    proof = _tag_values(delivery, "linked_order_diff_proof").get("url")
    return ExtraCharge(amount=sums["diff"], tax=sums["tax_diff"], weight_kg=weight,
                       proof=proof if proof and len(proof) <= MAX_URL and proof.startswith(("http://", "https://"))
                       else None)


def read_order(message: dict[str, Any]) -> CourierOrder:
    """The parts of a courier's ``message.order`` we keep (leniently: what is missing, of the wrong type or too
    long to be real is None)."""
    order = _dict(message.get("order"))
    fulfilments = _dicts(order.get("fulfillments"))
    delivery = next((f for f in fulfilments if f.get("type") in ("Delivery", None)), {})
    rto = next((f for f in fulfilments if f.get("type") == "RTO"), None)
    slot = _dict(_dict(delivery.get("start")).get("time")).get("range")
    return CourierOrder(
        order_id=_short(order.get("id"), MAX_URL), state=_code(delivery),
        rto_state=_code(rto) if rto is not None else None, awb=_short(delivery.get("@ondc/org/awb_no"), MAX_AWB),
        label_url=_label(delivery),
        pickup_slot={"start": _short(slot.get("start"), MAX_TIME) or "", "end": _short(slot.get("end"), MAX_TIME) or ""}
        if isinstance(slot, dict) else None,
        quote=order.get("quote") if isinstance(order.get("quote"), dict) else None,
        extra=_extra(order, delivery))


def tracking_url(message: dict[str, Any]) -> str | None:
    """The tracking page of a courier's ``on_track`` (None when it gives only a position, as LOG10's live poll
    does, or a URL that is not http(s))."""
    tracking = message.get("tracking") if isinstance(message, dict) else None
    url = tracking.get("url") if isinstance(tracking, dict) else None
    return url[:2048] if isinstance(url, str) and url.startswith(("http://", "https://")) else None

"""From stored orders and drafts to the views the pure ONDC message builders take."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from dataclasses import replace
from typing import Any

from adapter.orders import delivery_terms, messages
from adapter.orders.policy import OrderPolicy
from adapter.orders.quote import SelectionResult
from adapter.orders.records import (
    Address,
    BppTerms,
    Cancellation,
    Contact,
    FulfilmentView,
    OrderItemView,
    OrderView,
    Settlement,
    Stop,
)
from adapter.protocol.context import format_timestamp, parse_timestamp
from adapter.store.models import Cooperative, Order, OrderDraft
from catalog_sync.model import Profile
from catalog_sync.on_search import provider_id
from catalog_sync.on_search_items import provider_creds
from catalog_sync.services.catalogue import profile_of

FULFILMENT_ID = "F1"
# Which stored timestamp each fulfilment end needs (ONDC RET 1.2.x on_status: pickup, then delivery).
# The fulfilment states whose on_status carries ``@ondc/org/state_updated_at``. ONDC's documents do not define
# the field; its review (log-validation-utility 1.2.5) requires it on these courier states and compares the other
# messages' Delivery fulfilment field by field with on_status Pending, so it must be absent there
# (docs/certification.md).
STAMPED_STATES = frozenset({"Agent-assigned", "At-pickup", "Out-for-pickup", "Pickup-failed", "In-transit",
                            "At-destination-hub", "At-delivery", "Delivery-failed"})
START_STATES = ("Order-picked-up",)
END_STATES = ("Order-delivered",)


def _address(data: dict[str, Any] | None) -> Address | None:
    if not data:
        return None
    return Address(name=str(data.get("name", "")), building=str(data.get("building", "")),
                   locality=str(data.get("locality", "")), city=str(data.get("city", "")),
                   state=str(data.get("state", "")), country=str(data.get("country", "IND")),
                   area_code=str(data.get("area_code", "")))


def _contact(data: dict[str, Any] | None) -> Contact | None:
    if not data:
        return None
    return Contact(phone=str(data.get("phone", "")), email=str(data.get("email", "")))


def _start(profile: Profile, times: dict[str, str]) -> Stop:
    location = profile.locations[0]
    return Stop(
        # The store's name as the catalogue gives it (ONDC's review: it cannot change between messages).
        location_id=location.id, name=profile.name, gps=location.gps,
        address=Address(name=location.name or profile.name, building=location.street, locality=location.locality,
                        city=location.city, state=location.state, country="IND", area_code=location.area_code),
        contact=Contact(phone=profile.consumer_care.phone, email=profile.consumer_care.email),
        time_range=_window(times, "start"),
        timestamp=parse_timestamp(times["start"]) if "start" in times else None,
    )


def _end(end: dict[str, Any], times: dict[str, str]) -> Stop:
    location = end.get("location") or {}
    return Stop(gps=location.get("gps"), address=_address(location.get("address")),
                contact=_contact(end.get("contact")), person_name=(end.get("person") or {}).get("name"),
                time_range=_window(times, "end"),
                timestamp=parse_timestamp(times["end"]) if "end" in times else None)


def _items(lines: list[dict[str, Any]]) -> list[OrderItemView]:
    return [OrderItemView(item_id=line["item_id"], quantity=int(line["quantity"]), fulfillment_id=FULFILMENT_ID,
                          location_id=line.get("location_id") or None, parent_item_id=line.get("parent_item_id"))
            for line in lines]


def _settlement(profile: Profile) -> Settlement:
    s = profile.settlement
    if s.kind == "upi":
        return Settlement(kind="upi", upi_address=s.upi_address)
    return Settlement(kind="neft", account_no=s.account_no, ifsc=s.ifsc, bank_name=s.bank_name, branch=s.branch,
                      beneficiary=s.beneficiary)


def _terms(profile: Profile, seller_gstin: str | None) -> BppTerms:
    # A marketplace (MSN) seller app states its own GSTIN as tax_number and the cooperative's PAN as
    # provider_tax_number (ONDC's review: the two may not name the same PAN); an ISN states its own for both.
    gstin = seller_gstin if profile.np_type == "MSN" and seller_gstin else profile.gstin
    return BppTerms(np_type=profile.np_type, gstin=gstin, pan=profile.pan)


def stored_fulfilment(order: dict[str, Any], selection: SelectionResult, confirmed_at: dt.datetime | None = None,
                      dispatch_from: dt.datetime | None = None) -> dict[str, Any]:
    """What we keep of the delivery: the buyer's drop-off, our TAT and category, and the state times.

    ``confirmed_at`` (a confirmed order) also fixes the promised windows every order message then repeats:
    pick-up from ``dispatch_from`` (the confirmation, or when a shut store opens again: orders are taken at any
    hour) until the longest time to ship has passed, delivery from then until the TAT has run from that moment.
    The TAT itself stays as on_select quoted it (ONDC's review compares them).
    """
    buyer = (order.get("fulfillments") or [{}])[0]
    times: dict[str, str] = {}
    if confirmed_at is not None:
        ship = delivery_terms.parse_duration(delivery_terms.longest(
            line.item.time_to_ship for line in selection.lines if line.quantity > 0))
        pickup_from = max(dispatch_from or confirmed_at, confirmed_at)
        shipped_by = pickup_from + ship
        deliver_by = max(pickup_from + delivery_terms.parse_duration(selection.tat), shipped_by)
        times = {"start_from": format_timestamp(pickup_from), "start_to": format_timestamp(shipped_by),
                 "end_from": format_timestamp(shipped_by), "end_to": format_timestamp(deliver_by),
                 "state": format_timestamp(confirmed_at)}
    return {"id": FULFILMENT_ID, "type": "Delivery", "tat": selection.tat, "category": selection.category,
            "end": buyer.get("end") or {}, "times": times}


def _window(times: dict[str, str], side: str) -> tuple[dt.datetime, dt.datetime] | None:
    if f"{side}_from" not in times or f"{side}_to" not in times:
        return None  # orders confirmed before windows were kept
    return parse_timestamp(times[f"{side}_from"]), parse_timestamp(times[f"{side}_to"])


def record_time(order: Order, state: str, now: dt.datetime) -> None:
    """Note when the fulfilment reached ``state`` (its ``@ondc/org/state_updated_at``), and when the goods left or
    arrived, for the start/end timestamps of on_status."""
    fulfilment = dict(order.fulfillments[0])
    times = dict(fulfilment.get("times") or {})
    times["state"] = format_timestamp(now)
    if state in START_STATES:
        times["start"] = format_timestamp(now)
    if state in END_STATES:
        times["end"] = format_timestamp(now)
    fulfilment["times"] = times
    order.fulfillments = [fulfilment, *order.fulfillments[1:]]  # a new list, so the JSON column is saved


def tracking_position(order: Order, profile: Profile) -> tuple[str, dt.datetime]:
    """Where the goods last were, as far as we know, and since when: the store until delivery, then the buyer."""
    stored = order.fulfillments[0]
    times = stored.get("times") or {}
    since = parse_timestamp(times["state"]) if "state" in times else order.updated_at
    buyer_gps = ((stored.get("end") or {}).get("location") or {}).get("gps")
    if order.fulfilment_state == "Order-delivered" and buyer_gps:
        return str(buyer_gps), since
    return profile.locations[0].gps, since


def _leg_view(leg: dict[str, Any], profile: Profile, stored: dict[str, Any]) -> FulfilmentView:
    """A Cancel, Return or RTO leg. An RTO goes from the buyer's address (since it was started) back to the store."""
    if leg["type"] != "RTO":
        return FulfilmentView(id=leg["id"], type=leg["type"], state=leg["state"], tags=list(leg.get("tags", [])))
    return FulfilmentView(id=leg["id"], type="RTO", state=leg["state"], tags=list(leg.get("tags", [])),
                          start=_end(stored.get("end") or {}, {"end": leg["created_at"]}),
                          end=_start(profile, {"start": leg["ended_at"]} if "ended_at" in leg else {}))


def _view(order_id: str, state: str, fulfilment_state: str, *, lines: list[dict[str, Any]], quote: dict[str, Any],
          billing: dict[str, Any], stored: dict[str, Any], payment: dict[str, Any], profile: Profile, bpp_id: str,
          created_at: dt.datetime, updated_at: dt.datetime, cancellation: dict[str, Any] | None,
          legs: list[dict[str, Any]] | None = None, routing: str | None = None,
          seller_gstin: str | None = None) -> OrderView:
    times = stored.get("times") or {}
    # ONDC's review requires the routing type (P2P or P2H2P) on the Delivery fulfilment of every order message;
    # a cancelled one carries the cancel request and the state it was cancelled in instead (ONDC 1.2.5 on_cancel).
    forward_tags = [{"code": "routing", "list": [{"code": "type", "value": routing}]}] if routing else []
    items = _items(lines)
    legs = legs or []
    cancel_id = f"C{sum(1 for leg in legs if leg['type'] == 'Cancel') + 1}"
    rto = next((leg for leg in legs if leg["type"] == "RTO"), None)
    if cancellation:
        request = [{"code": "reason_id", "value": cancellation["reason_id"]},
                   {"code": "initiated_by", "value": cancellation["initiated_by"]}]
        if rto is not None:
            request.append({"code": "rto_id", "value": rto["id"]})
        forward_tags = [
            {"code": "cancel_request", "list": request},
            {"code": "precancel_state", "list": [
                {"code": "fulfillment_state", "value": cancellation.get("precancel_state", "Pending")},
                {"code": "updated_at",
                 "value": cancellation.get("precancel_updated_at", cancellation["cancelled_at"])}]}]
        # The forward items drop to 0; what was cancelled is in the Cancel fulfilment (or the RTO leg's items).
        cancelled_items = [replace(item, fulfillment_id=cancel_id) for item in items if item.quantity > 0]
        items = [replace(item, quantity=0) for item in items] + ([] if rto is not None else cancelled_items)
    # Part-cancel and RTO legs list their items under their own fulfilment id (ONDC 1.2.5).
    items += [OrderItemView(item_id=item_id, quantity=int(count), fulfillment_id=leg["id"]) for leg in legs
              if leg["type"] in ("Cancel", "RTO") for item_id, count in (leg.get("items") or {}).items()]
    fulfilments = [FulfilmentView(
        id=FULFILMENT_ID, type="Delivery", state=fulfilment_state, tracking=False, tat=stored.get("tat"),
        category=stored.get("category"), provider_name=profile.name, start=_start(profile, times),
        end=_end(stored.get("end") or {}, times), tags=forward_tags,
        state_updated_at=parse_timestamp(times["state"]) if "state" in times and fulfilment_state in STAMPED_STATES
        else None)]
    cancelled = None
    if cancellation:
        if rto is None:
            fulfilments.append(FulfilmentView(id=cancel_id, type="Cancel", state="Cancelled",
                                              tags=list(cancellation.get("quote_trail", []))))
        cancelled = Cancellation(reason_id=cancellation["reason_id"], initiated_by=cancellation["initiated_by"],
                                 cancelled_at=parse_timestamp(cancellation["cancelled_at"]))
    fulfilments += [_leg_view(leg, profile, stored) for leg in legs]
    settlement = [messages.settlement_details(_settlement(profile))]
    return OrderView(
        order_id=order_id, state=state, provider_id=provider_id(profile, bpp_id),
        provider_location_id=profile.locations[0].id, items=items, billing=billing,
        # The buyer's payment as it sent it; our settlement terms only when it carries none (before /confirm).
        fulfillments=fulfilments, quote=quote,
        payment=payment if payment.get("@ondc/org/settlement_details") else
        {**payment, "@ondc/org/settlement_details": settlement},
        bpp_terms=_terms(profile, seller_gstin), created_at=created_at, updated_at=updated_at, cancellation=cancelled,
        provider_creds=provider_creds(profile, updated_at),
    )


def snapshot(order: Order, profile: Profile, bpp_id: str,
             documents: list[dict[str, str]] | None = None, seller_gstin: str | None = None) -> dict[str, Any]:
    """The full order for on_confirm, on_status, on_cancel and on_update (with the invoice once picked up)."""
    view = _view(order.order_id, order.state, order.fulfilment_state, lines=order.lines, quote=order.quote,
                 billing=order.billing, stored=order.fulfillments[0], payment=order.payment, profile=profile,
                 bpp_id=bpp_id, created_at=order.created_at, updated_at=order.updated_at,
                 cancellation=order.cancellation, legs=order.legs, routing=order.routing, seller_gstin=seller_gstin)
    if documents:
        view = replace(view, documents=list(documents))
    if order.buyer_created_at:
        view = replace(view, created_at_echo=order.buyer_created_at)
    if order.buyer_terms:
        view = replace(view, bap_terms=order.buyer_terms)
    return messages.order_message(view)


def on_select(selection: SelectionResult, *, provider_id: str, profile: Profile) -> dict[str, Any]:
    """The on_select message for a selection."""
    items = [OrderItemView(item_id=line.item.id, quantity=line.quantity, fulfillment_id=FULFILMENT_ID,
                           location_id=line.item.location_id or profile.locations[0].id,
                           parent_item_id=line.item.parent_item_id) for line in selection.lines]
    return messages.on_select_message(selection, provider_id=provider_id, location_id=profile.locations[0].id,
                                      items=items, provider_name=profile.name)


def on_init(draft: OrderDraft, selection: SelectionResult, *, provider_id: str, profile: Profile,
            seller_gstin: str | None = None) -> dict[str, Any]:
    """The on_init message: billing and the buyer's fulfilment echoed, our settlement terms."""
    stored = stored_fulfilment({"fulfillments": draft.fulfillments}, selection)
    now = draft.updated_at
    view = _view("", "Created", "Pending", lines=draft.lines, quote=draft.quote, billing=draft.billing or {},
                 stored=stored, payment=draft.payment or {}, profile=profile, bpp_id="", created_at=now,
                 updated_at=now, cancellation=None, seller_gstin=seller_gstin)
    view = OrderView(**{**{f: getattr(view, f) for f in view.__dataclass_fields__}, "provider_id": provider_id})
    return messages.on_init_message(view, settlement=_settlement(profile))


def invoice_token(order_pk: int, secret: str) -> str:
    """The unguessable part of an order's public invoice link."""
    return hmac.new(secret.encode(), f"invoice:{order_pk}".encode(), hashlib.sha256).hexdigest()[:32]


def documents(order: Order, policy: OrderPolicy) -> list[dict[str, str]]:
    """The order's documents: the invoice link, from Order-picked-up on."""
    # ONDC's review: the invoice is part of the documents only in Order-picked-up and the states after it.
    if order.fulfilment_state in ("Pending", "Packed") or not policy.public_url:
        return []
    url = f"{policy.public_url}/invoices/{order.id}/{invoice_token(order.id, policy.invoice_secret)}"
    return [{"url": url, "label": "Invoice"}]


def order_snapshot(order: Order, cooperative: Cooperative, policy: OrderPolicy,
                   action: str | None = None) -> dict[str, Any]:
    """The full order as on_confirm, on_status, on_cancel and on_update carry it (``action``: the callback)."""
    message = snapshot(order, profile_of(cooperative), policy.bpp_id, documents=documents(order, policy),
                       seller_gstin=policy.app.gstin)
    if action == "on_cancel" or order.state == "Cancelled":  # ONDC 1.2.5: then no tags and no documents
        message["order"].pop("tags", None)
        message["order"].pop("documents", None)
    return message

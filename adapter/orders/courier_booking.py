"""Booking the courier a select chose, for an order of a network-shipping cooperative (docs/logistics.md).

When such an order is accepted (or packed, by the cooperative's ``shipping.book_on``), :func:`book` records a
Shipment and sends the courier the LOG ``init`` in the LOG transaction of the quote; :func:`on_init` answers the
courier's on_init with ``confirm`` (ready to ship if the order is packed already); :func:`on_confirm` keeps the
AWB, label and pickup slot and asks for the tracking URL (``track``); :func:`on_track` keeps it. When the member
packs an order booked before, :func:`packed` tells the courier it is ready to ship (LOG ``update``). A retail
cancellation before pickup sends the courier ``cancel`` (:func:`cancel`). Every message goes through the outbox,
signed like a callback. Takes a session and never commits.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from adapter.alerts import store as alerts
from adapter.delivery.outbox import enqueue
from adapter.delivery.urls import join_action_url
from adapter.logistics.booking import (
    Booking,
    cancel_body,
    confirm_body,
    init_body,
    read_order,
    ready_body,
    track_body,
    tracking_url,
)
from adapter.logistics.search import payload_category
from adapter.orders import store as order_store
from adapter.orders.errors import OrderError
from adapter.orders.policy import OrderPolicy
from adapter.orders.results import FlowResult
from adapter.protocol.request import NetworkRequest
from adapter.store.models import AlertMessage, Cooperative, LogisticsSearch, Order, OutboxMessage, Shipment
from catalog_sync.services.catalogue import profile_of

__all__ = ["book", "booking_of", "cancel", "fail", "on_confirm", "on_init", "on_track", "packed", "rebook",
           "shipment_for", "shipment_of", "stalled"]

# How long a LOG request is worth retrying (each attempt is stamped with its own time: the courier's ttl counts
# from then): a booking not made in an hour is looked at by a person.
SEND_WINDOW = dt.timedelta(hours=1)
# How long a courier that took our init or confirm has to answer it (ONDC asks for the callback within the ttl,
# PT30S; this leaves room for a slow courier).
ANSWER_WAIT = dt.timedelta(minutes=10)
# The reason we give a courier when the retail order is cancelled (LOG 1.2.5: "Merchant cancelled").
CANCEL_REASON = {"ONDC:LOG10": "005", "ONDC:LOG11": "005"}


def shipment_of(session: Session, order: Order) -> Shipment | None:
    """The order's shipment (its one Delivery fulfilment), if one was booked or is being booked."""
    return session.scalar(select(Shipment).where(Shipment.order_id == order.id).order_by(Shipment.id).limit(1))


def shipment_for(session: Session, request: NetworkRequest) -> Shipment:
    """The shipment a courier's callback is about (its LOG transaction, sent by its courier); LookupError if none."""
    ctx = request.context
    shipment = session.scalar(select(Shipment).where(Shipment.transaction_id == ctx.transaction_id,
                                                     Shipment.bpp_id == ctx.bpp_id))
    if shipment is None:
        raise LookupError(f"no shipment of ours has LOG transaction_id {ctx.transaction_id!r} with {ctx.bpp_id!r}")
    return shipment


def booking_of(session: Session, shipment: Shipment) -> Booking:
    """Everything the LOG messages of this shipment say, from the order, its cooperative and the search."""
    order = session.get_one(Order, shipment.order_id)
    cooperative = session.get_one(Cooperative, shipment.cooperative_id)
    profile = profile_of(cooperative)
    search = session.scalar(select(LogisticsSearch).where(LogisticsSearch.transaction_id == shipment.transaction_id))
    parcel = search.parcel if search is not None else {}
    shipped = next((line for line in order.lines if line.get("quantity", 0) > 0), {})
    pickup = profile.location(str(shipped.get("location_id", ""))) or profile.locations[0]
    care = profile.consumer_care
    return Booking(domain=shipment.domain, city=pickup.city_code, transaction_id=shipment.transaction_id,
                   bpp_id=shipment.bpp_id, bpp_uri=shipment.bpp_uri, provider_id=shipment.provider_id,
                   item_id=shipment.item_id, category=str((shipment.quote or {}).get("category", "")) or
                   str(parcel.get("category", "Standard Delivery")), log_order_id=shipment.log_order_id,
                   retail_order_id=order.order_id, pickup=pickup, pickup_name=profile.name,
                   pickup_phone=care.phone, pickup_email=care.email,
                   drop=(order.fulfillments or [{}])[0].get("end") or {}, parcel=parcel,
                   declared_value=str(order.quote.get("price", {}).get("value", "0")),
                   goods_category=payload_category(order.domain))


def _send(session: Session, shipment: Shipment, action: str, body: dict[str, Any], now: dt.datetime) -> OutboxMessage:
    return enqueue(session, action=action, target_url=join_action_url(shipment.bpp_uri, action),
                   body=orjson.dumps(body), transaction_id=shipment.transaction_id,
                   message_id=body["context"]["message_id"], bap_id=None, cooperative_id=shipment.cooperative_id,
                   solicited=False, deadline_at=now + SEND_WINDOW, now=now)


def _is_packed(order: Order) -> bool:
    return order.fulfilment_state not in (None, "Pending")


def book_on(session: Session, order: Order) -> str:
    """When the order's cooperative books its courier: ``accepted`` or ``packed`` (its profile's shipping)."""
    return profile_of(session.get_one(Cooperative, order.cooperative_id)).shipping.book_on


def packed(session: Session, order: Order, policy: OrderPolicy, now: dt.datetime) -> list[OutboxMessage]:
    """The member packed the order: book its courier now (``book_on: packed``, or the booking at acceptance did
    not happen), or tell the courier booked at acceptance that the parcel is ready to ship."""
    shipment = shipment_of(session, order)
    if shipment is None:
        return book(session, order, policy, now)
    if shipment.state != "booked" or shipment.ready_to_ship:
        return []  # still booking: the confirm (or its answer) will say it is ready
    shipment.ready_to_ship, shipment.updated_at = True, now
    body = ready_body(booking_of(session, shipment), shipment.awb, bap_id=policy.app.bpp_id,
                      bap_uri=policy.app.bpp_uri, message_id=str(uuid.uuid4()), now=now)
    return [_send(session, shipment, "update", body, now)]


def book(session: Session, order: Order, policy: OrderPolicy, now: dt.datetime) -> list[OutboxMessage]:
    """Send the LOG init for an order whose delivery was quoted by a courier; nothing for the others (manual
    shipping, the slabs, an order already booked)."""
    draft = order_store.get_draft(session, order.bap_id, order.transaction_id)
    shipping = draft.shipping if draft is not None else None
    if not shipping or shipping.get("source") != "courier" or shipment_of(session, order) is not None:
        return []
    courier, search = shipping["courier"], shipping["search"]
    shipment = Shipment(cooperative_id=order.cooperative_id, order_id=order.id,
                        fulfilment_id=str((order.fulfillments or [{}])[0].get("id", "1")),
                        retail_transaction_id=order.transaction_id, domain=search["domain"],
                        bpp_id=courier["bpp_id"], bpp_uri=courier["bpp_uri"], provider_id=courier["provider_id"],
                        item_id=courier["item_id"], transaction_id=search["transaction_id"],
                        log_order_id=f"{order.order_id}-1"[:64], state="init-sent",
                        quote={"category": courier["category"]}, unapplied=[], created_at=now, updated_at=now)
    session.add(shipment)
    session.flush()
    body = init_body(booking_of(session, shipment), bap_id=policy.app.bpp_id, bap_uri=policy.app.bpp_uri,
                     message_id=str(uuid.uuid4()), now=now)
    order_store.add_event(session, order, actor="courier", kind="shipment_init", reason=shipment.bpp_id)
    return [_send(session, shipment, "init", body, now)]


def fail(session: Session, shipment: Shipment, why: str, now: dt.datetime) -> list[AlertMessage]:
    """The booking failed: say why on the shipment and in the order's history, and alert the cooperative (who
    books again from the console, or ships by hand with the delivery buttons)."""
    shipment.state, shipment.error, shipment.updated_at = "failed", why[:1000], now
    order = session.get_one(Order, shipment.order_id)
    order_store.add_event(session, order, actor="courier", kind="shipment_failed", reason=why[:300])
    return alerts.record(session, shipment.cooperative_id, "shipping_failed",
                         event_key=f"shipping_failed:{shipment.id}:{shipment.transaction_id}:{now.isoformat()}",
                         order_id=order.order_id, order_pk=order.id, now=now)


def _error_text(request: NetworkRequest) -> str:
    error = request.error
    code, message = str(error.get("code", "") or "")[:16], str(error.get("message", "") or "")[:200]
    said = f": {code} {message}".rstrip() if code or message else ""
    return f"the courier answered {request.action} with an error{said}"


def _failed(session: Session, shipment: Shipment, request: NetworkRequest,
            now: dt.datetime) -> list[AlertMessage] | None:
    """An error answer (no order): the booking failed (:func:`fail`); None when the answer is an order."""
    if isinstance(request.message.get("order"), dict):
        return None
    return fail(session, shipment, _error_text(request), now)


def stalled(session: Session, now: dt.datetime) -> list[AlertMessage]:
    """Bookings that went nowhere, failed with an alert each (run by the worker's sweep): the courier refused our
    init or confirm (a NACK), or it could not be delivered within SEND_WINDOW (its outbox row is dead); or it was
    delivered and not answered within ANSWER_WAIT."""
    rows = session.scalars(select(Shipment).where(Shipment.state.in_(("init-sent", "confirm-sent")),
                                                  Shipment.updated_at < now - dt.timedelta(seconds=30))
                           .order_by(Shipment.id).limit(200)).all()
    told: list[AlertMessage] = []
    for shipment in rows:
        step = "init" if shipment.state == "init-sent" else "confirm"
        sent = session.scalar(select(OutboxMessage).where(OutboxMessage.transaction_id == shipment.transaction_id,
                                                          OutboxMessage.action == step)
                              .order_by(OutboxMessage.id.desc()).limit(1))
        if sent is not None and sent.status == "dead":
            why = (sent.last_error or "no answer")[:300]
            told += fail(session, shipment, f"the courier could not be sent the {step}: {why}", now)
        elif sent is not None and sent.status == "sent" and sent.sent_at is not None \
                and sent.sent_at < now - ANSWER_WAIT:
            told += fail(session, shipment, f"the courier did not answer the {step} within "
                                            f"{int(ANSWER_WAIT.total_seconds() // 60)} minutes", now)
        elif sent is None and shipment.updated_at < now - SEND_WINDOW:
            told += fail(session, shipment, f"the {step} for the courier was not found", now)
    return told


def rebook(session: Session, order: Order, policy: OrderPolicy, now: dt.datetime) -> list[OutboxMessage]:
    """Book the courier again after a failed booking (a member's "Book the courier again"), in the LOG transaction
    of the quote; OrderError when there is nothing to book again."""
    shipment = shipment_of(session, order)
    if shipment is None or shipment.state != "failed":
        raise OrderError("there is no failed courier booking for this order to try again")
    if order.state in ("Cancelled", "Completed") or order.fulfilment_state not in ("Pending", "Packed"):
        raise OrderError("the order has moved on: ship it with the delivery buttons")
    draft = order_store.get_draft(session, order.bap_id, order.transaction_id)
    if draft is None or not draft.shipping or draft.shipping.get("source") != "courier":
        raise OrderError("the order's courier quote is no longer kept: ship it with the delivery buttons")
    session.delete(shipment)
    session.flush()
    return book(session, order, policy, now)


def on_init(session: Session, request: NetworkRequest, policy: OrderPolicy, now: dt.datetime) -> FlowResult:
    """The courier's on_init: keep its quote, confirm the booking."""
    shipment = shipment_for(session, request)
    if shipment.state != "init-sent":
        return FlowResult()
    failed = _failed(session, shipment, request, now)
    if failed is not None:
        return FlowResult(alerts=failed)
    read = read_order(request.message)
    shipment.quote = (read.quote or {}) | {"category": (shipment.quote or {}).get("category", "")}
    shipment.state, shipment.updated_at = "confirm-sent", now
    booking = booking_of(session, shipment)
    shipment.ready_to_ship = _is_packed(session.get_one(Order, shipment.order_id))
    body = confirm_body(booking, read.quote, ready=shipment.ready_to_ship, bap_id=policy.app.bpp_id,
                        bap_uri=policy.app.bpp_uri, message_id=str(uuid.uuid4()), now=now)
    return FlowResult([_send(session, shipment, "confirm", body, now)])


def on_confirm(session: Session, request: NetworkRequest, policy: OrderPolicy, now: dt.datetime) -> FlowResult:
    """The courier's on_confirm: the shipment is booked (AWB, label, pickup slot); ask for its tracking URL."""
    shipment = shipment_for(session, request)
    if (shipment.state == "cancelled" and shipment.courier_state is None
            and isinstance(request.message.get("order"), dict)):
        # The order was cancelled while the confirm was on its way: the courier has booked it, so cancel it there.
        read = read_order(request.message)
        shipment.awb, shipment.courier_state = read.awb or shipment.awb, read.state
        return FlowResult(_cancel_booked(session, shipment, policy, now))
    if shipment.state not in ("confirm-sent", "booked"):
        return FlowResult()
    if shipment.state == "confirm-sent":
        failed = _failed(session, shipment, request, now)
        if failed is not None:
            return FlowResult(alerts=failed)
    elif not isinstance(request.message.get("order"), dict):
        return FlowResult()  # an error after the booking was made: it stands
    read = read_order(request.message)
    first = shipment.state != "booked"
    shipment.state, shipment.updated_at = "booked", now
    shipment.awb = read.awb or shipment.awb
    shipment.label_url = read.label_url or shipment.label_url
    shipment.pickup_slot = read.pickup_slot or shipment.pickup_slot
    shipment.courier_state = read.state or shipment.courier_state
    if not first:
        return FlowResult()
    order = session.get_one(Order, shipment.order_id)
    order_store.add_event(session, order, actor="courier", kind="shipment_booked", reason=shipment.awb)
    body = track_body(booking_of(session, shipment), bap_id=policy.app.bpp_id, bap_uri=policy.app.bpp_uri,
                      message_id=str(uuid.uuid4()), now=now)
    sent = [_send(session, shipment, "track", body, now)]
    if order.state != "Cancelled" and _is_packed(order):
        sent += packed(session, order, policy, now)  # packed while the confirm was on its way
    return FlowResult(sent)


def on_track(session: Session, request: NetworkRequest, policy: OrderPolicy, now: dt.datetime) -> FlowResult:
    """The courier's on_track: keep its tracking URL (what retail /track then answers with)."""
    shipment = shipment_for(session, request)
    url = tracking_url(request.message)
    if url is not None:
        shipment.tracking_url, shipment.updated_at = url, now
    return FlowResult()


def cancel(session: Session, order: Order, policy: OrderPolicy, now: dt.datetime) -> list[OutboxMessage]:
    """Cancel the order's shipment with its courier (a retail cancellation before pickup); nothing when there is
    none, or the parcel was picked up already (the courier then brings it back: RTO)."""
    shipment = shipment_of(session, order)
    if shipment is None or shipment.state not in ("init-sent", "confirm-sent", "booked"):
        return []
    if shipment.state != "booked":
        # Not confirmed yet: nothing to cancel at the courier's. A confirm already sent is cancelled when its
        # on_confirm comes (on_confirm above); an init's on_init is not answered.
        shipment.state, shipment.updated_at = "cancelled", now
        return []
    return _cancel_booked(session, shipment, policy, now)


def _cancel_booked(session: Session, shipment: Shipment, policy: OrderPolicy,
                   now: dt.datetime) -> list[OutboxMessage]:
    shipment.state, shipment.updated_at = "cancel-sent", now
    body = cancel_body(booking_of(session, shipment), CANCEL_REASON.get(shipment.domain, "005"),
                       bap_id=policy.app.bpp_id, bap_uri=policy.app.bpp_uri, message_id=str(uuid.uuid4()), now=now)
    return [_send(session, shipment, "cancel", body, now)]

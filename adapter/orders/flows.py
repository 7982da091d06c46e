"""The ONDC order flows a seller answers: select, init, confirm, status, track, cancel and update.

Each handler takes a session, the parsed request and the order policy, and never commits: the worker task owns
the transaction. Business problems are answered in the callback's ``error`` (ONDC RET 1.2.x), never as a NACK:
a handler raises a typed ``OrderError`` and the inbound dispatcher (``adapter.orders.inbound``) rolls back
what the attempt wrote and answers with the error alone. Where the answer carries a message *and* an error
(an on_select with items out of stock) the handler passes the errors to ``send_reply``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from adapter.alerts import store as alerts
from adapter.delivery.replies import ReplyTo, send_reply
from adapter.logistics import couriers
from adapter.logistics.search import LogSearch
from adapter.orders import changes, courier_booking, seller, shipping, states
from adapter.orders import store as order_store
from adapter.orders.delivery_terms import DeliveryTerms, next_open, parse_duration
from adapter.orders.errors import (
    CancellationRejectedError,
    ConfirmFailedError,
    OrderError,
    OrderNotFoundError,
    ProviderNotFoundError,
    QuoteChangedError,
    SoldOutError,
    TrackingNotEnabledError,
    UpdateNotPossibleError,
)
from adapter.orders.messages import on_track_message
from adapter.orders.policy import OrderPolicy
from adapter.orders.quote import SelectionResult, ShippingCharge, check_selection
from adapter.orders.results import FlowResult
from adapter.orders.snapshots import (
    FULFILMENT_ID,
    on_init,
    on_select,
    order_snapshot,
    stored_fulfilment,
    tracking_position,
)
from adapter.orders.terms_io import terms_from_json
from adapter.protocol.context import parse_timestamp
from adapter.protocol.request import NetworkRequest
from adapter.store import inbound as inbound_store
from adapter.store.models import Cooperative, Order, OutboxMessage
from catalog_sync.on_search import provider_id
from catalog_sync.services.catalogue import profile_of

Handler = Callable[[Session, NetworkRequest, OrderPolicy, dt.datetime], FlowResult]


def answer(session: Session, request: NetworkRequest, policy: OrderPolicy, now: dt.datetime, *,
           message: dict[str, Any] | None = None, errors: Sequence[OrderError] = (),
           cooperative_id: int | None = None) -> OutboxMessage:
    """The solicited callback to this request."""
    return send_reply(session, policy.app, ReplyTo.answering(request), f"on_{request.action}", now,
                      message=message, error=errors or None, cooperative_id=cooperative_id)


def _lines(order: dict[str, Any]) -> list[tuple[str, int, str]]:
    return [(str(i.get("id")), int((i.get("quantity") or {}).get("count", 0)), str(i.get("location_id") or ""))
            for i in order.get("items", [])]


def _end(order: dict[str, Any]) -> tuple[str | None, str | None]:
    fulfillments = order.get("fulfillments") or [{}]
    location = ((fulfillments[0].get("end") or {}).get("location") or {})
    return (location.get("address") or {}).get("area_code"), location.get("gps")


def _cooperative(session: Session, order: dict[str, Any], policy: OrderPolicy) -> tuple[Cooperative, str]:
    provider = str((order.get("provider") or {}).get("id", ""))
    cooperative = order_store.cooperative_for_provider(session, provider, policy.bpp_id)
    if cooperative is None:
        raise ProviderNotFoundError(provider)
    return cooperative, provider


def _terms(cooperative: Cooperative, policy: OrderPolicy) -> DeliveryTerms:
    """The cooperative's own delivery settings, else the service defaults."""
    return terms_from_json(cooperative.delivery) if cooperative.delivery else policy.terms


def _select(session: Session, order: dict[str, Any], policy: OrderPolicy, now: dt.datetime, *,
            charge: ShippingCharge | None = None) -> tuple[Cooperative, SelectionResult, str]:
    cooperative, provider = _cooperative(session, order, policy)
    profile = profile_of(cooperative)
    lines = _lines(order)
    items = order_store.items_by_id(session, cooperative.id, [line[0] for line in lines])
    area_code, gps = _end(order)
    selection = check_selection(items, lines, profile=profile, provider_id=provider,
                                expected_provider_id=provider_id(profile, policy.bpp_id), now=now,
                                end_area_code=area_code, end_gps=gps, terms=_terms(cooperative, policy),
                                shipping=charge)
    return cooperative, selection, provider


def _draft_lines(selection: SelectionResult) -> list[dict[str, Any]]:
    # The artisan as the item names them when ordered: their payouts follow the sale, not a later edit.
    return [{"item_id": line.item.id, "quantity": line.quantity, "location_id": line.item.location_id,
             "parent_item_id": line.item.parent_item_id, "artisan": line.item.artisan}
            for line in selection.lines if line.quantity > 0]


def handle_select(session: Session, request: NetworkRequest, policy: OrderPolicy, now: dt.datetime) -> FlowResult:
    """select -> on_select: the quote from the current catalogue, serviceability and stock.

    A cooperative that ships through ONDC logistics first asks couriers for quotes and is answered on a second
    run of the same request, when they have answered or the wait is over (adapter.orders.shipping).
    """
    ctx, order = request.context, request.message["order"]
    waited = couriers.search_for(session, request.inbound_id)
    charge, shipped = None, None
    if waited is None:
        cooperative, selection, provider = _select(session, order, policy, now)
        area_code, gps = _end(order)
        plan = shipping.courier_search(profile_of(cooperative), selection, provider_id=provider,
                                       retail_domain=ctx.domain, end_gps=gps, end_area_code=area_code,
                                       terms=_terms(cooperative, policy), policy=policy)
        if isinstance(plan, LogSearch):
            return shipping.start(session, request, plan, policy, cooperative_id=cooperative.id, now=now)
        shipped = shipping.record(None, reason=plan) if plan is not None else None
    else:
        cooperative, _ = _cooperative(session, order, policy)
        charge, shipped = shipping.finish(session, waited, profile_of(cooperative), now)
        cooperative, selection, provider = _select(session, order, policy, now, charge=charge)
    order_store.save_draft(session, bap_id=ctx.bap_id, transaction_id=ctx.transaction_id,
                           cooperative_id=cooperative.id, stage="selected", lines=_draft_lines(selection),
                           quote=selection.quote.to_ondc(), shipping=shipped)
    body = on_select(selection, provider_id=provider, profile=profile_of(cooperative))
    return FlowResult([answer(session, request, policy, now, message=body, errors=selection.errors,
                              cooperative_id=cooperative.id)])


def handle_init(session: Session, request: NetworkRequest, policy: OrderPolicy, now: dt.datetime) -> FlowResult:
    """init -> on_init: billing echoed, buyer's address and contact, settlement terms, the quote re-checked."""
    ctx, order = request.context, request.message["order"]
    # The delivery charge the select settled on (a courier's quote) stays the same through init and confirm.
    charge = shipping.charge_of(order_store.get_draft(session, ctx.bap_id, ctx.transaction_id))
    cooperative, selection, provider = _select(session, order, policy, now, charge=charge)
    # on_init echoes the finder fee the buyer app stated in its search (init itself usually carries no payment).
    payment = inbound_store.search_finder_fee(session, ctx.bap_id, ctx.transaction_id) | (order.get("payment") or {})
    draft = order_store.save_draft(
        session, bap_id=ctx.bap_id, transaction_id=ctx.transaction_id, cooperative_id=cooperative.id,
        stage="initialised", lines=_draft_lines(selection), quote=selection.quote.to_ondc(),
        billing=order.get("billing"), fulfillments=order.get("fulfillments") or [], payment=payment or None)
    body = on_init(draft, selection, provider_id=provider, profile=profile_of(cooperative),
                   seller_gstin=policy.app.gstin)
    return FlowResult([answer(session, request, policy, now, message=body, errors=selection.errors,
                              cooperative_id=cooperative.id)])


def _echoable_timestamp(value: object) -> str | None:
    """The buyer's order.created_at, kept verbatim when it is a valid timestamp (ONDC: echo it unchanged)."""
    if not isinstance(value, str) or len(value) > 32:
        return None
    try:
        parse_timestamp(value)
    except ValueError:
        return None
    return value


def _bap_terms(tags: object) -> dict[str, Any] | None:
    """The buyer's ``bap_terms`` tag from /confirm, when it is a well-formed one (short text values only)."""
    if not isinstance(tags, list):
        return None
    for tag in tags:
        if not isinstance(tag, dict) or tag.get("code") != "bap_terms" or not isinstance(tag.get("list"), list):
            continue
        pairs = [entry for entry in tag["list"][:20] if isinstance(entry, dict)
                 and isinstance(entry.get("code"), str) and isinstance(entry.get("value"), str)
                 and len(entry["code"]) <= 64 and len(entry["value"]) <= 512]
        return {"code": "bap_terms", "list": [{"code": e["code"], "value": e["value"]} for e in pairs]}
    return None


def handle_confirm(session: Session, request: NetworkRequest, policy: OrderPolicy, now: dt.datetime) -> FlowResult:
    """confirm -> on_confirm: one transaction creates the order and reserves its stock; repeats are idempotent."""
    ctx, order = request.context, request.message["order"]
    existing = order_store.find_order(session, ctx.bap_id, str(order.get("id", "")))
    if existing is not None:
        owner = session.get_one(Cooperative, existing.cooperative_id)
        return FlowResult([answer(session, request, policy, now, message=order_snapshot(existing, owner, policy),
                                  cooperative_id=owner.id)])
    draft = order_store.get_draft(session, ctx.bap_id, ctx.transaction_id)
    if draft is None or draft.stage != "initialised":
        raise ConfirmFailedError("confirm before init: this transaction has no init")
    cooperative, selection, _ = _select(session, order, policy, now, charge=shipping.charge_of(draft))
    if selection.errors:
        return FlowResult([answer(session, request, policy, now, errors=selection.errors,
                                  cooperative_id=cooperative.id)])
    ours = Decimal(selection.quote.to_ondc()["price"]["value"])
    theirs = Decimal(str(((order.get("quote") or {}).get("price") or {}).get("value", "-1")))
    if ours != theirs:
        raise QuoteChangedError(f"quote changed: the total is now {ours:.2f}, not {theirs}",
                                path="message.order.quote.price.value").for_cooperative(cooperative.id)
    deltas = {line.item.id: -line.quantity for line in selection.lines if line.quantity > 0}
    if not order_store.change_stock(session, cooperative.id, deltas, kind="order", ref=str(order["id"])):
        raise SoldOutError().for_cooperative(cooperative.id)
    # ONDC 1.2.5: on_confirm says Created; accepting is a move of its own, pushed as on_status (Accepted), at
    # once with ORDER_AUTO_ACCEPT or when the cooperative accepts.
    state = "Created"
    created = Order(
        cooperative_id=cooperative.id, order_id=str(order["id"]), bap_id=ctx.bap_id, bap_uri=ctx.bap_uri,
        transaction_id=ctx.transaction_id, domain=ctx.domain, city=ctx.city, state=state,
        fulfilment_state="Pending", routing=selection.routing, lines=_draft_lines(selection),
        quote=selection.quote.to_ondc(), billing=order.get("billing") or {},
        fulfillments=[stored_fulfilment(order, selection, now, next_open(profile_of(cooperative), now))],
        payment=order.get("payment") or {},
        created_at=now, updated_at=now, buyer_created_at=_echoable_timestamp(order.get("created_at")),
        buyer_terms=_bap_terms(order.get("tags")),
    )
    session.add(created)
    session.flush()
    order_store.add_event(session, created, actor=ctx.bap_id, kind="confirmed", to_state=state)
    reply = answer(session, request, policy, now, message=order_snapshot(created, cooperative, policy),
                   cooperative_id=cooperative.id)
    told = alerts.record(session, cooperative.id, "new_order", event_key=f"new_order:{created.id}",
                         order_id=created.order_id, order_pk=created.id, now=now)
    if not policy.auto_accept:
        return FlowResult([reply], {cooperative.id}, told)
    # Accepted a moment after the confirmation: the on_status comes after on_confirm in time and in delivery
    # (an unsolicited update waits for the transaction's earlier messages).
    accepted = seller.seller_action(session, created, "accept", policy, actor="auto-accept",
                                    now=now + dt.timedelta(milliseconds=1))
    return FlowResult([reply, *accepted.outbox], {cooperative.id}, told)


def _order_for(session: Session, request: NetworkRequest, order_id: str) -> tuple[Order, Cooperative]:
    order = order_store.find_order(session, request.context.bap_id, order_id)
    if order is None:
        raise OrderNotFoundError(f"order {order_id!r} not found")
    return order, session.get_one(Cooperative, order.cooperative_id)


def handle_status(session: Session, request: NetworkRequest, policy: OrderPolicy, now: dt.datetime) -> FlowResult:
    """status -> on_status: the full order snapshot."""
    order, cooperative = _order_for(session, request, str(request.message.get("order_id", "")))
    return FlowResult([answer(session, request, policy, now, message=order_snapshot(order, cooperative, policy),
                              cooperative_id=cooperative.id)])


def handle_track(session: Session, request: NetworkRequest, policy: OrderPolicy, now: dt.datetime) -> FlowResult:
    """track -> on_track. Our cooperatives' couriers give no live position yet, so the answer is ``inactive``
    with the last place the parcel is known to have been and when it got there (ONDC 1.2.5 on_track)."""
    order, cooperative = _order_for(session, request, str(request.message.get("order_id", "")))
    if order.state == "Cancelled":
        raise TrackingNotEnabledError("the order is cancelled; there is nothing to track").for_cooperative(
            cooperative.id)
    gps, since = tracking_position(order, profile_of(cooperative))
    shipment = courier_booking.shipment_of(session, order)
    if shipment is not None and shipment.tracking_url:  # booked with a courier: its tracking page
        message = on_track_message(FULFILMENT_ID, url=shipment.tracking_url, gps=gps, updated_at=shipment.updated_at,
                                   order_id=order.order_id, live=True)
    else:
        message = on_track_message(FULFILMENT_ID, url=None, gps=gps, updated_at=since, order_id=order.order_id,
                                   live=False)
    return FlowResult([answer(session, request, policy, now, message=message, cooperative_id=cooperative.id)])


def _tat_breached(order: Order, now: dt.datetime) -> bool:
    tat = order.fulfillments[0].get("tat") or "P0D"
    return now > order.created_at + parse_duration(tat)


def handle_cancel(session: Session, request: NetworkRequest, policy: OrderPolicy, now: dt.datetime) -> FlowResult:
    """cancel -> on_cancel: buyer reason and state checks (30012, 30014, 50001), stock released."""
    message, bap_id = request.message, request.context.bap_id
    order, cooperative = _order_for(session, request, str(message.get("order_id", "")))
    reason = str(message.get("cancellation_reason_id", ""))
    params = {entry.get("code"): entry.get("value") for tag in (message.get("descriptor") or {}).get("tags", [])
              if tag.get("code") == "params" for entry in tag.get("list", [])}
    try:
        states.check_cancel_reason(reason, "buyer")
        if reason == "006" and not _tat_breached(order, now):
            # ONDC RET 1.2.x: "TAT breached" is only a reason once the promised delivery time has passed.
            raise CancellationRejectedError("cancellation rejected: delivery is not late yet")
        changes.cancel_order(session, order, reason_id=reason, initiated_by=bap_id, actor=bap_id, now=now,
                             force=params.get("force") == "yes")
    except OrderError as error:
        error.for_cooperative(cooperative.id)
        raise
    reply = answer(session, request, policy, now, message=order_snapshot(order, cooperative, policy, "on_cancel"),
                   cooperative_id=cooperative.id)
    # A shipment booked for the order is cancelled with its courier (adapter.orders.courier_booking).
    return FlowResult([reply, *courier_booking.cancel(session, order, policy, now)], {cooperative.id})


def handle_update(session: Session, request: NetworkRequest, policy: OrderPolicy, now: dt.datetime) -> FlowResult:
    """update -> on_update: a return request (update_target item) or settlement details (payment); 50002/30005."""
    body, bap_id = request.message.get("order") or {}, request.context.bap_id
    order, cooperative = _order_for(session, request, str(body.get("id", "")))
    targets = {t.strip() for t in str(request.message.get("update_target", "")).split(",")}
    told = []
    try:
        if "payment" in targets and body.get("payment"):
            changes.record_settlement(session, order, body["payment"], bap_id=bap_id, now=now)
        returns = [f for f in body.get("fulfillments", []) if f.get("type") == "Return"]
        if "item" in targets and returns:
            item_ids = [str(e.get("value", "")) for f in returns for t in f.get("tags") or []
                        if isinstance(t, dict) for e in t.get("list") or [] if isinstance(e, dict)
                        and e.get("code") == "item_id"]
            items = order_store.items_by_id(session, cooperative.id, item_ids)
            for fulfilment in returns:
                leg = changes.request_return(session, order, fulfilment, items, bap_id=bap_id, now=now)
                told += alerts.record(session, cooperative.id, "return_requested", order_id=order.order_id,
                                      event_key=f"return_requested:{order.id}:{leg['id']}", order_pk=order.id,
                                      now=now)
        elif not ("payment" in targets and body.get("payment")):
            raise UpdateNotPossibleError("nothing to update: send a Return fulfilment or settlement details")
    except OrderError as error:
        # Earlier parts of this update may already be written: the dispatcher rolls them all back, then answers.
        error.for_cooperative(cooperative.id)
        raise
    return FlowResult([answer(session, request, policy, now, message=order_snapshot(order, cooperative, policy),
                              cooperative_id=cooperative.id)], alerts=told)


HANDLERS: dict[str, Handler] = {"select": handle_select, "init": handle_init, "confirm": handle_confirm,
                                "status": handle_status, "track": handle_track, "cancel": handle_cancel,
                                "update": handle_update}

"""The ONDC order flows a seller answers: select, init, confirm, status, track and cancel, plus the seller's own
moves (accept, pack, ship, deliver, cancel) that send unsolicited on_status / on_cancel.

Each function takes a session and never commits; the worker task or API view owns the transaction. Business
problems go in the callback's `error` (ONDC RET 1.2.x), never as a NACK.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from adapter.delivery.outbox import enqueue
from adapter.delivery.urls import join_action_url
from adapter.orders import states
from adapter.orders.delivery_terms import DeliveryTerms, parse_duration
from adapter.orders.errors import CancellationNotPossibleError, OrderError, UpdateNotPossibleError, to_ondc_error
from adapter.orders.quote import SelectionResult, check_selection, quote_trail_tag
from adapter.orders.terms_io import terms_from_json
from adapter.protocol.context import build_context, format_timestamp
from adapter.store.models import ConnectorCursor, Cooperative, InboundMessage, Order, OutboxMessage
from catalog_sync import connectors, order_changes, order_store
from catalog_sync import order_views as views
from catalog_sync.answer import deadline_of
from catalog_sync.mapping import provider_id
from catalog_sync.service import profile_of


@dataclass(frozen=True)
class OrderPolicy:
    """Our side of every order callback."""

    bpp_id: str
    bpp_uri: str
    auto_accept: bool
    terms: DeliveryTerms
    window_seconds: int
    public_url: str = ""
    invoice_secret: str = ""


def invoice_token(order_pk: int, secret: str) -> str:
    """The unguessable part of an order's public invoice link."""
    return hmac.new(secret.encode(), f"invoice:{order_pk}".encode(), hashlib.sha256).hexdigest()[:32]


def _documents(order: Order, policy: OrderPolicy) -> list[dict[str, str]]:
    # ONDC RET 1.2.x: the invoice is shared from Packed on.
    if order.fulfilment_state == "Pending" or not policy.public_url:
        return []
    url = f"{policy.public_url}/invoices/{order.id}/{invoice_token(order.id, policy.invoice_secret)}"
    return [{"url": url, "label": "Invoice"}]


def _snapshot(order: Order, cooperative: Cooperative, policy: OrderPolicy) -> dict[str, Any]:
    return views.snapshot(order, profile_of(cooperative), policy.bpp_id, documents=_documents(order, policy))


@dataclass
class FlowResult:
    """What a flow queued, and which cooperatives' stock changed (they owe a catalogue push)."""

    outbox: list[OutboxMessage] = field(default_factory=list)
    stock_changed: set[int] = field(default_factory=set)


def domain_error(code: str, message: str) -> dict[str, str]:
    return {"type": "DOMAIN-ERROR", "code": code, "message": message}


def send_reply(session: Session, inbound: InboundMessage, request: dict[str, Any], policy: OrderPolicy,
           now: dt.datetime, *, message: dict[str, Any] | None, error: dict[str, str] | None,
           cooperative_id: int | None) -> OutboxMessage:
    action = f"on_{inbound.action}"
    body: dict[str, Any] = {"context": build_context(
        action=action, domain=request["domain"], city=request["city"], bpp_id=policy.bpp_id,
        bpp_uri=policy.bpp_uri, transaction_id=request["transaction_id"], message_id=request["message_id"],
        now=now, bap_id=request["bap_id"], bap_uri=request["bap_uri"])}
    if message is not None:
        body["message"] = message
    if error is not None:
        body["error"] = error
    return enqueue(session, action=action, target_url=join_action_url(request["bap_uri"], action),
                   body=orjson.dumps(body), transaction_id=request["transaction_id"],
                   message_id=request["message_id"], bap_id=request["bap_id"], cooperative_id=cooperative_id,
                   solicited=True, inbound_id=inbound.id, deadline_at=deadline_of(request), now=now)


class Refusal(Exception):
    """A request refused after the flow already wrote something: the caller rolls back, then answers."""

    def __init__(self, error: dict[str, str] | None, cooperative_id: int | None) -> None:
        super().__init__(error)
        self.error, self.cooperative_id = error, cooperative_id


def refuse(session: Session, inbound: InboundMessage, refusal: Refusal, policy: OrderPolicy,
           now: dt.datetime) -> OutboxMessage:
    """The error-only callback for a refusal, written in a fresh transaction."""
    request = orjson.loads(inbound.body)["context"]
    return send_reply(session, inbound, request, policy, now, message=None, error=refusal.error,
                  cooperative_id=refusal.cooperative_id)


def _refuse(session: Session, inbound: InboundMessage, request: dict[str, Any], policy: OrderPolicy,
            now: dt.datetime, error: dict[str, str] | None, cooperative_id: int | None = None) -> FlowResult:
    """Answer with the callback carrying only an error (ONDC: business errors never NACK)."""
    return FlowResult([send_reply(session, inbound, request, policy, now, message=None, error=error,
                              cooperative_id=cooperative_id)])


def _lines(order: dict[str, Any]) -> list[tuple[str, int, str]]:
    return [(str(i.get("id")), int((i.get("quantity") or {}).get("count", 0)), str(i.get("location_id") or ""))
            for i in order.get("items", [])]


def _end(order: dict[str, Any]) -> tuple[str | None, str | None]:
    fulfillments = order.get("fulfillments") or [{}]
    location = ((fulfillments[0].get("end") or {}).get("location") or {})
    return (location.get("address") or {}).get("area_code"), location.get("gps")


def _select(session: Session, request: dict[str, Any], order: dict[str, Any], policy: OrderPolicy,
            now: dt.datetime) -> tuple[Cooperative | None, Any, str]:
    provider = str((order.get("provider") or {}).get("id", ""))
    cooperative = order_store.cooperative_for_provider(session, provider, policy.bpp_id)
    if cooperative is None:
        return None, None, provider
    profile = profile_of(cooperative)
    lines = _lines(order)
    items = order_store.items_by_id(session, cooperative.id, [line[0] for line in lines])
    area_code, gps = _end(order)
    # The cooperative's own delivery settings, else the service defaults.
    terms = terms_from_json(cooperative.delivery) if cooperative.delivery else policy.terms
    selection = check_selection(items, lines, profile=profile, provider_id=provider,
                                expected_provider_id=provider_id(profile, policy.bpp_id), now=now,
                                end_area_code=area_code, end_gps=gps, terms=terms)
    return cooperative, selection, provider


def _draft_lines(selection: SelectionResult) -> list[dict[str, Any]]:
    return [{"item_id": line.item.id, "quantity": line.quantity, "location_id": line.item.location_id,
             "parent_item_id": line.item.parent_item_id} for line in selection.lines if line.quantity > 0]


def handle_select(session: Session, inbound: InboundMessage, request: dict[str, Any], message: dict[str, Any],
                  policy: OrderPolicy, now: dt.datetime) -> FlowResult:
    """select -> on_select: the quote from the current catalogue, serviceability and stock."""
    order = message["order"]
    cooperative, selection, provider = _select(session, request, order, policy, now)
    if cooperative is None:
        return _refuse(session, inbound, request, policy, now,
                       domain_error("30001", f"provider {provider!r} not found"))
    order_store.save_draft(session, bap_id=request["bap_id"], transaction_id=request["transaction_id"],
                           cooperative_id=cooperative.id, stage="selected", lines=_draft_lines(selection),
                           quote=selection.quote.to_ondc())
    body = views.on_select(selection, provider_id=provider, profile=profile_of(cooperative))
    return FlowResult([send_reply(session, inbound, request, policy, now, message=body, error=selection.error,
                              cooperative_id=cooperative.id)])


def handle_init(session: Session, inbound: InboundMessage, request: dict[str, Any], message: dict[str, Any],
                policy: OrderPolicy, now: dt.datetime) -> FlowResult:
    """init -> on_init: billing echoed, buyer's address and contact, settlement terms, the quote re-checked."""
    order = message["order"]
    cooperative, selection, provider = _select(session, request, order, policy, now)
    if cooperative is None:
        return _refuse(session, inbound, request, policy, now,
                       domain_error("30001", f"provider {provider!r} not found"))
    draft = order_store.save_draft(
        session, bap_id=request["bap_id"], transaction_id=request["transaction_id"], cooperative_id=cooperative.id,
        stage="initialised", lines=_draft_lines(selection), quote=selection.quote.to_ondc(),
        billing=order.get("billing"), fulfillments=order.get("fulfillments") or [], payment=order.get("payment"))
    body = views.on_init(draft, selection, provider_id=provider, profile=profile_of(cooperative))
    return FlowResult([send_reply(session, inbound, request, policy, now, message=body, error=selection.error,
                              cooperative_id=cooperative.id)])


def handle_confirm(session: Session, inbound: InboundMessage, request: dict[str, Any], message: dict[str, Any],
                   policy: OrderPolicy, now: dt.datetime) -> FlowResult:
    """confirm -> on_confirm: one transaction creates the order and reserves its stock; repeats are idempotent."""
    order = message["order"]
    existing = order_store.find_order(session, request["bap_id"], str(order.get("id", "")))
    if existing is not None:
        owner = session.get_one(Cooperative, existing.cooperative_id)
        return FlowResult([send_reply(session, inbound, request, policy, now,
                                  message=_snapshot(existing, owner, policy),
                                  error=None, cooperative_id=owner.id)])
    draft = order_store.get_draft(session, request["bap_id"], request["transaction_id"])
    if draft is None or draft.stage != "initialised":
        return _refuse(session, inbound, request, policy, now,
                       domain_error("30019", "confirm before init: this transaction has no init"))
    cooperative, selection, provider = _select(session, request, order, policy, now)
    if cooperative is None or selection.errors:
        error = selection.error if selection is not None else domain_error("30001", f"provider {provider!r} not found")
        return _refuse(session, inbound, request, policy, now, error, cooperative.id if cooperative else None)
    ours = Decimal(selection.quote.to_ondc()["price"]["value"])
    theirs = Decimal(str(((order.get("quote") or {}).get("price") or {}).get("value", "-1")))
    if ours != theirs:
        return _refuse(session, inbound, request, policy, now,
                       domain_error("40008", f"quote changed: the total is now {ours:.2f}, not {theirs}"),
                       cooperative.id)
    deltas = {line.item.id: -line.quantity for line in selection.lines if line.quantity > 0}
    if not order_store.change_stock(session, cooperative.id, deltas):
        return _refuse(session, inbound, request, policy, now,
                       domain_error("40002", "an item sold out while confirming; select again"), cooperative.id)
    state = "Accepted" if policy.auto_accept else "Created"
    created = Order(
        cooperative_id=cooperative.id, order_id=str(order["id"]), bap_id=request["bap_id"],
        bap_uri=request["bap_uri"], transaction_id=request["transaction_id"], domain=request["domain"],
        city=request["city"], state=state, fulfilment_state="Pending", routing=selection.routing,
        lines=_draft_lines(selection), quote=selection.quote.to_ondc(), billing=order.get("billing") or {},
        fulfillments=[views.stored_fulfilment(order, selection)], payment=order.get("payment") or {},
        created_at=now, updated_at=now,
    )
    session.add(created)
    session.flush()
    order_store.add_event(session, created, actor=request["bap_id"], kind="confirmed", to_state=state)
    answer = send_reply(session, inbound, request, policy, now,
                   message=_snapshot(created, cooperative, policy), error=None,
                   cooperative_id=cooperative.id)
    return FlowResult([answer], {cooperative.id})


def _order_for(session: Session, request: dict[str, Any], order_id: str) -> tuple[Order | None, Cooperative | None]:
    order = order_store.find_order(session, request["bap_id"], order_id)
    return (order, session.get_one(Cooperative, order.cooperative_id)) if order else (None, None)


def handle_status(session: Session, inbound: InboundMessage, request: dict[str, Any], message: dict[str, Any],
                  policy: OrderPolicy, now: dt.datetime) -> FlowResult:
    """status -> on_status: the full order snapshot."""
    order, cooperative = _order_for(session, request, str(message.get("order_id", "")))
    if order is None or cooperative is None:
        return _refuse(session, inbound, request, policy, now, domain_error("30018", "order not found"))
    return FlowResult([send_reply(session, inbound, request, policy, now, error=None, cooperative_id=cooperative.id,
                              message=_snapshot(order, cooperative, policy))])


def handle_track(session: Session, inbound: InboundMessage, request: dict[str, Any], message: dict[str, Any],
                 policy: OrderPolicy, now: dt.datetime) -> FlowResult:
    """track -> on_track: tracking is not offered by our cooperatives' own delivery yet (40005)."""
    order, cooperative = _order_for(session, request, str(message.get("order_id", "")))
    error = (domain_error("30018", "order not found") if order is None
             else domain_error("40005", "tracking is not enabled"))
    return _refuse(session, inbound, request, policy, now, error, cooperative.id if cooperative else None)


def cancelled_quote(quote: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A fully cancelled quote (every line at 0, items at count 0) and its quote_trail tags."""
    trail: list[dict[str, Any]] = []
    breakup = []
    for line in quote.get("breakup", []):
        value = Decimal(line["price"]["value"])
        if value:
            trail.append(quote_trail_tag(line["@ondc/org/title_type"], line["@ondc/org/item_id"], -value))
        new = {**line, "price": {**line["price"], "value": "0.00"}}
        if "@ondc/org/item_quantity" in line:
            new["@ondc/org/item_quantity"] = {"count": 0}
        breakup.append(new)
    return {**quote, "price": {**quote["price"], "value": "0.00"}, "breakup": breakup}, trail


def cancel_order(session: Session, order: Order, *, reason_id: str, initiated_by: str, actor: str,
                 now: dt.datetime, force: bool = False) -> None:
    """Cancel an order in place: state, Cancel fulfilment with the quote trail, stock released.

    A buyer's force cancel (ONDC params.force=yes) is honoured in any non-terminal state.
    """
    if order.state in ("Completed", "Cancelled"):
        raise CancellationNotPossibleError(f"the order is already {order.state}")
    if not force and not states.cancellable(order.state, order.fulfilment_state, True):
        raise CancellationNotPossibleError(f"an order that is {order.fulfilment_state} can no longer be cancelled")
    previous = order.fulfilment_state
    quote, trail = cancelled_quote(order.quote)
    order.quote = quote
    order.state, order.fulfilment_state, order.updated_at = "Cancelled", "Cancelled", now
    order.cancellation = {"reason_id": reason_id, "initiated_by": initiated_by,
                          "cancelled_at": format_timestamp(now), "precancel_state": previous, "quote_trail": trail}
    order_store.change_stock(session, order.cooperative_id,
                             {line["item_id"]: int(line["quantity"]) for line in order.lines})
    order_store.add_event(session, order, actor=actor, kind="cancelled", from_state=previous,
                          to_state="Cancelled", reason=reason_id)


def _tat_breached(order: Order, now: dt.datetime) -> bool:
    tat = order.fulfillments[0].get("tat") or "P0D"
    return now > order.created_at + parse_duration(tat)


def handle_cancel(session: Session, inbound: InboundMessage, request: dict[str, Any], message: dict[str, Any],
                  policy: OrderPolicy, now: dt.datetime) -> FlowResult:
    """cancel -> on_cancel: buyer reason and state checks (30012, 50001), stock released."""
    order, cooperative = _order_for(session, request, str(message.get("order_id", "")))
    if order is None or cooperative is None:
        return _refuse(session, inbound, request, policy, now, domain_error("30018", "order not found"))
    reason = str(message.get("cancellation_reason_id", ""))
    params = {entry.get("code"): entry.get("value") for tag in (message.get("descriptor") or {}).get("tags", [])
              if tag.get("code") == "params" for entry in tag.get("list", [])}
    try:
        states.check_cancel_reason(reason, "buyer")
        if reason == "006" and not _tat_breached(order, now):
            # ONDC RET 1.2.x: "TAT breached" is only a reason once the promised delivery time has passed.
            return _refuse(session, inbound, request, policy, now,
                           domain_error("30014", "cancellation rejected: delivery is not late yet"), cooperative.id)
        cancel_order(session, order, reason_id=reason, initiated_by=request["bap_id"], actor=request["bap_id"],
                     now=now, force=params.get("force") == "yes")
    except OrderError as error:
        return _refuse(session, inbound, request, policy, now, to_ondc_error([error]), cooperative.id)
    answer = send_reply(session, inbound, request, policy, now, error=None, cooperative_id=cooperative.id,
                   message=_snapshot(order, cooperative, policy))
    return FlowResult([answer], {cooperative.id})


def handle_update(session: Session, inbound: InboundMessage, request: dict[str, Any], message: dict[str, Any],
                  policy: OrderPolicy, now: dt.datetime) -> FlowResult:
    """update -> on_update: a return request (update_target item) or settlement details (payment); 50002/30005."""
    body = message.get("order") or {}
    order, cooperative = _order_for(session, request, str(body.get("id", "")))
    if order is None or cooperative is None:
        return _refuse(session, inbound, request, policy, now, domain_error("30018", "order not found"))
    targets = {t.strip() for t in str(message.get("update_target", "")).split(",")}
    try:
        if "payment" in targets and body.get("payment"):
            order_changes.record_settlement(session, order, body["payment"], bap_id=request["bap_id"], now=now)
        returns = [f for f in body.get("fulfillments", []) if f.get("type") == "Return"]
        if "item" in targets and returns:
            item_ids = [str(e.get("value", "")) for f in returns for t in f.get("tags") or []
                        if isinstance(t, dict) for e in t.get("list") or [] if isinstance(e, dict)
                        and e.get("code") == "item_id"]
            items = order_store.items_by_id(session, cooperative.id, item_ids)
            for fulfilment in returns:
                order_changes.request_return(session, order, fulfilment, items, bap_id=request["bap_id"], now=now)
        elif not ("payment" in targets and body.get("payment")):
            raise UpdateNotPossibleError("nothing to update: send a Return fulfilment or settlement details")
    except OrderError as error:
        # Earlier parts of this update may already be written: roll them all back, then answer.
        raise Refusal(to_ondc_error([error]), cooperative.id) from error
    return FlowResult([send_reply(session, inbound, request, policy, now, error=None, cooperative_id=cooperative.id,
                              message=_snapshot(order, cooperative, policy))])


HANDLERS = {"select": handle_select, "init": handle_init, "confirm": handle_confirm, "status": handle_status,
            "track": handle_track, "cancel": handle_cancel, "update": handle_update}


def handle(session: Session, inbound: InboundMessage, policy: OrderPolicy, now: dt.datetime) -> FlowResult | None:
    """Answer one stored order-flow request; None for actions these flows do not cover."""
    handler = HANDLERS.get(inbound.action)
    if handler is None:
        return None
    payload = orjson.loads(inbound.body)
    return handler(session, inbound, payload["context"], payload["message"], policy, now)


# -- the seller's moves --------------------------------------------------------------------------------------

SELLER_MOVES = {"pack": "Packed", "assign_agent": "Agent-assigned", "at_pickup": "At-pickup",
                "out_for_pickup": "Out-for-pickup", "pick_up": "Order-picked-up", "ship": "In-transit",
                "at_destination_hub": "At-destination-hub", "out_for_delivery": "Out-for-delivery",
                "at_delivery": "At-delivery", "deliver": "Order-delivered"}


def push_update(session: Session, order: Order, cooperative: Cooperative, policy: OrderPolicy, action: str,
                now: dt.datetime) -> OutboxMessage:
    """An unsolicited on_status / on_cancel: same transaction_id, a new message_id (ONDC RET 1.2.x §2).

    A pulled order (a polled marketplace) gets a plain status update at its connector's status URL instead.
    """
    if order.source != "ondc":
        return _push_to_connector(session, order, cooperative, policy, now)
    context = build_context(action=action, domain=order.domain, city=order.city, bpp_id=policy.bpp_id,
                            bpp_uri=policy.bpp_uri, transaction_id=order.transaction_id,
                            message_id=str(uuid.uuid4()), now=now, bap_id=order.bap_id, bap_uri=order.bap_uri)
    body = {"context": context, "message": _snapshot(order, cooperative, policy)}
    return enqueue(session, action=action, target_url=join_action_url(order.bap_uri, action),
                   body=orjson.dumps(body), transaction_id=order.transaction_id, message_id=context["message_id"],
                   bap_id=order.bap_id, cooperative_id=cooperative.id, solicited=False,
                   deadline_at=now + dt.timedelta(seconds=policy.window_seconds), now=now)


def _push_to_connector(session: Session, order: Order, cooperative: Cooperative, policy: OrderPolicy,
                       now: dt.datetime) -> OutboxMessage:
    name = order.source.removeprefix("pull:")
    connector = session.scalar(select(ConnectorCursor).where(ConnectorCursor.name == name))
    if connector is None:
        raise OrderError(f"the marketplace connector {name!r} this order came from no longer exists")
    body = connectors.status_update(order)
    return enqueue(session, action="status_update", target_url=connector.url.rstrip("/") + "/status",
                   body=orjson.dumps(body), transaction_id=order.transaction_id, message_id=str(uuid.uuid4()),
                   bap_id=order.bap_id, cooperative_id=cooperative.id, solicited=False,
                   deadline_at=now + dt.timedelta(seconds=policy.window_seconds), now=now)


def seller_action(session: Session, order: Order, action: str, policy: OrderPolicy, *, actor: str,
                  now: dt.datetime, reason_id: str | None = None, params: dict[str, Any] | None = None) -> FlowResult:
    """Accept, move the fulfilment forward, cancel, part-cancel, handle a return or an RTO.

    Raises OrderError (IllegalTransitionError included) when the move is not legal now.
    """
    params = params or {}
    cooperative = session.get_one(Cooperative, order.cooperative_id)
    if action in ("accept", "reject"):
        target = "Accepted" if action == "accept" else "Cancelled"
        if target == "Cancelled":
            cancel_order(session, order, reason_id=reason_id or "005", initiated_by=policy.bpp_id, actor=actor,
                         now=now)
            return FlowResult([push_update(session, order, cooperative, policy, "on_cancel", now)], {cooperative.id})
        step = states.transition(states.Machine.ORDER, order.state, target)
        order.state, order.updated_at = step.to_state, now
        order_store.add_event(session, order, actor=actor, kind="accepted", from_state=step.from_state,
                              to_state=step.to_state)
        return FlowResult([push_update(session, order, cooperative, policy, "on_status", now)])
    if action == "cancel":
        states.check_cancel_reason(reason_id or "", "seller")
        cancel_order(session, order, reason_id=reason_id or "", initiated_by=policy.bpp_id, actor=actor, now=now)
        return FlowResult([push_update(session, order, cooperative, policy, "on_cancel", now)], {cooperative.id})
    if action == "part_cancel":
        order_changes.part_cancel(session, order, str(params.get("item_id") or ""), int(params.get("quantity") or 0),
                                  bpp_id=policy.bpp_id, actor=actor, now=now)
        return FlowResult([push_update(session, order, cooperative, policy, "on_update", now)], {cooperative.id})
    if action in order_changes.RETURN_MOVES:
        order_changes.move_return(session, order, str(params.get("return_id") or ""), action, actor=actor, now=now,
                                  reason=reason_id)
        changed = {cooperative.id} if action == "return_delivered" else set()
        return FlowResult([push_update(session, order, cooperative, policy, "on_update", now)], changed)
    if action == "initiate_rto":
        order_changes.initiate_rto(session, order, reason_id or "", bpp_id=policy.bpp_id, actor=actor, now=now)
        return FlowResult([push_update(session, order, cooperative, policy, "on_cancel", now)])
    if action in order_changes.RTO_MOVES:
        order_changes.move_rto(session, order, action, actor=actor, now=now)
        changed = {cooperative.id} if action == "rto_delivered" else set()
        return FlowResult([push_update(session, order, cooperative, policy, "on_status", now)], changed)
    if action not in SELLER_MOVES:
        raise OrderError(f"unknown action {action!r}")
    if order.state == "Created":
        raise OrderError("accept the order first")
    machine = states.machine_for_routing(order.routing)
    step = states.transition(machine, order.fulfilment_state, SELLER_MOVES[action])
    order.fulfilment_state = step.to_state
    if step.order_state:
        order.state = step.order_state
    order.updated_at = now
    views.record_time(order, step.to_state, now)
    order_store.add_event(session, order, actor=actor, kind=action, from_state=step.from_state,
                          to_state=step.to_state)
    return FlowResult([push_update(session, order, cooperative, policy, "on_status", now)])

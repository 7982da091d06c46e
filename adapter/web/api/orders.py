"""The cooperative's order inbox: list, detail with its timeline, and the seller's next legal actions."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, Flask, Response, jsonify, request
from marshmallow import Schema, ValidationError, fields, validate

from adapter.delivery import outbox
from adapter.errors import ConflictError, InvalidRequestError, NotFoundError
from adapter.orders import store as order_store
from adapter.orders.errors import OrderError
from adapter.orders.policy import order_policy
from adapter.orders.seller import ACTIONS, next_actions, seller_action
from adapter.store import inbound
from adapter.store.models import Order, utcnow
from adapter.web.api.bodies import Page, json_object, load_query
from adapter.web.api.contract import documented, timestamp
from adapter.web.auth import current_principal, listed_cooperative_id
from adapter.web.runtime import db, runtime, unit_of_work
from catalog_sync.on_search_items import IST
from workers.dispatch import AfterCommit, after_commit

bp = Blueprint("orders", __name__, url_prefix="/api/v1/orders")


def init_app(app: Flask) -> None:
    """Register the blueprint."""
    app.register_blueprint(bp)


class ActionIn(Schema):
    """The optional body of an order action."""

    reason_id = fields.String(validate=validate.Regexp(r"^[0-9]{3}$", error="a 3-digit ONDC reason code"))
    item_id = fields.String(validate=validate.Length(min=1, max=128))
    quantity = fields.Integer(strict=True, validate=validate.Range(min=1))
    return_id = fields.String(validate=validate.Length(min=1, max=128))


class OrderOut(Schema):
    """An order: its state, the fulfilment's state, the buyer app, total and lines."""

    id = fields.Integer(required=True)
    order_id = fields.String(required=True)
    state = fields.String(required=True, metadata={"example": "Accepted"})
    fulfilment_state = fields.String(allow_none=True, metadata={"example": "Packed"})
    bap_id = fields.String(required=True)
    domain = fields.String(required=True)
    total = fields.String(allow_none=True, metadata={"example": "2560.00"})
    items = fields.List(fields.Dict(), required=True)
    created_at = timestamp(required=True)
    updated_at = timestamp(required=True)


class OrderEvent(Schema):
    """One step in the order's history."""

    at = timestamp(required=True)
    actor = fields.String(allow_none=True)
    kind = fields.String(required=True)
    from_ = fields.String(data_key="from", allow_none=True)
    to = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)


class OrderMessage(Schema):
    """A message of the order's transaction, in or out."""

    direction = fields.String(required=True, metadata={"enum": ["in", "out"]})
    action = fields.String(required=True)
    at = timestamp(required=True)
    status = fields.String(required=True)
    signature = fields.String(allow_none=True)
    attempts = fields.Integer()


class OrderDetail(OrderOut):
    """An order with the buyer's details, quote, history, messages and the seller's next legal actions."""

    billing = fields.Dict(allow_none=True)
    fulfillment = fields.Dict(allow_none=True)
    quote = fields.Dict(allow_none=True)
    cancellation = fields.Dict(allow_none=True)
    events = fields.List(fields.Nested(OrderEvent), required=True)
    messages = fields.List(fields.Nested(OrderMessage), required=True)
    legs = fields.List(fields.Dict(), allow_none=True)
    next_actions = fields.List(fields.String(), required=True)


class OrderList(Schema):
    """Orders, newest first."""

    orders = fields.List(fields.Nested(OrderOut), required=True)


class OrderQuery(Page):
    """Filters and paging."""

    state = fields.String(metadata={"example": "Created"})
    from_ = fields.Date(data_key="from", metadata={"description": "first IST day"})
    to = fields.Date(metadata={"description": "last IST day"})
    cooperative = fields.String(metadata={"description": "one cooperative's slug (a cooperative's key: only its own)"})


def _summary(order: Order) -> dict[str, Any]:
    return {"id": order.id, "order_id": order.order_id, "state": order.state,
            "fulfilment_state": order.fulfilment_state, "bap_id": order.bap_id, "domain": order.domain,
            "total": order.quote.get("price", {}).get("value"), "items": order.lines,
            "created_at": order.created_at.isoformat(), "updated_at": order.updated_at.isoformat()}


def _visible(order_pk: int) -> Order:
    order = db().get(Order, order_pk)
    principal = current_principal()
    if order is None or not principal.can_see(order.cooperative_id):
        raise NotFoundError(f"no order {order_pk}")
    return order


def _date_arg(name: str, *, next_day: bool = False) -> dt.datetime | None:
    value = request.args.get(name)
    if not value:
        return None
    try:
        day = dt.date.fromisoformat(value)
    except ValueError as error:
        raise InvalidRequestError(f"{name} must be a date like 2026-11-30", details={"field": name}) from error
    moment = dt.datetime.combine(day, dt.time(), tzinfo=IST).astimezone(dt.UTC)
    return moment + dt.timedelta(days=1) if next_day else moment


@documented("List orders", query=OrderQuery, responses={200: OrderList})
@bp.get("")
def list_orders() -> Response:
    """Orders, newest first (?state=&from=YYYY-MM-DD&to=YYYY-MM-DD (IST days)&cooperative=SLUG&limit=&offset=)."""
    cooperative_id = listed_cooperative_id(request.args.get("cooperative"))
    page = load_query(Page())
    rows = order_store.list_orders(db(), cooperative_id=cooperative_id, state=request.args.get("state"),
                                   limit=page["limit"], offset=page["offset"], since=_date_arg("from"),
                                   until=_date_arg("to", next_day=True))
    return jsonify({"orders": [_summary(o) for o in rows]})


@documented("One order", responses={200: OrderDetail})
@bp.get("/<int:order_pk>")
def show(order_pk: int) -> Response:
    """One order with its items, buyer details, quote, history, messages and the next legal actions."""
    order = _visible(order_pk)
    session = db()
    messages: list[dict[str, Any]] = [
        {"direction": "in", "action": m.action, "at": m.received_at.isoformat(), "status": m.status,
         "signature": m.signature} for m in inbound.for_transaction(session, order.transaction_id)]
    messages += [{"direction": "out", "action": m.action, "at": m.created_at.isoformat(), "status": m.status,
                  "attempts": m.attempts} for m in outbox.list_messages(session, transaction_id=order.transaction_id,
                                                                         limit=500)]
    messages.sort(key=lambda m: str(m["at"]))
    return jsonify(_summary(order) | {
        "billing": order.billing, "fulfillment": order.fulfillments[0], "quote": order.quote,
        "cancellation": order.cancellation,
        "events": [{"at": e.at.isoformat(), "actor": e.actor, "kind": e.kind, "from": e.from_state,
                    "to": e.to_state, "reason": e.reason} for e in order_store.events(session, order)],
        "messages": messages,
        "legs": order.legs,
        "next_actions": next_actions(order),
    })


@documented("Act on an order", body=ActionIn, body_optional=True, errors=(409,), responses={200: OrderOut},
            path={"action": {"enum": list(ACTIONS)}})
@bp.post("/<int:order_pk>/actions/<action>")
def act(order_pk: int, action: str) -> Response:
    """Accept, reject, pack, ship, deliver, cancel (reason_id), part_cancel (item_id, quantity), a return move
    (approve_return, reject_return, return_picked, return_delivered, liquidate; return_id) or an RTO
    (initiate_rto with reason_id 011-015, rto_delivered, rto_disposed), and book_courier after a failed courier
    booking (docs/logistics.md). The buyer app hears about each move at once."""
    current_principal()  # authenticate before reading the body
    try:
        body = ActionIn().load(json_object() if request.data else {})
    except ValidationError as error:
        raise InvalidRequestError("invalid fields", details=error.messages) from error
    rt = runtime()
    with unit_of_work() as session:
        order = _visible(order_pk)
        try:
            result = seller_action(session, order, action, order_policy(rt.settings),
                                               actor=current_principal().cooperative_slug or "operator",
                                               now=utcnow(), reason_id=body.get("reason_id"), params=body)
        except OrderError as error:
            allowed = next_actions(order)
            raise ConflictError(f"{action}: {error}", details={"next_actions": allowed}) from error
        after = AfterCommit.of(result)
        summary = _summary(order)
    after_commit(rt.celery, rt.sessions, rt.settings.sync_debounce_seconds, after)
    return jsonify(summary)

"""After the sale: buyers' issues (IGM), ratings and support requests, and the seller's answers to issues.

Handlers have the order-flow signature (``adapter.orders.flows.Handler``) and never commit; the worker task or
API view owns the transaction. Business problems go in the callback's `error` (PROTOCOL.md §2), never as a NACK.
The IGM documents themselves are built by the pure functions of ``adapter.orders.igm``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from adapter.alerts import store as alerts
from adapter.delivery.replies import ReplyTo, send_reply
from adapter.errors import ConflictError, InvalidRequestError
from adapter.orders import igm
from adapter.orders import store as order_store
from adapter.orders.errors import (
    InvalidRatingError,
    OrderError,
    OrderNotFoundError,
    RatingCategoryError,
    SupportUnavailableError,
)
from adapter.orders.flows import Handler, answer
from adapter.orders.policy import OrderPolicy
from adapter.orders.results import FlowResult
from adapter.protocol.request import NetworkRequest
from adapter.store.models import Cooperative, Issue, Order, OutboxMessage, Rating
from catalog_sync.services.catalogue import profile_of

RATING_CATEGORIES = ("order", "item", "fulfillment", "provider", "agent")  # ONDC 1.2.0 rating_category


# -- who the issue is with -------------------------------------------------------------------------------------

def respondent_for(cooperative: Cooperative | None, policy: OrderPolicy, domain: str) -> igm.Respondent:
    """We answer issues as the seller app; the contact is the cooperative's consumer care when known."""
    org = f"{policy.bpp_id}::{domain}"
    if cooperative is None or not cooperative.profile:
        return igm.Respondent(actor_id=policy.bpp_id, org_name=org, person_name="Seller app support")
    care = profile_of(cooperative).consumer_care
    return igm.Respondent(actor_id=policy.bpp_id, org_name=org, person_name=care.name, phone=care.phone,
                          email=care.email)


def find_issue(session: Session, bap_id: str, issue_id: str) -> Issue | None:
    """A buyer app's issue by its issue id."""
    return session.scalar(select(Issue).where(Issue.bap_id == bap_id, Issue.issue_id == issue_id))


def list_issues(session: Session, *, cooperative_id: int | None, status: str | None = None, limit: int = 50,
                offset: int = 0) -> list[Issue]:
    """Issues, newest first (one cooperative's, or all for an operator)."""
    query = select(Issue).order_by(Issue.created_at.desc(), Issue.id.desc()).limit(limit).offset(offset)
    if cooperative_id is not None:
        query = query.where(Issue.cooperative_id == cooperative_id)
    if status is not None:
        query = query.where(Issue.status == status.upper())
    return list(session.scalars(query))


def _cooperative(session: Session, cooperative_id: int | None) -> Cooperative | None:
    return session.get(Cooperative, cooperative_id) if cooperative_id is not None else None


# -- issue -------------------------------------------------------------------------------------------------------

def handle_issue(session: Session, request: NetworkRequest, policy: OrderPolicy, now: dt.datetime) -> FlowResult:
    """issue -> on_issue: store (idempotent on bap_id + issue id), take it up as PROCESSING, or note the close."""
    ctx, received = request.context, request.message["issue"]
    order_id = igm.order_ref(received)
    order = order_store.find_order(session, ctx.bap_id, order_id) if order_id else None
    row = find_issue(session, ctx.bap_id, str(received["id"]))
    if row is None:
        row = Issue(issue_id=str(received["id"]), bap_id=ctx.bap_id, bap_uri=ctx.bap_uri,
                    transaction_id=ctx.transaction_id, domain=ctx.domain, city=ctx.city,
                    status="OPEN", issue={}, created_at=now)
        session.add(row)
    row.bap_uri, row.updated_at = ctx.bap_uri, now
    row.category, row.description = igm.category_of(received), igm.description_of(received)
    if order is not None:
        row.order_pk, row.cooperative_id = order.id, order.cooperative_id
    if order is None:
        # Nobody here can answer for an order we never took: keep it for the operator, tell the buyer app.
        row.issue = received
        row.status = "CLOSED" if igm.buyer_closed(received) else row.status
        session.flush()
        return FlowResult([answer(session, request, policy, now,
                                  errors=[OrderNotFoundError(f"order {order_id!r} not found for this issue")])])
    cooperative = session.get_one(Cooperative, order.cooperative_id)
    doc = igm.merge(received, row.issue)
    told = []
    if igm.buyer_closed(received):
        doc, row.status = igm.close(doc, now), "CLOSED"
    elif row.status == "OPEN":
        doc = igm.acknowledge(doc, respondent_for(cooperative, policy, row.domain), action_id=str(uuid.uuid4()),
                              now=now)
        row.status = "PROCESSING"
        session.flush()  # the new issue's id names the alert's event: a repeated /issue makes no second one
        told = alerts.record(session, cooperative.id, "issue_raised", event_key=f"issue_raised:{row.id}",
                             order_id=order.order_id, order_pk=order.id, now=now)
    elif igm.version_of(doc) == igm.IGM2:
        doc["status"] = row.status  # a repeat: answer with where the issue stands, append nothing
    row.issue = doc
    session.flush()
    _, body = igm.callback(doc)
    return FlowResult([answer(session, request, policy, now, message=body, cooperative_id=cooperative.id)],
                      alerts=told)


def _push(session: Session, issue: Issue, action: str, message: dict[str, Any], policy: OrderPolicy,
          now: dt.datetime) -> OutboxMessage:
    """An unsolicited issue callback: same transaction_id, a new message_id (as ``seller.push_update``)."""
    to = ReplyTo(domain=issue.domain, city=issue.city, bap_id=issue.bap_id, bap_uri=issue.bap_uri,
                 transaction_id=issue.transaction_id)
    return send_reply(session, policy.app, to, action, now, message=message, cooperative_id=issue.cooperative_id)


def check_resolution(resolution: dict[str, Any]) -> tuple[str, str, str, Decimal | None]:
    """Action, short and long description, refund amount; InvalidRequestError naming each bad field."""
    problems: dict[str, str] = {}
    action = str(resolution.get("action", "")).upper().replace("-", "_")
    if action not in igm.RESOLUTION_ACTIONS:
        problems["action"] = f"must be one of {', '.join(igm.RESOLUTION_ACTIONS)}"
    short_desc = str(resolution.get("short_desc") or "").strip()
    if not short_desc:
        problems["short_desc"] = "say in a line what was done"
    long_desc = str(resolution.get("long_desc") or short_desc).strip()
    amount: Decimal | None = None
    raw_amount = resolution.get("refund_amount")
    if raw_amount is not None:
        try:
            amount = Decimal(str(raw_amount))
        except InvalidOperation:
            amount = None
        if amount is None or not amount.is_finite() or amount <= 0:
            problems["refund_amount"] = "must be a positive amount in rupees"
        elif action != "REFUND":
            problems["refund_amount"] = "only a REFUND carries a refund amount"
    elif action == "REFUND":
        problems["refund_amount"] = "a REFUND needs the amount"
    if problems:
        raise InvalidRequestError("invalid resolution", details=problems)
    return action, short_desc, long_desc, amount


def resolve_issue(session: Session, issue: Issue, *, resolution: dict[str, Any], actor: str, policy: OrderPolicy,
                  now: dt.datetime) -> FlowResult:
    """RESOLVED with the seller's resolution, sent unsolicited (IGM 2.0 on_issue; IGM 1.0 on_issue_status)."""
    if issue.status in ("RESOLVED", "CLOSED"):
        raise ConflictError(f"issue {issue.issue_id!r} is already {issue.status}")
    action, short_desc, long_desc, amount = check_resolution(resolution)
    cooperative = _cooperative(session, issue.cooperative_id)
    order = session.get(Order, issue.order_pk) if issue.order_pk is not None else None
    doc = igm.resolve(issue.issue, respondent_for(cooperative, policy, issue.domain), action=action,
                      short_desc=short_desc, long_desc=long_desc, refund_amount=amount,
                      order_id=order.order_id if order else igm.order_ref(issue.issue), action_id=str(uuid.uuid4()),
                      now=now)
    issue.issue, issue.status, issue.updated_at = doc, "RESOLVED", now
    issue.resolution = {"action": action, "short_desc": short_desc, "long_desc": long_desc,
                        "refund_amount": f"{amount:.2f}" if amount is not None else None, "resolved_by": actor,
                        "resolved_at": doc["updated_at"]}
    callback_action, message = igm.callback(doc, resolved=True)
    return FlowResult([_push(session, issue, callback_action, message, policy, now)])


def close_issue(session: Session, issue: Issue, *, actor: str, now: dt.datetime) -> FlowResult:
    """Close on our side after the buyer accepted the resolution off-network, or an issue we could not take up.

    Only the complainant closes an issue on the network (IGM), so nothing is sent.
    """
    if issue.status == "CLOSED":
        raise ConflictError(f"issue {issue.issue_id!r} is already closed")
    if issue.status != "RESOLVED" and issue.order_pk is not None:
        raise ConflictError(f"issue {issue.issue_id!r} is {issue.status}: resolve it first")
    issue.issue, issue.status, issue.updated_at = igm.close(issue.issue, now), "CLOSED", now
    issue.resolution = {**(issue.resolution or {}), "closed_by": actor, "closed_at": issue.issue["updated_at"]}
    return FlowResult()


# -- rating and support (ONDC 1.2.0) ----------------------------------------------------------------------------

def _transaction_order(session: Session, request: NetworkRequest) -> Order | None:
    return session.scalar(select(Order).where(Order.bap_id == request.context.bap_id,
                                              Order.transaction_id == request.context.transaction_id))


def _cooperative_for_ref(session: Session, request: NetworkRequest, ref_id: str,
                         policy: OrderPolicy) -> Cooperative | None:
    """The cooperative behind an order id (this buyer app's), a provider id, or else this transaction's order."""
    order = order_store.find_order(session, request.context.bap_id, ref_id) if ref_id else None
    order = order or _transaction_order(session, request)
    if order is not None:
        return session.get_one(Cooperative, order.cooperative_id)
    return order_store.cooperative_for_provider(session, ref_id, policy.bpp_id) if ref_id else None


def _rating_error(rating: dict[str, Any]) -> OrderError | None:
    category = str(rating.get("rating_category", "")).lower()
    if category not in RATING_CATEGORIES:
        return RatingCategoryError(f"rating category {rating.get('rating_category')!r} is not supported; "
                                   f"use one of {', '.join(RATING_CATEGORIES)}")
    value = rating.get("value")
    try:
        number = Decimal(str(value)) if not isinstance(value, bool) else None
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite() or number != number.to_integral_value() or not 1 <= number <= 5:
        return InvalidRatingError(f"rating value {value!r} must be a whole number from 1 to 5")
    if not rating.get("id"):
        return InvalidRatingError("a rating needs the id of what is rated")
    return None


def handle_rating(session: Session, request: NetworkRequest, policy: OrderPolicy, now: dt.datetime) -> FlowResult:
    """rating -> on_rating: every rating checked (30015, 50003), then all stored, or none."""
    ratings: list[dict[str, Any]] = request.message.get("ratings") or [request.message]
    ctx = request.context
    for rating in ratings:
        if (error := _rating_error(rating)) is not None:
            return FlowResult([answer(session, request, policy, now, errors=[error],
                                      message={"feedback_ack": False, "rating_ack": False})])
    cooperative_id = None
    for rating in ratings:
        category, target = str(rating["rating_category"]).lower(), str(rating["id"])
        cooperative = _cooperative_for_ref(session, request, target, policy)
        cooperative_id = cooperative.id if cooperative else cooperative_id
        session.add(Rating(bap_id=ctx.bap_id, transaction_id=ctx.transaction_id,
                           cooperative_id=cooperative.id if cooperative else None, category=category,
                           target_id=target[:128], value=str(int(Decimal(str(rating["value"])))), created_at=now))
    session.flush()
    return FlowResult([answer(session, request, policy, now, cooperative_id=cooperative_id,
                              message={"feedback_ack": True, "rating_ack": True})])


def handle_support(session: Session, request: NetworkRequest, policy: OrderPolicy, now: dt.datetime) -> FlowResult:
    """support -> on_support: the cooperative's consumer care for the order (50004 when we cannot tell whose)."""
    ref_id = str(request.message.get("ref_id") or "")
    cooperative = _cooperative_for_ref(session, request, ref_id, policy)
    if cooperative is None or not cooperative.profile:
        raise SupportUnavailableError(f"no support contact for {ref_id!r}: not one of our orders")
    care = profile_of(cooperative).consumer_care
    body = {"phone": care.phone, "email": care.email, "uri": f"tel:+91{care.phone}"}
    return FlowResult([answer(session, request, policy, now, message=body, cooperative_id=cooperative.id)])


HANDLERS: dict[str, Handler] = {"issue": handle_issue, "rating": handle_rating, "support": handle_support}


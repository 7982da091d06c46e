"""Answering a buyer app's search: on_search messages into the outbox, and catalog_inc subscriptions.

Takes a session and never commits; the worker task owns the transaction and sends the delivery tasks after
the commit.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from adapter.delivery.outbox import enqueue
from adapter.delivery.urls import join_action_url
from adapter.protocol.context import DEFAULT_TTL, build_context, parse_duration, parse_timestamp
from adapter.store import catalogue as store
from adapter.store.models import CatalogueVersion, Cooperative, InboundMessage, OutboxMessage, Subscription
from catalog_sync import service
from catalog_sync.diff import diff_items, to_on_search_incremental
from catalog_sync.mapping import to_on_search
from catalog_sync.model import Catalogue, Item
from catalog_sync.search import SearchIntent, intent_from_search


@dataclass(frozen=True)
class Seller:
    """Our side of every answer."""

    bpp_id: str
    bpp_uri: str
    name: str
    size_budget: int


def _cooperatives(session: Session) -> list[Cooperative]:
    return list(session.scalars(
        select(Cooperative).where(Cooperative.active.is_(True), Cooperative.profile.is_not(None))
        .order_by(Cooperative.slug)
    ))


def answer_search(session: Session, inbound: InboundMessage, seller: Seller, now: dt.datetime) -> list[OutboxMessage]:
    """Queue the on_search callback(s) for a stored search; returns the outbox rows (none when nothing matches)."""
    payload = orjson.loads(inbound.body)
    context, message = payload["context"], payload["message"]
    intent = intent_from_search(message)
    if intent.catalog_inc is not None:
        return _catalog_inc(session, inbound, context, intent, seller, now)
    rows: list[OutboxMessage] = []
    for cooperative in _cooperatives(session):
        catalogue = service.current_catalogue(session, cooperative)
        pages = to_on_search(catalogue, bpp=_bpp(seller, catalogue), context=_reply_context(context, seller, now),
                             now=now, intent=intent, size_budget=seller.size_budget)
        rows.extend(_enqueue(session, inbound, context, page, cooperative, now) for page in pages)
    return rows


def _bpp(seller: Seller, catalogue: Catalogue) -> Any:
    return service.bpp_info(bpp_id=seller.bpp_id, bpp_uri=seller.bpp_uri, name=seller.name,
                            profile=catalogue.profile)


def _reply_context(request: dict[str, Any], seller: Seller, now: dt.datetime) -> dict[str, Any]:
    # A solicited callback echoes the request's transaction_id and message_id (ONDC RET 1.2.x §2).
    return build_context(
        action="on_search", domain=request["domain"], city=request["city"], bpp_id=seller.bpp_id,
        bpp_uri=seller.bpp_uri, transaction_id=request["transaction_id"], message_id=request["message_id"],
        now=now, bap_id=request["bap_id"], bap_uri=request["bap_uri"], ttl=request.get("ttl", DEFAULT_TTL),
    )


def deadline_of(request: dict[str, Any]) -> dt.datetime:
    """When a solicited callback stops being useful: the request's timestamp plus its ttl."""
    return parse_timestamp(request["timestamp"]) + parse_duration(request.get("ttl", DEFAULT_TTL))


def _enqueue(session: Session, inbound: InboundMessage, request: dict[str, Any], body: dict[str, Any],
             cooperative: Cooperative, now: dt.datetime) -> OutboxMessage:
    return enqueue(
        session, action="on_search", target_url=join_action_url(request["bap_uri"], "on_search"),
        body=orjson.dumps(body), transaction_id=request["transaction_id"], message_id=request["message_id"],
        bap_id=request["bap_id"], cooperative_id=cooperative.id, solicited=True, inbound_id=inbound.id,
        deadline_at=deadline_of(request), now=now,
    )


def _catalog_inc(session: Session, inbound: InboundMessage, request: dict[str, Any], intent: SearchIntent,
                 seller: Seller, now: dt.datetime) -> list[OutboxMessage]:
    inc = intent.catalog_inc
    assert inc is not None
    if inc.mode in ("start", "stop"):
        _subscribe(session, request, active=inc.mode == "start", now=now)
        return []
    start = parse_timestamp(inc.start_time) if inc.start_time else dt.datetime.min.replace(tzinfo=dt.UTC)
    end = parse_timestamp(inc.end_time) if inc.end_time else now
    rows: list[OutboxMessage] = []
    for cooperative in _cooperatives(session):
        old, new = _items_at(session, cooperative, start), _items_at(session, cooperative, end)
        changes = diff_items(old, new)
        catalogue = Catalogue(profile=service.profile_of(cooperative), items=new)
        body = to_on_search_incremental(changes, catalogue, context=_reply_context(request, seller, now), now=now)
        if body is not None:
            rows.append(_enqueue(session, inbound, request, body, cooperative, now))
    return rows


def _items_at(session: Session, cooperative: Cooperative, moment: dt.datetime) -> tuple[Item, ...]:
    version = session.scalar(
        select(CatalogueVersion)
        .where(CatalogueVersion.cooperative_id == cooperative.id, CatalogueVersion.created_at <= moment)
        .order_by(CatalogueVersion.number.desc()).limit(1)
    )
    if version is None:
        return ()
    return tuple(Item.from_dict(data) for _, data in store.version_items(session, version.id).values())


def _subscribe(session: Session, request: dict[str, Any], *, active: bool, now: dt.datetime) -> None:
    subscription = session.scalar(select(Subscription).where(
        Subscription.bap_id == request["bap_id"], Subscription.domain == request["domain"]))
    if subscription is None:
        if not active:
            return
        subscription = Subscription(bap_id=request["bap_id"], domain=request["domain"], bap_uri=request["bap_uri"],
                                    transaction_id=request["transaction_id"], started_at=now)
        session.add(subscription)
    subscription.active = active
    subscription.bap_uri = request["bap_uri"]
    subscription.transaction_id = request["transaction_id"]
    if active:
        subscription.started_at, subscription.stopped_at = now, None
    else:
        subscription.stopped_at = now
    session.flush()

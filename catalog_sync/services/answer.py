"""Answering a buyer app's search: on_search messages into the outbox, and catalog_inc subscriptions.

Takes a session and never commits; the worker task owns the transaction and sends the delivery tasks after
the commit.
"""

from __future__ import annotations

import datetime as dt

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from adapter.delivery.replies import ReplyTo, queue_page, queue_reply, reply_context
from adapter.protocol.context import parse_timestamp
from adapter.protocol.identity import SellerApp
from adapter.protocol.request import NetworkRequest
from adapter.store import catalogue as store
from adapter.store import pages as page_store
from adapter.store import sync as sync_store
from adapter.store.models import CatalogueVersion, Cooperative, InboundMessage, OutboxMessage, Subscription
from catalog_sync.diff import diff_items, to_on_search_incremental
from catalog_sync.model import Catalogue, Item, item_hash
from catalog_sync.search_intent import SearchIntent, intent_from_search
from catalog_sync.services import catalogue as catalogues
from catalog_sync.services import rendered


def _cooperatives(session: Session) -> list[Cooperative]:
    return list(session.scalars(
        select(Cooperative).where(Cooperative.active.is_(True), Cooperative.profile.is_not(None))
        .order_by(Cooperative.slug)
    ))


def answer_search(session: Session, request: NetworkRequest, app: SellerApp,
                  now: dt.datetime) -> list[OutboxMessage]:
    """Queue the on_search callback(s) for a stored search; returns the outbox rows (none when nothing matches)."""
    intent = intent_from_search(request.message)
    # A solicited callback echoes the request's transaction_id, message_id and ttl (ONDC RET 1.2.x §2).
    to = ReplyTo.answering(request, echo_ttl=True)
    if intent.catalog_inc is not None:
        return _catalog_inc(session, request, to, intent, app, now)
    # The fast path: one context for every page of every cooperative's catalogue, each rendered once per
    # catalogue revision (catalog_sync.services.rendered) and stored once by content.
    context = reply_context(app, to, "on_search", now)
    cooperatives = _cooperatives(session)
    revisions = page_store.catalogue_revisions(session, [cooperative.id for cooperative in cooperatives])
    rows: list[OutboxMessage] = []
    for cooperative in cooperatives:
        answer = rendered.full_answer(session, cooperative, revisions[cooperative.id], app, intent, to.domain, now)
        page_store.ensure(session, answer.pages, now)
        rows.extend(queue_page(session, app, to, context, digest, len(page), now, cooperative_id=cooperative.id)
                    for digest, page in answer.pages)
    return rows


def _catalog_inc(session: Session, request: NetworkRequest, to: ReplyTo, intent: SearchIntent, app: SellerApp,
                 now: dt.datetime) -> list[OutboxMessage]:
    inc = intent.catalog_inc
    assert inc is not None
    if inc.mode in ("start", "stop"):
        _subscribe(session, request, active=inc.mode == "start", now=now)
        return []
    start = parse_timestamp(inc.start_time) if inc.start_time else dt.datetime.min.replace(tzinfo=dt.UTC)
    end = parse_timestamp(inc.end_time) if inc.end_time else now
    context = reply_context(app, to, "on_search", now)
    rows: list[OutboxMessage] = []
    for cooperative in _cooperatives(session):
        old, new = _items_at(session, cooperative, start), _items_at(session, cooperative, end)
        changes = diff_items(old, new)
        catalogue = Catalogue(profile=catalogues.profile_of(cooperative), items=new)
        body = to_on_search_incremental(changes, catalogue, context=context, now=now)
        if body is not None:
            rows.append(queue_reply(session, app, to, body, now, cooperative_id=cooperative.id))
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


def _subscribe(session: Session, request: NetworkRequest, *, active: bool, now: dt.datetime) -> None:
    ctx = request.context
    subscription = session.scalar(select(Subscription).where(
        Subscription.bap_id == ctx.bap_id, Subscription.domain == ctx.domain))
    if subscription is None:
        if not active:
            return
        subscription = Subscription(bap_id=ctx.bap_id, domain=ctx.domain, bap_uri=ctx.bap_uri,
                                    transaction_id=ctx.transaction_id, started_at=now)
        session.add(subscription)
    subscription.active = active
    subscription.bap_uri = ctx.bap_uri
    subscription.transaction_id = ctx.transaction_id
    if active:
        subscription.started_at, subscription.stopped_at = now, None
    else:
        subscription.stopped_at = now
    session.flush()
    pulled_at = _last_full_search(session, request) if active else None
    if pulled_at is not None:
        for cooperative in _cooperatives(session):
            sync_store.assume_known(session, subscription.id, cooperative.id,
                                    _pulled(session, cooperative, ctx.domain, pulled_at))


def _pulled(session: Session, cooperative: Cooperative, domain: str, pulled_at: dt.datetime) -> dict[str, str]:
    """What a buyer app that pulled the full catalogue at ``pulled_at`` has of each item, as far as we can tell.

    ONDC's incremental mode: the buyer app pulls the full catalogue, then asks for what changes. An item unchanged
    since the pull is what it has. An item changed or gone since is taken as the catalogue version current at the
    pull had it (single-item edits make no version), so the next push sends its new state or disables it, and
    the diff sees its variant group as the buyer app does. An item the buyer app cannot have had is left out:
    the next push sends it whole. A missed change would leave a wrong price or stock on the buyer app, so every
    doubt goes towards pushing.
    """
    current = store.current_items(session, cooperative.id)
    known = {row.item_id: row.item_hash for row in current
             if row.domain == domain and row.updated_at <= pulled_at}
    known |= {item.id: item_hash(item) for item in _items_at(session, cooperative, pulled_at)
              if item.domain == domain and item.id not in known}
    return known


def _last_full_search(session: Session, request: NetworkRequest) -> dt.datetime | None:
    """When the buyer app's latest full-catalogue search in this domain arrived (None: it never made one)."""
    rows = session.scalars(
        select(InboundMessage)
        .where(InboundMessage.bap_id == request.context.bap_id, InboundMessage.domain == request.context.domain,
               InboundMessage.action == "search", InboundMessage.nack_code.is_(None),
               InboundMessage.message_id != request.context.message_id)
        .order_by(InboundMessage.received_at.desc()).limit(20)
    )
    for row in rows:
        try:
            tags = (orjson.loads(row.body).get("message", {}).get("intent") or {}).get("tags") or []
        except (orjson.JSONDecodeError, AttributeError):
            continue
        if not any(isinstance(tag, dict) and tag.get("code") == "catalog_inc" for tag in tags):
            return row.received_at
    return None

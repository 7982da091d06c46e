"""Catalogue pushes to subscribed buyer apps: only what changed since each one's last acknowledged push."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy.orm import Session

from adapter.delivery.outbox import enqueue
from adapter.delivery.urls import join_action_url
from adapter.protocol.context import build_context
from adapter.store import catalogue as store
from adapter.store import sync as sync_store
from adapter.store.models import Cooperative, Subscription
from catalog_sync import service
from catalog_sync.diff import diff_items, to_on_search_incremental
from catalog_sync.mapping import to_on_search
from catalog_sync.model import Catalogue, Item, item_hash


@dataclass(frozen=True)
class PushContext:
    """Our side of a push and its delivery window."""

    bpp_id: str
    bpp_uri: str
    name: str
    size_budget: int
    window_seconds: int


@dataclass
class PushResult:
    """What one subscriber was sent."""

    changed: list[str] = field(default_factory=list)
    outbox_ids: list[int] = field(default_factory=list)
    full: bool = False


def _context(sub: Subscription, ctx: PushContext, now: dt.datetime) -> dict[str, Any]:
    # Unsolicited: the subscription's transaction_id, a new message_id every time (ONDC RET 1.2.x §3).
    return build_context(action="on_search", domain=sub.domain, city="*", bpp_id=ctx.bpp_id, bpp_uri=ctx.bpp_uri,
                         transaction_id=sub.transaction_id, message_id=str(uuid.uuid4()), now=now,
                         bap_id=sub.bap_id, bap_uri=sub.bap_uri)


def _queue(session: Session, sub: Subscription, cooperative: Cooperative, body: dict[str, Any], ctx: PushContext,
           now: dt.datetime) -> int:
    row = enqueue(session, action="on_search", target_url=join_action_url(sub.bap_uri, "on_search"),
                  body=orjson.dumps(body), transaction_id=sub.transaction_id,
                  message_id=body["context"]["message_id"], bap_id=sub.bap_id, cooperative_id=cooperative.id,
                  solicited=False, deadline_at=now + dt.timedelta(seconds=ctx.window_seconds), now=now)
    return row.id


def push_full(session: Session, sub: Subscription, cooperative: Cooperative, catalogue: Catalogue,
              ctx: PushContext, now: dt.datetime) -> PushResult:
    """Send the whole catalogue of the subscription's domain, in pages under the size budget."""
    items = tuple(i for i in catalogue.items if i.domain == sub.domain)
    sync_store.forget_pushes(session, sub.id, cooperative.id)
    result = PushResult(changed=[i.id for i in items], full=True)
    bpp = service.bpp_info(bpp_id=ctx.bpp_id, bpp_uri=ctx.bpp_uri, name=ctx.name, profile=catalogue.profile)
    pages = to_on_search(Catalogue(catalogue.profile, items), bpp=bpp, context=_context(sub, ctx, now), now=now,
                         size_budget=ctx.size_budget)
    by_id = {i.id: i for i in items}
    for page in pages:
        page["context"]["message_id"] = str(uuid.uuid4())
        outbox_id = _queue(session, sub, cooperative, page, ctx, now)
        page_ids = [i["id"] for p in page["message"]["catalog"]["bpp/providers"] for i in p.get("items", ())]
        sync_store.record_push(session, sub.id, cooperative.id,
                               {i: item_hash(by_id[i]) for i in page_ids if i in by_id}, outbox_id)
        result.outbox_ids.append(outbox_id)
    return result


def push_changes(session: Session, sub: Subscription, cooperative: Cooperative, catalogue: Catalogue,
                 hashes: dict[str, str], ctx: PushContext, now: dt.datetime) -> PushResult:
    """Send what changed since the buyer app's last acknowledged push; nothing when nothing changed."""
    current = {i.id: i for i in catalogue.items if i.domain == sub.domain}
    known = sync_store.known_hashes(session, sub.id, cooperative.id)
    changed = [item_id for item_id in current if known.get(item_id) != hashes[item_id]]
    removed = [item_id for item_id, h in known.items() if h and item_id not in current]
    if not changed and not removed:
        return PushResult()
    old_contents = store.blobs(session, (known[i] for i in (*changed, *removed) if known.get(i)))
    old = [Item.from_dict(old_contents[known[i]]) for i in (*changed, *removed) if known.get(i) in old_contents]
    new = [current[i] for i in changed]
    changes = diff_items(old, new)
    if changes.needs_full_refresh:
        return push_full(session, sub, cooperative, catalogue, ctx, now)
    body = to_on_search_incremental(changes, Catalogue(catalogue.profile, tuple(new)),
                                    context=_context(sub, ctx, now), now=now)
    carried = {i: hashes[i] for i in changed} | dict.fromkeys(removed, "")
    if body is None:
        return PushResult()  # nothing a buyer app would see, e.g. an edit to an item that stays disabled
    outbox_id = _queue(session, sub, cooperative, body, ctx, now)
    sync_store.record_push(session, sub.id, cooperative.id, carried, outbox_id)
    return PushResult(changed=[*changed, *removed], outbox_ids=[outbox_id])

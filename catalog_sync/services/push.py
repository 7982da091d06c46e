"""Catalogue pushes to subscribed buyer apps: only what changed since each one's last acknowledged push."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from adapter.delivery.replies import ReplyTo, queue_reply, reply_context
from adapter.protocol.identity import SellerApp
from adapter.store import catalogue as store
from adapter.store import sync as sync_store
from adapter.store.models import Cooperative, Subscription
from catalog_sync.diff import diff_items, to_on_search_incremental
from catalog_sync.model import Catalogue, Item, Profile, item_hash
from catalog_sync.on_search import store_state, to_on_search
from catalog_sync.services import catalogue as catalogues

# The push state of the store itself (open, or closed until a date), kept beside the items' states.
STORE = "@store"


@dataclass
class PushResult:
    """What one subscriber was sent."""

    changed: list[str] = field(default_factory=list)
    outbox_ids: list[int] = field(default_factory=list)
    full: bool = False


def _to(sub: Subscription) -> ReplyTo:
    # Unsolicited: the subscription's transaction_id, a new message_id every time (ONDC RET 1.2.x §3).
    return ReplyTo(domain=sub.domain, city="*", bap_id=sub.bap_id, bap_uri=sub.bap_uri,
                   transaction_id=sub.transaction_id)


def _context(sub: Subscription, app: SellerApp, now: dt.datetime) -> dict[str, Any]:
    return reply_context(app, _to(sub), "on_search", now)


def _queue(session: Session, sub: Subscription, cooperative: Cooperative, body: dict[str, Any], app: SellerApp,
           now: dt.datetime) -> int:
    return queue_reply(session, app, _to(sub), body, now, cooperative_id=cooperative.id).id


def push_full(session: Session, sub: Subscription, cooperative: Cooperative, catalogue: Catalogue,
              app: SellerApp, now: dt.datetime) -> PushResult:
    """Send the whole catalogue of the subscription's domain, in pages under the size budget."""
    items = tuple(i for i in catalogue.items if i.domain == sub.domain)
    sync_store.forget_pushes(session, sub.id, cooperative.id)
    result = PushResult(changed=[i.id for i in items], full=True)
    bpp = catalogues.bpp_info(app, catalogue.profile)
    pages = to_on_search(Catalogue(catalogue.profile, items), bpp=bpp, context=_context(sub, app, now), now=now,
                         size_budget=app.size_budget, push=True)
    by_id = {i.id: i for i in items}
    for n, page in enumerate(pages):
        page["context"]["message_id"] = str(uuid.uuid4())
        outbox_id = _queue(session, sub, cooperative, page, app, now)
        page_ids = [i["id"] for p in page["message"]["catalog"]["bpp/providers"] for i in p.get("items", ())]
        carried = {i: item_hash(by_id[i]) for i in page_ids if i in by_id}
        if n == 0:  # every page carries the locations' time: open, or closed until a date
            carried[STORE] = store_state(catalogue.profile, now)
        sync_store.record_push(session, sub.id, cooperative.id, carried, outbox_id)
        result.outbox_ids.append(outbox_id)
    return result


def push_changes(session: Session, sub: Subscription, cooperative: Cooperative, profile: Profile,
                 index: dict[str, tuple[str, str]], app: SellerApp, now: dt.datetime) -> PushResult:
    """Send what changed since the buyer app's last acknowledged push; nothing when nothing changed.

    ``index``: each current item's (content hash, domain). Only the changed items' contents are read, so a sync
    after a few edits costs a few items, not the catalogue.
    """
    current = {item_id: item_hash for item_id, (item_hash, domain) in index.items() if domain == sub.domain}
    known = sync_store.known_hashes(session, sub.id, cooperative.id)
    store_now = store_state(profile, now)
    store_changed = known.pop(STORE, "open") != store_now
    changed = [item_id for item_id, item_hash in current.items() if known.get(item_id) != item_hash]
    removed = [item_id for item_id, h in known.items() if h and item_id not in current]
    if not changed and not removed and not store_changed:
        return PushResult()
    old_contents = store.blobs(session, (known[i] for i in (*changed, *removed) if known.get(i)))
    old = [Item.from_dict(old_contents[known[i]]) for i in (*changed, *removed) if known.get(i) in old_contents]
    # The hash recorded as sent is the one read with the content sent (an edit may have come since the index).
    contents = store.current_data(session, cooperative.id, changed)
    changed = [item_id for item_id in changed if item_id in contents]  # gone since the index was read
    new = [Item.from_dict(contents[item_id][1]) for item_id in changed]
    changes = diff_items(old, new)
    if changes.needs_full_refresh:
        return push_full(session, sub, cooperative, catalogues.current_catalogue(session, cooperative), app, now)
    body = to_on_search_incremental(changes, Catalogue(profile, tuple(new)),
                                    context=_context(sub, app, now), now=now, store_changed=store_changed)
    carried = {i: contents[i][0] for i in changed} | dict.fromkeys(removed, "")
    if store_changed:
        carried[STORE] = store_now
    if body is None:
        return PushResult()  # nothing a buyer app would see, e.g. an edit to an item that stays disabled
    outbox_id = _queue(session, sub, cooperative, body, app, now)
    sync_store.record_push(session, sub.id, cooperative.id, carried, outbox_id)
    return PushResult(changed=[*changed, *removed], outbox_ids=[outbox_id])

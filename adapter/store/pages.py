"""Rendered on_search pages, stored once by content and shared by every outbox row that sends them.

A full catalogue answer is the same for every buyer app that asks in the same place and day, apart from its
context. So the worker renders a cooperative's answer once per catalogue revision (see
`catalog_sync.services.rendered`), keeps each page's ``message`` bytes here under their BLAKE2b digest, and an
outbox row holds only its own context and the digest. The sender splices the two into the exact bytes it signs
and POSTs (`wire_bytes`); nothing is ever re-serialised between signing and sending.

A page nobody refers to any more (no outbox row) is removed by the sweeper a day after it was stored.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Iterable
from typing import cast

from sqlalchemy import Table, delete, exists, insert, select
from sqlalchemy.orm import Session

from adapter.store.models import CatalogueRevision, OutboxMessage, RenderedPage

__all__ = ["SHARED", "PageBytes", "catalogue_revisions", "digest_of", "ensure", "load", "remove_unused",
           "wire_bytes", "wire_of", "wire_size"]

_PAGES = cast(Table, RenderedPage.__table__)
_PREFIX, _MIDDLE, _SUFFIX = b'{"context":', b',"message":', b"}"


def digest_of(message: bytes) -> str:
    """The content address of a page's ``message`` bytes."""
    return hashlib.blake2b(message, digest_size=32).hexdigest()


def wire_bytes(context: bytes, message: bytes) -> bytes:
    """The exact body of an on_search: its own context and the shared page, as one JSON object."""
    return b"".join((_PREFIX, context, _MIDDLE, message, _SUFFIX))


def wire_size(context_size: int, message_size: int) -> int:
    """len(wire_bytes(context, message)) without building it."""
    return len(_PREFIX) + context_size + len(_MIDDLE) + message_size + len(_SUFFIX)


class PageBytes:
    """This process's recently used pages by digest, bounded by their total size (oldest dropped first)."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._pages: OrderedDict[str, bytes] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def get(self, digest: str) -> bytes | None:
        with self._lock:
            page = self._pages.get(digest)
            if page is not None:
                self._pages.move_to_end(digest)
            return page

    def put(self, digest: str, page: bytes) -> None:
        if len(page) > self.max_bytes:
            return
        with self._lock:
            if digest in self._pages:
                self._pages.move_to_end(digest)
                return
            self._pages[digest] = page
            self._size += len(page)
            while self._size > self.max_bytes:
                _, dropped = self._pages.popitem(last=False)
                self._size -= len(dropped)


# Pages this process rendered or sent lately: the worker that renders an answer usually delivers it too.
SHARED = PageBytes(64 * 1024 * 1024)


def catalogue_revisions(session: Session, cooperative_ids: Iterable[int]) -> dict[int, int]:
    """Each cooperative's catalogue revision (0 before its items first change)."""
    ids = list(cooperative_ids)
    found = {cooperative_id: revision for cooperative_id, revision in session.execute(
        select(CatalogueRevision.cooperative_id, CatalogueRevision.revision)
        .where(CatalogueRevision.cooperative_id.in_(ids)))}
    return {cooperative_id: int(found.get(cooperative_id, 0)) for cooperative_id in ids}


def wire_of(session: Session, body: bytes, page_digest: str | None) -> bytes:
    """The bytes an outbox row sends: its body, or its context spliced with its shared page."""
    if page_digest is None:
        return body
    return wire_bytes(body, load(session, page_digest, SHARED))


def ensure(session: Session, pages: Iterable[tuple[str, bytes]], now: dt.datetime) -> int:
    """Store the pages not stored yet (by digest); how many were new. Call it in the transaction that refers
    to them, so the sweeper cannot remove one in between (it only removes pages no outbox row refers to)."""
    wanted = dict(pages)
    if not wanted:
        return 0
    present = set(session.scalars(select(RenderedPage.digest).where(RenderedPage.digest.in_(wanted))))
    missing = [{"digest": digest, "body": body, "size": len(body), "created_at": now}
               for digest, body in wanted.items() if digest not in present]
    if missing:
        session.execute(insert(_PAGES), missing)
    return len(missing)


def load(session: Session, digest: str, cache: PageBytes | None = None) -> bytes:
    """A stored page's bytes (from ``cache`` when it has them); KeyError when no such page is stored."""
    page = cache.get(digest) if cache is not None else None
    if page is None:
        page = session.scalar(select(RenderedPage.body).where(RenderedPage.digest == digest))
        if page is None:
            raise KeyError(digest)
        if cache is not None:
            cache.put(digest, page)
    return page


def remove_unused(session: Session, stored_before: dt.datetime) -> int:
    """Remove pages stored before ``stored_before`` that no outbox row refers to; how many."""
    referenced = exists().where(OutboxMessage.page_digest == RenderedPage.digest)
    result = session.execute(
        delete(RenderedPage).where(RenderedPage.created_at < stored_before, ~referenced)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)

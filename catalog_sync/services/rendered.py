"""A cooperative's full-catalogue answer, rendered once per catalogue revision and reused by every search.

A gateway sends every search to every seller app, so the same catalogue is asked for again and again; rendering
it each time cost a 10,000-item cooperative several times what serialising it once does. Here the ``message``
part of each on_search page is rendered once and kept, by this process, under a key made of everything that
changes it:

* the cooperative (its id and when its row was made: ids come back after a database is wiped) and its
  **catalogue revision** (`adapter.store.pages.catalogue_revisions`: a trigger moves it
  on every insert, update or delete of one of its items, stock included, so no write path can leave a stale
  answer behind);
* its **profile** (names, locations, hours, closures: a digest of the stored profile);
* the **day in India** (holidays ahead, a closure starting or ending, and the provider's credentials depend on
  the date);
* the **domain**, and what of the **intent** filters items: category, item name, fulfilment type, and which of
  the cooperative's locations serve the buyer's place (not the raw GPS, so nearby buyers share an answer);
* our own identity and page budget.

Each search then only builds its context; the pages' bytes are stored once by content (`adapter.store.pages`)
and the sender splices context and page into the exact bytes it signs. The timestamps inside a cached page are
those of its rendering, which is never after the search's own.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass

import orjson
from sqlalchemy.orm import Session

from adapter.protocol.identity import SellerApp
from adapter.store import pages as page_store
from adapter.store.models import Cooperative
from catalog_sync.on_search import to_on_search
from catalog_sync.on_search_items import IST
from catalog_sync.search_intent import SearchIntent, served_locations
from catalog_sync.services import catalogue as catalogues

__all__ = ["CACHE", "CONTEXT_ROOM", "Answer", "AnswerCache", "full_answer"]

# Room left in each page for the context spliced in per search: a 2,000-character bap_uri (the longest we accept)
# of characters that JSON escapes to 6 bytes each, and ids of 128 such characters, still fit.
CONTEXT_ROOM = 16 * 1024
AnswerKey = tuple[object, ...]


@dataclass(frozen=True)
class Answer:
    """One cooperative's rendered answer: each page's (digest, message bytes), in order; () when nothing matches."""

    pages: tuple[tuple[str, bytes], ...]

    @property
    def size(self) -> int:
        return sum(len(page) for _, page in self.pages)


class AnswerCache:
    """This process's rendered answers, bounded by their total size (least recently used dropped first)."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._answers: OrderedDict[AnswerKey, Answer] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key: AnswerKey) -> Answer | None:
        with self._lock:
            found = self._answers.get(key)
            if found is None:
                self.misses += 1
                return None
            self.hits += 1
            self._answers.move_to_end(key)
            return found

    def put(self, key: AnswerKey, answer: Answer) -> None:
        if answer.size > self.max_bytes:
            return
        with self._lock:
            old = self._answers.pop(key, None)
            if old is not None:
                self._size -= old.size
            self._answers[key] = answer
            self._size += answer.size
            while self._size > self.max_bytes:
                _, dropped = self._answers.popitem(last=False)
                self._size -= dropped.size

    def clear(self) -> None:
        with self._lock:
            self._answers.clear()
            self._size = 0


CACHE = AnswerCache(64 * 1024 * 1024)


def answer_key(cooperative: Cooperative, revision: int, app: SellerApp, intent: SearchIntent, domain: str,
               now: dt.datetime) -> AnswerKey:
    """Everything a full-catalogue answer depends on (see the module's doc)."""
    profile = catalogues.profile_of(cooperative)
    profile_digest = hashlib.blake2b(orjson.dumps(cooperative.profile, option=orjson.OPT_SORT_KEYS),
                                     digest_size=16).hexdigest()
    served = served_locations(intent, profile)
    return (cooperative.id, cooperative.created_at.isoformat(), revision, profile_digest,
            now.astimezone(IST).date().isoformat(), domain,
            intent.category_id, intent.item_name.casefold() if intent.item_name else None, intent.fulfillment_type,
            tuple(sorted(served)), app.bpp_id, app.bpp_uri, app.name, app.size_budget,
            app.gstin)


def full_answer(session: Session, cooperative: Cooperative, revision: int, app: SellerApp, intent: SearchIntent,
                domain: str, now: dt.datetime, cache: AnswerCache = CACHE) -> Answer:
    """The cooperative's answer to this search, from ``cache`` or rendered (and then kept there)."""
    key = answer_key(cooperative, revision, app, intent, domain, now)
    found = cache.get(key)
    if found is not None:
        return found
    catalogue = catalogues.current_catalogue(session, cooperative)
    budget = max(app.size_budget - CONTEXT_ROOM, app.size_budget // 2)
    rendered = to_on_search(catalogue, bpp=catalogues.bpp_info(app, catalogue.profile), context={"domain": domain},
                            now=now, intent=intent, size_budget=budget)
    messages = [orjson.dumps(page["message"]) for page in rendered]
    answer = Answer(pages=tuple((page_store.digest_of(message), message) for message in messages))
    for digest, message in answer.pages:
        page_store.SHARED.put(digest, message)
    cache.put(key, answer)
    return answer

"""Asking couriers for quotes and keeping their answers: the LOG searches we send and the on_search we receive.

Every function takes a Session and never commits: the worker's transaction decides. The waiting itself is the
caller's (adapter.orders.shipping, docs/logistics.md "The wait"): a select asks, and is run again when the last
courier has answered or the wait is over; this module only records and reads.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from adapter.delivery.outbox import enqueue
from adapter.delivery.urls import join_action_url
from adapter.logistics.quotes import CourierQuote, choose, read_quotes
from adapter.logistics.search import LogSearch, search_body
from adapter.protocol.identity import SellerApp
from adapter.protocol.request import NetworkRequest
from adapter.store.models import LogisticsQuote, LogisticsSearch, OutboxMessage
from config import Settings

__all__ = ["CourierNetwork", "ask", "close", "quotes_of", "record_answer", "search_for"]


@dataclass(frozen=True)
class CourierNetwork:
    """Where LOG searches go (a logistics gateway, and/or couriers' subscriber URLs) and how long a select waits."""

    gateway_url: str | None = None
    courier_urls: tuple[str, ...] = ()
    wait_seconds: float = 3.0

    @classmethod
    def from_settings(cls, settings: Settings) -> CourierNetwork:
        """The network these settings name (LOGISTICS_GATEWAY_URL, LOGISTICS_COURIER_URLS, LOGISTICS_QUOTE_WAIT)."""
        return cls(gateway_url=settings.logistics_gateway_url, courier_urls=settings.logistics_courier_urls,
                   wait_seconds=settings.logistics_quote_wait)

    @property
    def targets(self) -> tuple[str, ...]:
        """Every subscriber URL a search is POSTed to (``<url>/search``)."""
        return (*((self.gateway_url,) if self.gateway_url else ()), *self.courier_urls)

    @property
    def expected(self) -> int:
        """How many answers make a search complete: the couriers asked, or 0 (unknown) through a gateway."""
        return 0 if self.gateway_url else len(self.courier_urls)


def ask(session: Session, app: SellerApp, network: CourierNetwork, search: LogSearch, *, cooperative_id: int,
        inbound_id: int, retail_transaction_id: str, now: dt.datetime) -> tuple[LogisticsSearch, list[OutboxMessage]]:
    """Record a LOG search for the retail select ``inbound_id`` and queue it, signed, to every target."""
    if not network.targets:
        raise ValueError("no LOG targets: set LOGISTICS_GATEWAY_URL or LOGISTICS_COURIER_URLS")
    transaction_id, message_id = str(uuid.uuid4()), str(uuid.uuid4())
    deadline = now + dt.timedelta(seconds=network.wait_seconds)
    body = orjson.dumps(search_body(search, bap_id=app.bpp_id, bap_uri=app.bpp_uri, transaction_id=transaction_id,
                                    message_id=message_id, now=now))
    parcel = search.parcel
    row = LogisticsSearch(cooperative_id=cooperative_id, inbound_id=inbound_id,
                          retail_transaction_id=retail_transaction_id, domain=search.domain,
                          transaction_id=transaction_id, message_id=message_id, expected=network.expected,
                          status="waiting", created_at=now, deadline_at=deadline,
                          parcel={"weight_g": parcel.weight_g, "length_cm": str(parcel.length_cm),
                                  "breadth_cm": str(parcel.breadth_cm), "height_cm": str(parcel.height_cm),
                                  "category": search.category})
    session.add(row)
    session.flush()
    # Solicited: useless once the wait is over, so not retried past it, and never held behind other messages.
    sent = [enqueue(session, action="search", target_url=join_action_url(url, "search"), body=body,
                    transaction_id=transaction_id, message_id=message_id, bap_id=None, cooperative_id=cooperative_id,
                    solicited=True, inbound_id=inbound_id, deadline_at=deadline, now=now)
            for url in network.targets]
    return row, sent


def search_for(session: Session, inbound_id: int) -> LogisticsSearch | None:
    """The LOG search sent for the retail select ``inbound_id`` (its latest), if any."""
    return session.scalar(select(LogisticsSearch).where(LogisticsSearch.inbound_id == inbound_id)
                          .order_by(LogisticsSearch.id.desc()).limit(1))


def quotes_of(session: Session, search: LogisticsSearch) -> list[CourierQuote]:
    """Every quote received for a search, oldest first (an answer without one, ``{}``, is left out)."""
    rows = session.scalars(select(LogisticsQuote).where(LogisticsQuote.search_id == search.id)
                           .order_by(LogisticsQuote.id))
    return [CourierQuote.from_dict(row.quote) for row in rows if row.quote]


def record_answer(session: Session, request: NetworkRequest, now: dt.datetime) -> LogisticsSearch | None:
    """Keep the quotes of a courier's on_search; the search it answers when that search is still waiting and
    now has an answer from every courier asked (the select can be answered at once), else None.

    An answer to a search already closed is kept for the record only; an error answer or an empty catalogue
    counts as an answer without a quote. An answer to no search of ours raises LookupError (the message is then
    recorded as failed, for the operator).
    """
    ctx = request.context
    search = session.scalar(select(LogisticsSearch).where(LogisticsSearch.transaction_id == ctx.transaction_id,
                                                          LogisticsSearch.message_id == ctx.message_id))
    if search is None:
        raise LookupError(f"no LOG search of ours has transaction_id {ctx.transaction_id!r} and message_id "
                          f"{ctx.message_id!r}")
    quotes = read_quotes(request.message, bpp_id=ctx.bpp_id, bpp_uri=ctx.bpp_uri)
    for quote in quotes:
        session.add(LogisticsQuote(search_id=search.id, inbound_id=request.inbound_id, bpp_id=ctx.bpp_id,
                                   quote=quote.to_dict(), received_at=now))
    if not quotes:  # an answer all the same: the courier does not serve this parcel
        session.add(LogisticsQuote(search_id=search.id, inbound_id=request.inbound_id, bpp_id=ctx.bpp_id,
                                   quote={}, received_at=now))
    session.flush()
    if search.status != "waiting" or not search.expected:
        return None
    answered = session.scalar(select(func.count(func.distinct(LogisticsQuote.bpp_id)))
                              .where(LogisticsQuote.search_id == search.id)) or 0
    return search if answered >= search.expected else None


def close(session: Session, search: LogisticsSearch, *, policy: str, preferred: tuple[str, ...],
          now: dt.datetime) -> CourierQuote | None:
    """End the wait: the quote the policy picks among those received (None: no courier quoted in time)."""
    if search.status == "closed":
        return CourierQuote.from_dict(search.choice) if search.choice else None
    chosen = choose(quotes_of(session, search), policy=policy, preferred=preferred)
    search.status, search.closed_at = "closed", now
    search.choice = chosen.to_dict() if chosen is not None else None
    return chosen


def describe(search: LogisticsSearch) -> dict[str, Any]:
    """What the draft records of a search: its ids, for booking the chosen courier later."""
    return {"search_id": search.id, "domain": search.domain, "transaction_id": search.transaction_id,
            "message_id": search.message_id}

"""Polled marketplaces: read a marketplace's order feed and turn its orders into our orders (docs/connectors.md).

A connector fetches pages of orders after a cursor; `import_pulled_orders` stores one page in the caller's
transaction (stock reserved, quote built, the cursor moved on); `poll` runs the whole cycle for one connector
and acknowledges what we hold only after the commit.

Errors::

    Exception
     └── FeedError               the feed could not be read; the cursor stays where it was
          ├── FeedUnreachableError  timeout, connection error, 429 or 5xx: the next poll may work
          └── FeedRejectedError     4xx, not JSON, wrong shape, too large or an unsafe URL
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import orjson
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from adapter.alerts import store as alerts
from adapter.delivery.http import HttpClient, HttpResult, TransportError
from adapter.delivery.urls import UnsafeUrlError, join_action_url, validate_callback_url
from adapter.orders import delivery_terms
from adapter.orders import store as order_store
from adapter.orders.money import CURRENCY, money, money_text
from adapter.orders.quote import QuoteLine, build_quote
from adapter.orders.snapshots import FULFILMENT_ID
from adapter.protocol.context import format_timestamp, parse_timestamp
from adapter.store.db import transaction
from adapter.store.models import ConnectorCursor, Cooperative, Order
from catalog_sync.services.catalogue import primary_city, profile_of

__all__ = ["FeedError", "FeedRejectedError", "FeedUnreachableError", "FetchedOrders", "ImportResult",
           "JsonFeedConnector", "MarketplaceConnector", "PollResult", "PulledOrder", "bap_id_of",
           "import_pulled_orders", "parse_order", "poll", "source_of", "status_update"]

log = logging.getLogger("adapter.orders.connectors")

MAX_ORDER_ID = 64  # orders.order_id
ADDRESS_FIELDS = ("name", "building", "locality", "city", "state", "country", "area_code")
REQUIRED_ADDRESS = frozenset({"city", "state", "area_code"})


class FeedError(Exception):
    """The marketplace feed could not be read."""


class FeedUnreachableError(FeedError):
    """No usable answer right now (network, timeout, 429, 5xx)."""


class FeedRejectedError(FeedError):
    """The feed answered with something we cannot use; fix the feed or its URL."""


@dataclass(frozen=True)
class PulledLine:
    """One line of a pulled order: our catalogue item id and how many."""

    item_id: str
    quantity: int


@dataclass(frozen=True)
class PulledOrder:
    """An order as the marketplace sent it, checked for shape (not yet against our catalogue)."""

    id: str
    created_at: dt.datetime
    name: str
    phone: str
    email: str
    address: dict[str, str]
    gps: str | None
    lines: tuple[PulledLine, ...]
    total: Decimal


@dataclass(frozen=True)
class FetchedOrders:
    """One page of the feed. `invalid` holds (id, reason) for entries that are not orders we can read."""

    orders: list[PulledOrder]
    next_cursor: str | None
    invalid: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class ImportResult:
    """What one page did, by feed order id."""

    created: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    rejected: list[tuple[str, str]] = field(default_factory=list)

    @property
    def held(self) -> list[str]:
        """Every order we now hold (new or from an earlier poll): what we acknowledge."""
        return [*self.created, *self.duplicates]


class MarketplaceConnector(Protocol):
    """A marketplace we poll for orders."""

    @property
    def name(self) -> str: ...

    def fetch(self, cursor: str | None) -> FetchedOrders:
        """The orders after `cursor` (from the start when None); raises FeedError."""
        ...

    def acknowledge(self, order_ids: list[str]) -> None:
        """Tell the marketplace we hold these orders; raises FeedError."""
        ...

    def status_update_url(self, order: Order) -> str:
        """Where status pushes for this order go."""
        ...


def source_of(name: str) -> str:
    """The `orders.source` of a connector's orders: what the console shows as where an order came from."""
    return f"pull:{name}"


def bap_id_of(cooperative_id: int, name: str) -> str:
    """The `orders.bap_id` of a connector's orders: scoped to the cooperative, since names are per cooperative."""
    return f"pull:{cooperative_id}:{name}"


# -- the JSON feed ---------------------------------------------------------------------------------------------


def _text(value: Any, what: str, *, required: bool = True, limit: int = 255) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str | int) or isinstance(value, bool) or not str(value).strip():
        raise ValueError(f"{what} is missing")
    text = str(value).strip()
    if len(text) > limit:
        raise ValueError(f"{what} is longer than {limit} characters")
    return text


def parse_order(entry: Any) -> PulledOrder:
    """Check one feed entry's shape; ValueError names the first problem."""
    if not isinstance(entry, dict):
        raise ValueError("an order must be a JSON object")
    order_id = _text(entry.get("id"), "id", limit=MAX_ORDER_ID)
    try:
        created_at = parse_timestamp(str(entry.get("created_at")))
    except ValueError:
        raise ValueError("created_at must be an RFC 3339 timestamp with a zone") from None
    buyer = entry.get("buyer")
    if not isinstance(buyer, dict) or not isinstance(buyer.get("address"), dict):
        raise ValueError("buyer and buyer.address must be objects")
    address = {key: _text(buyer["address"].get(key), f"buyer.address.{key}", required=key in REQUIRED_ADDRESS)
               for key in ADDRESS_FIELDS}
    address["country"] = address["country"] or "IND"
    items = entry.get("items")
    if not isinstance(items, list) or not items:
        raise ValueError("items must be a non-empty list")
    quantities: dict[str, int] = {}
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise ValueError(f"items[{index}] must be an object")
        item_id = _text(item.get("id"), f"items[{index}].id", limit=128)
        quantity = item.get("quantity")
        if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 1:
            raise ValueError(f"items[{index}].quantity must be a whole number of at least 1")
        quantities[item_id] = quantities.get(item_id, 0) + quantity  # one line per item, as the quote needs
    try:
        total = Decimal(str(entry.get("total")))
    except InvalidOperation:
        raise ValueError("total must be a decimal amount like \"1234.00\"") from None
    if not total.is_finite() or total < 0:
        raise ValueError("total must be a decimal amount like \"1234.00\"")
    return PulledOrder(
        id=order_id, created_at=created_at, name=_text(buyer.get("name"), "buyer.name"),
        phone=_text(buyer.get("phone"), "buyer.phone", limit=32),
        email=_text(buyer.get("email"), "buyer.email", required=False),
        address=address, gps=_text(buyer.get("gps"), "buyer.gps", required=False, limit=64) or None,
        lines=tuple(PulledLine(item_id, count) for item_id, count in quantities.items()), total=total,
    )


def _page(body: bytes) -> FetchedOrders:
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError as error:
        raise FeedRejectedError(f"the feed did not answer JSON: {error}") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("orders"), list):
        raise FeedRejectedError('the feed must answer an object with an "orders" list')
    next_cursor = payload.get("next_cursor")
    if next_cursor is not None and (not isinstance(next_cursor, str) or not 0 < len(next_cursor) <= 255):
        raise FeedRejectedError("next_cursor must be a string of 1-255 characters, or null")
    orders: list[PulledOrder] = []
    invalid: list[tuple[str, str]] = []
    for entry in payload["orders"]:
        try:
            orders.append(parse_order(entry))
        except ValueError as error:
            raw_id = entry.get("id") if isinstance(entry, dict) else None
            invalid.append((str(raw_id)[:MAX_ORDER_ID] if raw_id is not None else "", str(error)))
    return FetchedOrders(orders, next_cursor, invalid)


class JsonFeedConnector:
    """The documented JSON order feed: GET {url}?since=CURSOR, POST {url}/ack, status to {url}/status."""

    def __init__(self, name: str, url: str, http: HttpClient, allow_private: bool, *,
                 require_https: bool = False) -> None:
        self.name = name
        self.url = url
        self._http = http
        self._allow_private = allow_private
        self._require_https = require_https

    def _checked(self, url: str) -> str:
        try:
            return validate_callback_url(url, allow_private=self._allow_private, require_https=self._require_https)
        except UnsafeUrlError as error:
            raise FeedRejectedError(f"the feed URL is not allowed: {error}") from error

    def _call(self, method: str, url: str, body: bytes = b"") -> HttpResult:
        self._checked(url)
        try:
            if method == "GET":
                result = self._http.get(url, {"Accept": "application/json"})
            else:
                result = self._http.post(url, body, {"Accept": "application/json"})
        except TransportError as error:
            raise FeedUnreachableError(f"{method} {_path(url)}: {error}") from error
        if result.status_code == 429 or result.status_code >= 500:
            raise FeedUnreachableError(f"{method} {_path(url)} answered HTTP {result.status_code}")
        if not 200 <= result.status_code < 300:
            raise FeedRejectedError(f"{method} {_path(url)} answered HTTP {result.status_code}")
        return result

    def feed_url(self, cursor: str | None) -> str:
        """The page URL: the feed URL with `since` added (kept query parameters stay)."""
        if cursor is None:
            return self.url
        parts = urlsplit(self.url)
        query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "since"]
        return urlunsplit(parts._replace(query=urlencode([*query, ("since", cursor)])))

    def fetch(self, cursor: str | None) -> FetchedOrders:
        """GET one page of orders after `cursor`."""
        result = self._call("GET", self.feed_url(cursor))
        if len(result.body) >= self._http.max_response_bytes:
            raise FeedRejectedError(f"the feed page is larger than {self._http.max_response_bytes - 1} bytes")
        return _page(result.body)

    def acknowledge(self, order_ids: list[str]) -> None:
        """POST {url}/ack with the ids we hold."""
        if order_ids:
            self._call("POST", join_action_url(self.url, "ack"), orjson.dumps({"order_ids": order_ids}))

    def status_update_url(self, order: Order) -> str:
        """{url}/status (the same for every order of this feed)."""
        del order
        return join_action_url(self.url, "status")


def _path(url: str) -> str:
    # Feed URLs may carry a token in the query: keep it out of errors and logs.
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def status_update(order: Order) -> dict[str, Any]:
    """The JSON body of a status push for a pulled order (docs/connectors.md)."""
    return {"order_id": order.order_id, "state": order.state, "fulfilment_state": order.fulfilment_state,
            "updated_at": format_timestamp(order.updated_at),
            "cancellation": ({"reason_id": order.cancellation.get("reason_id"),
                              "cancelled_at": order.cancellation.get("cancelled_at")}
                             if order.cancellation else None)}


# -- importing ---------------------------------------------------------------------------------------------------


class _Rejected(Exception):
    """An order we will not take; the message is the reason."""


def _create(session: Session, cooperative: Cooperative, row: ConnectorCursor, pulled: PulledOrder,
            terms: delivery_terms.DeliveryTerms, now: dt.datetime) -> Order:
    profile = profile_of(cooperative)
    items = order_store.items_by_id(session, cooperative.id, [line.item_id for line in pulled.lines])
    for line in pulled.lines:
        item = items.get(line.item_id)
        if item is None:
            raise _Rejected(f"unknown item {line.item_id!r}")
        if not item.enabled:
            raise _Rejected(f"item {line.item_id!r} is not on sale")
        if line.quantity > item.stock:
            raise _Rejected(f"item {line.item_id!r}: {line.quantity} ordered, {max(item.stock, 0)} in stock")
    if not delivery_terms.is_serviceable(profile, pulled.address["area_code"], pulled.gps):
        raise _Rejected(f"the cooperative does not deliver to {pulled.address['area_code']}")
    quote = build_quote([QuoteLine(items[line.item_id], line.quantity) for line in pulled.lines], terms=terms,
                        fulfillment_id=FULFILMENT_ID, serviceable=True, profile=profile)
    if money(pulled.total) != quote.total:
        raise _Rejected(f"total {pulled.total} does not match our price {money_text(quote.total)}")
    if not order_store.change_stock(session, cooperative.id, {line.item_id: -line.quantity for line in pulled.lines},
                                    kind="order", ref=f"{row.name}:{pulled.id}"):
        raise _Rejected("an item sold out while importing")
    kind = profile.serviceability.kind
    o2d = delivery_terms.tat(delivery_terms.longest(items[line.item_id].time_to_ship for line in pulled.lines),
                             terms.transit_for(kind))
    stamp = format_timestamp(pulled.created_at)
    billing = {"name": pulled.name, "phone": pulled.phone, "email": pulled.email, "address": pulled.address,
               "created_at": stamp, "updated_at": stamp}
    location: dict[str, Any] = {"address": pulled.address}
    if pulled.gps:
        location["gps"] = pulled.gps
    end = {"location": location, "contact": {"phone": pulled.phone, "email": pulled.email},
           "person": {"name": pulled.name}}
    source = source_of(row.name)
    bap_id = bap_id_of(cooperative.id, row.name)
    order = Order(
        cooperative_id=cooperative.id, order_id=pulled.id, bap_id=bap_id, bap_uri=row.url,
        # Deterministic, so a re-import could never make a second transaction for the same order.
        transaction_id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"{bap_id}/{pulled.id}")),
        domain=items[pulled.lines[0].item_id].domain, city=primary_city(profile), state="Accepted",
        fulfilment_state="Pending", routing=delivery_terms.routing(kind),
        lines=[{"item_id": line.item_id, "quantity": line.quantity, "location_id": items[line.item_id].location_id,
                "parent_item_id": items[line.item_id].parent_item_id} for line in pulled.lines],
        quote=quote.to_ondc(), billing=billing,
        fulfillments=[{"id": FULFILMENT_ID, "type": "Delivery", "tat": o2d, "category": terms.category_for(o2d),
                       "end": end, "times": {}}],
        payment={"type": "ON-ORDER", "collected_by": "BAP", "status": "PAID",
                 "params": {"amount": money_text(money(pulled.total)), "currency": CURRENCY}},
        source=source, created_at=now, updated_at=now,
    )
    session.add(order)
    session.flush()
    order_store.add_event(session, order, actor=source, kind="pulled", to_state="Accepted",
                          reason=f"pulled from {row.name} (created there {stamp})")
    # Delivered by the alert sweeper: a poll is already a scheduled task, and a minute's delay is fine here.
    alerts.record(session, cooperative.id, "new_order", event_key=f"new_order:{order.id}", order_id=order.order_id,
                  order_pk=order.id, now=now)
    return order


def import_pulled_orders(session: Session, cursor_row: ConnectorCursor, fetched: FetchedOrders, *,
                         now: dt.datetime, terms: delivery_terms.DeliveryTerms | None = None) -> ImportResult:
    """Store one page in the caller's transaction: each order whole or not at all, then move the cursor on."""
    terms = terms or delivery_terms.DeliveryTerms()
    cooperative = session.get_one(Cooperative, cursor_row.cooperative_id)
    bap_id = bap_id_of(cooperative.id, cursor_row.name)
    result = ImportResult(rejected=list(fetched.invalid))
    for pulled in fetched.orders:
        if order_store.find_order(session, bap_id, pulled.id) is not None:
            result.duplicates.append(pulled.id)
            continue
        try:
            # Every check runs before the one write that can fail (change_stock, all or nothing): a rejected
            # order leaves nothing behind, without a savepoint (pysqlite's are unreliable).
            _create(session, cooperative, cursor_row, pulled, terms, now)
        except _Rejected as reason:
            result.rejected.append((pulled.id, str(reason)))
        else:
            result.created.append(pulled.id)
    if fetched.next_cursor is not None:
        cursor_row.cursor = fetched.next_cursor
    return result


# -- one poll ------------------------------------------------------------------------------------------------


@dataclass
class PollResult:
    """What one poll of one connector did."""

    pages: int = 0
    created: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    rejected: list[tuple[str, str]] = field(default_factory=list)
    error: str | None = None

    @property
    def summary(self) -> str | None:
        """What `last_error` shows: the feed or ack failure, else the rejected orders, else nothing."""
        parts = [self.error] if self.error else []
        if self.rejected:
            listed = "; ".join(f"{order_id or '?'}: {reason}" for order_id, reason in self.rejected[:10])
            parts.append(f"{len(self.rejected)} order(s) rejected: {listed}")
        return " | ".join(parts)[:2000] if parts else None


def _lock(session: Session, row_id: int, now: dt.datetime) -> ConnectorCursor | None:
    # Write first: it row-locks on PostgreSQL and takes SQLite's write lock, so two polls of one feed queue up.
    session.execute(update(ConnectorCursor).where(ConnectorCursor.id == row_id).values(last_polled_at=now)
                    .execution_options(synchronize_session=False))
    return session.get(ConnectorCursor, row_id, populate_existing=True)


def poll(sessions: sessionmaker[Session], row_id: int, connector: MarketplaceConnector, *,
         now: Callable[[], dt.datetime], max_pages: int = 20,
         terms: delivery_terms.DeliveryTerms | None = None) -> PollResult:
    """Read the feed page by page from the stored cursor; each page commits with its cursor, then is acked."""
    outcome = PollResult()
    for _ in range(max_pages):
        with sessions() as session:
            row = session.get(ConnectorCursor, row_id)
            if row is None:
                return outcome
            since = row.cursor
        try:
            fetched = connector.fetch(since)
        except FeedError as error:
            outcome.error = f"fetch failed: {error}"
            break
        with transaction(sessions) as session:
            row = _lock(session, row_id, now())
            if row is None or row.cursor != since:
                break  # another poll took this page meanwhile
            page = import_pulled_orders(session, row, fetched, now=now(), terms=terms)
        outcome.pages += 1
        outcome.created += page.created
        outcome.duplicates += page.duplicates
        outcome.rejected += page.rejected
        try:
            connector.acknowledge(page.held)
        except FeedError as error:
            # The orders are ours already; the feed may offer them again and gets the ack then.
            outcome.error = f"acknowledge failed: {error}"
        if fetched.next_cursor in (None, since) or not (fetched.orders or fetched.invalid):
            break
    with transaction(sessions) as session:
        row = session.get(ConnectorCursor, row_id)
        if row is not None:
            row.last_polled_at, row.last_error = now(), outcome.summary
    if outcome.rejected:
        log.warning("pulled orders rejected", extra={"connector": connector.name, "rejected": outcome.rejected[:20]})
    return outcome

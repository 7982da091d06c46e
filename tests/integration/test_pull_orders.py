"""Polled marketplaces: a real JSON order feed on 127.0.0.1, the real database, the connectors API."""

from __future__ import annotations

import dataclasses
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson
import pytest
from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session, sessionmaker

from adapter.delivery.http import HttpClient
from adapter.orders import store as order_store
from adapter.orders.connectors import (
    FeedRejectedError,
    JsonFeedConnector,
    bap_id_of,
    import_pulled_orders,
    poll,
    status_update,
)
from adapter.orders.policy import order_policy
from adapter.orders.seller import seller_action
from adapter.store import catalogue as store
from adapter.store import migrate
from adapter.store.cooperatives import issue_api_key
from adapter.store.db import transaction
from adapter.store.models import ConnectorCursor, Cooperative, Order, OrderEvent, utcnow
from config import Settings, load_settings
from tests.conftest import ADMIN_KEY, redis_url
from tests.support.sellers import ALWAYS_OPEN, make_seller

ADDRESS = {"name": "12", "building": "Lakkar Bazaar", "locality": "The Ridge", "city": "Shimla",
           "state": "Himachal Pradesh", "country": "IND", "area_code": "171001"}
BUYER = {"name": "Asha Devi", "phone": "9000000001", "email": "asha@buyer.example", "address": ADDRESS}


def feed_order(order_id: str, items: list[tuple[str, int]], total: str) -> dict[str, Any]:
    return {"id": order_id, "created_at": "2030-01-01T10:00:00Z", "buyer": BUYER,
            "items": [{"id": item_id, "quantity": quantity} for item_id, quantity in items], "total": total}


# T16-1 costs 1200 (stock 4), T16-2 3200.50 (stock 120), T16-3 2800 (stock 0): tests/catalog_sync/fixtures.
PAGE_1 = [feed_order("A1", [("T16-1", 2)], "2400.00"), feed_order("A2", [("T16-2", 1)], "3200.50")]
PAGE_2 = [feed_order("B1", [("T16-1", 1), ("T16-2", 2)], "7601.00")]


# A Redis database of our own for the queue assertions: other suites' workers consume the shared one.
QUEUE_DB = 13


def isolated(settings: Settings) -> Settings:
    parts = urlsplit(redis_url())
    return dataclasses.replace(settings, broker_url=parts._replace(path=f"/{QUEUE_DB}").geturl())


def queued_tasks(settings: Settings) -> list[dict[str, Any]]:
    client = Redis.from_url(settings.broker_url)
    try:
        return [orjson.loads(message)["headers"] for message in client.lrange("celery", 0, -1)]
    finally:
        client.close()


def clear_queue(settings: Settings) -> None:
    client = Redis.from_url(settings.broker_url)
    try:
        client.delete("celery")
    finally:
        client.close()


@dataclass
class Feed:
    """A marketplace: pages by cursor, the acks it received and the queries it saw."""

    port: int = 0
    pages: dict[str | None, tuple[list[dict[str, Any]], str | None]] = field(default_factory=dict)
    status: int = 200
    raw: bytes | None = None
    acks: list[list[str]] = field(default_factory=list)
    queries: list[str | None] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/feed/orders"

    def acked(self) -> list[str]:
        with self.lock:
            return [order_id for ack in self.acks for order_id in ack]


@pytest.fixture
def feed() -> Iterator[Feed]:
    state = Feed(pages={None: (PAGE_1, "c1"), "c1": (PAGE_2, "c2"), "c2": ([], "c2")})

    class Handler(BaseHTTPRequestHandler):
        def _answer(self, status: int, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            since = parse_qs(parts.query).get("since", [None])[0]
            with state.lock:
                state.queries.append(since)
            if parts.path != "/feed/orders" or state.status != 200:
                self._answer(state.status if state.status != 200 else 404, b'{"error":"boom"}')
                return
            if state.raw is not None:
                self._answer(200, state.raw)
                return
            orders, next_cursor = state.pages.get(since, ([], since))
            self._answer(200, json.dumps({"orders": orders, "next_cursor": next_cursor}).encode())

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
            if self.path != "/feed/orders/ack":
                self._answer(404, b"{}")
                return
            with state.lock:
                state.acks.append(body["order_ids"])
            self._answer(200, b"{}")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def http() -> Iterator[HttpClient]:
    with HttpClient(connect_timeout=2.0, read_timeout=5.0, max_response_bytes=1_000_000) as client:
        yield client


@pytest.fixture
def seller(sessions: sessionmaker[Session]) -> int:
    return make_seller(sessions, profile=ALWAYS_OPEN)


def add_connector(sessions: sessionmaker[Session], cooperative_id: int, url: str, name: str = "craftmart",
                  cursor: str | None = None) -> int:
    with transaction(sessions) as session:
        row = ConnectorCursor(name=name, cooperative_id=cooperative_id, url=url, cursor=cursor)
        session.add(row)
        session.flush()
        return row.id


def stock(sessions: sessionmaker[Session], cooperative_id: int) -> dict[str, int]:
    with sessions() as session:
        return {item_id: store.get_item(session, cooperative_id, item_id).stock
                for item_id in ("T16-1", "T16-2", "T16-3")}


def order_count(sessions: sessionmaker[Session]) -> tuple[int, int]:
    with sessions() as session:
        return (session.scalar(select(func.count(Order.id))) or 0,
                session.scalar(select(func.count(OrderEvent.id))) or 0)


def cursor_row(sessions: sessionmaker[Session], row_id: int) -> ConnectorCursor:
    with sessions() as session:
        return session.get_one(ConnectorCursor, row_id)


def test_import_creates_orders_with_stock_reserved_and_events(sessions: sessionmaker[Session], seller: int,
                                                              feed: Feed, http: HttpClient) -> None:
    row_id = add_connector(sessions, seller, feed.url)
    connector = JsonFeedConnector("craftmart", feed.url, http, allow_private=True)
    with transaction(sessions) as session:
        row = session.get_one(ConnectorCursor, row_id)
        result = import_pulled_orders(session, row, connector.fetch(row.cursor), now=utcnow())
    assert (result.created, result.duplicates, result.rejected) == (["A1", "A2"], [], [])
    assert stock(sessions, seller) == {"T16-1": 2, "T16-2": 119, "T16-3": 0}
    assert cursor_row(sessions, row_id).cursor == "c1"

    with sessions() as session:
        order = order_store.find_order(session, bap_id_of(seller, "craftmart"), "A1")
        assert order is not None
        assert (order.source, order.state, order.fulfilment_state, order.routing) == (
            "pull:craftmart", "Accepted", "Pending", "P2H2P")
        assert order.cooperative_id == seller
        assert order.quote["price"]["value"] == "2400.00"
        assert order.lines == [{"item_id": "T16-1", "quantity": 2, "location_id": "main", "parent_item_id": "T16-G"}]
        assert order.billing["address"] == ADDRESS
        assert order.billing["phone"] == "9000000001"
        fulfilment = order.fulfillments[0]
        assert set(fulfilment) == {"id", "type", "tat", "category", "end", "times"}
        assert (fulfilment["id"], fulfilment["type"], fulfilment["times"]) == ("F1", "Delivery", {})
        assert fulfilment["tat"] == "P6D"  # 3 days to ship + 3 days intercity transit
        assert fulfilment["end"]["location"]["address"] == ADDRESS
        assert fulfilment["end"]["person"] == {"name": "Asha Devi"}
        events = order_store.events(session, order)
        assert [(e.kind, e.to_state, e.actor) for e in events] == [("pulled", "Accepted", "pull:craftmart")]
        assert status_update(order)["state"] == "Accepted"
        assert connector.status_update_url(order) == feed.url + "/status"

    # The cooperative handles it like any order; the marketplace hears through its status URL, not ONDC.
    with transaction(sessions) as session:
        order = order_store.find_order(session, bap_id_of(seller, "craftmart"), "A1")
        assert order is not None
        result = seller_action(session, order, "pack", order_policy(load_settings({})), actor="test", now=utcnow())
        (push,) = result.outbox
        assert (push.action, push.target_url) == ("status_update", feed.url + "/status")
        assert orjson.loads(push.body)["fulfilment_state"] == "Packed"


def test_polling_again_creates_no_duplicates_and_the_cursor_persists(sessions: sessionmaker[Session], seller: int,
                                                                      feed: Feed, http: HttpClient) -> None:
    row_id = add_connector(sessions, seller, feed.url)
    connector = JsonFeedConnector("craftmart", feed.url, http, allow_private=True)
    first = poll(sessions, row_id, connector, now=utcnow)
    assert (first.created, first.rejected, first.error) == (["A1", "A2", "B1"], [], None)
    assert feed.queries == [None, "c1", "c2"]
    assert cursor_row(sessions, row_id).cursor == "c2"
    assert order_count(sessions) == (3, 3)
    after_first = stock(sessions, seller)
    assert after_first == {"T16-1": 1, "T16-2": 117, "T16-3": 0}

    second = poll(sessions, row_id, connector, now=utcnow)
    assert (second.created, second.duplicates) == ([], [])
    assert feed.queries[-1] == "c2"

    # A feed that offers the same orders again (say our ack was lost) gets duplicates, acked again.
    feed.pages["c2"] = (PAGE_1, "c3")
    third = poll(sessions, row_id, connector, now=utcnow)
    assert (third.created, third.duplicates) == ([], ["A1", "A2"])
    assert order_count(sessions) == (3, 3)
    assert stock(sessions, seller) == after_first
    row = cursor_row(sessions, row_id)
    assert (row.cursor, row.last_error) == ("c3", None)
    assert row.last_polled_at is not None


def test_two_polls_at_once_import_each_order_once(sessions: sessionmaker[Session], seller: int, feed: Feed,
                                                   http: HttpClient) -> None:
    row_id = add_connector(sessions, seller, feed.url)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            poll(sessions, row_id, JsonFeedConnector("craftmart", feed.url, http, allow_private=True), now=utcnow)
        except Exception as error:  # noqa: BLE001 -- reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert order_count(sessions) == (3, 3)
    assert stock(sessions, seller) == {"T16-1": 1, "T16-2": 117, "T16-3": 0}
    assert cursor_row(sessions, row_id).cursor == "c2"


def test_the_ack_endpoint_receives_the_created_ids(sessions: sessionmaker[Session], seller: int, feed: Feed,
                                                   http: HttpClient) -> None:
    row_id = add_connector(sessions, seller, feed.url)
    feed.pages["c1"] = ([*PAGE_2, feed_order("X1", [("NOPE", 1)], "10.00")], "c2")
    poll(sessions, row_id, JsonFeedConnector("craftmart", feed.url, http, allow_private=True), now=utcnow)
    assert feed.acks == [["A1", "A2"], ["B1"]]  # one ack per page, rejected X1 not among them


def test_unknown_items_and_short_stock_are_rejected_and_change_nothing(sessions: sessionmaker[Session], seller: int,
                                                                       feed: Feed, http: HttpClient) -> None:
    feed.pages = {None: ([
        feed_order("R1", [("NO-SUCH-ITEM", 1)], "100.00"),
        feed_order("R2", [("T16-1", 5)], "6000.00"),
        # The first line alone would fit: never a part of an order.
        feed_order("R3", [("T16-2", 1), ("T16-3", 1)], "6000.50"),
        feed_order("R4", [("T16-2", 1)], "1.00"),
        {"id": "R5", "created_at": "2030-01-01T10:00:00Z", "items": [{"id": "T16-2", "quantity": 1}],
         "total": "3200.50"},
        {**feed_order("R6", [("T16-2", 1)], "3200.50"), "buyer": {**BUYER, "address": {**ADDRESS,
                                                                                        "area_code": "0001"}}},
    ], "c1")}
    row_id = add_connector(sessions, seller, feed.url)
    before = stock(sessions, seller)
    result = poll(sessions, row_id, JsonFeedConnector("craftmart", feed.url, http, allow_private=True), now=utcnow)
    reasons = dict(result.rejected)
    assert set(reasons) == {"R1", "R2", "R3", "R4", "R5", "R6"}
    assert reasons["R1"] == "unknown item 'NO-SUCH-ITEM'"
    assert reasons["R2"] == "item 'T16-1': 5 ordered, 4 in stock"
    assert reasons["R3"] == "item 'T16-3': 1 ordered, 0 in stock"
    assert reasons["R4"] == "total 1.00 does not match our price 3200.50"
    assert "buyer" in reasons["R5"]
    assert "does not deliver to 0001" in reasons["R6"]
    assert result.created == []
    assert stock(sessions, seller) == before
    assert order_count(sessions) == (0, 0)
    assert feed.acks == []
    row = cursor_row(sessions, row_id)
    assert row.cursor == "c1"  # rejections are final: the next poll does not read them again
    assert row.last_error is not None
    assert row.last_error.startswith("6 order(s) rejected: ")
    assert "R1: unknown item 'NO-SUCH-ITEM'" in row.last_error


def test_a_failing_feed_records_last_error_and_keeps_the_cursor(sessions: sessionmaker[Session], seller: int,
                                                                feed: Feed, http: HttpClient) -> None:
    row_id = add_connector(sessions, seller, feed.url, cursor="c1")
    feed.status = 500
    connector = JsonFeedConnector("craftmart", feed.url, http, allow_private=True)
    result = poll(sessions, row_id, connector, now=utcnow)
    assert result.error is not None
    row = cursor_row(sessions, row_id)
    assert row.cursor == "c1"
    assert row.last_error == f"fetch failed: GET http://127.0.0.1:{feed.port}/feed/orders answered HTTP 500"
    assert row.last_polled_at is not None
    assert order_count(sessions) == (0, 0)

    feed.status, feed.raw = 200, b"<html>not json</html>"
    poll(sessions, row_id, connector, now=utcnow)
    row = cursor_row(sessions, row_id)
    assert row.cursor == "c1"
    assert row.last_error is not None
    assert "did not answer JSON" in row.last_error

    feed.raw = None  # recovered: the page after c1 is imported and the error is cleared
    poll(sessions, row_id, connector, now=utcnow)
    row = cursor_row(sessions, row_id)
    assert (row.cursor, row.last_error) == ("c2", None)
    assert order_count(sessions) == (1, 1)


def test_private_feed_urls_are_refused_unless_allowed(http: HttpClient) -> None:
    connector = JsonFeedConnector("craftmart", "http://127.0.0.1:9/feed?token=secret", http, allow_private=False)
    with pytest.raises(FeedRejectedError, match="not allowed"):
        connector.fetch(None)
    assert connector.feed_url("a b") == "http://127.0.0.1:9/feed?token=secret&since=a+b"


def test_the_task_polls_every_enabled_connector_and_one_failure_stops_none(
        sessions: sessionmaker[Session], seller: int, feed: Feed, settings: Settings) -> None:
    from workers.app import make_celery
    from workers.pull import pull_all

    broken = add_connector(sessions, seller, f"http://127.0.0.1:{feed.port}/missing", name="broken")
    working = add_connector(sessions, seller, feed.url, name="craftmart")
    off = add_connector(sessions, seller, feed.url, name="paused")
    with transaction(sessions) as session:
        session.get_one(ConnectorCursor, off).enabled = False
    own = isolated(settings)
    clear_queue(own)
    celery = make_celery(own)
    try:
        results = pull_all(celery)
    finally:
        celery.engine.dispose()
    assert set(results) == {f"{seller}:broken", f"{seller}:craftmart"}  # names are per cooperative
    assert results[f"{seller}:craftmart"].created == ["A1", "A2", "B1"]
    assert "HTTP 404" in (cursor_row(sessions, broken).last_error or "")
    assert cursor_row(sessions, working).cursor == "c2"
    assert cursor_row(sessions, off).last_polled_at is None
    # Reserved stock is owed to buyer apps: a debounced catalogue sync was queued.
    assert [headers["task"] for headers in queued_tasks(own)] == ["odop.run_sync"]
    clear_queue(own)


# -- the API -----------------------------------------------------------------------------------------------------


def make_app(settings: Settings) -> Flask:
    from adapter.web import create_app

    app = create_app(settings)
    app.config.update(TESTING=True)
    return app


@pytest.fixture
def api(settings: Settings, sessions: sessionmaker[Session]) -> Iterator[FlaskClient]:
    own = isolated(settings)
    clear_queue(own)
    app = make_app(own)
    yield app.test_client()
    app.extensions["odop"].dispose()
    clear_queue(own)


@pytest.fixture
def keys(sessions: sessionmaker[Session], seller: int) -> dict[str, str]:
    other = make_seller(sessions, "other-coop", catalogue=None)
    with transaction(sessions) as session:
        return {"test-coop": issue_api_key(session, session.get_one(Cooperative, seller)).plain,
                "other-coop": issue_api_key(session, session.get_one(Cooperative, other)).plain}


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


BASE = "/api/v1/cooperatives/test-coop/connectors"


def test_api_sets_up_lists_and_polls_a_connector(api: FlaskClient, keys: dict[str, str], feed: Feed,
                                                 sessions: sessionmaker[Session], settings: Settings) -> None:
    own = bearer(keys["test-coop"])
    created = api.put(f"{BASE}/craftmart", json={"url": feed.url}, headers=own)
    assert created.status_code == 201, created.json
    assert created.json == {"name": "craftmart", "url": feed.url, "enabled": True, "cursor": None,
                            "last_polled_at": None, "last_error": None}
    changed = api.put(f"{BASE}/craftmart", json={"url": feed.url + "?token=t", "enabled": True}, headers=own)
    assert changed.status_code == 200
    listed = api.get(BASE, headers=bearer(ADMIN_KEY))
    assert listed.status_code == 200
    assert [c["url"] for c in listed.json["connectors"]] == [feed.url + "?token=t"]

    queued = api.post(f"{BASE}/craftmart/poll", headers=own)
    assert queued.status_code == 202
    assert queued.json == {"queued": True}
    with sessions() as session:
        row_id = session.scalar(select(ConnectorCursor.id).where(ConnectorCursor.name == "craftmart"))
    assert [(h["task"], h["kwargsrepr"]) for h in queued_tasks(isolated(settings))] == [
        ("odop.pull_orders", repr({"connector_id": row_id}))]

    api.put(f"{BASE}/craftmart", json={"url": feed.url, "enabled": False}, headers=own)
    assert api.post(f"{BASE}/craftmart/poll", headers=own).status_code == 409
    assert api.post(f"{BASE}/nothing/poll", headers=own).status_code == 404


@pytest.mark.parametrize(("url", "message"), [
    ("ftp://127.0.0.1/feed", "scheme"),
    ("http://user:pw@127.0.0.1/feed", "credentials"),
    ("not a url", "whitespace"),
])
def test_api_validates_urls(api: FlaskClient, keys: dict[str, str], url: str, message: str) -> None:
    response = api.put(f"{BASE}/craftmart", json={"url": url}, headers=bearer(keys["test-coop"]))
    assert response.status_code == 422
    assert message in response.json["error"]["message"]
    assert api.put(f"{BASE}/Bad_Name", json={"url": "http://127.0.0.1/feed"},
                   headers=bearer(keys["test-coop"])).status_code == 422
    assert api.put(f"{BASE}/craftmart", json={}, headers=bearer(keys["test-coop"])).status_code == 422


def test_api_refuses_private_and_plain_http_urls_when_configured(settings: Settings, sessions: sessionmaker[Session],
                                                                 keys: dict[str, str]) -> None:
    for changes, url, message in [({"allow_private_callbacks": False}, "http://127.0.0.1:8/feed", "loopback"),
                                  ({"environment": "production"}, "http://marketplace.example/feed", "https")]:
        app = make_app(dataclasses.replace(settings, **changes))
        try:
            response = app.test_client().put(f"{BASE}/craftmart", json={"url": url}, headers=bearer(ADMIN_KEY))
        finally:
            app.extensions["odop"].dispose()
        assert response.status_code == 422, response.json
        assert message in response.json["error"]["message"]


def test_api_is_tenant_scoped(api: FlaskClient, keys: dict[str, str], feed: Feed) -> None:
    assert api.put(f"{BASE}/craftmart", json={"url": feed.url}, headers=bearer(keys["test-coop"])).status_code == 201
    other = bearer(keys["other-coop"])
    assert api.get(BASE, headers=other).status_code == 404
    assert api.put(f"{BASE}/craftmart", json={"url": feed.url}, headers=other).status_code == 404
    assert api.post(f"{BASE}/craftmart/poll", headers=other).status_code == 404
    # Its own list does not show the other cooperative's connector; names are per cooperative, so the same
    # name is free for it (a 409 would tell it that another cooperative uses that name).
    mine = api.get("/api/v1/cooperatives/other-coop/connectors", headers=other)
    assert mine.status_code == 200
    assert mine.json == {"connectors": []}
    theirs = api.put("/api/v1/cooperatives/other-coop/connectors/craftmart", json={"url": feed.url + "?o=1"},
                     headers=other)
    assert theirs.status_code == 201, theirs.json
    assert [c["url"] for c in api.get(BASE, headers=bearer(keys["test-coop"])).json["connectors"]] == [feed.url]
    assert api.get(BASE, headers={}).status_code == 401


def test_two_cooperatives_with_same_connector_name_and_order_ids_each_get_their_order(
    sessions: sessionmaker[Session], seller: int, feed: Feed, http: HttpClient
) -> None:
    other = make_seller(sessions, "other-coop", profile=ALWAYS_OPEN)
    created = {}
    for cooperative_id in (seller, other):
        row_id = add_connector(sessions, cooperative_id, feed.url)
        with transaction(sessions) as session:
            row = session.get_one(ConnectorCursor, row_id)
            result = import_pulled_orders(session, row, JsonFeedConnector("craftmart", feed.url, http,
                                                                          allow_private=True).fetch(None),
                                          now=utcnow())
            created[cooperative_id] = (result.created, result.duplicates)
    # Not "duplicates" of the other cooperative's orders: each cooperative has its own A1 and A2.
    assert created == {seller: (["A1", "A2"], []), other: (["A1", "A2"], [])}
    with sessions() as session:
        mine = order_store.find_order(session, bap_id_of(seller, "craftmart"), "A1")
        theirs = order_store.find_order(session, bap_id_of(other, "craftmart"), "A1")
        assert mine is not None
        assert theirs is not None
        assert (mine.cooperative_id, theirs.cooperative_id) == (seller, other)
        assert mine.transaction_id != theirs.transaction_id
        assert mine.source == theirs.source == "pull:craftmart"


def test_the_migration_scopes_pulled_orders_to_their_cooperative(
    sessions: sessionmaker[Session], seller: int, feed: Feed, http: HttpClient, engine: Engine, settings: Settings
) -> None:
    row_id = add_connector(sessions, seller, feed.url)
    with transaction(sessions) as session:
        row = session.get_one(ConnectorCursor, row_id)
        import_pulled_orders(session, row, JsonFeedConnector("craftmart", feed.url, http,
                                                             allow_private=True).fetch(None), now=utcnow())
    engine.dispose()
    migrate.downgrade(settings.database_url, "0010")
    try:
        with engine.connect() as conn:
            assert conn.scalar(text("SELECT bap_id FROM orders WHERE order_id = 'A1'")) == "pull:craftmart"
    finally:
        engine.dispose()
        migrate.upgrade(settings.database_url)
    with sessions() as session:
        assert order_store.find_order(session, bap_id_of(seller, "craftmart"), "A1") is not None

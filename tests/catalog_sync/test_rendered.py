"""Search answers rendered once per catalogue revision: reused while nothing changed, never stale after a change.

Searches go in through the real webhook and are answered by the real task, in this process; the outbox rows they
leave are delivered by the real sender to a buyer app mocked at the HTTP boundary, which checks the signature on
the bytes it received.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
import responses
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from adapter.delivery.http import HttpClient
from adapter.delivery.sender import Signer, deliver
from adapter.orders.store import change_stock
from adapter.protocol.keys import SigningKey
from adapter.protocol.signing import verify_request
from adapter.store import pages as page_store
from adapter.store.db import transaction
from adapter.store.models import Cooperative, InboundMessage, OutboxMessage, RenderedPage
from catalog_sync.services import catalogue as catalogues
from catalog_sync.services import rendered
from config import Settings
from tests.conftest import app_under_test
from tests.support.network import Network, search_body
from tests.support.sellers import PROFILE, RET16_CSV, make_seller
from tests.support.servers import store_searches
from workers.app import make_celery
from workers.task_names import PROCESS_INBOUND

BUYER = "http://127.0.0.1:9/buyer/on_search"


@pytest.fixture
def isolated(settings: Settings) -> Settings:
    """Settings whose task queue no session-wide worker reads (one may be running, started by an earlier test):
    here every task runs in this process, so the cache and the digests these tests compare are this process's."""
    base, _, db = settings.broker_url.rpartition("/")
    return dataclasses.replace(settings, broker_url=f"{base}/{(int(db) + 8) % 16}" if db.isdigit() else
                               settings.broker_url + "/8")


@pytest.fixture
def app(isolated: Settings, sessions: sessionmaker[Session]) -> Iterator[Flask]:
    with app_under_test(isolated) as app:
        yield app


@pytest.fixture
def celery(isolated: Settings) -> Iterator[Any]:
    app = make_celery(isolated)
    app.loader.import_default_modules()
    rendered.CACHE.clear()
    yield app
    app.engine.dispose()


def search(client: FlaskClient, network: Network, celery: Any, sessions: sessionmaker[Session],
           **body: Any) -> list[OutboxMessage]:
    """One signed search through the webhook, answered by the task; the on_search rows it queued."""
    payload = search_body(**body)
    answer = client.post("/ondc/search", data=payload, content_type="application/json",
                         headers={"Authorization": network.buyer.sign(payload)})
    assert answer.status_code == 200, answer.json
    message_id = orjson.loads(payload)["context"]["message_id"]
    store_searches(client.application)
    with sessions() as session:
        inbound_id = session.scalars(select(InboundMessage.id).where(InboundMessage.message_id == message_id)).one()
    celery.tasks[PROCESS_INBOUND].apply(args=[inbound_id]).get()
    with sessions() as session:
        return list(session.scalars(select(OutboxMessage).where(OutboxMessage.message_id == message_id)
                                    .order_by(OutboxMessage.id)))


def sent(sessions: sessionmaker[Session], row: OutboxMessage) -> dict[str, Any]:
    with sessions() as session:
        body = page_store.wire_of(session, row.body, row.page_digest)
    assert len(body) == row.size_bytes
    parsed: dict[str, Any] = orjson.loads(body)
    return parsed


def items_of(answer: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {item["id"]: item for provider in answer["message"]["catalog"]["bpp/providers"]
            for item in provider["items"]}


def test_a_second_search_reuses_the_rendering_and_the_stored_page(
    client: FlaskClient, network: Network, celery: Any, sessions: sessionmaker[Session]
) -> None:
    make_seller(sessions)
    first = search(client, network, celery, sessions)
    misses = rendered.CACHE.misses
    second = search(client, network, celery, sessions, transaction_id="another-transaction")
    assert rendered.CACHE.misses == misses  # nothing rendered for the second search
    assert len(first) == len(second) == 1
    assert first[0].page_digest is not None
    assert first[0].page_digest == second[0].page_digest
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(RenderedPage)) == 1  # stored once
    one, two = sent(sessions, first[0]), sent(sessions, second[0])
    assert one["context"]["transaction_id"] != two["context"]["transaction_id"]  # each with its own context
    assert one["context"]["message_id"] == first[0].message_id
    assert one["message"] == two["message"]
    assert len(items_of(one)) == RET16_CSV.count(b"\n") - 1


@responses.activate
def test_the_buyer_app_gets_exactly_the_bytes_that_were_signed(
    client: FlaskClient, network: Network, celery: Any, sessions: sessionmaker[Session], settings: Settings
) -> None:
    make_seller(sessions)
    row = search(client, network, celery, sessions)[0]
    responses.post(BUYER, json={"message": {"ack": {"status": "ACK"}}})
    signer = Signer(network.seller.subscriber_id, network.seller.unique_key_id,
                    SigningKey.from_base64(network.seller.keys.signing_private_key), validity=300)
    with HttpClient(connect_timeout=2, read_timeout=5) as http:
        result = deliver(sessions, row.id, signer=signer, http=http, now=lambda: dt.datetime.now(dt.UTC),
                         rng=lambda: 0.5, base_delay=1, max_delay=10, allow_private=True, require_https=False)
    assert result.outcome == "sent", result
    posted = responses.calls[0].request
    verify_request(posted.body, posted.headers["Authorization"], public_key_b64=network.seller.keys.signing_public_key,
                   now=int(dt.datetime.now(dt.UTC).timestamp()))
    assert orjson.loads(posted.body) == sent(sessions, row)


def _answer_of(client: FlaskClient, network: Network, celery: Any, sessions: sessionmaker[Session],
               cooperative_id: int) -> dict[str, Any]:
    rows = [row for row in search(client, network, celery, sessions) if row.cooperative_id == cooperative_id]
    assert len(rows) == 1
    return sent(sessions, rows[0])


def _stock_of(client: FlaskClient, network: Network, celery: Any, sessions: sessionmaker[Session],
              cooperative_id: int, item_id: str) -> str:
    answer = _answer_of(client, network, celery, sessions, cooperative_id)
    return str(items_of(answer)[item_id]["quantity"]["available"]["count"])


def _first_item(sessions: sessionmaker[Session], cooperative_id: int) -> tuple[Cooperative, str, int]:
    with sessions() as session:
        cooperative = session.get_one(Cooperative, cooperative_id)
        row = catalogues.current_catalogue(session, cooperative).items[0]
        return cooperative, row.id, row.stock


def test_an_order_an_edit_an_upload_or_a_profile_change_is_in_the_very_next_answer(
    client: FlaskClient, network: Network, celery: Any, sessions: sessionmaker[Session]
) -> None:
    cooperative_id = make_seller(sessions)
    other_id = make_seller(sessions, "other-coop")
    cooperative, item_id, stock = _first_item(sessions, cooperative_id)
    assert stock >= 2
    assert _stock_of(client, network, celery, sessions, cooperative_id, item_id) == str(stock)

    with transaction(sessions) as session:  # an order takes a unit
        assert change_stock(session, cooperative_id, {item_id: -1}, kind="order", ref="ORDER-1")
    assert _stock_of(client, network, celery, sessions, cooperative_id, item_id) == str(stock - 1)

    with transaction(sessions) as session:  # the cooperative edits the stock by hand
        catalogues.edit_item(session, session.get_one(Cooperative, cooperative_id), item_id, {"stock": 1})
    assert _stock_of(client, network, celery, sessions, cooperative_id, item_id) == "1"

    with transaction(sessions) as session:  # a new sheet without that item
        lines = RET16_CSV.decode().splitlines()
        kept = "\n".join([lines[0], *[line for line in lines[1:] if not line.startswith(item_id + ",")]]) + "\n"
        result = catalogues.import_catalogue(session, session.get_one(Cooperative, cooperative_id), kept.encode(),
                                             "items.csv", catalogues.Limits(max_bytes=10_000_000, max_rows=10_000),
                                             source="test", confirm=True)
        assert result.created
    assert item_id not in items_of(_answer_of(client, network, celery, sessions, cooperative_id))
    assert item_id in items_of(_answer_of(client, network, celery, sessions, other_id))  # the other one kept it

    with transaction(sessions) as session:  # the profile changes: a new store name
        row = session.get_one(Cooperative, cooperative_id)
        catalogues.set_profile(row, {**PROFILE, "slug": "test-coop", "name": "Renamed Cooperative"})
    answer = _answer_of(client, network, celery, sessions, cooperative_id)
    assert answer["message"]["catalog"]["bpp/providers"][0]["descriptor"]["name"] == "Renamed Cooperative"
    del cooperative


def test_a_change_to_one_cooperative_leaves_the_others_rendering_alone(
    client: FlaskClient, network: Network, celery: Any, sessions: sessionmaker[Session]
) -> None:
    changed = make_seller(sessions)
    make_seller(sessions, "other-coop")
    search(client, network, celery, sessions)
    rendered_before = rendered.CACHE.misses
    _, item_id, _ = _first_item(sessions, changed)
    with transaction(sessions) as session:
        assert change_stock(session, changed, {item_id: -1}, kind="order", ref="ORDER-2")
    search(client, network, celery, sessions)
    assert rendered.CACHE.misses == rendered_before + 1  # only the cooperative whose stock moved


def test_a_new_day_renders_afresh(sessions: sessionmaker[Session], settings: Settings) -> None:
    from adapter.protocol.identity import SellerApp
    from catalog_sync.search_intent import SearchIntent

    cooperative_id = make_seller(sessions)
    app = SellerApp.from_settings(settings)
    today = dt.datetime(2026, 12, 6, 18, 0, tzinfo=dt.UTC)  # 23:30 in India
    with sessions() as session:
        cooperative = session.get_one(Cooperative, cooperative_id)
        key = rendered.answer_key(cooperative, 3, app, SearchIntent(), "ONDC:RET16", today)
        assert key == rendered.answer_key(cooperative, 3, app, SearchIntent(), "ONDC:RET16",
                                          today + dt.timedelta(minutes=20))
        assert key != rendered.answer_key(cooperative, 3, app, SearchIntent(), "ONDC:RET16",
                                          today + dt.timedelta(minutes=31))  # past midnight in India
        assert key != rendered.answer_key(cooperative, 4, app, SearchIntent(), "ONDC:RET16", today)
        assert key != rendered.answer_key(cooperative, 3, app, SearchIntent(item_name="rumal"), "ONDC:RET16", today)


def test_every_kind_of_item_write_moves_the_revision(sessions: sessionmaker[Session]) -> None:
    # The triggers of migration 0016: a migration that copies the items table (SQLite batch mode) drops them.
    cooperative_id = make_seller(sessions)

    def revision() -> int:
        with sessions() as session:
            return page_store.catalogue_revisions(session, [cooperative_id])[cooperative_id]

    start = revision()
    assert start > 0  # the import inserted items
    with transaction(sessions) as session:
        session.execute(text("UPDATE items SET stock = stock + 1 WHERE cooperative_id = :id"), {"id": cooperative_id})
    after_update = revision()
    assert after_update > start
    with transaction(sessions) as session:
        session.execute(text("DELETE FROM items WHERE cooperative_id = :id AND item_id IN "
                             "(SELECT item_id FROM items WHERE cooperative_id = :id LIMIT 1)"), {"id": cooperative_id})
    assert revision() > after_update


def test_pages_no_outbox_row_sends_are_removed_after_a_day(
    client: FlaskClient, network: Network, celery: Any, sessions: sessionmaker[Session]
) -> None:
    make_seller(sessions)
    row = search(client, network, celery, sessions)[0]
    now = dt.datetime.now(dt.UTC)
    with transaction(sessions) as session:
        page_store.ensure(session, [(page_store.digest_of(b'{"catalog":{}}'), b'{"catalog":{}}')],
                          now - dt.timedelta(days=2))
        session.execute(update(RenderedPage).values(created_at=now - dt.timedelta(days=2)))
    with transaction(sessions) as session:
        assert page_store.remove_unused(session, now - dt.timedelta(days=1)) == 1  # the unused one only
    with sessions() as session:
        assert session.scalars(select(RenderedPage.digest)).all() == [row.page_digest]

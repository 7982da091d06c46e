"""The ACK path's shortcuts keep their promises: batched searches, the relaxed commit for searches only, one log line.

What is fast is measured in benchmarks/ack_path.py; what is tested here is that being fast changed nothing a
buyer app or an operator relies on.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import orjson
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, select, text
from sqlalchemy.orm import Session, sessionmaker

from adapter.store.inbound import Envelope, InboundWriter
from adapter.store.models import InboundMessage, OutboxMessage
from adapter.web.publisher import Publisher
from config import Settings
from tests.support.network import Network, search_body
from tests.support.sellers import make_seller
from workers.app import make_celery
from workers.task_names import PROCESS_INBOUND_MANY


def post(client: FlaskClient, network: Network, body: bytes, action: str = "search") -> Any:
    return client.post(f"/ondc/{action}", data=body, content_type="application/json",
                       headers={"Authorization": network.buyer.sign(body)})


# -- the publisher: searches share a task, orders never wait ----------------------------------------------------


def test_waiting_searches_go_out_as_one_task_and_orders_alone_first() -> None:
    publisher = Publisher(celery=None, linger=0.05, batch_max=4)
    for item in (([1], True), ([2], False), ([3], True), ([4], True), ([5], True), ([6], True)):
        publisher.queue.put(item)
    assert publisher.take() == [[2], [1, 3, 4]]  # at most batch_max messages taken at once
    assert publisher.take() == [[5, 6]]


def test_a_stored_batch_is_one_entry_sent_as_tasks_of_at_most_batch_max() -> None:
    publisher = Publisher(celery=None, linger=0.0, batch_max=4)
    publisher._ensure_thread = lambda: None  # type: ignore[method-assign]  # no thread: the test takes
    publisher.submit_searches(list(range(10)))
    publisher.submit_searches([])
    assert publisher.queue.qsize() == 1
    assert publisher.take() == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]


def test_a_lone_order_is_not_held_back_for_company() -> None:
    publisher = Publisher(celery=None, linger=5.0)
    publisher.queue.put(([7], False))
    started = time.monotonic()
    assert publisher.take() == [[7]]
    assert time.monotonic() - started < 1.0  # the linger is for searches only


def test_a_lone_search_waits_at_most_the_linger() -> None:
    publisher = Publisher(celery=None, linger=0.05)
    publisher.queue.put(([8], True))
    started = time.monotonic()
    assert publisher.take() == [[8]]
    assert 0.04 <= time.monotonic() - started < 1.0


def test_searches_after_a_search_task_gather_until_the_gap_has_passed() -> None:
    publisher = Publisher(celery=None, linger=0.0, min_gap=0.5)
    publisher.queue.put(([1], True))
    assert publisher.take() == [[1]]  # the first search task leaves at once
    publisher.queue.put(([2], True))
    later = threading.Timer(0.05, publisher.queue.put, args=(([3], True),))
    later.start()
    assert publisher.take() == [[2, 3]]  # the next one waits for company, up to the gap
    later.join()


def test_an_order_is_not_held_back_by_the_gap_between_search_tasks() -> None:
    publisher = Publisher(celery=None, linger=0.0, min_gap=5.0)
    publisher.queue.put(([1], True))
    assert publisher.take() == [[1]]
    publisher.queue.put(([2], True))
    publisher.queue.put(([3], False))
    started = time.monotonic()
    assert publisher.take() == [[3], [2]]
    assert time.monotonic() - started < 1.0


# -- the batch task: each search as if alone ---------------------------------------------------------------------


@pytest.fixture
def celery(settings: Settings) -> Iterator[Any]:
    app = make_celery(settings)
    app.loader.import_default_modules()
    yield app
    app.engine.dispose()


def test_a_batch_answers_each_search_once_and_skips_what_is_done(
    settings: Settings, sessions: sessionmaker[Session], celery: Any
) -> None:
    make_seller(sessions)
    bodies = [search_body() for _ in range(3)]
    writer = InboundWriter(settings.database_url)  # stored as the webhook stores them, but not queued
    try:
        ids = [writer.record(Envelope.from_payload("search", orjson.loads(body)), body=body, headers={},
                             signature="ok", response={}, status="received") for body in bodies]
    finally:
        writer.dispose()
    first = celery.tasks[PROCESS_INBOUND_MANY].apply(args=[ids[:1]]).get()
    assert first.startswith("1 queued")
    outcome = celery.tasks[PROCESS_INBOUND_MANY].apply(args=[ids]).get()
    assert "1 already processed" in outcome, outcome
    assert "2 queued 1 callback(s)" in outcome, outcome
    with sessions() as session:
        assert set(session.scalars(select(InboundMessage.status))) == {"processed"}
        answered = [orjson.loads(row.body)["message_id"] for row in session.scalars(
            select(OutboxMessage).where(OutboxMessage.action == "on_search"))]
    asked = [orjson.loads(body)["context"]["message_id"] for body in bodies]
    assert Counter(answered) == Counter(asked)  # every search answered once (one cooperative, one page)


# -- the writer: searches and NACKs on the relaxed commit, everything that promises an answer durable -----------


def _statements(engine: Any) -> list[str]:
    seen: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *args: seen.append(args[2].split()[0].upper()))
    return seen


def test_only_searches_and_nacks_are_written_without_waiting_for_the_disk(
    app: Flask, client: FlaskClient, network: Network, sessions: sessionmaker[Session], settings: Settings
) -> None:
    make_seller(sessions)
    writer = app.extensions["odop"].receiver.writer
    if not settings.database_url.startswith("postgresql"):
        assert writer.relaxed is writer.durable  # SQLite's WAL never waited for the disk on commit
        return
    setting = text("SELECT setting, source FROM pg_settings WHERE name = 'synchronous_commit'")
    with writer.relaxed.connect() as conn:
        assert tuple(conn.execute(setting).one()) == ("off", "session")  # turned off by us, for this pool
    with writer.durable.connect() as conn:
        assert conn.execute(setting).one().source != "session"  # the server's own setting
    relaxed, durable = _statements(writer.relaxed), _statements(writer.durable)
    assert post(client, network, search_body()).status_code == 200  # a plain search: relaxed
    subscribe = {"intent": {"tags": [{"code": "catalog_inc", "list": [{"code": "mode", "value": "start"}]}]}}
    assert post(client, network, search_body(message=subscribe)).status_code == 200  # a subscription: durable
    assert post(client, network, b'{"context": {}}').status_code == 401  # a NACK (signed by nobody in it): relaxed
    assert (relaxed, durable) == (["INSERT", "INSERT"], ["INSERT"])
    relaxed.clear()
    for action in ("confirm", "cancel", "update", "status"):  # what the receiver asks for every other action
        envelope = Envelope(action=action, bap_id="buyer.test", message_id=f"m-{action}")
        writer.record(envelope, body=b"{}", headers={}, signature="ok", response={}, status="received")
    assert relaxed == []
    assert len(durable) == 5


def test_a_connection_the_server_dropped_costs_one_retry_not_a_nack(
    settings: Settings, sessions: sessionmaker[Session]
) -> None:
    writer = InboundWriter(settings.database_url)
    try:
        envelope = Envelope(action="confirm", bap_id="buyer.test", message_id="m-before")
        writer.record(envelope, body=b"{}", headers={}, signature="ok", response={}, status="received")
        if settings.database_url.startswith("postgresql"):
            with writer.durable.connect() as conn:
                pid = conn.execute(text("SELECT pg_backend_pid()")).scalar()
            with sessions() as session, session.begin():
                assert session.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar()
        else:  # SQLite: the pooled connection closed under the writer
            with writer.durable.connect() as conn:
                conn.connection.dbapi_connection.close()  # type: ignore[union-attr]
        again = Envelope(action="confirm", bap_id="buyer.test", message_id="m-after")
        stored = writer.record(again, body=b"{}", headers={}, signature="ok", response={}, status="received")
        with sessions() as session:
            assert session.get_one(InboundMessage, stored).message_id == "m-after"
    finally:
        writer.dispose()


# -- one log line per call, carrying the answer and the ids -------------------------------------------------------


def _request_lines(caplog: pytest.LogCaptureFixture) -> list[tuple[int, dict[str, Any]]]:
    return [(record.levelno, record.__dict__) for record in caplog.records
            if record.name == "adapter.web" and record.getMessage() == "request"]


def test_each_call_logs_one_line_with_its_answer_and_ids(
    client: FlaskClient, network: Network, sessions: sessionmaker[Session], caplog: pytest.LogCaptureFixture
) -> None:
    make_seller(sessions)
    body = search_body()
    with caplog.at_level(logging.DEBUG, logger="adapter.web"):
        assert post(client, network, body).status_code == 200
        assert post(client, network, b'{"context": 1}').status_code == 400
    (ack_level, ack), (nack_level, nack) = _request_lines(caplog)
    # An ACKed plain search is routine (its stored row is its record): DEBUG. A NACK is news: INFO.
    assert (ack_level, nack_level) == (logging.DEBUG, logging.INFO)
    assert (ack["answer"], ack["action"], ack["status"]) == ("ACK", "search", 200)
    assert ack["message_id"] == orjson.loads(body)["context"]["message_id"]
    assert (nack["answer"], nack["code"], nack["status"]) == ("NACK", "30000", 400)


def test_search_acks_are_logged_at_info_when_asked(
    settings: Settings, network: Network, sessions: sessionmaker[Session], caplog: pytest.LogCaptureFixture
) -> None:
    from tests.conftest import app_under_test

    make_seller(sessions)
    with app_under_test(replace(settings, log_search_acks=True)) as app, caplog.at_level(logging.INFO):
        assert post(app.test_client(), network, search_body()).status_code == 200
    [(level, line)] = _request_lines(caplog)
    assert (level, line["answer"], line["action"]) == (logging.INFO, "ACK", "search")


def test_a_repeated_search_is_logged_at_info(
    app: Flask, network: Network, sessions: sessionmaker[Session], caplog: pytest.LogCaptureFixture
) -> None:
    from tests.support.servers import store_searches

    make_seller(sessions)
    body, client = search_body(), app.test_client()
    with caplog.at_level(logging.INFO):
        assert post(client, network, body).status_code == 200
        assert post(client, network, body).status_code == 200
        store_searches(app)
    [repeat] = [record for record in caplog.records if record.getMessage() == "repeated search: answered once"]
    assert repeat.levelno == logging.INFO
    assert repeat.__dict__["message_id"] == orjson.loads(body)["context"]["message_id"]
    assert _request_lines(caplog) == []  # both ACKs at DEBUG

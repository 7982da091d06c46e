"""The search buffer keeps its promises when things go wrong: a database that is away, a row it refuses, a
callback that fails, a full buffer, a fork. (What it does for the webhook is in tests/web/test_search_path.py.)"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from adapter.store.inbound import Envelope, InboundWriter, Written
from adapter.store.models import InboundMessage
from adapter.store.search_buffer import SearchBuffer
from config import Settings

ACK = {"message": {"ack": {"status": "ACK"}}}


@pytest.fixture
def writer(settings: Settings, sessions: sessionmaker[Session]) -> Iterator[InboundWriter]:
    writer = InboundWriter(settings.database_url)
    writer.healthy = True  # as after the first statement that reached the database
    yield writer
    writer.dispose()


def row(writer: InboundWriter, message_id: str | None = None, **changes: Any) -> dict[str, Any]:
    envelope = Envelope(action="search", bap_id="buyer.test", message_id=message_id or str(uuid.uuid4()),
                        transaction_id=str(uuid.uuid4()), domain="ONDC:RET16")
    return writer.row(envelope, body=b'{"context":{}}', headers={"Content-Type": "application/json"},
                      signature="ok", response=ACK, status="received") | changes


def stored(sessions: sessionmaker[Session]) -> list[str | None]:
    with sessions() as session:
        return list(session.scalars(select(InboundMessage.message_id).order_by(InboundMessage.id)))


class Handed:
    """What the buffer handed on, as `on_written`."""

    def __init__(self) -> None:
        self.calls: list[tuple[list[dict[str, Any]], list[Written]]] = []

    def __call__(self, rows: list[dict[str, Any]], written: list[Written]) -> None:
        self.calls.append((rows, written))


def held(writer: InboundWriter, handed: Any, **options: Any) -> SearchBuffer:
    """A buffer whose thread waits (an hour's linger): the test stores with ``flush``."""
    return SearchBuffer(writer, handed, linger=3600.0, sleep=lambda _seconds: None, **options)


def down(attempts: list[int], failures: int, real: Any) -> Any:
    def record_many(rows: list[dict[str, Any]]) -> list[Written]:
        attempts.append(len(rows))
        if len(attempts) <= failures:
            raise OperationalError("INSERT", {}, ConnectionRefusedError("the database is restarting"))
        return list(real(rows))

    return record_many


def test_a_batch_is_tried_again_while_the_database_is_away(
    writer: InboundWriter, sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture
) -> None:
    handed = Handed()
    buffer = held(writer, handed)
    rows = [row(writer) for _ in range(3)]
    assert all(buffer.put(r) for r in rows)
    attempts: list[int] = []
    monkeypatch.setattr(writer, "record_many", down(attempts, 2, writer.record_many))
    with caplog.at_level(logging.WARNING):
        assert buffer.flush() == 3
    assert attempts == [3, 3, 3]
    assert stored(sessions) == [r["message_id"] for r in rows]
    assert [w.duplicate for w in handed.calls[0][1]] == [False] * 3
    assert len([r for r in caplog.records if "retrying 3 searches" in r.getMessage()]) == 2
    buffer.close()


def test_searches_that_cannot_be_stored_are_logged_loudly_by_id(
    writer: InboundWriter, sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture
) -> None:
    handed = Handed()
    buffer = held(writer, handed, retry_for=0.0)
    rows = [row(writer) for _ in range(2)]
    assert all(buffer.put(r) for r in rows)
    monkeypatch.setattr(writer, "record_many", down([], 99, writer.record_many))
    with caplog.at_level(logging.ERROR):
        buffer.flush()
    (error,) = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert "2 ACKed searches could not be stored" in error.getMessage()
    assert error.__dict__["searches"] == [f"buyer.test|{r['message_id']}" for r in rows]
    assert stored(sessions) == []
    assert handed.calls == []
    assert buffer.pending() == 0
    buffer.close()


def test_a_row_the_database_refuses_costs_only_itself(
    writer: InboundWriter, sessions: sessionmaker[Session], caplog: pytest.LogCaptureFixture
) -> None:
    handed = Handed()
    buffer = held(writer, handed)
    good, bad, also_good = row(writer), row(writer, action=None), row(writer)  # action is NOT NULL
    for r in (good, bad, also_good):
        assert buffer.put(r)
    with caplog.at_level(logging.ERROR):
        assert buffer.flush() == 3
    assert stored(sessions) == [good["message_id"], also_good["message_id"]]
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert [e.__dict__["searches"] for e in errors] == [[f"buyer.test|{bad['message_id']}"]]
    assert [[r["message_id"] for r in rows] for rows, _ in handed.calls] == [[good["message_id"]],
                                                                            [also_good["message_id"]]]
    buffer.close()


def test_a_failing_callback_leaves_the_searches_stored(
    writer: InboundWriter, sessions: sessionmaker[Session], caplog: pytest.LogCaptureFixture
) -> None:
    def broken(_rows: list[dict[str, Any]], _written: list[Written]) -> None:
        raise RuntimeError("the broker client has a bug")

    buffer = held(writer, broken)
    search = row(writer)
    assert buffer.put(search)
    with caplog.at_level(logging.ERROR):
        assert buffer.flush() == 1
    assert stored(sessions) == [search["message_id"]]  # the sweeper queues it
    assert any("the sweeper queues them" in r.getMessage() for r in caplog.records)
    buffer.close()


def test_the_buffer_says_no_when_it_cannot_keep_the_promise(writer: InboundWriter) -> None:
    buffer = held(writer, Handed(), maxsize=2)
    assert buffer.put(row(writer))
    assert buffer.put(row(writer))
    assert not buffer.put(row(writer))  # full: the caller stores it
    buffer.flush()
    writer.healthy = False
    assert not buffer.put(row(writer))  # the database failing: the caller stores it (and NACKs 503 if it must)
    writer.healthy = True
    assert buffer.put(row(writer))
    buffer.close()
    assert not buffer.put(row(writer))  # closed: the process is going away


def test_its_own_thread_stores_without_being_asked(writer: InboundWriter, sessions: sessionmaker[Session]) -> None:
    from tests.support.servers import wait_until

    handed = Handed()
    buffer = SearchBuffer(writer, handed, linger=0.001)
    searches = [row(writer) for _ in range(5)]
    assert all(buffer.put(r) for r in searches)
    assert wait_until(lambda: len(stored(sessions)) == 5, timeout=10)
    assert sorted(r["message_id"] for rows, _ in handed.calls for r in rows) == sorted(
        r["message_id"] for r in searches)
    buffer.close()


def test_a_forked_process_stores_its_own_searches_only(
    writer: InboundWriter, sessions: sessionmaker[Session]
) -> None:
    buffer = held(writer, Handed())
    parents = row(writer)
    assert buffer.put(parents)
    pid = os.fork()
    if pid == 0:  # the child: no thread of the parent's, none of its rows
        code = 1
        try:
            for engine in {writer.durable, writer.relaxed}:
                engine.dispose(close=False)  # the parent's connections are the parent's
            childs = row(writer, message_id="from-the-child")
            if buffer.pending() == 1 and buffer.put(childs) and buffer.pending() == 1 and buffer.flush() == 1:
                code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert stored(sessions) == ["from-the-child"]
    assert buffer.pending() == 1
    assert buffer.flush() == 1
    assert stored(sessions) == ["from-the-child", parents["message_id"]]
    buffer.close()

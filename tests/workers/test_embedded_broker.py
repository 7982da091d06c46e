"""The embedded broker's publish (one INSERT) against kombu's own reads of the same SQLite file."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from kombu.exceptions import OperationalError as BrokerError

from config import load_settings
from workers import embedded_broker
from workers.app import make_celery


@pytest.fixture
def app(tmp_path: Path):
    return make_celery(load_settings({"DATA_DIR": str(tmp_path),
                                      "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}))


@pytest.fixture
def broker(app):
    with app.connection_for_write() as connection:
        assert isinstance(connection.default_channel, embedded_broker.Channel)
        yield connection


def test_published_messages_are_read_by_kombu_in_order_from_their_own_queue(broker, tmp_path: Path) -> None:
    first, second = broker.SimpleQueue("first"), broker.SimpleQueue("second")
    for n in range(3):
        first.put({"n": n})
    second.put({"n": "other"})
    assert first.qsize() == 3
    assert second.qsize() == 1
    with sqlite3.connect(tmp_path / "broker.sqlite3") as db:
        rows = db.execute("SELECT q.name, m.visible, m.timestamp, m.version FROM kombu_message m "
                          "JOIN kombu_queue q ON q.id = m.queue_id ORDER BY m.id").fetchall()
    # The row kombu's own publish writes: visible, no timestamp until taken, version 1.
    assert rows == [("first", 1, None, 1)] * 3 + [("second", 1, None, 1)]
    taken = [first.get(timeout=1) for _ in range(3)]
    assert [m.payload for m in taken] == [{"n": 0}, {"n": 1}, {"n": 2}]
    for message in taken:
        message.ack()
    assert first.qsize() == 0
    assert second.get(timeout=1).payload == {"n": "other"}
    with pytest.raises(first.Empty):
        first.get(timeout=0.2)
    first.put({"n": "again"})  # the queue's kept id is still right after its messages were taken
    assert first.get(timeout=1).payload == {"n": "again"}
    assert second.qsize() == 0
    first.close()
    second.close()


def test_a_publish_the_database_refuses_fails_instead_of_passing_for_sent(app, tmp_path: Path) -> None:
    app.send_task("odop.ping", args=["stored"], retry=False, ignore_result=True)
    with sqlite3.connect(tmp_path / "broker.sqlite3") as db:
        assert db.execute("SELECT count(*) FROM kombu_message").fetchone() == (1,)
        db.execute("DROP TABLE kombu_message")
    # What the web process's publisher catches and retries, then leaves to the sweeper.
    with pytest.raises(BrokerError, match="no such table: kombu_message"):
        app.send_task("odop.ping", args=["refused"], retry=False, ignore_result=True)

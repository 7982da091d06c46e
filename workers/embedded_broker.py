"""The embedded broker: kombu's SQLAlchemy transport (a table in ``DATA_DIR/broker.sqlite3``), polled often.

kombu's virtual transports sleep ``polling_interval`` seconds whenever a poll finds nothing it may take, and that
includes every poll made while the worker's prefetch window is full. With kombu's default of one second, each
worker process took about one task a second under load: a burst of 200 searches (a processing task and a delivery
task each) was still being worked through minutes later, long after the buyer apps' 30 s ttl. The SQLAlchemy
transport passes every transport option to ``create_engine``, so the interval cannot be set as an option; this
subclass sets it instead. An idle worker then runs about ten cheap indexed SELECTs a second.
"""

from __future__ import annotations

from typing import Any

from kombu.transport import sqlalchemy as kombu_sqlalchemy
from sqlalchemy import event

POLLING_INTERVAL = 0.1  # seconds between polls that found nothing to take

# What make_celery passes as ``broker_transport`` (with the URL's "sqla+" prefix removed, so kombu uses it).
TRANSPORT = "workers.embedded_broker:Transport"


def _fast_sqlite(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets pollers read while a publisher writes; NORMAL skips the fsync on every commit. The queue is not
    # the record (the database is: the sweeper re-sends anything a lost message leaves behind), so a queue
    # message lost to a power cut costs a delay, not data.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


class Channel(kombu_sqlalchemy.Channel):
    """A channel whose SQLite engine runs in WAL mode without an fsync per commit."""

    def _engine_from_config(self) -> Any:
        engine = super()._engine_from_config()  # type: ignore[no-untyped-call]
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _fast_sqlite)
        return engine


class Transport(kombu_sqlalchemy.Transport):
    """kombu's SQLAlchemy transport, polling every ``POLLING_INTERVAL`` seconds."""

    Channel = Channel
    polling_interval = POLLING_INTERVAL

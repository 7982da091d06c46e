"""The embedded broker: kombu's SQLAlchemy transport (a table in ``DATA_DIR/broker.sqlite3``), polled often.

kombu's virtual transports sleep ``polling_interval`` seconds whenever a poll finds nothing it may take, and that
includes every poll made while the worker's prefetch window is full. With kombu's default of one second, each
worker process took about one task a second under load: a burst of 200 searches (a processing task and a delivery
task each) was still being worked through minutes later, long after the buyer apps' 30 s ttl. The SQLAlchemy
transport passes every transport option to ``create_engine``, so the interval cannot be set as an option; this
subclass sets it instead. An idle worker then runs about ten cheap indexed SELECTs a second.

Publishing is one INSERT in its own transaction. kombu's ``_put`` looks the queue up through an ORM session,
adds an ORM object and commits the session (a unit-of-work flush): 1.3 ms of CPU per message, most of it
SQLAlchemy's ORM, and the web process pays it in its publisher thread, which holds the GIL that the ACKs need.
The row written is the one kombu writes (visible, no timestamp, version 1, the queue's id), so kombu's ``_get``,
``_size`` and ``_purge`` read it unchanged.
"""

from __future__ import annotations

from json import dumps
from typing import Any

from kombu.transport import sqlalchemy as kombu_sqlalchemy
from sqlalchemy import event, insert

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
    """A channel whose SQLite engine runs in WAL mode without an fsync per commit, and whose publish is one
    INSERT."""

    def __init__(self, connection: Any, **kwargs: Any) -> None:
        super().__init__(connection, **kwargs)  # type: ignore[no-untyped-call]
        self._queue_ids: dict[str, int] = {}
        self._insert_message = insert(self.message_cls.__table__)

    def _engine_from_config(self) -> Any:
        engine = super()._engine_from_config()  # type: ignore[no-untyped-call]
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _fast_sqlite)
        return engine

    # kombu's two base classes name the second argument differently (message, payload): one of them must differ.
    def _put(self, queue: str, payload: dict[str, Any], **kwargs: Any) -> None:  # type: ignore[override]
        """Store one message: a single INSERT, committed at once; an error propagates, so the publish fails."""
        queue_id = self._queue_id(queue)
        engine, _ = self._open()  # type: ignore[no-untyped-call]
        with engine.begin() as connection:
            connection.execute(self._insert_message, {"payload": dumps(payload), "queue_id": queue_id,
                                                      "visible": True, "version": 1})

    def _queue_id(self, queue: str) -> int:
        # kombu never deletes a queue's row (deleting a queue only purges its messages), so its id can be kept.
        if queue not in self._queue_ids:
            self._queue_ids[queue] = self._get_or_create(queue).id  # type: ignore[no-untyped-call]
            self.session.commit()  # end the lookup's transaction: no snapshot or connection held between puts
        return self._queue_ids[queue]


class Transport(kombu_sqlalchemy.Transport):
    """kombu's SQLAlchemy transport, polling every ``POLLING_INTERVAL`` seconds."""

    Channel = Channel
    polling_interval = POLLING_INTERVAL

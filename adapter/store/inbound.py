"""Repository for inbound network messages."""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

import orjson
from sqlalchemy import Connection, Engine, Table, event, insert, select, update
from sqlalchemy.dialects import sqlite
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.orm import Session

from adapter.store.db import make_engine
from adapter.store.models import InboundMessage, utcnow

_TABLE = cast(Table, InboundMessage.__table__)
_INSERT = insert(_TABLE).returning(_TABLE.c.id)
# Many rows in one statement; a taken dedupe key is skipped, not an error (the row is a repeat). SQLite: one
# multi-row VALUES. PostgreSQL: the rows as one JSON parameter, whatever their number, so that the statement is
# parsed and prepared once and psycopg adapts one string rather than a dozen values per row (its cost per
# value and per statement is most of a small batch's); the raw body travels in base64.
_INSERT_NEW = sqlite.insert(_TABLE).on_conflict_do_nothing(index_elements=[_TABLE.c.dedupe_key]).returning(
    _TABLE.c.id, _TABLE.c.dedupe_key)
_RECORD = (("dedupe_key", "varchar"), ("bap_id", "varchar"), ("action", "varchar"), ("message_id", "varchar"),
           ("transaction_id", "varchar"), ("domain", "varchar"), ("body", "text"), ("headers", "json"),
           ("signature", "varchar"), ("status", "varchar"), ("response", "json"), ("received_at", "timestamptz"))
_INSERT_NEW_PG = (
    f"INSERT INTO {_TABLE.name} ({', '.join(name for name, _ in _RECORD)}) SELECT "
    + ", ".join("decode(r.body, 'base64')" if name == "body" else f"r.{name}" for name, _ in _RECORD)
    + f" FROM json_to_recordset(%(rows)s::json) AS r({', '.join(f'{name} {kind}' for name, kind in _RECORD)})"
    " ON CONFLICT (dedupe_key) DO NOTHING RETURNING id, dedupe_key"
)


@dataclass(frozen=True)
class Envelope:
    """What we could read of a request's context (fields are None when absent or unreadable)."""

    action: str
    bap_id: str | None = None
    message_id: str | None = None
    transaction_id: str | None = None
    domain: str | None = None

    @classmethod
    def from_payload(cls, action: str, payload: Any, *, sender_key: str = "bap_id") -> Envelope:
        """Pick the ids out of whatever was sent, without trusting its shape.

        ``bap_id`` holds the sender: the buyer app of a request, or (``sender_key="bpp_id"``) the courier of a
        logistics callback, where we are the BAP; the dedupe key is then (courier, action, message_id), so the
        answers of several couriers to one search are all kept.
        """
        context = payload.get("context") if isinstance(payload, dict) else None
        if not isinstance(context, dict):
            return cls(action=action)

        def text(key: str, limit: int) -> str | None:
            # Cut to the column's length and without NUL (PostgreSQL refuses it in text): an unsigned request with
            # a 300-character id, or one with a NUL in it, must still get its NACK.
            value = context.get(key)
            return value.replace("\x00", "")[:limit] or None if isinstance(value, str) else None

        return cls(action=action, bap_id=text(sender_key, 255), message_id=text("message_id", 128),
                   transaction_id=text("transaction_id", 128), domain=text("domain", 32))

    @property
    def dedupe_key(self) -> str:
        """(bap_id, action, message_id), the ONDC duplicate key."""
        return f"{self.bap_id}|{self.action}|{self.message_id}"


@dataclass(frozen=True)
class Stored:
    """An ACKed message found again by its dedupe key: its id and the answer it got."""

    id: int
    response: dict[str, Any] | None
    status: str


@dataclass(frozen=True)
class Written:
    """What became of one row of `InboundWriter.record_many`: its id and status in the table, and whether its
    dedupe key was taken already (then id and status are the earlier row's)."""

    id: int
    status: str
    duplicate: bool


class InboundWriter:
    """How the ACK path stores a call: one INSERT on an autocommit connection, no ORM session, no pre-ping.

    Two pools on PostgreSQL. ``durable`` commits as every other write does; ``relaxed`` has
    ``synchronous_commit = off``: the commit returns before the WAL reaches the disk, so a server crash can lose
    the last few hundred milliseconds of its rows (never corrupt them). Only searches and NACKs are written
    there: a lost search is one the buyer app repeats, and a NACK promised nothing. A catalog_inc search (a
    subscription starting or stopping, answered by no on_search) and every action whose ACK promises an answer
    (select, init, confirm, cancel, update, ...) are written durably. SQLite has one pool (its
    WAL with synchronous=NORMAL already commits without waiting for the disk).

    No pre-ping: a connection the server dropped (a restart) fails its statement, the pool throws away its
    connections, and the statement runs once more on a new one.

    ``healthy`` says whether the database answered the last statement (False until one has): the search
    buffer (`adapter.store.search_buffer`) takes rows only while it is true, so that a database that is down
    gets its 503 NACK on the request path rather than an ACK for a row that cannot be stored.
    """

    def __init__(self, database_url: str, *, pool_size: int = 4) -> None:
        self.healthy = False
        self.dialect = "postgresql" if database_url.startswith("postgresql") else "sqlite"
        if not database_url.startswith("postgresql"):
            self.durable = self.relaxed = make_engine(database_url, isolation_level="AUTOCOMMIT")
            return
        self.durable = make_engine(database_url, pre_ping=False, isolation_level="AUTOCOMMIT",
                                   pool_size=pool_size, max_overflow=pool_size)
        self.relaxed = make_engine(database_url, pre_ping=False, isolation_level="AUTOCOMMIT",
                                   pool_size=pool_size, max_overflow=pool_size)
        event.listen(self.relaxed, "connect", _relax_commit)

    def record(self, envelope: Envelope, *, body: bytes, headers: dict[str, str], signature: str | None,
               response: dict[str, Any], status: str, nack_code: str | None = None,
               error: str | None = None, durable: bool = True) -> int:
        """Store one call with our answer; its id. Raises IntegrityError when an ACKed dedupe key is taken.

        Only ACKed calls get a dedupe key, so a corrected retry of a NACKed message_id is accepted. ``durable``
        False (a plain search, a NACK): written on the relaxed pool (see the class).
        """
        row = self.row(envelope, body=body, headers=headers, signature=signature, response=response, status=status,
                       nack_code=nack_code, error=error)
        engine = self.durable if durable and status != "nacked" else self.relaxed
        return int(self._run(engine, lambda conn: conn.execute(_INSERT, row).scalar_one()))

    @staticmethod
    def row(envelope: Envelope, *, body: bytes, headers: dict[str, str], signature: str | None,
            response: dict[str, Any], status: str, nack_code: str | None = None,
            error: str | None = None) -> dict[str, Any]:
        """The table row of one call, received now (``record`` stores it at once, the search buffer later)."""
        return {"dedupe_key": envelope.dedupe_key if status != "nacked" else None, "bap_id": envelope.bap_id,
                "action": envelope.action, "message_id": envelope.message_id,
                "transaction_id": envelope.transaction_id, "domain": envelope.domain, "body": body,
                "headers": headers, "signature": signature, "status": status, "nack_code": nack_code,
                "response": response, "error": error, "received_at": utcnow()}

    def record_many(self, rows: list[dict[str, Any]]) -> list[Written]:
        """Store ACKed rows (each with a dedupe key) in one statement on the relaxed pool; for each, in order,
        what became of it. A row whose key is taken (by an earlier call, or an earlier row of the same list) is
        not stored again: it is reported as a duplicate of the row that holds the key."""
        def write(conn: Connection) -> tuple[dict[str, int], dict[str, tuple[int, str]]]:
            if self.dialect == "postgresql":
                document = orjson.dumps([row | {"body": base64.b64encode(row["body"]).decode()} for row in rows])
                inserted = conn.exec_driver_sql(_INSERT_NEW_PG, {"rows": document.decode()})
            else:
                inserted = conn.execute(_INSERT_NEW, rows)
            new = {key: int(id_) for id_, key in inserted}
            taken = {row["dedupe_key"] for row in rows} - new.keys()
            found: dict[str, tuple[int, str]] = {}
            if taken:
                query = select(_TABLE.c.id, _TABLE.c.dedupe_key, _TABLE.c.status).where(
                    _TABLE.c.dedupe_key.in_(taken))
                found = {key: (int(id_), status) for id_, key, status in conn.execute(query)}
            return new, found

        new, found = self._run(self.relaxed, write)
        written: list[Written] = []
        first: dict[str, Written] = {}
        for row in rows:
            key = row["dedupe_key"]
            if key in first:  # a repeat within this list
                written.append(Written(id=first[key].id, status=first[key].status, duplicate=True))
            elif key in new:
                first[key] = Written(id=new[key], status=row["status"], duplicate=False)
                written.append(first[key])
            elif key in found:
                written.append(Written(id=found[key][0], status=found[key][1], duplicate=True))
            else:  # the row holding the key went away between the two statements: nothing to answer twice
                written.append(Written(id=0, status="gone", duplicate=True))
        return written

    def find_duplicate(self, envelope: Envelope) -> Stored | None:
        """The earlier ACKed message with the same (bap_id, action, message_id)."""
        query = select(_TABLE.c.id, _TABLE.c.response, _TABLE.c.status).where(
            _TABLE.c.dedupe_key == envelope.dedupe_key)
        found = self._run(self.durable, lambda conn: conn.execute(query).first())
        return Stored(id=found.id, response=found.response, status=found.status) if found is not None else None

    def dispose(self) -> None:
        """Close the pools' connections."""
        self.durable.dispose()
        if self.relaxed is not self.durable:
            self.relaxed.dispose()

    def _run(self, engine: Engine, statement: Callable[[Connection], Any]) -> Any:
        try:
            try:
                with engine.connect() as conn:
                    result = statement(conn)
            except DBAPIError as error:
                if not error.connection_invalidated:
                    raise
                with engine.connect() as conn:  # the server dropped the connection: once more, on a new one
                    result = statement(conn)
        except (OperationalError, InterfaceError):  # the database, not the statement
            self.healthy = False
            raise
        self.healthy = True
        return result


def _relax_commit(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("SET synchronous_commit TO off")
    cursor.close()


# A request may be taken up in these states: stored, queued, or waiting to be run again (a select waiting for
# courier quotes: adapter.orders.shipping).
CLAIMABLE = ("received", "enqueued", "waiting")


def claim(session: Session, inbound_id: int) -> InboundMessage | None:
    """Move a received (or waiting) message to processing; None when another worker has it or it is done."""
    result = session.execute(
        update(InboundMessage)
        .where(InboundMessage.id == inbound_id, InboundMessage.status.in_(CLAIMABLE))
        .values(status="processing")
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return None
    return session.get(InboundMessage, inbound_id)


def finish(message: InboundMessage, status: str, error: str | None = None) -> None:
    """Mark a message processed (or failed/ignored)."""
    message.status = status
    message.error = error
    message.processed_at = utcnow()


def wait(message: InboundMessage) -> None:
    """Leave a message to be run again (its answer waits for something: courier quotes for a select)."""
    message.status = "waiting"


def stuck_ids(session: Session, *, older_than: dt.datetime, limit: int = 500) -> list[int]:
    """Messages stored but never processed (broker was down, or a worker died mid-task), fewest attempts first;
    and messages still waiting long after their wait should have ended (the task that ends it was lost).

    Fewest attempts first: a row that keeps failing can never hold back the ones that have not been tried.
    """
    return list(
        session.scalars(
            select(InboundMessage.id)
            .where(InboundMessage.status.in_((*CLAIMABLE, "processing")),
                   InboundMessage.received_at < older_than)
            .order_by(InboundMessage.attempts, InboundMessage.id)
            .limit(limit)
        )
    )


def note_failed_attempt(session: Session, inbound_id: int, error: str) -> int:
    """Count one more attempt that failed for a reason not about the request; returns the count so far."""
    session.execute(
        update(InboundMessage).where(InboundMessage.id == inbound_id)
        .values(attempts=InboundMessage.attempts + 1, error=error[:2000])
    )
    return int(session.scalar(select(InboundMessage.attempts).where(InboundMessage.id == inbound_id)) or 0)


def release(session: Session, inbound_ids: list[int]) -> None:
    """Give stuck `processing` messages back so a new task can claim them."""
    if inbound_ids:
        session.execute(
            update(InboundMessage)
            .where(InboundMessage.id.in_(inbound_ids), InboundMessage.status == "processing")
            .values(status="received")
        )


def for_transaction(session: Session, transaction_id: str) -> list[InboundMessage]:
    """Every inbound message of one transaction, oldest first."""
    return list(
        session.scalars(
            select(InboundMessage)
            .where(InboundMessage.transaction_id == transaction_id)
            .order_by(InboundMessage.received_at, InboundMessage.id)
        )
    )


FINDER_FEE_KEYS = ("@ondc/org/buyer_app_finder_fee_type", "@ondc/org/buyer_app_finder_fee_amount")


def search_finder_fee(session: Session, bap_id: str, transaction_id: str) -> dict[str, str]:
    """The finder fee a buyer app stated in its search for this transaction (on_init must echo it unchanged)."""
    body = session.scalar(
        select(InboundMessage.body).where(
            InboundMessage.bap_id == bap_id, InboundMessage.transaction_id == transaction_id,
            InboundMessage.action == "search", InboundMessage.status != "nacked",
        ).order_by(InboundMessage.id.desc()).limit(1)
    )
    try:
        payment = orjson.loads(body or b"{}")["message"]["intent"]["payment"]
    except (orjson.JSONDecodeError, KeyError, TypeError):
        return {}
    if not isinstance(payment, dict):
        return {}
    return {key: payment[key] for key in FINDER_FEE_KEYS if isinstance(payment.get(key), str)}


def recent_failures(session: Session, limit: int = 50) -> list[InboundMessage]:
    """ACKed requests a handler failed on (answered with an error callback), newest first."""
    return list(session.scalars(
        select(InboundMessage).where(InboundMessage.status == "failed")
        .order_by(InboundMessage.received_at.desc(), InboundMessage.id.desc()).limit(limit)
    ))

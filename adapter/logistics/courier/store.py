"""The test courier's own state: a small SQLite file under DATA_DIR, apart from the adapter's database.

The courier is an outside party: it shares no table with the adapter. Quotes (by transaction), shipments (by
order id and AWB, with the order document as last sent), each shipment's state history, the request ids seen
(so a repeated request gets no second callback) and every callback sent.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["Sent", "Shipment", "Store"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS quotes (
    transaction_id TEXT PRIMARY KEY, domain TEXT NOT NULL, data TEXT NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS shipments (
    order_id TEXT PRIMARY KEY, awb TEXT NOT NULL UNIQUE, transaction_id TEXT NOT NULL, domain TEXT NOT NULL,
    context TEXT NOT NULL, state TEXT NOT NULL, since TEXT NOT NULL, scenario TEXT NOT NULL,
    next_at REAL, order_json TEXT NOT NULL, route TEXT NOT NULL, quote TEXT NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY AUTOINCREMENT, awb TEXT NOT NULL, state TEXT NOT NULL, at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS seen (
    bap_id TEXT NOT NULL, action TEXT NOT NULL, message_id TEXT NOT NULL, PRIMARY KEY (bap_id, action, message_id));
CREATE TABLE IF NOT EXISTS sent (
    id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, transaction_id TEXT NOT NULL, awb TEXT,
    action TEXT NOT NULL, url TEXT NOT NULL, body TEXT NOT NULL, status INTEGER, answer TEXT NOT NULL);
"""


@dataclass(frozen=True)
class Shipment:
    """A confirmed shipment as stored: who booked it, where it is, and the order document as last sent."""

    order_id: str
    awb: str
    transaction_id: str
    domain: str
    context: dict[str, Any]
    state: str
    since: str
    scenario: str
    next_at: float | None
    order: dict[str, Any]
    route: dict[str, Any]
    quote: dict[str, Any]
    created_at: str


@dataclass(frozen=True)
class Sent:
    """One callback the courier sent, and what came back (status None: no answer at all)."""

    id: int
    at: str
    transaction_id: str
    awb: str | None
    action: str
    url: str
    body: dict[str, Any]
    status: int | None
    answer: str


def _shipment(row: sqlite3.Row) -> Shipment:
    return Shipment(order_id=row["order_id"], awb=row["awb"], transaction_id=row["transaction_id"],
                    domain=row["domain"], context=json.loads(row["context"]), state=row["state"],
                    since=row["since"], scenario=row["scenario"], next_at=row["next_at"],
                    order=json.loads(row["order_json"]), route=json.loads(row["route"]),
                    quote=json.loads(row["quote"]), created_at=row["created_at"])


class Store:
    """The courier's SQLite file; every method opens its own connection, so threads and processes may share it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(_SCHEMA)

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        db.row_factory = sqlite3.Row
        try:
            yield db
        finally:
            db.close()

    def first_time(self, bap_id: str, action: str, message_id: str) -> bool:
        """Remember a request id; False when it was seen before (a retry: answer it, but act only once)."""
        with self._connect() as db:
            cursor = db.execute("INSERT OR IGNORE INTO seen VALUES (?, ?, ?)", (bap_id, action, message_id))
            return cursor.rowcount == 1

    def save_quote(self, transaction_id: str, domain: str, data: dict[str, Any], at: str) -> None:
        """Keep what a search was quoted, for the init and confirm of the same transaction."""
        with self._connect() as db:
            db.execute("INSERT OR REPLACE INTO quotes VALUES (?, ?, ?, ?)",
                       (transaction_id, domain, json.dumps(data), at))

    def quote(self, transaction_id: str) -> dict[str, Any] | None:
        """What the transaction's search was quoted, if it was."""
        with self._connect() as db:
            row = db.execute("SELECT data FROM quotes WHERE transaction_id = ?", (transaction_id,)).fetchone()
        return json.loads(row["data"]) if row else None

    def add_shipment(self, shipment: Shipment) -> bool:
        """Store a new shipment and its first state; False when the order id was confirmed before."""
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            cursor = db.execute(
                "INSERT OR IGNORE INTO shipments VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (shipment.order_id, shipment.awb, shipment.transaction_id, shipment.domain,
                 json.dumps(shipment.context), shipment.state, shipment.since, shipment.scenario, shipment.next_at,
                 json.dumps(shipment.order), json.dumps(shipment.route), json.dumps(shipment.quote),
                 shipment.created_at))
            if cursor.rowcount == 1:
                db.execute("INSERT INTO events (awb, state, at) VALUES (?, ?, ?)",
                           (shipment.awb, shipment.state, shipment.since))
            db.execute("COMMIT")
            return cursor.rowcount == 1

    def shipment(self, *, order_id: str | None = None, awb: str | None = None) -> Shipment | None:
        """A shipment by its order id or its AWB."""
        column, value = ("order_id", order_id) if order_id is not None else ("awb", awb)
        with self._connect() as db:
            row = db.execute(f"SELECT * FROM shipments WHERE {column} = ?", (value,)).fetchone()
        return _shipment(row) if row else None

    def shipments(self) -> list[Shipment]:
        """Every shipment, newest first."""
        with self._connect() as db:
            rows = db.execute("SELECT * FROM shipments ORDER BY created_at DESC, awb").fetchall()
        return [_shipment(row) for row in rows]

    def move(self, awb: str, *, expected: str, state: str, order: dict[str, Any], at: str,
             next_at: float | None) -> bool:
        """Move a shipment on if it is still in ``expected`` (so two movers never both move it); True if moved."""
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            cursor = db.execute(
                "UPDATE shipments SET state = ?, since = ?, order_json = ?, next_at = ? WHERE awb = ? AND state = ?",
                (state, at, json.dumps(order), next_at, awb, expected))
            if cursor.rowcount == 1:
                db.execute("INSERT INTO events (awb, state, at) VALUES (?, ?, ?)", (awb, state, at))
            db.execute("COMMIT")
            return cursor.rowcount == 1

    def plan(self, awb: str, *, next_at: float | None, scenario: str | None = None,
             order: dict[str, Any] | None = None) -> None:
        """Set when the schedule moves the shipment next (None: only a command moves it), its scenario, its order."""
        with self._connect() as db:
            db.execute("UPDATE shipments SET next_at = ?, scenario = COALESCE(?, scenario), "
                       "order_json = COALESCE(?, order_json) WHERE awb = ?",
                       (next_at, scenario, json.dumps(order) if order is not None else None, awb))

    def due(self, now: float) -> list[str]:
        """The AWBs the schedule should move now, longest waiting first."""
        with self._connect() as db:
            rows = db.execute("SELECT awb FROM shipments WHERE next_at IS NOT NULL AND next_at <= ? "
                              "ORDER BY next_at", (now,)).fetchall()
        return [row["awb"] for row in rows]

    def history(self, awb: str) -> list[tuple[str, str]]:
        """(state, when) for every state the shipment was in, oldest first."""
        with self._connect() as db:
            rows = db.execute("SELECT state, at FROM events WHERE awb = ? ORDER BY id", (awb,)).fetchall()
        return [(row["state"], row["at"]) for row in rows]

    def record_sent(self, *, at: str, transaction_id: str, awb: str | None, action: str, url: str,
                    body: dict[str, Any], status: int | None, answer: str) -> None:
        """Log a callback and its answer."""
        with self._connect() as db:
            db.execute("INSERT INTO sent (at, transaction_id, awb, action, url, body, status, answer) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                       (at, transaction_id, awb, action, url, json.dumps(body), status, answer))

    def sent(self, transaction_id: str | None = None) -> list[Sent]:
        """Callbacks sent (of one transaction, or all), oldest first."""
        query, args = "SELECT * FROM sent", tuple[str, ...]()
        if transaction_id is not None:
            query, args = query + " WHERE transaction_id = ?", (transaction_id,)
        with self._connect() as db:
            rows = db.execute(query + " ORDER BY id", args).fetchall()
        return [Sent(id=row["id"], at=row["at"], transaction_id=row["transaction_id"], awb=row["awb"],
                     action=row["action"], url=row["url"], body=json.loads(row["body"]), status=row["status"],
                     answer=row["answer"]) for row in rows]

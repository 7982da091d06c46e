"""Engines and sessions. Nothing connects at import time."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.orm import Session, sessionmaker

# SQLite: pages of write-ahead log after which a commit copies them back into the database file (SQLite's
# default is 1,000). benchmarks/ack_path.py: ~10% less server CPU per stored search with two web processes.
WAL_AUTOCHECKPOINT_PAGES = 10_000


def make_engine(url: str, *, pre_ping: bool = True, **kwargs: Any) -> Engine:
    """Create an engine; SQLite gets WAL, foreign keys and a busy timeout so several processes can share it.

    ``pre_ping`` (PostgreSQL): test each connection with a round trip before use, so a restarted server costs
    nothing but the ping; a hot path that retries a dropped connection itself turns it off.
    """
    if url.startswith("sqlite"):
        path = url.split("sqlite:///", 1)[1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            # Checkpoint every ~40 MB of WAL rather than every ~4 MB: the pages every insert touches (the end of
            # the table and of its indexes) are copied back once per checkpoint instead of ten times. It costs
            # nothing in safety, and the WAL file is cut back to 64 MB after a checkpoint that reset it.
            cur.execute(f"PRAGMA wal_autocheckpoint={WAL_AUTOCHECKPOINT_PAGES}")
            cur.execute(f"PRAGMA journal_size_limit={64 * 1024 * 1024}")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=pre_ping, **kwargs)


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """A session factory whose objects stay usable after commit."""
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    with factory() as session, session.begin():
        yield session


def ping(engine: Engine) -> None:
    """Run a trivial query; raises when the database is unreachable."""
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))

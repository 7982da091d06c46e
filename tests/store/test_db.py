"""The SQLite settings every connection of ours gets (adapter/store/db.py)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from adapter.store.db import WAL_AUTOCHECKPOINT_PAGES, make_engine


def test_every_sqlite_connection_gets_wal_and_its_checkpoint_size(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/odop.sqlite3")
    try:
        with engine.connect() as conn:
            pragmas = {name: conn.execute(text(f"PRAGMA {name}")).scalar()
                       for name in ("journal_mode", "synchronous", "foreign_keys", "wal_autocheckpoint",
                                    "journal_size_limit")}
    finally:
        engine.dispose()
    assert pragmas == {"journal_mode": "wal", "synchronous": 1, "foreign_keys": 1,
                       "wal_autocheckpoint": WAL_AUTOCHECKPOINT_PAGES, "journal_size_limit": 64 * 1024 * 1024}

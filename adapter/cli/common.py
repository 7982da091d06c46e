"""What every command needs: the settings, with a bad variable reported as a clear error."""

from __future__ import annotations

import os

import click
from sqlalchemy.orm import Session, sessionmaker

from adapter.store import migrate
from adapter.store.db import make_engine, make_sessionmaker
from config import Settings, SettingsError, load_settings


def load_cli_settings() -> Settings:
    """Settings for a command; a bad variable becomes a clear error, not a traceback."""
    try:
        return load_settings(os.environ)
    except SettingsError as error:
        raise click.ClickException(str(error)) from error


def cli_sessions(settings: Settings) -> sessionmaker[Session]:
    """Sessions on the configured database, after checking it is migrated to this version's schema.

    A database never migrated, or migrated by an older (or newer) version, is one plain line saying what to run,
    before any command reads a table that is not there or has changed.
    """
    engine = make_engine(settings.database_url)
    try:  # a database that cannot be reached is reported by the command group (one line; --debug: traceback)
        current = migrate.current_revision(engine)
    except Exception:
        engine.dispose()
        raise
    head = migrate.head_revision(settings.database_url)
    if current != head:
        engine.dispose()
        raise click.ClickException(schema_advice(current, head))
    return make_sessionmaker(engine)


def schema_advice(current: str | None, head: str | None) -> str:
    """What to do when the database's schema is not the one this version needs."""
    if current is None:
        return ("the database has no tables yet: run `odop-adapter db upgrade` first "
                "(`make run` and `odop-adapter up` do it for you)")
    if current in migrate.known_revisions():
        return (f"the database is at revision {current} and this version needs {head}: run "
                "`odop-adapter db upgrade` (back it up first in production; docs/operations.md)")
    return (f"the database is at revision {current}, which this version does not know (a newer version "
            f"migrated it; this one needs {head}): run the newer version, or downgrade the database with it")

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect

from adapter.store import migrate
from adapter.store.db import make_engine
from adapter.store.models import Base

CORE_TABLES = {"cooperatives", "api_keys", "inbound_messages", "outbox", "sync_jobs"}


def test_upgrade_downgrade_upgrade_round_trip(engine: Engine, database_url: str) -> None:
    head = migrate.head_revision(database_url)
    assert migrate.current_revision(engine) == head
    assert set(inspect(engine).get_table_names()) >= CORE_TABLES

    migrate.downgrade(database_url, "base")
    fresh = make_engine(database_url)
    try:
        assert migrate.current_revision(fresh) is None
        assert not CORE_TABLES & set(inspect(fresh).get_table_names())
    finally:
        fresh.dispose()

    migrate.upgrade(database_url)
    assert migrate.current_revision(engine) == head
    assert set(inspect(engine).get_table_names()) >= CORE_TABLES


def test_models_and_migrations_agree(engine: Engine) -> None:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": False})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []

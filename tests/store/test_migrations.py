from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect, select, text
from sqlalchemy.orm import Session, sessionmaker

from adapter.store import migrate
from adapter.store.db import make_engine
from adapter.store.models import Base, CatalogueItem, StockMove

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


def test_items_stored_before_the_ledger_get_a_first_count_that_keeps_their_sales(
    engine: Engine, database_url: str, sessions: sessionmaker[Session]
) -> None:
    from tests.support.sellers import make_seller

    seller = make_seller(sessions)
    migrate.downgrade(database_url, "0014")
    old = make_engine(database_url)
    try:
        with old.begin() as conn:  # an order took 3 of T16-2's 120 before the ledger existed
            conn.execute(text("UPDATE items SET stock = 117 WHERE item_id = 'T16-2'"))
    finally:
        old.dispose()
    migrate.upgrade(database_url)
    with sessions() as session:
        found = session.scalars(select(CatalogueItem).where(CatalogueItem.cooperative_id == seller))
        rows = {r.item_id: r for r in found}
        moves = session.scalars(select(StockMove).where(StockMove.item_id == "T16-2")).all()
    assert [(m.kind, m.figure, m.available) for m in moves] == [("count", 120, 117)]  # the sheet said 120
    assert (rows["T16-2"].count_figure, rows["T16-2"].stock) == (120, 117)
    assert rows["T16-2"].count_move_id == moves[0].id

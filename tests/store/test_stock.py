"""The stock ledger's moves: all or nothing for orders, and releases for items that are still listed."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from adapter.store import stock
from adapter.store.db import transaction
from adapter.store.models import CatalogueItem, StockMove
from tests.support.sellers import make_seller


def test_an_order_takes_all_its_units_or_none(sessions: sessionmaker[Session]) -> None:
    seller = make_seller(sessions)
    with transaction(sessions) as session:
        assert stock.apply(session, seller, {"T16-1": -2, "T16-3": -1}, kind="order", ref="O-1") is None  # T16-3: 0
    with transaction(sessions) as session:
        assert stock.apply(session, seller, {"T16-1": -2, "T16-2": -1}, kind="order", ref="O-2") == {
            "T16-1": 2, "T16-2": 119}
    with sessions() as session:
        moves = session.scalars(select(StockMove).where(StockMove.kind == "order")).all()
    assert sorted((m.item_id, m.delta, m.available, m.ref) for m in moves) == [
        ("T16-1", -2, 2, "O-2"), ("T16-2", -1, 119, "O-2")]


def test_a_cancellation_releases_the_items_still_listed(sessions: sessionmaker[Session]) -> None:
    seller = make_seller(sessions)
    with transaction(sessions) as session:
        stock.apply(session, seller, {"T16-1": -1, "T16-2": -1}, kind="order", ref="O-1")
        session.execute(delete(CatalogueItem).where(CatalogueItem.item_id == "T16-2"))  # taken off the catalogue
    with transaction(sessions) as session:
        assert stock.apply(session, seller, {"T16-1": 1, "T16-2": 1}, kind="cancel", ref="O-1") == {"T16-1": 4}
    with transaction(sessions) as session:  # but an order for an unlisted item is refused
        assert stock.apply(session, seller, {"T16-2": -1}, kind="order", ref="O-3") is None

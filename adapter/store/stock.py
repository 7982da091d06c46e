"""The stock ledger: counts and order moves of each item, and the figures uploads are planned from.

Invariant (checked by tests/integration/test_stock_ledger.py on both databases): for every current item,
``items.stock`` = the ``available`` of its last count + the ``delta`` of every later move of that item, and it
is never below zero. Every function takes a Session and never commits. docs/stock.md explains the design.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final, cast

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.orm import Session

from adapter.store.models import CatalogueItem, StockMove, utcnow

__all__ = ["ORDER_KINDS", "Count", "History", "apply", "histories", "ledger", "record_counts"]

# Moves that orders make; a count is the other kind.
ORDER_KINDS: Final = ("order", "cancel", "return", "rto")
_CHUNK: Final = 500


def apply(session: Session, cooperative_id: int, deltas: dict[str, int], *, kind: str, ref: str | None,
          now: dt.datetime | None = None) -> dict[str, int] | None:
    """Move stock by ``deltas`` (negative takes units), all or nothing; the new stock of the listed items, or
    None when any item would go below zero or is not listed (nothing is changed then). Units coming back
    (positive) for an item no longer listed are kept in the ledger only (``available`` 0), so a cancellation
    still releases the items that are listed, and the item's history stays whole if it is listed again.

    Each decrement is a conditional UPDATE (stock + delta >= 0): it locks the row on PostgreSQL and is
    serialised on SQLite, so two orders racing for the last unit cannot both win. The row stays locked until
    the transaction ends, so one item's moves get ids in the order they commit.
    """
    if kind not in ORDER_KINDS:
        raise ValueError(f"kind must be one of {', '.join(ORDER_KINDS)}")
    done: dict[str, int] = {}
    unlisted: dict[str, int] = {}
    for item_id, delta in sorted(deltas.items()):  # rows are locked in item order, as imports lock them
        result = session.execute(
            update(CatalogueItem)
            .where(CatalogueItem.cooperative_id == cooperative_id, CatalogueItem.item_id == item_id,
                   CatalogueItem.stock + delta >= 0)
            .values(stock=CatalogueItem.stock + delta)
            .execution_options(synchronize_session=False)
        )
        if getattr(result, "rowcount", 0) == 1:
            done[item_id] = delta
        elif delta >= 0:
            unlisted[item_id] = delta
        else:
            for undo_id, undo in done.items():  # same transaction: put back what this call took
                session.execute(update(CatalogueItem)
                                .where(CatalogueItem.cooperative_id == cooperative_id,
                                       CatalogueItem.item_id == undo_id)
                                .values(stock=CatalogueItem.stock - undo)
                                .execution_options(synchronize_session=False))
            return None
    after = dict(session.execute(
        select(CatalogueItem.item_id, CatalogueItem.stock)
        .where(CatalogueItem.cooperative_id == cooperative_id, CatalogueItem.item_id.in_(list(done)))
    ).all()) if done else {}
    at = now or utcnow()
    moves = [(item_id, delta, after.get(item_id, 0)) for item_id, delta in (*done.items(), *unlisted.items())]
    if moves:
        ids = session.execute(insert(StockMove).returning(StockMove.id, sort_by_parameter_order=True), [
            {"cooperative_id": cooperative_id, "item_id": item_id, "kind": kind, "delta": delta,
             "available": available, "figure": None, "ref": (ref or "")[:255] or None, "at": at}
            for item_id, delta, available in moves
        ]).scalars().all()
        table = cast(Table, CatalogueItem.__table__)
        session.connection().execute(
            update(table).where(table.c.cooperative_id == bindparam("c_id"), table.c.item_id == bindparam("i_id"))
            .values(last_move_id=bindparam("m")),
            [{"c_id": cooperative_id, "i_id": item_id, "m": move_id}
             for (item_id, _, _), move_id in zip(moves, ids, strict=True) if item_id in done])
    return after


@dataclass(frozen=True)
class Count:
    """A count of one item: what the sheet or the person said (``figure``) and the stock it leaves."""

    item_id: str
    figure: int
    available: int
    before: int


def record_counts(session: Session, cooperative_id: int, counts: Sequence[Count], *, ref: str | None,
                  now: dt.datetime | None = None) -> None:
    """Write count moves and make them the items' last counts (the items must exist; their stock is set)."""
    at = now or utcnow()
    table = cast(Table, CatalogueItem.__table__)
    moves = cast(Table, StockMove.__table__)
    for start in range(0, len(counts), _CHUNK):
        chunk = counts[start:start + _CHUNK]
        ids = session.execute(insert(StockMove).returning(StockMove.id, sort_by_parameter_order=True), [
            {"cooperative_id": cooperative_id, "item_id": c.item_id, "kind": "count",
             "delta": c.available - c.before, "available": c.available, "figure": c.figure,
             "ref": (ref or "")[:255] or None, "at": at}
            for c in chunk
        ]).scalars().all()
        # One UPDATE ... FROM per chunk (a statement per item is 10,000 round trips on a first import).
        session.execute(
            update(table)
            .where(table.c.cooperative_id == moves.c.cooperative_id, table.c.item_id == moves.c.item_id,
                   moves.c.id.in_(list(ids)))
            .values(stock=moves.c.available, count_figure=moves.c.figure, count_move_id=moves.c.id,
                    last_move_id=moves.c.id)
            .execution_options(synchronize_session=False))


@dataclass(frozen=True)
class History:
    """What an upload needs to know about one item: its counts (move id, figure, stock it left) oldest first,
    and its order moves (move id, delta), oldest first."""

    counts: tuple[tuple[int, int, int], ...]
    orders: tuple[tuple[int, int], ...]

    def net_since(self, move_id: int) -> int:
        """Units that came back minus units taken by orders after ``move_id`` (negative: sold since)."""
        return sum(delta for at, delta in self.orders if at > move_id)

    def has_move(self, move_id: int) -> bool:
        """Whether ``move_id`` is one of this item's moves (a download's mark must be)."""
        return any(at == move_id for at, *_ in (*self.counts, *self.orders))

    def last_count_id(self) -> int:
        """The id of the last count (0 before any)."""
        return self.counts[-1][0] if self.counts else 0

    def count_said(self, figure: int) -> tuple[int, int] | None:
        """The latest count that said ``figure``, and the stock now if it had been the last count (None: no
        count said it)."""
        for move_id, said, left in reversed(self.counts):
            if said == figure:
                return move_id, left + self.net_since(move_id)
        return None


def histories(session: Session, cooperative_id: int, item_ids: Iterable[str]) -> dict[str, History]:
    """The ledger history of each item (items with no moves are absent)."""
    counts: dict[str, list[tuple[int, int, int]]] = {}
    orders: dict[str, list[tuple[int, int]]] = {}
    wanted = set(item_ids)
    query = select(StockMove.item_id, StockMove.id, StockMove.kind, StockMove.delta, StockMove.figure,
                   StockMove.available).where(StockMove.cooperative_id == cooperative_id)
    if len(wanted) <= _CHUNK:
        query = query.where(StockMove.item_id.in_(sorted(wanted)))
    # Otherwise one pass over the cooperative's ledger: chunks of IN lists get slow generic plans on
    # PostgreSQL once psycopg prepares the statement (2.1 s for 10,000 items, against 0.03-0.06 s for one pass).
    for item_id, move_id, kind, delta, figure, available in session.execute(query):
        if item_id not in wanted:
            continue
        if kind == "count":
            counts.setdefault(item_id, []).append((move_id, available if figure is None else figure, available))
        else:
            orders.setdefault(item_id, []).append((move_id, delta))
    return {item_id: History(tuple(sorted(counts.get(item_id, ()))), tuple(sorted(orders.get(item_id, ()))))
            for item_id in set(counts) | set(orders)}


def ledger(session: Session, cooperative_id: int, item_id: str, *, limit: int = 100) -> list[StockMove]:
    """An item's moves, newest first."""
    return list(session.scalars(
        select(StockMove).where(StockMove.cooperative_id == cooperative_id, StockMove.item_id == item_id)
        .order_by(StockMove.id.desc()).limit(limit)))

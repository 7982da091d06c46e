"""Repository for catalogue versions (immutable snapshots) and the current items of each cooperative."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, func, insert, select, update
from sqlalchemy.orm import Session

from adapter.errors import NotFoundError
from adapter.store.models import CatalogueItem, CatalogueVersion, Cooperative, ItemBlob, VersionItem, utcnow

# Keeps IN (...) lists and multi-row inserts within every backend's parameter limits.
CHUNK = 500


@dataclass(frozen=True)
class ItemRecord:
    """An item as the store keeps it: its id, content hash, JSON data and the columns lists are built from."""

    item_id: str
    item_hash: str
    data: dict[str, Any]
    domain: str
    name: str
    price: str
    stock: int
    enabled: bool


def catalogue_hash(records: Iterable[ItemRecord]) -> str:
    """SHA-256 of the sorted (item id, item hash) pairs: equal for equal item sets, whatever the file was."""
    digest = hashlib.sha256()
    for item_id, item_hash in sorted((r.item_id, r.item_hash) for r in records):
        digest.update(f"{item_id}\x00{item_hash}\n".encode())
    return digest.hexdigest()


def _chunks(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), CHUNK):
        yield values[start:start + CHUNK]


def lock_catalogue(session: Session, cooperative_id: int) -> None:
    """Hold the cooperative's row until the transaction ends, so two imports cannot both take the next number.

    An UPDATE, not SELECT ... FOR UPDATE: it takes the row lock on PostgreSQL and the write lock on SQLite.
    """
    session.execute(update(Cooperative).where(Cooperative.id == cooperative_id)
                    .values(slug=Cooperative.slug).execution_options(synchronize_session=False))


def lock_items(session: Session, cooperative_id: int) -> None:
    """Lock the cooperative's item rows until the transaction ends (PostgreSQL; SQLite's write lock, taken by
    ``lock_catalogue``, already keeps every other writer out), so orders wait for an import to commit."""
    session.execute(select(CatalogueItem.id).where(CatalogueItem.cooperative_id == cooperative_id)
                    .order_by(CatalogueItem.item_id).with_for_update()).all()  # in item order, as orders lock them


def lock_item(session: Session, item: CatalogueItem) -> None:
    """Lock one item row (the write lock on SQLite) and re-read it, so an edit starts from its stock now and no
    order can change it before the edit commits."""
    session.execute(update(CatalogueItem).where(CatalogueItem.id == item.id).values(stock=CatalogueItem.stock)
                    .execution_options(synchronize_session=False))
    session.refresh(item)


def latest_version(session: Session, cooperative_id: int) -> CatalogueVersion | None:
    """The newest version of a cooperative's catalogue, or None before the first import."""
    return session.scalar(
        select(CatalogueVersion)
        .where(CatalogueVersion.cooperative_id == cooperative_id)
        .order_by(CatalogueVersion.number.desc())
        .limit(1)
    )


def get_version(session: Session, cooperative_id: int, number: int) -> CatalogueVersion:
    """Version `number` of a cooperative's catalogue, or NotFoundError."""
    version = session.scalar(
        select(CatalogueVersion).where(
            CatalogueVersion.cooperative_id == cooperative_id, CatalogueVersion.number == number
        )
    )
    if version is None:
        raise NotFoundError(f"no catalogue version {number}")
    return version


def list_versions(session: Session, cooperative_id: int) -> list[CatalogueVersion]:
    """Every version, newest first."""
    return list(
        session.scalars(
            select(CatalogueVersion)
            .where(CatalogueVersion.cooperative_id == cooperative_id)
            .order_by(CatalogueVersion.number.desc())
        )
    )


def _store_blobs(session: Session, records: Sequence[ItemRecord]) -> None:
    wanted = {r.item_hash: r.data for r in records}
    hashes = list(wanted)
    existing: set[str] = set()
    for chunk in _chunks(hashes):
        existing.update(session.scalars(select(ItemBlob.hash).where(ItemBlob.hash.in_(chunk))))
    missing = [{"hash": h, "data": wanted[h]} for h in hashes if h not in existing]
    for chunk in _chunks(missing):
        session.execute(insert(ItemBlob), list(chunk))


def create_version(
    session: Session, cooperative_id: int, records: Sequence[ItemRecord], *, source: str, filename: str | None,
    item_rows: dict[str, int] | None = None, current: Sequence[ItemRecord] | None = None,
) -> CatalogueVersion:
    """Write a new immutable version (``records``, as the file said them) and make ``current`` (the same items
    with the stock to list now; default ``records``) the cooperative's current items. ``item_rows``: the file
    row of each item, kept to point the cooperative at its spreadsheet."""
    latest = latest_version(session, cooperative_id)
    version = CatalogueVersion(
        cooperative_id=cooperative_id,
        number=(latest.number + 1) if latest else 1,
        content_hash=catalogue_hash(records),
        item_count=len(records),
        source=source,
        filename=filename,
        item_rows=item_rows,
    )
    session.add(version)
    session.flush()
    current = records if current is None else current
    _store_blobs(session, list({r.item_hash: r for r in (*records, *current)}.values()))
    members = [{"version_id": version.id, "item_id": r.item_id, "item_hash": r.item_hash} for r in records]
    for chunk in _chunks(members):
        session.execute(insert(VersionItem), list(chunk))
    set_current_items(session, cooperative_id, current, version_id=version.id)
    return version


def set_current_items(
    session: Session, cooperative_id: int, records: Sequence[ItemRecord], *, version_id: int | None
) -> None:
    """Make ``records`` the whole current item set of a cooperative (their contents already stored as blobs),
    writing only the rows that are new or whose content changes (an item's stock-ledger columns stay with it);
    those point at ``version_id``, the others keep the version they last changed in."""
    existing = dict(session.execute(
        select(CatalogueItem.item_id, CatalogueItem.item_hash).where(CatalogueItem.cooperative_id == cooperative_id)
    ).all())
    wanted = {r.item_id for r in records}
    gone = [item_id for item_id in existing if item_id not in wanted]
    for chunk in _chunks(gone):
        session.execute(delete(CatalogueItem).where(CatalogueItem.cooperative_id == cooperative_id,
                                                    CatalogueItem.item_id.in_(chunk)))
    now = utcnow()

    def row(r: ItemRecord) -> dict[str, Any]:
        return {"cooperative_id": cooperative_id, "item_id": r.item_id, "item_hash": r.item_hash,
                "domain": r.domain, "name": r.name[:255], "price": r.price, "stock": r.stock, "enabled": r.enabled,
                "data": r.data, "version_id": version_id, "updated_at": now}

    new = [row(r) for r in records if r.item_id not in existing]
    for chunk in _chunks(new):
        session.execute(insert(CatalogueItem), list(chunk))
    changed = [row(r) for r in records if r.item_id in existing and existing[r.item_id] != r.item_hash]
    table = cast(Table, CatalogueItem.__table__)
    rewrite = (update(table)
               .where(table.c.cooperative_id == bindparam("c_id"), table.c.item_id == bindparam("i_id"))
               .values({name: bindparam(f"v_{name}") for name in
                        ("item_hash", "domain", "name", "price", "stock", "enabled", "data", "version_id",
                         "updated_at")}))
    for chunk in _chunks(changed):
        session.connection().execute(rewrite, [
            {"c_id": cooperative_id, "i_id": r["item_id"], **{f"v_{k}": v for k, v in r.items()
                                                                if k not in ("cooperative_id", "item_id")}}
            for r in chunk])


def version_items(session: Session, version_id: int) -> dict[str, tuple[str, dict[str, Any]]]:
    """The items of a version, by item id, as (content hash, stored JSON)."""
    rows = session.execute(
        select(VersionItem.item_id, VersionItem.item_hash, ItemBlob.data)
        .join(ItemBlob, ItemBlob.hash == VersionItem.item_hash)
        .where(VersionItem.version_id == version_id)
        .order_by(VersionItem.item_id)
    )
    return {item_id: (item_hash, data) for item_id, item_hash, data in rows}


def current_items(session: Session, cooperative_id: int) -> list[CatalogueItem]:
    """The cooperative's current items, by id."""
    return list(
        session.scalars(
            select(CatalogueItem)
            .where(CatalogueItem.cooperative_id == cooperative_id)
            .order_by(CatalogueItem.item_id)
        )
    )


def current_states(session: Session, cooperative_id: int) -> list[tuple[str, dict[str, Any], int, int | None]]:
    """(item id, stored JSON, stock, last count's figure) of each current item: what an upload is planned from,
    read without building ORM objects."""
    rows = session.execute(select(CatalogueItem.item_id, CatalogueItem.data, CatalogueItem.stock,
                                  CatalogueItem.count_figure)
                           .where(CatalogueItem.cooperative_id == cooperative_id))
    return [(item_id, data, stock, figure) for item_id, data, stock, figure in rows]


def current_index(session: Session, cooperative_id: int) -> dict[str, tuple[str, str]]:
    """Each current item's (content hash, domain), by item id in id order: what a sync compares, without reading
    contents."""
    rows = session.execute(select(CatalogueItem.item_id, CatalogueItem.item_hash, CatalogueItem.domain)
                           .where(CatalogueItem.cooperative_id == cooperative_id).order_by(CatalogueItem.item_id))
    return {item_id: (item_hash, domain) for item_id, item_hash, domain in rows}


def current_data(session: Session, cooperative_id: int,
                 item_ids: Sequence[str]) -> dict[str, tuple[str, dict[str, Any]]]:
    """The content hash and stored JSON of some current items, read together, by item id (absent ids left out)."""
    found: dict[str, tuple[str, dict[str, Any]]] = {}
    for chunk in _chunks(list(item_ids)):
        rows = session.execute(select(CatalogueItem.item_id, CatalogueItem.item_hash, CatalogueItem.data).where(
            CatalogueItem.cooperative_id == cooperative_id, CatalogueItem.item_id.in_(chunk)))
        found.update({item_id: (item_hash, data) for item_id, item_hash, data in rows})
    return found


def count_items(session: Session, cooperative_id: int) -> int:
    """How many current items a cooperative has."""
    return session.scalar(
        select(func.count(CatalogueItem.id)).where(CatalogueItem.cooperative_id == cooperative_id)
    ) or 0


def get_item(session: Session, cooperative_id: int, item_id: str) -> CatalogueItem:
    """One current item of a cooperative, or NotFoundError (other tenants' items look absent)."""
    item = session.scalar(
        select(CatalogueItem).where(
            CatalogueItem.cooperative_id == cooperative_id, CatalogueItem.item_id == item_id
        )
    )
    if item is None:
        raise NotFoundError(f"no item {item_id!r}")
    return item


def update_item(session: Session, item: CatalogueItem, record: ItemRecord) -> CatalogueItem:
    """Replace one current item's content (a single-item edit; versions are not touched)."""
    _store_blobs(session, [record])
    item.item_hash = record.item_hash
    item.data = record.data
    item.name = record.name[:255]
    item.price = record.price
    item.stock = record.stock
    item.enabled = record.enabled
    item.updated_at = utcnow()
    session.flush()
    return item


def blobs(session: Session, hashes: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Stored item contents by content hash (every imported or edited version of an item is here)."""
    wanted = sorted(set(hashes))
    found: dict[str, dict[str, Any]] = {}
    for chunk in _chunks(wanted):
        rows = session.execute(select(ItemBlob.hash, ItemBlob.data).where(ItemBlob.hash.in_(chunk)))
        found.update(rows.tuples().all())
    return found

"""Counts for the metrics endpoint, read straight from the tables."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from adapter.store.models import CatalogueItem, Cooperative, OutboxMessage, SyncJob

LABELS: dict[str, tuple[str, ...]] = {
    "odop_outbox_messages": ("status",),
    "odop_sync_jobs": ("state",),
    "odop_catalogue_items": ("cooperative",),
}
HELP = {
    "odop_outbox_messages": "Callbacks in the outbox by status (dead = the dead-letter depth).",
    "odop_sync_jobs": "Sync jobs by state.",
    "odop_catalogue_items": "Current catalogue items per cooperative.",
}


def read_stats(sessions: sessionmaker[Session]) -> dict[str, dict[tuple[str, ...], float]]:
    """Outbox depth by status, sync jobs by state and catalogue size per cooperative."""
    with sessions() as session:
        outbox: dict[tuple[str, ...], float] = {(str(status),): float(count) for status, count in session.execute(
            select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status))}
        for status in ("pending", "sent", "dead"):
            outbox.setdefault((status,), 0.0)
        jobs: dict[tuple[str, ...], float] = {(str(state),): float(count) for state, count in session.execute(
            select(SyncJob.state, func.count()).group_by(SyncJob.state))}
        items: dict[tuple[str, ...], float] = {(str(slug),): float(count) for slug, count in session.execute(
            select(Cooperative.slug, func.count(CatalogueItem.id))
            .join(CatalogueItem, CatalogueItem.cooperative_id == Cooperative.id, isouter=True)
            .group_by(Cooperative.slug))}
    return {"odop_outbox_messages": outbox, "odop_sync_jobs": jobs, "odop_catalogue_items": items}

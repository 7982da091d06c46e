"""Polling marketplaces for orders (docs/connectors.md): every enabled connector, on a schedule or on demand."""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task
from sqlalchemy import select

from adapter.orders.connectors import JsonFeedConnector, MarketplaceConnector, PollResult, poll
from adapter.orders.policy import order_policy
from adapter.store.db import transaction
from adapter.store.models import ConnectorCursor, utcnow
from workers.dispatch import AfterCommit, after_commit
from workers.task_names import PULL_ORDERS

log = logging.getLogger("workers.pull")


def connector_for(row: ConnectorCursor, app: Any) -> MarketplaceConnector:
    """The connector for a stored cursor row (every connector speaks the JSON feed for now)."""
    settings = app.settings
    return JsonFeedConnector(row.name, row.url, app.source_http, settings.allow_private_callbacks,
                             require_https=settings.environment == "production")


def _due(app: Any, connector_id: int | None) -> list[ConnectorCursor]:
    query = select(ConnectorCursor).where(ConnectorCursor.enabled.is_(True)).order_by(ConnectorCursor.id)
    if connector_id is not None:
        query = query.where(ConnectorCursor.id == connector_id)
    with app.sessions() as session:
        return list(session.scalars(query))


def pull_all(app: Any, connector_id: int | None = None) -> dict[str, PollResult]:
    """Poll every enabled connector (or just one); one failing feed never stops the others."""
    results: dict[str, PollResult] = {}  # by "<cooperative id>:<connector name>": names are per cooperative
    for row in _due(app, connector_id):
        try:
            result = poll(app.sessions, row.id, connector_for(row, app), now=utcnow,
                          terms=order_policy(app.settings).terms)
        except Exception as error:  # a bug or DB error in one connector must not stop the rest; logged
            log.exception("polling %s failed", row.name)
            with transaction(app.sessions) as session:
                stored = session.get(ConnectorCursor, row.id)
                if stored is not None:
                    stored.last_polled_at = utcnow()
                    stored.last_error = f"internal error: {type(error).__name__}: {error}"[:2000]
            continue
        results[f"{row.cooperative_id}:{row.name}"] = result
        if result.created:
            # Reserved stock changes what buyer apps should see: one debounced catalogue push.
            after_commit(app, app.sessions, app.settings.sync_debounce_seconds,
                         AfterCommit.stock_of(row.cooperative_id))
        log.info("polled %s", row.name, extra={"connector": row.name, "pages": result.pages,
                                                "created": len(result.created), "rejected": len(result.rejected),
                                                "error": result.error})
    return results


@shared_task(bind=True, name=PULL_ORDERS, ignore_result=True)
def pull_orders(self: Any, connector_id: int | None = None) -> dict[str, int]:
    """Poll the marketplaces' order feeds (all enabled connectors, or the one given)."""
    results = pull_all(self.app, connector_id)
    return {name: len(result.created) for name, result in results.items()}

"""The one after-commit tail: what web, CLI and tasks do once a transaction that queued callbacks commits.

Whatever changed orders or issues (a worker answering a request, a seller's move in the API, the console or
the CLI) commits first, then calls `after_commit`: the delivery tasks for the new outbox rows are sent, then
those of the new alerts to cooperatives, and the cooperatives whose stock changed get their (debounced)
catalogue sync. If the broker is down, nothing is lost:
the rows are in the database and the sweeper sends them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from kombu.exceptions import OperationalError as BrokerError
from sqlalchemy.orm import Session, sessionmaker

from adapter.orders.results import FlowResult
from workers.sync import items_changed
from workers.task_names import DELIVER_ALERT, DELIVER_OUTBOX, IMPORT_UPLOAD, PROCESS_INBOUND

log = logging.getLogger("workers.dispatch")


@dataclass(frozen=True)
class AfterCommit:
    """What a committed transaction owes the queue: outbox rows to deliver, cooperatives owing a sync, alerts."""

    outbox_ids: tuple[int, ...] = ()
    stock_changed: frozenset[int] = field(default_factory=frozenset)
    alert_ids: tuple[int, ...] = ()
    reruns: tuple[tuple[int, float], ...] = ()  # (stored request, seconds from now) to run again

    @classmethod
    def of(cls, result: FlowResult) -> AfterCommit:
        """Read the ids of a flow's result; call it inside the transaction, while the rows are attached."""
        return cls(tuple(row.id for row in result.outbox), frozenset(result.stock_changed),
                   tuple(row.id for row in result.alerts), tuple(result.reruns))

    @classmethod
    def stock_of(cls, cooperative_id: int) -> AfterCommit:
        """One cooperative's items changed (an upload, an edit): its debounced catalogue sync, nothing to send."""
        return cls(stock_changed=frozenset({cooperative_id}))


def _send(celery: Any, task: str, row_id: int, what: str) -> bool:
    """Send one task about a committed row; False when the broker is down (the row is the record, and the
    sweeper sends its task once the broker is back)."""
    try:
        celery.send_task(task, args=[row_id], ignore_result=True, retry=False)
    except (BrokerError, OSError) as error:
        log.warning("broker unavailable; %s %s left for the sweeper", what, row_id,
                    extra={"error": f"{type(error).__name__}: {error}"[:200]})
        return False
    return True


def send_deliveries(celery: Any, outbox_ids: tuple[int, ...] | list[int]) -> None:
    """Send one delivery task per outbox row (the rows must be committed)."""
    for outbox_id in outbox_ids:
        _send(celery, DELIVER_OUTBOX, outbox_id, "outbox row")


def send_alerts(celery: Any, alert_ids: tuple[int, ...] | list[int]) -> None:
    """Send one delivery task per alert row (the rows must be committed; the alert sweeper covers a lost one)."""
    for alert_id in alert_ids:
        _send(celery, DELIVER_ALERT, alert_id, "alert")


def send_upload(celery: Any, upload_id: int) -> bool:
    """Queue the import of a committed upload; False when the broker is down (the sweeper queues it later)."""
    return _send(celery, IMPORT_UPLOAD, upload_id, "upload")


def send_reruns(celery: Any, reruns: tuple[tuple[int, float], ...]) -> None:
    """Run stored requests again after their delay (a select once its wait for courier quotes is over). A lost
    one is run by the sweeper, which takes up requests left waiting."""
    for inbound_id, delay in reruns:
        try:
            celery.send_task(PROCESS_INBOUND, args=[inbound_id], countdown=max(0.0, delay), ignore_result=True,
                             retry=False)
        except (BrokerError, OSError) as error:
            log.warning("broker unavailable; request %s left for the sweeper", inbound_id,
                        extra={"error": f"{type(error).__name__}: {error}"[:200]})


def after_commit(celery: Any, sessions: sessionmaker[Session], debounce: float, after: AfterCommit) -> None:
    """Deliver the new callbacks, then the alerts, then queue the requests to run again and the stock-change
    syncs."""
    send_deliveries(celery, after.outbox_ids)
    send_alerts(celery, after.alert_ids)
    send_reruns(celery, after.reruns)
    for cooperative_id in sorted(after.stock_changed):
        items_changed(celery, sessions, cooperative_id, debounce)

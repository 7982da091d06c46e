"""Alert tasks: deliver one alert row, and the sweeper that finds alerts whose task never ran.

Each task takes ids and calls adapter.alerts.service. A failing alert retries on its own row, on its own
schedule: the order that caused it was committed and answered before any of this ran.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from celery import shared_task

from adapter.alerts import service
from adapter.alerts import store as alert_store
from adapter.store.models import utcnow
from workers.dispatch import send_alerts
from workers.task_names import DELIVER_ALERT, SWEEP_ALERTS

SWEEP_BATCH = 500
# A row due this long ago has no task on its way (a retry's task is sent with the row's own countdown).
SWEEP_GRACE = dt.timedelta(seconds=5)


def _policy(app: Any) -> service.DeliveryPolicy:
    return service.DeliveryPolicy.from_settings(app.settings)


@shared_task(bind=True, name=DELIVER_ALERT, ignore_result=True)
def deliver_alert(self: Any, alert_id: int) -> str:
    """One attempt at one alert; a transient failure schedules the next attempt with backoff."""
    app = self.app
    deps = service.deps_from_settings(app.settings, app.http)
    attempt = service.deliver(app.sessions, alert_id, deps, _policy(app), now=utcnow, rng=random.random)
    if attempt.outcome == "retry" and attempt.next_attempt_at is not None:
        delay = max(0.0, (attempt.next_attempt_at - utcnow()).total_seconds())
        deliver_alert.apply_async((alert_id,), countdown=delay)
    return f"{attempt.outcome}: {attempt.reason}"


@shared_task(bind=True, name=SWEEP_ALERTS, ignore_result=True)
def sweep_alerts(self: Any) -> int:
    """Send the tasks of pending alerts that are overdue (the broker was down, a task or a worker was lost, or
    the alert was written by a poll)."""
    with self.app.sessions() as session:
        due = alert_store.due_ids(session, utcnow() - SWEEP_GRACE, SWEEP_BATCH)
    send_alerts(self.app, due)
    return len(due)

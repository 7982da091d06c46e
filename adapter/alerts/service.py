"""Delivering alerts: one attempt at one row, retried with backoff on transient failures, and the test alert.

Nothing here touches an order: an alert that cannot be delivered is retried or given up on its own row, and
the order flow that wrote it has long committed and answered (DESIGN.md, reliability rules).
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from sqlalchemy.orm import Session, sessionmaker

from adapter.alerts import store
from adapter.alerts.channels import CHANNELS, ChannelDeps, SmtpSettings
from adapter.alerts.model import Alert, AlertError, Kind, Prefs
from adapter.alerts.texts import subject_and_text
from adapter.delivery.http import HttpClient
from adapter.delivery.retry import next_delay
from adapter.store.db import transaction
from adapter.store.models import AlertMessage, Cooperative
from config import Settings

__all__ = ["MAX_ATTEMPTS", "Attempt", "DeliveryPolicy", "TestTooSoon", "deliver", "deps_from_settings", "send_test"]

log = logging.getLogger(__name__)
TEST_COOLDOWN = dt.timedelta(seconds=60)


class TestTooSoon(Exception):
    """A test alert was sent less than a minute ago; ``seconds`` until the next may go."""

    __test__ = False  # not a pytest test class

    def __init__(self, seconds: int) -> None:
        super().__init__(f"wait {seconds} s before the next test alert")
        self.seconds = seconds

# With the default backoff (1 s doubling, capped at 300 s) ten tries span about half an hour.
MAX_ATTEMPTS = 10

Outcome = Literal["sent", "retry", "failed", "skipped"]


@dataclass(frozen=True)
class Attempt:
    """What one `deliver` call did; ``skipped``: the row was not ours to send (absent, finished, not due)."""

    outcome: Outcome
    reason: str
    channel: str = ""
    next_attempt_at: dt.datetime | None = None


@dataclass(frozen=True)
class DeliveryPolicy:
    """Where links point, how long an attempt may hold a row, and the backoff between attempts."""

    console_url: str
    base_delay: float
    max_delay: float
    lease: dt.timedelta
    max_attempts: int = MAX_ATTEMPTS

    @classmethod
    def from_settings(cls, settings: Settings) -> DeliveryPolicy:
        """The policy from settings: the callbacks' backoff, a lease past the slowest send."""
        slowest = settings.callback_connect_timeout + settings.callback_read_timeout + 30
        return cls(console_url=settings.console_url, base_delay=settings.retry_base_delay,
                   max_delay=settings.retry_max_delay, lease=dt.timedelta(seconds=max(slowest, 60)))


def deps_from_settings(settings: Settings, http: HttpClient) -> ChannelDeps:
    """Channel dependencies from settings: the one HTTP client with the callbacks' URL rules, and SMTP."""
    smtp = None
    if settings.smtp_host and settings.smtp_from:
        smtp = SmtpSettings(host=settings.smtp_host, port=settings.smtp_port, sender=settings.smtp_from,
                            user=settings.smtp_user, password=settings.smtp_password, starttls=settings.smtp_starttls)
    return ChannelDeps(http=http, allow_private=settings.allow_private_callbacks,
                       require_https=settings.environment == "production", smtp=smtp)


def _link(policy: DeliveryPolicy, row: AlertMessage) -> str:
    base = policy.console_url.rstrip("/")
    return f"{base}/console/orders/{row.order_pk}" if row.order_pk is not None else f"{base}/console/alerts"


def _alert(session: Session, row: AlertMessage, prefs: Prefs | None, policy: DeliveryPolicy) -> Alert:
    cooperative = session.get_one(Cooperative, row.cooperative_id)
    language = prefs.language if prefs is not None else "en"
    kind: Kind = row.kind  # type: ignore[assignment]  # written from Kind values only
    subject, text = subject_and_text(kind, order_id=row.order_id, cooperative=cooperative.name, language=language)
    created = row.created_at.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    return Alert(id=row.id, cooperative=cooperative.slug, cooperative_name=cooperative.name, kind=kind,
                 order_id=row.order_id, text=text, subject=subject, link=_link(policy, row), created_at=created,
                 language=language)


def _send(channel: str, prefs: Prefs | None, alert: Alert, deps: ChannelDeps) -> None:
    channel_type = CHANNELS.get(channel)
    if channel_type is None:
        raise AlertError(f"the channel {channel!r} is not installed on this server", transient=False)
    if prefs is None or not channel_type.wanted(prefs):
        raise AlertError(f"the cooperative turned the {channel} channel off", transient=False)
    try:
        channel_type.build(prefs, deps).send(alert)
    except AlertError:
        raise
    except Exception as error:  # a plug-in channel's bug fails its alert rather than looping
        log.exception("alert channel failed", extra={"channel": channel, "alert_id": alert.id})
        raise AlertError(f"the {channel} channel failed: {type(error).__name__}", transient=False) from error


def deliver(sessions: sessionmaker[Session], alert_id: int, deps: ChannelDeps, policy: DeliveryPolicy, *,
            now: Callable[[], dt.datetime], rng: Callable[[], float], final: bool = False) -> Attempt:
    """One attempt at one alert: claim it, send it on its channel, record sent, retry-at or failed.

    ``final``: no retry whatever the failure (the console's test alert, which answers at once).
    """
    with transaction(sessions) as session:
        row = store.claim(session, alert_id, now(), policy.lease)
        if row is None:
            return Attempt("skipped", "not due, already finished, or held by another worker")
        channel, attempts = row.channel, row.attempts
        if attempts > policy.max_attempts:  # the last attempt's worker died: its outcome is unknown
            reason = f"gave up after {policy.max_attempts} attempts"
            store.finish(session, alert_id, sent=False, error=row.last_error or reason, retry_at=None, now=now())
            return Attempt("failed", reason, channel)
        prefs = store.prefs_of(session, row.cooperative_id)
        alert = _alert(session, row, prefs, policy)
    try:
        _send(channel, prefs, alert, deps)
    except AlertError as error:
        reason = str(error)
        retry_at = None
        if error.transient and not final and attempts < policy.max_attempts:
            delay = next_delay(attempts, base=policy.base_delay, cap=policy.max_delay, rng=rng)
            retry_at = now() + dt.timedelta(seconds=delay)
        with transaction(sessions) as session:
            store.finish(session, alert_id, sent=False, error=reason, retry_at=retry_at, now=now())
        log.warning("alert not delivered", extra={"alert_id": alert_id, "channel": channel, "attempt": attempts,
                                                   "error": reason[:300], "retry": retry_at is not None})
        return Attempt("retry" if retry_at else "failed", reason, channel, retry_at)
    with transaction(sessions) as session:
        store.finish(session, alert_id, sent=True, error=None, retry_at=None, now=now())
    log.info("alert delivered", extra={"alert_id": alert_id, "channel": channel, "attempt": attempts})
    return Attempt("sent", "delivered", channel)


def send_test(sessions: sessionmaker[Session], cooperative_id: int, deps: ChannelDeps, policy: DeliveryPolicy, *,
              now: Callable[[], dt.datetime], rng: Callable[[], float]) -> list[Attempt]:
    """A test alert on every channel the cooperative chose, sent now, once each; what happened on each.

    One test a minute per cooperative (``TestTooSoon`` otherwise): the button sends mail and calls webhooks from the
    web request, and must not become a way to flood an address.
    """
    with transaction(sessions) as session:
        last = store.last_test_at(session, cooperative_id)
        if last is not None and now() - last < TEST_COOLDOWN:
            raise TestTooSoon(int((TEST_COOLDOWN - (now() - last)).total_seconds()) + 1)
        rows = store.record(session, cooperative_id, "test", event_key=f"test:{uuid.uuid4()}", order_id="",
                            order_pk=None, now=now())
        ids = [row.id for row in rows]
    return [deliver(sessions, alert_id, deps, policy, now=now, rng=rng, final=True) for alert_id in ids]

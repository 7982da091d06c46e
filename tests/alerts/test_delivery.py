"""Alert rows on the real database: one per event and channel, delivered, retried with backoff, given up."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import responses
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from adapter.alerts import service
from adapter.alerts import store as alert_store
from adapter.alerts.channels import ChannelDeps
from adapter.alerts.model import SIGNATURE_HEADER, sign
from adapter.delivery.http import HttpClient
from adapter.store.db import transaction
from adapter.store.models import AlertMessage, utcnow
from tests.support.sellers import make_seller

URL = "https://hooks.coop.example/odop"
POLICY = service.DeliveryPolicy(console_url="https://seller.example", base_delay=1.0, max_delay=10.0,
                                lease=dt.timedelta(seconds=60), max_attempts=3)


@pytest.fixture
def coop(sessions: sessionmaker[Session]) -> int:
    return make_seller(sessions, "alert-coop", catalogue=None)


def deps() -> ChannelDeps:
    return ChannelDeps(http=HttpClient(connect_timeout=1.0, read_timeout=1.0), allow_private=False,
                       require_https=True, resolve=lambda host: ["93.184.216.34"])


def choose(sessions: sessionmaker[Session], coop: int, kinds: tuple[str, ...] = ("new_order",),
           language: str = "en") -> str | None:
    """Choose the webhook; the secret when this made one (the first time), else None (the secret is kept)."""
    with transaction(sessions) as session:
        _, secret = alert_store.save_settings(session, coop, webhook_url=URL, email=None, kinds=kinds,
                                              language=language, now=utcnow())
    return secret


def record(sessions: sessionmaker[Session], coop: int, key: str = "new_order:1", kind: str = "new_order") -> list[int]:
    with transaction(sessions) as session:
        return [row.id for row in alert_store.record(session, coop, kind, event_key=key, order_id="ORD-1",
                                                     order_pk=None, now=utcnow())]


def row_of(sessions: sessionmaker[Session], alert_id: int) -> AlertMessage:
    with sessions() as session:
        return session.get_one(AlertMessage, alert_id)


def test_an_event_makes_one_alert_per_chosen_channel_and_never_two(sessions: sessionmaker[Session],
                                                                   coop: int) -> None:
    assert record(sessions, coop) == []  # nothing chosen: no row
    choose(sessions, coop, kinds=("return_requested",))
    assert record(sessions, coop) == []  # this kind not chosen
    choose(sessions, coop, kinds=("new_order", "return_requested"))
    first = record(sessions, coop)
    assert len(first) == 1
    assert record(sessions, coop) == []  # the same event again (a repeated message)
    assert len(record(sessions, coop, key="new_order:2")) == 1
    with sessions() as session:
        assert session.scalar(select(AlertMessage.channel).where(AlertMessage.id == first[0])) == "webhook"


@responses.activate
def test_a_delivered_alert_is_signed_with_the_cooperatives_secret(sessions: sessionmaker[Session], coop: int) -> None:
    secret = choose(sessions, coop, language="hi")
    assert secret is not None
    (alert_id,) = record(sessions, coop)
    responses.post(URL, status=200)
    attempt = service.deliver(sessions, alert_id, deps(), POLICY, now=utcnow, rng=lambda: 0.5)
    assert (attempt.outcome, attempt.channel) == ("sent", "webhook")
    request = responses.calls[0].request
    assert request.headers[SIGNATURE_HEADER] == sign(secret, request.body)
    body = json.loads(request.body)
    assert body["link"] == "https://seller.example/console/alerts"
    assert "ORD-1" in body["text"]
    assert body["language"] == "hi"
    assert "ऑर्डर" in body["text"]
    row = row_of(sessions, alert_id)
    assert (row.status, row.attempts, row.last_error) == ("sent", 1, None)
    # Delivered once: a second task for the same row (the sweeper's, say) sends nothing.
    assert service.deliver(sessions, alert_id, deps(), POLICY, now=utcnow, rng=lambda: 0.5).outcome == "skipped"
    assert len(responses.calls) == 1


@responses.activate
def test_transient_failures_back_off_then_give_up(sessions: sessionmaker[Session], coop: int) -> None:
    choose(sessions, coop)
    (alert_id,) = record(sessions, coop)
    responses.post(URL, status=503)
    clock = [utcnow()]
    first = service.deliver(sessions, alert_id, deps(), POLICY, now=lambda: clock[0], rng=lambda: 1.0)
    assert first.outcome == "retry"
    assert first.next_attempt_at == clock[0] + dt.timedelta(seconds=1)  # base * 2^0, full jitter at 1.0
    assert service.deliver(sessions, alert_id, deps(), POLICY, now=lambda: clock[0],
                           rng=lambda: 1.0).outcome == "skipped"  # not due yet
    clock[0] += dt.timedelta(seconds=1)
    second = service.deliver(sessions, alert_id, deps(), POLICY, now=lambda: clock[0], rng=lambda: 1.0)
    assert second.next_attempt_at == clock[0] + dt.timedelta(seconds=2)
    clock[0] += dt.timedelta(seconds=2)
    third = service.deliver(sessions, alert_id, deps(), POLICY, now=lambda: clock[0], rng=lambda: 1.0)
    assert third.outcome == "failed"  # max_attempts reached
    row = row_of(sessions, alert_id)
    assert (row.status, row.attempts) == ("failed", 3)
    assert "503" in (row.last_error or "")
    assert len(responses.calls) == 3


@responses.activate
def test_a_permanent_failure_is_not_retried(sessions: sessionmaker[Session], coop: int) -> None:
    choose(sessions, coop)
    (alert_id,) = record(sessions, coop)
    responses.post(URL, status=410)
    assert service.deliver(sessions, alert_id, deps(), POLICY, now=utcnow, rng=lambda: 1.0).outcome == "failed"
    assert row_of(sessions, alert_id).status == "failed"


def test_the_sweeper_finds_overdue_alerts_only(sessions: sessionmaker[Session], coop: int) -> None:
    choose(sessions, coop)
    (alert_id,) = record(sessions, coop)
    now = utcnow()
    with sessions() as session:
        assert alert_store.due_ids(session, now + dt.timedelta(seconds=1), 10) == [alert_id]
        assert alert_store.due_ids(session, now - dt.timedelta(minutes=1), 10) == []
    with transaction(sessions) as session:  # claimed by a worker: hidden for its lease
        assert alert_store.claim(session, alert_id, now + dt.timedelta(seconds=1), dt.timedelta(minutes=5))
    with sessions() as session:
        assert alert_store.due_ids(session, now + dt.timedelta(minutes=1), 10) == []
        assert alert_store.due_ids(session, now + dt.timedelta(minutes=6), 10) == [alert_id]


@responses.activate
def test_a_test_alert_is_sent_once_and_reports_its_outcome(sessions: sessionmaker[Session], coop: int) -> None:
    choose(sessions, coop, kinds=())  # no kinds chosen: the test still goes out
    responses.post(URL, status=500)
    (attempt,) = service.send_test(sessions, coop, deps(), POLICY, now=utcnow, rng=lambda: 0.5)
    assert (attempt.outcome, attempt.channel) == ("failed", "webhook")  # no retry for a test
    assert "500" in attempt.reason
    with sessions() as session:
        (row,) = alert_store.recent(session, coop)
    assert (row.kind, row.status) == ("test", "failed")

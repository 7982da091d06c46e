"""Catalogue syncs end to end: a real worker, Redis, a source server and two buyer apps."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import signal
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from flask import Flask
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from adapter.store import sync as sync_store
from adapter.store.cooperatives import create_cooperative
from adapter.store.db import transaction
from adapter.store.models import CatalogueSource, CatalogueVersion, Cooperative, OutboxMessage, Subscription, SyncJob
from adapter.web import create_app
from catalog_sync.services import catalogue as catalogues
from config import load_settings
from tests.support.network import BUYER_ID
from tests.support.receiver import Receiver, running_receiver
from tests.support.servers import RedisServer, descendants, start_worker, stop_process, wait_until, worker_answers
from tests.support.source import Source, running_source
from workers.app import make_celery
from workers.sync import queue_sync

FIXTURES = Path(__file__).resolve().parents[1] / "catalog_sync" / "fixtures"
CSV = (FIXTURES / "items_ret16.csv").read_bytes()
ADMIN = {"Authorization": "Bearer test-admin-key-0123456789abcdef"}


def edit_csv(data: bytes, item_id: str, column: str, value: str) -> bytes:
    lines = data.decode().splitlines()
    header = lines[0].split(",")
    out = [lines[0]]
    for line in lines[1:]:
        cells = line.split(",")
        if cells[0] == item_id:
            cells[header.index(column)] = value
        out.append(",".join(cells))
    return ("\n".join(out) + "\n").encode()


@pytest.fixture
def redis(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def env(test_env: dict[str, str], redis: RedisServer) -> dict[str, str]:
    return test_env | {"REDIS_URL": redis.url, "UNSOLICITED_DELIVERY_WINDOW": "4", "SYNC_DEBOUNCE_SECONDS": "4",
                       "SYNC_HEARTBEAT_TIMEOUT": "3", "CALLBACK_CONNECT_TIMEOUT": "1",
                       "CALLBACK_READ_TIMEOUT": "3", "DELIVERY_LEASE_MARGIN": "2"}


@pytest.fixture
def worker(env: dict[str, str], tmp_path: Path) -> Iterator[Any]:
    proc = start_worker(dict(os.environ) | env, tmp_path / "worker.log")
    celery = make_celery(load_settings(env))
    try:  # the worker is stopped however the test ends, even when it never answered
        assert wait_until(lambda: worker_answers(celery), timeout=60)
        celery.proc = proc
        yield celery
    finally:
        stop_process(proc)


@pytest.fixture
def buyers() -> Iterator[tuple[Receiver, Receiver]]:
    with running_receiver() as healthy, running_receiver() as failing:
        yield healthy, failing


@pytest.fixture
def source() -> Iterator[Source]:
    with running_source(CSV) as server:
        yield server


@pytest.fixture
def cooperative(sessions: sessionmaker[Session], buyers: tuple[Receiver, Receiver], source: Source) -> int:
    """A cooperative whose catalogue lives at the source URL, and two subscribed buyer apps."""
    profile = json.loads((FIXTURES / "profile.json").read_text())
    with transaction(sessions) as session:
        cooperative, _ = create_cooperative(session, "test-coop", "Test Coop")
        catalogues.set_profile(cooperative, {**profile, "slug": "test-coop"})
        sync_store.set_source(session, cooperative.id, url=source.url, interval_seconds=60, enabled=True)
        for bap_id, receiver in ((BUYER_ID, buyers[0]), ("failing.buyer.test", buyers[1])):
            session.add(Subscription(bap_id=bap_id, bap_uri=receiver.url, domain="ONDC:RET16",
                                     transaction_id=str(uuid.uuid4())))
        return cooperative.id


def jobs(sessions: sessionmaker[Session]) -> list[SyncJob]:
    with sessions() as session:
        return list(session.scalars(select(SyncJob).order_by(SyncJob.id)))


def pushed_ids(post: Any) -> list[str]:
    body = orjson.loads(post.body)
    return sorted(i["id"] for p in body["message"]["catalog"]["bpp/providers"] for i in p.get("items", ()))


def make_due(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        session.execute(update(CatalogueSource).values(
            last_fetched_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)))


def test_scheduled_sync_pushes_exactly_the_changes_and_dead_letters_the_failing_buyer(
    worker: Any, cooperative: int, buyers: tuple[Receiver, Receiver], source: Source,
    sessions: sessionmaker[Session], env: dict[str, str]
) -> None:
    healthy, failing = buyers
    failing.responses.extend([(503, b"down")] * 1000)
    worker.send_task("odop.schedule_syncs")  # what beat runs every minute
    assert wait_until(lambda: [j.state for j in jobs(sessions)] == ["succeeded"], timeout=60), \
        [(j.state, j.reason) for j in jobs(sessions)]
    assert wait_until(lambda: len(healthy.posts("/on_search")) == 1, timeout=30)
    first = healthy.posts("/on_search")[0]
    all_ids = pushed_ids(first)
    assert len(all_ids) == CSV.count(b"\n") - 1  # the first push carries the whole catalogue
    assert orjson.loads(first.body)["context"]["city"] == "*"

    # The cooperative edits its sheet: one price changes. The next scheduled fetch picks it up.
    source.content = edit_csv(CSV, "T16-2", "price", "3100")
    make_due(sessions)
    worker.send_task("odop.schedule_syncs")
    assert wait_until(lambda: [j.state for j in jobs(sessions)] == ["succeeded", "succeeded"], timeout=60)
    assert wait_until(lambda: len(healthy.posts("/on_search")) == 2, timeout=30)
    second = healthy.posts("/on_search")[1]
    assert pushed_ids(second) == ["T16-2"]  # exactly the changed item
    message_ids = {orjson.loads(p.body)["context"]["message_id"] for p in healthy.posts("/on_search")}
    assert len(message_ids) == 2  # a new message_id for every push
    assert source.requests[-1].get("If-None-Match")  # conditional fetch
    assert jobs(sessions)[1].counts["changed"] >= 1

    # The failing buyer app's pushes were retried within the window, then dead-lettered.
    def dead_for_failing() -> list[OutboxMessage]:
        with sessions() as session:
            return list(session.scalars(select(OutboxMessage).where(
                OutboxMessage.bap_id == "failing.buyer.test", OutboxMessage.status == "dead")))

    assert wait_until(lambda: len(dead_for_failing()) == 2, timeout=60)
    first_push, second_push = sorted(dead_for_failing(), key=lambda row: row.id)
    assert first_push.attempts >= 2  # retried within its window
    # Pushes of one subscription go out in order: the second waited for the first, then had what was left of
    # its own window.
    assert second_push.last_error

    # The next sync names the failing buyer app.
    make_due(sessions)
    worker.send_task("odop.schedule_syncs")
    assert wait_until(lambda: len(jobs(sessions)) == 3 and jobs(sessions)[2].state == "succeeded", timeout=60)
    assert any(e.get("bap_id") == "failing.buyer.test" and "dead-lettered" in str(e.get("message"))
               for e in jobs(sessions)[2].errors)

    # It recovers; the operator replays its dead letters and they arrive.
    failing.responses.clear()
    app = create_app(load_settings(env))
    replayed = app.test_client().post("/api/v1/outbox/replay?bap_id=failing.buyer.test", headers=ADMIN)
    assert replayed.json == {"replayed": 2}
    assert wait_until(lambda: len(dead_for_failing()) == 0 and len([
        p for p in failing.received if p.path.endswith("/on_search")]) >= 3, timeout=60)
    app.extensions["odop"].dispose()


def test_invalid_source_fails_the_job_and_keeps_the_last_good_version(
    worker: Any, cooperative: int, source: Source, sessions: sessionmaker[Session]
) -> None:
    worker.send_task("odop.schedule_syncs")
    assert wait_until(lambda: [j.state for j in jobs(sessions)] == ["succeeded"], timeout=60)
    source.content = edit_csv(CSV, "T16-1", "price", "free")
    make_due(sessions)
    worker.send_task("odop.schedule_syncs")
    assert wait_until(lambda: len(jobs(sessions)) == 2 and jobs(sessions)[1].state == "failed", timeout=60)
    failed = jobs(sessions)[1]
    assert "last good version stays live" in (failed.reason or "")
    assert any(e.get("column") == "price" and e.get("row") == 2 for e in failed.errors)
    with sessions() as session:
        assert [v.number for v in session.scalars(select(CatalogueVersion))] == [1]


def test_a_source_that_suddenly_removes_most_items_fails_the_sync_and_keeps_the_live_version(
    worker: Any, cooperative: int, source: Source, sessions: sessionmaker[Session]
) -> None:
    worker.send_task("odop.schedule_syncs")
    assert wait_until(lambda: [j.state for j in jobs(sessions)] == ["succeeded"], timeout=60)
    header, first, *_ = CSV.decode().splitlines()
    source.content = f"{header}\n{first}\n".encode()  # the sheet lost two of its three rows
    make_due(sessions)
    worker.send_task("odop.schedule_syncs")
    assert wait_until(lambda: len(jobs(sessions)) == 2 and jobs(sessions)[1].state == "failed", timeout=60)
    reason = jobs(sessions)[1].reason or ""
    assert "source not imported (it would remove 2 of the 3 items on sale" in reason
    assert "the last good version stays live" in reason
    with sessions() as session:
        assert [v.number for v in session.scalars(select(CatalogueVersion))] == [1]


def test_unreachable_source_is_retried_then_fails_with_the_reason(
    worker: Any, cooperative: int, source: Source, sessions: sessionmaker[Session], env: dict[str, str]
) -> None:
    source.status = 503
    worker.send_task("odop.schedule_syncs")
    assert wait_until(lambda: len(jobs(sessions)) == 1 and jobs(sessions)[0].state == "failed", timeout=120), \
        [(j.state, j.step, j.reason) for j in jobs(sessions)]
    job = jobs(sessions)[0]
    assert "source unreachable after" in (job.reason or "")
    assert len(source.requests) == load_settings(env).sync_source_retries + 1
    assert any("503" in str(e.get("message")) for e in job.errors)


def test_a_hundred_stock_edits_make_one_push(
    worker: Any, cooperative: int, buyers: tuple[Receiver, Receiver], sessions: sessionmaker[Session],
    env: dict[str, str]
) -> None:
    healthy, _ = buyers
    worker.send_task("odop.schedule_syncs")
    assert wait_until(lambda: len(healthy.posts("/on_search")) == 1, timeout=60)
    assert wait_until(lambda: [j.state for j in jobs(sessions)] == ["succeeded"], timeout=30)
    app: Flask = create_app(load_settings(env))
    client = app.test_client()
    for stock in range(100):
        response = client.patch("/api/v1/cooperatives/test-coop/catalogue/items/T16-1", json={"stock": stock},
                                headers=ADMIN)
        assert response.status_code == 200
    assert wait_until(lambda: len(healthy.posts("/on_search")) == 2, timeout=60)
    assert wait_until(lambda: all(j.state == "succeeded" for j in jobs(sessions)), timeout=30)
    assert len(jobs(sessions)) == 2  # the first sync plus ONE for all 100 edits
    push = healthy.posts("/on_search")[1]
    assert pushed_ids(push) == ["T16-1"]
    item = orjson.loads(push.body)["message"]["catalog"]["bpp/providers"][0]["items"][0]
    assert item["quantity"]["available"]["count"] == "99"  # the last edit wins
    app.extensions["odop"].dispose()


def test_sync_now_runs_an_edits_sync_at_once_instead_of_after_the_debounce(
    worker: Any, cooperative: int, buyers: tuple[Receiver, Receiver], sessions: sessionmaker[Session],
    env: dict[str, str]
) -> None:
    healthy, _ = buyers
    worker.send_task("odop.schedule_syncs")
    assert wait_until(lambda: [j.state for j in jobs(sessions)] == ["succeeded"], timeout=60)
    settings = dataclasses.replace(load_settings(env), sync_debounce_seconds=600)  # edits would wait 10 minutes
    app: Flask = create_app(settings)
    client = app.test_client()
    assert client.patch("/api/v1/cooperatives/test-coop/catalogue/items/T16-1", json={"stock": 3},
                        headers=ADMIN).status_code == 200
    waiting = jobs(sessions)[-1]
    assert (waiting.state, waiting.requested_by) == ("queued", "edits")
    assert waiting.run_after is not None
    now = client.post("/api/v1/cooperatives/test-coop/syncs", json={}, headers=ADMIN)
    assert now.status_code == 202  # the same job, sent to run now
    assert now.json["id"] == waiting.id
    assert wait_until(lambda: len(healthy.posts("/on_search")) == 2, timeout=30)
    assert pushed_ids(healthy.posts("/on_search")[1]) == ["T16-1"]
    assert wait_until(lambda: jobs(sessions)[-1].state == "succeeded", timeout=30)
    again = client.post("/api/v1/cooperatives/test-coop/syncs", json={}, headers=ADMIN)
    assert again.status_code == 202  # a new job: the edits' one is done
    app.extensions["odop"].dispose()


def test_two_sync_requests_together_give_one_job(cooperative: int, sessions: sessionmaker[Session],
                                                  env: dict[str, str], redis: RedisServer) -> None:
    celery = make_celery(load_settings(env))
    barrier = threading.Barrier(4)
    results: list[tuple[int, bool]] = []

    def request() -> None:
        barrier.wait()
        job, created = queue_sync(celery, sessions, cooperative)
        results.append((job.id, created))

    threads = [threading.Thread(target=request) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({job_id for job_id, _ in results}) == 1
    assert sum(created for _, created in results) == 1
    assert len(jobs(sessions)) == 1

    app = create_app(load_settings(env))
    again = app.test_client().post("/api/v1/cooperatives/test-coop/syncs", json={}, headers=ADMIN)
    assert again.status_code == 200
    assert again.json["id"] == results[0][0]
    cancelled = app.test_client().post(f"/api/v1/cooperatives/test-coop/syncs/{again.json['id']}/cancel",
                                       headers=ADMIN)
    assert cancelled.json["state"] == "cancelled"
    fresh = app.test_client().post("/api/v1/cooperatives/test-coop/syncs", json={"full": True}, headers=ADMIN)
    assert fresh.status_code == 202
    assert fresh.json["kind"] == "full"
    app.extensions["odop"].dispose()


def test_worker_killed_mid_sync_is_resumed_and_completes(
    worker: Any, cooperative: int, source: Source, buyers: tuple[Receiver, Receiver],
    sessions: sessionmaker[Session], env: dict[str, str], tmp_path: Path
) -> None:
    source.delay = 6.0  # the fetch hangs, so the kill lands mid-sync
    queue_sync(worker, sessions, cooperative)
    assert wait_until(lambda: jobs(sessions)[0].step == "fetching source", timeout=30)
    for pid in (worker.proc.pid, *descendants(worker.proc.pid)):
        os.kill(pid, signal.SIGKILL)
    worker.proc.wait()
    assert jobs(sessions)[0].state == "running"

    source.delay = 0.0
    second = start_worker(dict(os.environ) | env, tmp_path / "worker2.log")
    try:
        assert wait_until(lambda: bool(worker.control.ping(timeout=0.5)), timeout=60)

        def finished() -> bool:
            worker.send_task("odop.sweep")  # beat's job: finds the silent job and resumes it
            return wait_until(lambda: jobs(sessions)[0].state not in ("queued", "running"), timeout=3)

        assert wait_until(finished, timeout=60)
        # The job is marked succeeded just before its delivery tasks are sent: keep the worker up to deliver them.
        assert wait_until(lambda: len(buyers[0].posts("/on_search")) == 1, timeout=30)
    finally:
        stop_process(second)
    final = jobs(sessions)[0]
    assert final.state == "succeeded"
    assert final.resumes == 1


def test_a_closure_is_pushed_at_once_and_the_reopening_when_it_ends(
    worker: Any, cooperative: int, buyers: tuple[Receiver, Receiver], sessions: sessionmaker[Session],
    env: dict[str, str]
) -> None:
    healthy, _ = buyers
    worker.send_task("odop.schedule_syncs")
    assert wait_until(lambda: len(healthy.posts("/on_search")) == 1, timeout=60)
    assert wait_until(lambda: [j.state for j in jobs(sessions)] == ["succeeded"], timeout=30)
    app: Flask = create_app(load_settings(env))
    client = app.test_client()
    profile = client.get("/api/v1/cooperatives/test-coop/profile", headers=ADMIN).json["profile"]
    today = dt.datetime.now(dt.UTC).astimezone(dt.timezone(dt.timedelta(hours=5, minutes=30))).date()
    until = today + dt.timedelta(days=27)
    closed = json.loads((FIXTURES / "profile.json").read_text()) | {"slug": "test-coop"}
    closed["opening"] = dict(closed.get("opening") or {}, closed={"until": until.isoformat(), "note": "Winter"})
    response = client.put("/api/v1/cooperatives/test-coop/profile", json=closed, headers=ADMIN)
    assert response.status_code == 200, response.json
    assert profile["opening"]["closed"] is None  # it was open before
    # Pushed at once (no debounce): the store and its location say close; every closed day is a holiday.
    assert wait_until(lambda: len(healthy.posts("/on_search")) == 2, timeout=30)
    push = orjson.loads(healthy.posts("/on_search")[1].body)["message"]["catalog"]["bpp/providers"][0]
    assert push["time"]["label"] == "close"
    assert push.get("items") is None
    location = push["locations"][0]
    assert location["time"]["label"] == "close"
    holidays = location["time"]["schedule"]["holidays"]
    closed_days = [(today + dt.timedelta(days=n)).isoformat() for n in range(28)]
    assert holidays[:28] == closed_days  # today to the last closed day, then the profile's own holidays
    assert all(day > until.isoformat() for day in holidays[28:])
    # A full search meanwhile says so too.
    preview = client.get("/api/v1/cooperatives/test-coop/catalogue/on_search?domain=ONDC:RET16", headers=ADMIN)
    page = preview.json["pages"][0]
    assert page["message"]["catalog"]["bpp/providers"][0]["locations"][0]["time"]["label"] == "close"
    # Nothing more is pushed while nothing changes.
    worker.send_task("odop.schedule_syncs")
    assert wait_until(lambda: all(j.state == "succeeded" for j in jobs(sessions)), timeout=30)
    # The closure ends (its last day is past): the schedule notices and tells the buyer app the store is open.
    with transaction(sessions) as session:
        row = session.get_one(Cooperative, cooperative)
        stored = dict(row.profile)
        stored["opening"] = dict(stored["opening"], closed_until=(today - dt.timedelta(days=1)).isoformat())
        row.profile = stored
    worker.send_task("odop.schedule_syncs")
    assert wait_until(lambda: len(healthy.posts("/on_search")) == 3, timeout=60)
    reopened = orjson.loads(healthy.posts("/on_search")[2].body)["message"]["catalog"]["bpp/providers"][0]
    assert reopened["time"]["label"] == "enable"
    assert reopened["locations"][0]["time"]["label"] == "enable"
    worker.send_task("odop.schedule_syncs")  # and only once
    assert wait_until(lambda: all(j.state == "succeeded" for j in jobs(sessions)), timeout=30)
    assert len(healthy.posts("/on_search")) == 3
    app.extensions["odop"].dispose()

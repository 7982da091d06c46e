"""Nothing is lost when Redis restarts or a worker dies mid-delivery."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from adapter.store.db import transaction
from adapter.store.models import InboundMessage, OutboxMessage
from adapter.web import create_app
from config import load_settings
from tests.support.network import Network, search_body
from tests.support.receiver import Receiver, running_receiver
from tests.support.sellers import make_seller
from tests.support.servers import RedisServer, descendants, start_worker, stop_process, wait_until
from workers.app import make_celery


@pytest.fixture
def seller(sessions: sessionmaker[Session]) -> None:
    make_seller(sessions)


@pytest.fixture
def redis(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as server:
        yield server


@pytest.fixture
def env(test_env: dict[str, str], redis: RedisServer) -> dict[str, str]:
    """Our own broker, so only the workers these tests start (and kill) take the tasks."""
    return test_env | {"REDIS_URL": redis.url, "CALLBACK_CONNECT_TIMEOUT": "1", "CALLBACK_READ_TIMEOUT": "5",
                       "DELIVERY_LEASE_MARGIN": "2"}


def app_for(env: dict[str, str]) -> Flask:
    return create_app(load_settings(env))


def post_search(app: Flask, network: Network, receiver: Receiver) -> int:
    body = search_body(bap_uri=receiver.url, ttl="PT60S")
    response = app.test_client().post("/ondc/search", data=body, content_type="application/json",
                                      headers={"Authorization": network.buyer.sign(body)})
    response.close()
    return response.status_code


def statuses(sessions: sessionmaker[Session], model: Any) -> list[str]:
    with sessions() as session:
        return [row.status for row in session.scalars(select(model).order_by(model.id))]


def test_webhooks_during_a_redis_outage_are_acked_and_processed_after(
    env: dict[str, str], redis: RedisServer, network: Network, seller: None, receiver: Receiver,
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    app = app_for(env)
    redis.stop()
    codes = [post_search(app, network, receiver) for _ in range(3)]
    assert codes == [200, 200, 200]  # no 5xx while the broker is down
    app.extensions["odop"].searches.flush()  # searches are stored just after their ACK
    assert statuses(sessions, InboundMessage) == ["received"] * 3

    redis.start()
    worker = start_worker(dict(os.environ) | env, tmp_path / "worker.log")
    try:
        celery = make_celery(load_settings(env))
        assert wait_until(lambda: bool(celery.control.ping(timeout=0.5)), timeout=60)
        # The beat sweeper's job: requests older than 30 s are re-queued. Run it as beat would.
        with transaction(sessions) as session:
            for row in session.scalars(select(InboundMessage)):
                row.received_at = row.received_at.replace(year=row.received_at.year - 1)
        celery.send_task("odop.sweep")
        assert wait_until(lambda: statuses(sessions, InboundMessage) == ["processed"] * 3, timeout=60)
        assert wait_until(lambda: len(receiver.posts("/on_search")) == 3, timeout=60)
    finally:
        stop_process(worker)
    app.extensions["odop"].dispose()


def test_worker_killed_mid_delivery_still_delivers(
    env: dict[str, str], network: Network, seller: None, receiver: Receiver, sessions: sessionmaker[Session],
    tmp_path: Path
) -> None:
    receiver.delays.append(4.0)  # the first POST hangs long enough to kill the worker during it
    app = app_for(env)
    first = start_worker(dict(os.environ) | env, tmp_path / "worker1.log")
    celery = make_celery(load_settings(env))
    assert wait_until(lambda: bool(celery.control.ping(timeout=0.5)), timeout=60)
    assert post_search(app, network, receiver) == 200
    assert wait_until(lambda: len(receiver.received) == 1, timeout=30), "the delivery never started"
    # A crash, not a shutdown: the main process and its pool die at once, acking nothing.
    for pid in (first.pid, *descendants(first.pid)):
        os.kill(pid, signal.SIGKILL)
    first.wait()
    assert statuses(sessions, OutboxMessage) == ["pending"]  # claimed, never recorded

    second = start_worker(dict(os.environ) | env, tmp_path / "worker2.log")
    try:
        assert wait_until(lambda: bool(celery.control.ping(timeout=0.5)), timeout=60)

        def delivered() -> bool:
            celery.send_task("odop.sweep")  # beat runs this every 15 s
            return wait_until(lambda: statuses(sessions, OutboxMessage) == ["sent"], timeout=3)

        assert wait_until(delivered, timeout=60)
    finally:
        stop_process(second)
    posts = receiver.posts("/on_search")
    assert len(posts) == 2  # at-least-once: the buyer app dedupes by message_id
    assert posts[0].body == posts[1].body
    app.extensions["odop"].dispose()

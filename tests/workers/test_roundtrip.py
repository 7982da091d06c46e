"""A task round trip through a real broker and a real worker process."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy.orm import Session, sessionmaker

from adapter.store.cooperatives import create_cooperative
from adapter.store.db import transaction
from config import load_settings
from tests.support.servers import start_worker, stop_process
from workers import embedded_broker
from workers.app import make_celery


def test_round_trip_through_redis_and_a_real_worker(worker, sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        create_cooperative(session, "kangra-tea", "Kangra Tea")
    result = worker.send_task("odop.ping", args=["namaste"]).get(timeout=30)
    assert result["pong"] == "namaste"
    assert result["cooperatives"] == 1  # the worker reads the same database


def test_round_trip_through_the_embedded_broker(tmp_path: Path, database_url: str, engine) -> None:
    env = {
        "DATA_DIR": str(tmp_path),
        "DATABASE_URL": database_url,
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
    }
    (tmp_path / "metrics").mkdir()
    settings = load_settings(env)
    assert settings.broker_url.startswith("sqla+sqlite:///")
    app = make_celery(settings)
    clean_env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "BROKER_URL", "RESULT_BACKEND")}
    proc = start_worker(clean_env | env, tmp_path / "worker.log")
    try:
        result = app.send_task("odop.ping", args=["embedded"]).get(timeout=60)
    finally:
        stop_process(proc)
    assert result["pong"] == "embedded"
    # Polled every 0.1 s (not kombu's 1 s), a few messages taken ahead, the queue file in WAL mode.
    with app.connection_for_read() as connection:
        assert connection.transport.polling_interval == embedded_broker.POLLING_INTERVAL == 0.1
    assert app.conf.worker_prefetch_multiplier == 4
    with sqlite3.connect(tmp_path / "broker.sqlite3") as broker_db:
        assert broker_db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    # The worker recorded the task in the shared multiprocess metrics directory.
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=str(tmp_path / "metrics"))
    text = generate_latest(registry).decode()
    assert 'odop_celery_tasks_total{state="SUCCESS",task="odop.ping"} 1.0' in text
    assert 'odop_celery_task_duration_seconds_count{task="odop.ping"} 1.0' in text


@pytest.mark.parametrize("payload", [["x"] * 3])
def test_tasks_reject_non_json_content(worker, payload: list[str]) -> None:
    # JSON only: a pickle-serialised message is refused by the app's own config before it is sent.
    from kombu.exceptions import ContentDisallowed, EncodeError

    assert worker.conf.accept_content == ["json"]
    assert worker.conf.task_acks_late is True
    assert worker.conf.task_reject_on_worker_lost is True
    with pytest.raises((ContentDisallowed, EncodeError)):
        worker.send_task("odop.ping", args=[object()]).get(timeout=5)

"""The fault suite's rig: our own Redis, our own workers, a buyer app, and a report of what each fault cost.

Every scenario records what was sent, what arrived and how long recovery took; the figures are printed at the
end of the run (and written to $FAULT_REPORT as JSON lines when that is set), so a change that slows recovery
shows up in CI output, not only a change that breaks it.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from adapter.web import create_app
from config import Settings, load_settings
from tests.support.network import Network
from tests.support.receiver import Receiver, running_receiver
from tests.support.servers import RedisServer, start_worker, stop_process, wait_until
from workers.app import make_celery

REPORT: list[dict[str, Any]] = []


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not REPORT:
        return
    terminalreporter.write_sep("=", "fault suite: what was sent, what arrived, time to recover")
    for entry in REPORT:
        figures = ", ".join(f"{k}={v}" for k, v in entry.items() if k not in ("scenario", "database"))
        terminalreporter.write_line(f"[{entry['database']}] {entry['scenario']}: {figures}")
    target = os.environ.get("FAULT_REPORT")
    if target:
        with Path(target).open("a") as out:
            for entry in REPORT:
                out.write(json.dumps(entry) + "\n")


@pytest.fixture
def fault_report(request: pytest.FixtureRequest, settings: Settings) -> Callable[..., None]:
    database = "postgresql" if settings.database_url.startswith("postgresql") else "sqlite"

    def record(**figures: Any) -> None:
        rounded = {k: round(v, 2) if isinstance(v, float) else v for k, v in figures.items()}
        REPORT.append({"scenario": request.node.name.removeprefix("test_"), "database": database} | rounded)

    return record


@dataclass
class Stack:
    """The service as production runs it, in pieces a test can break: web (in process), broker, workers."""

    env: dict[str, str]
    redis: RedisServer
    logdir: Path
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    apps: list[Flask] = field(default_factory=list)

    @property
    def settings(self) -> Settings:
        return load_settings(self.env)

    def app(self, **changes: Any) -> Flask:
        import dataclasses

        app = create_app(dataclasses.replace(self.settings, **changes) if changes else self.settings)
        self.apps.append(app)
        return app

    def client(self) -> FlaskClient:
        return (self.apps[0] if self.apps else self.app()).test_client()

    def start_worker(self, concurrency: int = 4) -> subprocess.Popen[bytes]:
        proc = start_worker(dict(os.environ) | self.env, self.logdir / f"worker{len(self.workers)}.log",
                            extra=["--concurrency", str(concurrency)])
        self.workers.append(proc)
        celery = make_celery(self.settings)
        try:
            if not wait_until(lambda: bool(celery.control.ping(timeout=0.5)), timeout=60, interval=0.5):
                raise RuntimeError("the worker did not start: " + self.log_tail())
        finally:
            celery.close()
        return proc

    def log_tail(self) -> str:
        return "\n".join(p.read_text()[-2000:] for p in sorted(self.logdir.glob("worker*.log")))

    def send(self, task: str) -> None:
        celery = make_celery(self.settings)
        try:
            celery.send_task(task)
        finally:
            celery.close()

    def close(self) -> None:
        for proc in self.workers:
            stop_process(proc)
        for app in self.apps:
            app.extensions["odop"].dispose()


@pytest.fixture
def stack(test_env: dict[str, str], tmp_path: Path, engine: Any) -> Iterator[Stack]:
    redis = RedisServer(tmp_path)
    redis.start()
    env = test_env | {"REDIS_URL": redis.url, "CALLBACK_CONNECT_TIMEOUT": "1", "CALLBACK_READ_TIMEOUT": "5",
                      "DELIVERY_LEASE_MARGIN": "2"}
    rig = Stack(env=env, redis=redis, logdir=tmp_path)
    try:
        yield rig
    finally:
        rig.close()
        redis.stop()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as server:
        yield server


def signed_post(client: FlaskClient, network: Network, action: str, body: bytes) -> tuple[int, dict[str, Any], float]:
    """POST a signed request; its status, JSON answer and how long the answer took, in seconds."""
    started = time.perf_counter()
    response = client.post(f"/ondc/{action}", data=body, content_type="application/json",
                           headers={"Authorization": network.buyer.sign(body)})
    elapsed = time.perf_counter() - started
    answer: dict[str, Any] = response.get_json(silent=True) or {}
    response.close()
    return response.status_code, answer, elapsed

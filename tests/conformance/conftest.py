"""The conformance rig: the adapter under gunicorn with its own worker and Redis, the demo cooperatives, a buyer
app that records every message, and ONDC's validator. A table of the validator's verdicts ends the run."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from adapter.certification.validator import Verdict
from adapter.cli.demo import seed_demo_data
from config import Settings, load_settings
from tests.support.network import Network
from tests.support.receiver import Receiver, running_receiver
from tests.support.servers import RedisServer, free_port, start_web, start_worker, stop_process, wait_until
from workers.app import make_celery

ROOT = Path(__file__).resolve().parents[2]
# The seller app's own GSTIN, stated as tax_number in bpp_terms by a marketplace (MSN) seller app.
SELLER_APP_GSTIN = "02AAACO1234F1Z8"
VERDICTS: list[Verdict] = []


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not VERDICTS:
        return
    terminalreporter.write_sep("=", "ONDC log-validation-utility: seller-side errors per flow")
    terminalreporter.write_line(f"{'flow':<6} {'domain':<11} {'case':<34} {'seller-side errors':<19} "
                                "of which the utility's known defects")
    for verdict in VERDICTS:
        terminalreporter.write_line(f"{verdict.flow:<6} {verdict.domain:<11} {verdict.case:<34} "
                                    f"{len(verdict.seller_errors):<19} {len(verdict.defects)}")
        for line in verdict.faults:
            terminalreporter.write_line(f"{'':<6} {line[:300]}")


@dataclass
class Service:
    """The adapter as production runs it: gunicorn, a Celery worker and Redis, on the test database."""

    url: str
    env: dict[str, str]

    @property
    def bpp_uri(self) -> str:
        return f"{self.url}/ondc"

    @property
    def settings(self) -> Settings:
        return load_settings(self.env)


@pytest.fixture(scope="module")
def service_env() -> dict[str, str]:
    """Settings a test module runs the service with, over the test defaults (override it in the module)."""
    return {}


@pytest.fixture(scope="module")
def service(test_env: dict[str, str], service_env: dict[str, str], engine: Any,
            tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    workdir = tmp_path_factory.mktemp("conformance")
    redis = RedisServer(workdir)
    redis.start()
    port = free_port()
    metrics = workdir / "metrics"
    metrics.mkdir()
    env = dict(os.environ) | test_env | {
        "REDIS_URL": redis.url, "ONDC_SUBSCRIBER_URL": f"http://127.0.0.1:{port}", "SELLER_APP_GSTIN": SELLER_APP_GSTIN,
        "PROMETHEUS_MULTIPROC_DIR": str(metrics), "SYNC_DEBOUNCE_SECONDS": "1",
    } | service_env
    web = start_web(env, port, workdir / "gunicorn.log", workers=2)
    worker = start_worker(env, workdir / "worker.log")
    celery = make_celery(load_settings(env))
    try:
        assert wait_until(lambda: bool(celery.control.ping(timeout=0.5)), timeout=60, interval=0.5), (
            (workdir / "worker.log").read_text()[-3000:])
        yield Service(url=f"http://127.0.0.1:{port}", env=env)
    finally:
        celery.close()
        stop_process(worker)
        stop_process(web)
        redis.stop()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as server:
        yield server


@pytest.fixture
def demo(service: Service, sessions: sessionmaker[Session]) -> dict[str, str]:
    """The demo cooperatives, seeded as `make run` seeds them; their API keys by slug."""
    keys: dict[str, str] = seed_demo_data(service.settings, sessions)["keys"]
    return keys


@pytest.fixture
def record(request: pytest.FixtureRequest) -> Any:
    def add(verdict: Verdict) -> None:
        VERDICTS.append(verdict)

    return add


__all__ = ["SELLER_APP_GSTIN", "Network", "Service"]

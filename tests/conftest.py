"""Shared fixtures: settings for the database under test, a migrated schema, the app and a real worker.

The database comes from TEST_DATABASE_URL (set by scripts/run-tests.sh to SQLite, then PostgreSQL) and
the broker from TEST_REDIS_URL. Without them, DB tests use a temporary SQLite file and Redis tests fail
with a message pointing at `make test`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from sqlalchemy import Engine, delete
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from adapter.store import migrate
from adapter.store.db import make_engine, make_sessionmaker
from adapter.store.models import Base
from config import Settings, load_settings
from tests.support.network import Network, make_network
from tests.support.servers import start_worker, stop_process, wait_until, worker_answers

ADMIN_KEY = "test-admin-key-0123456789abcdef"


def redis_url() -> str:
    url = os.environ.get("TEST_REDIS_URL")
    if not url:
        pytest.fail("TEST_REDIS_URL is not set: run the suite with `make test` (scripts/run-tests.sh)")
    return url


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"


@pytest.fixture(scope="session")
def network(tmp_path_factory: pytest.TempPathFactory) -> Network:
    """Our seller keys, a test buyer app and a gateway, listed in a static registry file."""
    return make_network(tmp_path_factory.mktemp("registry"))


@pytest.fixture(scope="session")
def test_env(database_url: str, tmp_path_factory: pytest.TempPathFactory, network: Network) -> dict[str, str]:
    """Environment variables for the app and for worker processes under test."""
    data_dir = tmp_path_factory.mktemp("var")
    return {
        "DATA_DIR": str(data_dir),
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url(),
        "ADMIN_API_KEY": ADMIN_KEY,
        "LOG_LEVEL": "INFO",
        "ONDC_SUBSCRIBER_ID": network.seller.subscriber_id,
        "ONDC_UNIQUE_KEY_ID": network.seller.unique_key_id,
        "ONDC_SIGNING_PRIVATE_KEY": network.seller.keys.signing_private_key,
        "ONDC_ENCRYPTION_PRIVATE_KEY": network.seller.keys.encryption_private_key,
        "REGISTRY_MODE": "static",
        "REGISTRY_FILE": str(network.registry_file),
        "ALLOW_PRIVATE_CALLBACKS": "true",
        "RETRY_BASE_DELAY": "0.2",
        "RETRY_MAX_DELAY": "1.0",
    }


@pytest.fixture(scope="session")
def settings(test_env: dict[str, str]) -> Settings:
    return load_settings(test_env)


@pytest.fixture(scope="session")
def engine(settings: Settings) -> Iterator[Engine]:
    """The database under test, migrated from scratch once per session."""
    migrate.downgrade(settings.database_url, "base")
    migrate.upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(engine: Engine) -> Iterator[sessionmaker[Session]]:
    """A session factory; every table is emptied after the test."""
    factory = make_sessionmaker(engine)
    yield factory
    for attempt in range(5):
        try:
            with factory() as session, session.begin():
                for table in reversed(Base.metadata.sorted_tables):
                    session.execute(delete(table))
            break
        except (IntegrityError, OperationalError):
            # A worker still answering this test's last request wrote a row that refers to one being emptied
            # (an outbox row to its stored page), or took row locks in another order than this DELETE (PostgreSQL
            # ends one of the two as a deadlock; SQLite says "database is locked"): empty everything again once
            # it is done.
            if attempt == 4:
                raise
            time.sleep(0.5)
    # Tasks a test queued but no worker ran must not leak into the next test (ids are reused).
    url = os.environ.get("TEST_REDIS_URL")
    if url:
        client = Redis.from_url(url)
        client.delete("celery")
        client.close()


@contextmanager
def app_under_test(settings: Settings) -> Iterator[Flask]:
    """The app on these settings, in testing mode; its engine and clients are let go afterwards."""
    from adapter.web import create_app

    app = create_app(settings)
    app.config.update(TESTING=True)
    yield app
    app.extensions["odop"].dispose()


@pytest.fixture
def app(settings: Settings, sessions: sessionmaker[Session]) -> Iterator[Flask]:
    with app_under_test(settings) as app:
        yield app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def admin_headers() -> dict[str, str]:
    return {"Authorization": f"Bearer {ADMIN_KEY}"}


@pytest.fixture(scope="session")
def worker(test_env: dict[str, str], engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A real Celery worker on the test Redis and database, for the whole session."""
    from workers.app import make_celery

    env = dict(os.environ) | test_env
    log = tmp_path_factory.mktemp("worker") / "worker.log"
    proc = start_worker(env, log)
    celery = make_celery(load_settings(test_env))

    if not wait_until(lambda: worker_answers(celery), timeout=60, interval=0.5):
        stop_process(proc)
        pytest.fail(f"worker did not start; log:\n{Path(log).read_text()[-3000:]}")
    yield celery
    stop_process(proc)


@pytest.fixture(scope="session")
def validator(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """ONDC's log-validation-utility (third_party/ondc-validator), unpacked and ready (tests/conformance)."""
    from adapter.certification.validator import Validator, ValidatorUnavailable

    # A relative path, as under `make run`'s DATA_DIR=var: the utility must find itself from one too.
    home = Path(os.path.relpath(tmp_path_factory.mktemp("ondc-validator")))
    try:
        return Validator.unpack(home)
    except ValidatorUnavailable as exc:
        pytest.fail(f"ONDC's validator cannot run: {exc}")

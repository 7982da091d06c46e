from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from adapter.web import create_app
from config import Settings
from tests.support.servers import RedisServer


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


def test_ready_when_database_and_broker_answer(client) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json["status"] == "ready"
    for check in ("database", "broker"):
        assert response.json["checks"][check]["ok"] is True
        assert response.json["checks"][check]["latency_ms"] >= 0


def test_broker_down_gives_503_naming_the_broker_then_recovers(
    settings: Settings, sessions, own_redis: RedisServer
) -> None:
    local = replace(settings, broker_url=own_redis.url, result_backend=own_redis.url, readiness_timeout=1.0)
    app = create_app(local)
    client = app.test_client()
    assert client.get("/readyz").status_code == 200

    own_redis.stop()
    down = client.get("/readyz")
    assert down.status_code == 503
    assert down.json["reason"] == "not reachable: broker"
    assert down.json["checks"]["broker"]["ok"] is False
    assert down.json["checks"]["database"]["ok"] is True
    assert down.json["checks"]["broker"]["error"]

    own_redis.start()
    assert client.get("/readyz").status_code == 200
    app.extensions["odop"].dispose()


def test_database_down_gives_503_naming_the_database(settings: Settings, sessions, tmp_path: Path) -> None:
    # A SQLite path inside a missing directory cannot be opened.
    local = replace(settings, database_url=f"sqlite:///{tmp_path}/missing/dir/x.sqlite3")
    app = create_app(local)
    (tmp_path / "missing" / "dir").rmdir()
    down = app.test_client().get("/readyz")
    assert down.status_code == 503
    assert down.json["reason"] == "not reachable: database"
    app.extensions["odop"].dispose()

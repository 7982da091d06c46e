import uuid
from dataclasses import replace
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

from adapter.store.cooperatives import create_cooperative
from adapter.store.db import transaction
from adapter.web import create_app
from config import Settings


@pytest.fixture
def two_cooperatives(sessions: sessionmaker[Session]) -> dict[str, str]:
    keys = {}
    with transaction(sessions) as session:
        for slug, name in (("chamba-rumal", "Chamba Rumal"), ("kangra-tea", "Kangra Tea")):
            _, key = create_cooperative(session, slug, name)
            keys[slug] = key.plain
    return keys


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer"}, {"Authorization": "Basic abc"}, {"Authorization": "Bearer odop_wrong"}],
)
def test_missing_or_wrong_key_is_401_json(client: FlaskClient, two_cooperatives: Any, headers: dict) -> None:
    response = client.get("/api/v1/cooperatives", headers=headers)
    assert response.status_code == 401
    assert response.json["error"]["code"] == "unauthenticated"


def test_admin_sees_all(client: FlaskClient, two_cooperatives: Any, admin_headers: dict) -> None:
    response = client.get("/api/v1/cooperatives", headers=admin_headers)
    assert response.status_code == 200
    assert [c["slug"] for c in response.json["cooperatives"]] == ["chamba-rumal", "kangra-tea"]
    assert response.json["cooperatives"][0]["created_at"].endswith("+00:00")


def test_cooperative_sees_only_itself(client: FlaskClient, two_cooperatives: dict[str, str]) -> None:
    response = client.get("/api/v1/cooperatives", headers=bearer(two_cooperatives["kangra-tea"]))
    assert response.status_code == 200
    assert [c["slug"] for c in response.json["cooperatives"]] == ["kangra-tea"]
    own = client.get("/api/v1/cooperatives/kangra-tea", headers=bearer(two_cooperatives["kangra-tea"]))
    assert own.status_code == 200
    other = client.get("/api/v1/cooperatives/chamba-rumal", headers=bearer(two_cooperatives["kangra-tea"]))
    assert other.status_code == 404
    assert other.json["error"]["code"] == "not_found"


def test_create_needs_admin_and_returns_key_once(
    client: FlaskClient, two_cooperatives: dict[str, str], admin_headers: dict
) -> None:
    body = {"slug": "kullu-handloom", "name": "Kullu Handloom Weavers"}
    denied = client.post("/api/v1/cooperatives", json=body, headers=bearer(two_cooperatives["kangra-tea"]))
    assert denied.status_code == 403
    created = client.post("/api/v1/cooperatives", json=body, headers=admin_headers)
    assert created.status_code == 201
    key = created.json["api_key"]
    assert key.startswith("odop_")
    mine = client.get("/api/v1/cooperatives", headers=bearer(key))
    assert [c["slug"] for c in mine.json["cooperatives"]] == ["kullu-handloom"]
    assert "api_key" not in client.get("/api/v1/cooperatives/kullu-handloom", headers=admin_headers).json
    again = client.post("/api/v1/cooperatives", json=body, headers=admin_headers)
    assert again.status_code == 409


@pytest.mark.parametrize(
    ("payload", "field"),
    [({"slug": "Bad Slug", "name": "x"}, "slug"), ({"name": "x"}, "slug"), ({"slug": "ok"}, "name")],
)
def test_bad_create_bodies_get_422_naming_the_field(
    client: FlaskClient, admin_headers: dict, payload: dict, field: str
) -> None:
    response = client.post("/api/v1/cooperatives", json=payload, headers=admin_headers)
    assert response.status_code == 422
    assert field in str(response.json["error"])


def test_non_json_body_is_422(client: FlaskClient, admin_headers: dict) -> None:
    response = client.post("/api/v1/cooperatives", data=b"\xff\xfe", headers=admin_headers,
                           content_type="application/json")
    assert response.status_code == 422
    assert response.json["error"]["message"] == "the body must be a JSON object"


@pytest.mark.parametrize("path", ["/api/v1/cooperatives/chamba-rumal/source",
                                  "/api/v1/cooperatives/chamba-rumal/connectors/feed"])
def test_urls_are_not_looked_up_for_strangers(settings: Settings, two_cooperatives: dict[str, str],
                                              path: str) -> None:
    # Authentication comes first: an unauthenticated caller learns nothing from our DNS lookups.
    app = create_app(replace(settings, allow_private_callbacks=False))
    client = app.test_client()
    body = {"url": "https://does-not-resolve.invalid/catalogue.csv"}
    try:
        assert client.put(path, json=body).status_code == 401
        assert client.put(path, json=body, headers=bearer(two_cooperatives["kangra-tea"])).status_code == 404
        refused = client.put(path, json=body, headers=bearer(two_cooperatives["chamba-rumal"]))
    finally:
        app.extensions["odop"].dispose()
    assert refused.status_code == 422
    assert "does not resolve" in refused.json["error"]["message"]


def test_too_many_wrong_keys_from_one_address_are_throttled(client: FlaskClient, two_cooperatives: dict[str, str],
                                                            app: Flask) -> None:
    from adapter.web.throttle import MAX_FAILURES

    address = {"REMOTE_ADDR": f"203.0.113.{uuid.uuid4().int % 250}-{uuid.uuid4().hex[:6]}"}
    right = bearer(two_cooperatives["chamba-rumal"])
    for _ in range(MAX_FAILURES):
        wrong = client.get("/api/v1/cooperatives", headers=bearer("odop_0123456789ab_wrongwrongwrongwrong"),
                           environ_overrides=address)
        assert wrong.status_code == 401
    blocked = client.get("/api/v1/cooperatives", headers=right, environ_overrides=address)
    assert blocked.status_code == 429
    assert blocked.json["error"]["code"] == "too_many_requests"
    assert 0 < int(blocked.headers["Retry-After"]) <= 300
    # Another address is not affected, and the count is shared by every web process (it lives in Redis).
    assert client.get("/api/v1/cooperatives", headers=right).status_code == 200
    other_app = create_app(app.extensions["odop"].settings)
    try:
        assert other_app.test_client().get("/api/v1/cooperatives", headers=right,
                                           environ_overrides=address).status_code == 429
    finally:
        other_app.extensions["odop"].dispose()

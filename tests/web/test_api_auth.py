from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

from adapter.store.cooperatives import create_cooperative
from adapter.store.db import transaction


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

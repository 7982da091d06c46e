"""What a GET returns, the matching PUT or PATCH accepts unchanged, and nothing changes."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

from tests.support.sellers import make_seller

COOP = "/api/v1/cooperatives/round-trip"


@pytest.fixture
def seller(sessions: sessionmaker[Session]) -> int:
    return make_seller(sessions, "round-trip")


def _round_trip(client: FlaskClient, headers: dict[str, str], url: str, method: str = "put",
                unwrap: str | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """GET, send it back unchanged, GET again: returns the first and last GET."""
    first = client.get(url, headers=headers)
    assert first.status_code == 200, first.get_json()
    body = first.get_json()
    sent = client.open(url, method=method.upper(), json=body[unwrap] if unwrap else body, headers=headers)
    assert sent.status_code == 200, sent.get_json()
    again = client.get(url, headers=headers)
    return body, again.get_json()


def test_the_profile_round_trips(client: FlaskClient, admin_headers: dict[str, str], seller: int) -> None:
    before, after = _round_trip(client, admin_headers, f"{COOP}/profile")  # {"profile": {...}} as it came
    assert after == before
    assert _round_trip(client, admin_headers, f"{COOP}/profile", unwrap="profile")[1] == before  # or unwrapped
    assert set(before["profile"]["opening"]) >= {"open", "close", "days"}  # the input shape, not the stored one
    assert "open_time" not in before["profile"]["opening"]


def test_a_changed_profile_comes_back_as_sent(client: FlaskClient, admin_headers: dict[str, str],
                                              seller: int) -> None:
    profile = client.get(f"{COOP}/profile", headers=admin_headers).get_json()["profile"]
    profile["opening"] |= {"close": "1930", "closed": {"from": "2030-01-10", "until": "2030-01-20", "note": "winter"}}
    answer = client.put(f"{COOP}/profile", json=profile, headers=admin_headers)
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["profile"] == profile
    assert client.get(f"{COOP}/profile", headers=admin_headers).get_json()["profile"] == profile


def test_delivery_terms_round_trip(client: FlaskClient, admin_headers: dict[str, str], seller: int) -> None:
    terms = {"flat_fee": "40", "slabs": [{"up_to": "500", "fee": "60"}], "free_above": "1500", "packing_fee": "10",
             "transit_hyperlocal": "PT3H", "transit_intercity": "P4D", "category": "Standard Delivery"}
    assert client.put(f"{COOP}/delivery", json=terms, headers=admin_headers).status_code == 200
    before, after = _round_trip(client, admin_headers, f"{COOP}/delivery")
    assert before == after == terms


def test_the_catalogue_source_round_trips_and_ignores_its_status(client: FlaskClient,
                                                                 admin_headers: dict[str, str], seller: int) -> None:
    source = {"url": "http://127.0.0.1:9/catalogue.csv", "interval_minutes": 30, "enabled": False}
    assert client.put(f"{COOP}/source", json=source, headers=admin_headers).status_code == 200
    before, after = _round_trip(client, admin_headers, f"{COOP}/source")
    assert before == after
    assert before["last_status"] is None
    assert set(source.items()) <= set(before.items())
    status_sent = client.put(f"{COOP}/source", headers=admin_headers,
                             json=before | {"last_status": "ok", "last_error": "invented"})
    assert status_sent.status_code == 200
    assert status_sent.get_json()["last_error"] is None  # status is the adapter's to report, not the caller's


def test_a_connector_round_trips_and_keeps_its_name(client: FlaskClient, admin_headers: dict[str, str],
                                                    seller: int) -> None:
    url = f"{COOP}/connectors/craftmart"
    created = client.put(url, json={"url": "http://127.0.0.1:9/orders"}, headers=admin_headers)
    assert created.status_code == 201
    listed = client.get(f"{COOP}/connectors", headers=admin_headers).get_json()["connectors"]
    assert listed == [created.get_json()]
    again = client.put(url, json=created.get_json(), headers=admin_headers)
    assert again.status_code == 200
    assert again.get_json() == created.get_json()
    renamed = client.put(url, json=created.get_json() | {"name": "other"}, headers=admin_headers)
    assert renamed.status_code == 422
    assert renamed.get_json()["error"]["details"] == {"field": "name"}


def test_an_item_round_trips_through_patch(client: FlaskClient, admin_headers: dict[str, str], seller: int) -> None:
    url = f"{COOP}/catalogue/items/T16-1"
    before = client.get(url, headers=admin_headers).get_json()
    sent = client.patch(url, json=before, headers=admin_headers)
    assert sent.status_code == 200, sent.get_json()
    after = client.get(url, headers=admin_headers).get_json()
    assert {k: v for k, v in after.items() if k != "updated_at"} == {
        k: v for k, v in before.items() if k != "updated_at"}
    cheaper = client.patch(url, json=before | {"price": "900"}, headers=admin_headers)
    assert cheaper.status_code == 200, cheaper.get_json()
    assert cheaper.get_json()["price"] == "900"


def test_a_changed_read_only_item_field_is_refused_by_name(client: FlaskClient, admin_headers: dict[str, str],
                                                           seller: int) -> None:
    url = f"{COOP}/catalogue/items/T16-1"
    before = client.get(url, headers=admin_headers).get_json()
    answer = client.patch(url, json=before | {"name": "Renamed", "price": "1"}, headers=admin_headers)
    assert answer.status_code == 422
    assert answer.get_json()["error"]["details"] == {"read_only": ["name"]}
    assert client.get(url, headers=admin_headers).get_json() == before  # nothing changed

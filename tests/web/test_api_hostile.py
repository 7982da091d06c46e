"""Hostile bodies and parameters get a 4xx naming the problem, never a 5xx, and change nothing."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

from tests.console.support import make_coop_with_key
from tests.support.sellers import make_seller

COOP = "/api/v1/cooperatives/hostile"


@pytest.fixture
def seller(sessions: sessionmaker[Session]) -> int:
    return make_seller(sessions, "hostile")


@pytest.mark.parametrize("body", ["[" * 5000 + "]" * 5000, '{"a":' * 3000 + "1" + "}" * 3000])
@pytest.mark.parametrize(("method", "path"), [("put", "/delivery"), ("put", "/profile"), ("put", "/source"),
                                              ("patch", "/catalogue/items/T16-1"), ("post", "/syncs")])
def test_deeply_nested_json_is_a_422(client: FlaskClient, admin_headers: dict[str, str], seller: int, body: str,
                                     method: str, path: str) -> None:
    response = client.open(COOP + path, method=method.upper(), data=body, content_type="application/json",
                           headers=admin_headers)
    assert response.status_code == 422, response.get_data(as_text=True)[:200]
    assert response.get_json()["error"]["code"] == "invalid_request"


def test_yaml_aliases_are_refused_before_they_expand(client: FlaskClient, admin_headers: dict[str, str],
                                                     seller: int) -> None:
    levels = ["a: &a [x, x, x, x, x, x, x, x, x]"]
    levels += [f"{chr(98 + n)}: &{chr(98 + n)} [{', '.join([f'*{chr(97 + n)}'] * 9)}]" for n in range(6)]
    body = "\n".join([*levels, "name: [*g, *g, *g]"])
    before = client.get(f"{COOP}/profile", headers=admin_headers).get_json()
    response = client.put(f"{COOP}/profile", data=body, content_type="application/yaml", headers=admin_headers)
    assert response.status_code == 422
    assert "aliases" in response.get_json()["error"]["message"]
    assert client.get(f"{COOP}/profile", headers=admin_headers).get_json() == before


def test_deep_yaml_is_a_422(client: FlaskClient, admin_headers: dict[str, str], seller: int) -> None:
    response = client.put(f"{COOP}/profile", data="[" * 20000, content_type="application/yaml",
                          headers=admin_headers)
    assert response.status_code == 422


@pytest.mark.parametrize("price", ["1e999999", "1e400", "9" * 5000, "٣٠٠", 1e308, "NaN", "-5", True])
def test_an_absurd_price_is_a_422_naming_the_field(client: FlaskClient, admin_headers: dict[str, str],
                                                   seller: int, price: object) -> None:
    url = f"{COOP}/catalogue/items/T16-1"
    before = client.get(url, headers=admin_headers).get_json()
    response = client.patch(url, json={"price": price}, headers=admin_headers)
    assert response.status_code == 422
    assert response.get_json()["error"]["details"] == {"field": "price"}
    assert client.get(url, headers=admin_headers).get_json() == before


@pytest.mark.parametrize("terms", [{"flat_fee": "1e999999"}, {"flat_fee": 1e308}, {"flat_fee": "1e5"},
                                   {"flat_fee": "٣"}, {"packing_fee": "-1"}, {"free_above": "12.345"},
                                   {"transit_hyperlocal": "P99999999999999999999D"}])
def test_delivery_terms_take_plain_amounts_and_sane_durations(client: FlaskClient, admin_headers: dict[str, str],
                                                              seller: int, terms: dict[str, object]) -> None:
    before = client.get(f"{COOP}/delivery", headers=admin_headers).get_json()
    response = client.put(f"{COOP}/delivery", json=terms, headers=admin_headers)
    assert response.status_code == 422, response.get_json()
    assert client.get(f"{COOP}/delivery", headers=admin_headers).get_json() == before


def test_delivery_amounts_come_back_as_they_were_meant(client: FlaskClient, admin_headers: dict[str, str],
                                                       seller: int) -> None:
    response = client.put(f"{COOP}/delivery", json={"flat_fee": 45, "free_above": "1500.50"}, headers=admin_headers)
    assert response.status_code == 200
    assert (response.get_json()["flat_fee"], response.get_json()["free_above"]) == ("45", "1500.50")


@pytest.mark.parametrize("value", ["\u0663", "\uff11\uff10", "1_0", "\u00b2", "-1", "501", "1" * 40])
@pytest.mark.parametrize("path", ["/api/v1/orders", "/api/v1/issues", "/api/v1/outbox"])
def test_paging_takes_ascii_whole_numbers_in_range(client: FlaskClient, admin_headers: dict[str, str],
                                                   value: str, path: str) -> None:
    for name in ("limit", "offset"):
        if name == "offset" and value == "501":
            continue  # a fine offset
        response = client.get(path, query_string={name: value}, headers=admin_headers)
        assert response.status_code == 422, (name, value, response.get_json())
        assert name in response.get_json()["error"]["details"]


@pytest.mark.parametrize("path", ["/api/v1/orders", "/api/v1/issues"])
def test_a_cooperative_naming_another_in_a_list_filter_gets_404(client: FlaskClient, sessions: sessionmaker[Session],
                                                                 path: str) -> None:
    _, key = make_coop_with_key(sessions, "own-coop")
    make_seller(sessions, "other-coop")
    headers = {"Authorization": f"Bearer {key}"}
    assert client.get(path, query_string={"cooperative": "own-coop"}, headers=headers).status_code == 200
    response = client.get(path, query_string={"cooperative": "other-coop"}, headers=headers)
    assert response.status_code == 404
    assert response.get_json()["error"]["message"] == "no cooperative 'other-coop'"

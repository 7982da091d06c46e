"""The network webhooks: every check in order, with the right NACK, and no 5xx on bad input."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import orjson
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from adapter.store.cooperatives import create_cooperative
from adapter.store.db import transaction
from adapter.store.models import InboundMessage
from adapter.web import create_app
from catalog_sync.services import catalogue as catalogues
from config import Settings
from tests.support.network import SELLER_ID, Network, search_body
from tests.support.servers import store_searches

PROFILE = json.loads((__import__("pathlib").Path(__file__).resolve().parents[1] / "catalog_sync" / "fixtures"
                      / "profile.json").read_text())


@pytest.fixture
def seller(sessions: sessionmaker[Session]) -> None:
    """One cooperative selling Home Decor (RET16) pan-India."""
    with transaction(sessions) as session:
        cooperative, _ = create_cooperative(session, "test-coop", "Test Coop")
        catalogues.set_profile(cooperative, {**PROFILE, "slug": "test-coop"})


def post(client: FlaskClient, network: Network, body: bytes, action: str = "search", *,
         headers: dict[str, str] | None = None, signer: Any = None) -> Any:
    sign = (signer or network.buyer).sign(body)
    return client.post(f"/ondc/{action}", data=body, content_type="application/json",
                       headers={"Authorization": sign, **(headers or {})})


def rows(sessions: sessionmaker[Session]) -> list[InboundMessage]:
    with sessions() as session:
        return list(session.scalars(select(InboundMessage).order_by(InboundMessage.id)))


def test_signed_search_is_acked_stored_raw_and_duplicates_get_the_same_ack(
    client: FlaskClient, network: Network, seller: None, sessions: sessionmaker[Session]
) -> None:
    body = search_body()
    first = post(client, network, body)
    assert first.status_code == 200
    assert first.json == {"message": {"ack": {"status": "ACK"}}}
    again = post(client, network, body)
    assert again.json == first.json
    store_searches(client.application)
    stored = rows(sessions)
    assert len(stored) == 1
    assert stored[0].body == body  # the exact bytes, never re-serialised
    assert stored[0].signature == "ok"
    assert stored[0].status in ("received", "processing", "processed")
    assert stored[0].headers["Authorization"].startswith("Signature keyId=")


@pytest.mark.parametrize("case", ["tampered", "expired", "not-yet-valid", "unknown-key", "wrong-subscriber",
                                  "missing", "malformed"])
def test_signature_failures_are_401_nack_30016(
    client: FlaskClient, network: Network, seller: None, sessions: sessionmaker[Session], case: str
) -> None:
    body = search_body()
    now = dt.datetime.now(dt.UTC)
    header = network.buyer.sign(body)
    sent = body
    if case == "tampered":
        sent = body.replace(b'"PT30S"', b'"PT31S"')
    elif case == "expired":
        header = network.buyer.sign(body, now - dt.timedelta(hours=2), validity=60)
    elif case == "not-yet-valid":
        header = network.buyer.sign(body, now + dt.timedelta(hours=1))
    elif case == "unknown-key":
        header = header.replace("buyer-key-1", "buyer-key-9")
    elif case == "wrong-subscriber":
        header = network.gateway.sign(body)  # a valid signature, but not by context.bap_id
    elif case == "malformed":
        header = "Signature nonsense"
    headers = {} if case == "missing" else {"Authorization": header}
    response = client.post("/ondc/search", data=sent, content_type="application/json", headers=headers)
    assert response.status_code == 401
    assert response.json["message"]["ack"]["status"] == "NACK"
    assert response.json["error"]["code"] == "30016"
    assert response.json["error"]["path"] == "headers.Authorization"
    assert response.headers["WWW-Authenticate"].startswith('Signature realm="')
    stored = rows(sessions)
    verdict = {"tampered": "mismatch"}.get(case, case)
    assert [(r.status, r.nack_code, r.signature) for r in stored] == [("nacked", "30016", verdict)]


def test_gateway_signature_is_checked_when_present(
    client: FlaskClient, network: Network, seller: None
) -> None:
    body = search_body()
    good = post(client, network, body, headers={"X-Gateway-Authorization": network.gateway.sign(body)})
    assert good.status_code == 200
    body = search_body()
    bad = post(client, network, body,
               headers={"X-Gateway-Authorization": network.gateway.sign(body + b" ")})
    assert bad.status_code == 401
    assert bad.json["error"]["code"] == "10001"
    assert bad.json["error"]["path"] == "headers.X-Gateway-Authorization"
    assert "Proxy-Authenticate" in bad.headers


def test_gateway_signature_can_be_required(settings: Settings, sessions, network: Network, seller: None) -> None:
    app = create_app(replace(settings, require_gateway_auth=True))
    response = post(app.test_client(), network, search_body())
    assert response.status_code == 401
    assert response.json["error"]["code"] == "10001"
    app.extensions["odop"].dispose()


@pytest.mark.parametrize(
    ("context", "code", "path"),
    [
        ({"core_version": "1.1.0"}, "30000", "context.core_version"),
        ({"bpp_id": "someone.else"}, "30000", "context.bpp_id"),
        ({"action": "select"}, "30000", "context.action"),
        ({"ttl": "thirty seconds"}, "30000", "context.ttl"),
        ({"ttl": "P99999999999D"}, "30000", "context.ttl"),
        ({"ttl": "P2D"}, "30000", "context.ttl"),
        ({"timestamp": "2020-01-01T00:00:00.000Z"}, "30022", "context.timestamp"),
        ({"timestamp": "2099-01-01T00:00:00.000Z"}, "30022", "context.timestamp"),
        ({"bap_uri": "not a url"}, "30000", "context.bap_uri"),
        ({"bap_uri": "https://attacker.example/cb"}, "30000", "context.bap_uri"),
        ({"bap_uri": "http://[::1/buyer"}, "30000", "context.bap_uri"),  # urllib cannot read its host
        # Longer than our callbacks' target column allows: refused here, never a poison message in the worker.
        ({"bap_uri": "http://127.0.0.1:9/buyer/" + "x" * 2000}, "30000", "context.bap_uri"),
    ],
)
def test_context_errors_are_nacked_with_code_and_path(
    client: FlaskClient, network: Network, seller: None, context: dict[str, str], code: str, path: str
) -> None:
    response = post(client, network, search_body(**context))
    assert response.status_code == 400
    assert response.json["error"]["type"] == "CONTEXT-ERROR"
    assert response.json["error"]["code"] == code
    assert response.json["error"]["path"] == path


def test_message_schema_error_has_the_json_path(client: FlaskClient, network: Network, seller: None) -> None:
    body = search_body(message={"intent": {"fulfillment": {"type": 5}}})
    response = post(client, network, body)
    assert response.status_code == 400
    assert response.json["error"]["type"] == "JSON-SCHEMA-ERROR"
    assert response.json["error"]["path"] == "message.intent.fulfillment.type"


def test_search_for_an_unserved_domain_is_acked_and_ignored(
    client: FlaskClient, network: Network, seller: None, sessions: sessionmaker[Session]
) -> None:
    response = post(client, network, search_body(domain="ONDC:RET14"))
    assert response.status_code == 200
    assert response.json["message"]["ack"]["status"] == "ACK"
    assert [r.status for r in rows(sessions)] == ["ignored"]


def test_other_actions_need_our_bpp_id(client: FlaskClient, network: Network, seller: None) -> None:
    body = orjson.dumps({"context": {**orjson.loads(search_body())["context"], "action": "status",
                                     "bpp_id": "other.seller", "bpp_uri": "https://other.seller/ondc"},
                         "message": {"order_id": "O1"}})
    response = post(client, network, body, action="status")
    assert response.status_code == 400
    assert response.json["error"]["path"] == "context.bpp_id"
    ok = orjson.dumps({"context": {**orjson.loads(search_body())["context"], "action": "status",
                                   "bpp_id": SELLER_ID, "bpp_uri": "https://seller/ondc"},
                       "message": {"order_id": "O1"}})
    assert post(client, network, ok, action="status").status_code == 200


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [(b"{not json", 400, "30000"), (b"[1, 2]", 400, "30000"), (b'{"context": 5}', 400, "30000"), (b"", 400, "30000")],
)
def test_bad_bodies_get_a_nack_never_a_5xx(client: FlaskClient, body: bytes, status: int, code: str) -> None:
    response = client.post("/ondc/search", data=body, content_type="application/json",
                           headers={"Authorization": "Signature x"})
    assert response.status_code == status
    assert response.json["error"]["code"] == code


@pytest.mark.parametrize("field", ["message_id", "transaction_id", "domain", "bap_id"])
def test_unsigned_requests_with_overlong_ids_get_a_stored_nack_not_a_5xx(
    client: FlaskClient, sessions: sessionmaker[Session], field: str
) -> None:
    body = search_body(**{field: "x" * 300})
    response = client.post("/ondc/search", data=body, content_type="application/json")
    assert response.status_code in (400, 401)
    assert response.json["message"]["ack"]["status"] == "NACK"
    stored = rows(sessions)
    assert [r.status for r in stored] == ["nacked"]
    assert len(getattr(stored[0], field) or "") <= {"bap_id": 255, "domain": 32}.get(field, 128)


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
def test_a_body_that_is_not_declared_json_is_a_415_nack(
    client: FlaskClient, network: Network, seller: None, content_type: str | None
) -> None:
    body = search_body()
    headers = {"Authorization": network.buyer.sign(body)}
    response = client.post("/ondc/search", data=body, headers=headers,
                           **({"content_type": content_type} if content_type else {}))
    assert response.status_code == 415
    assert response.json["error"]["code"] == "30000"
    ok = client.post("/ondc/search", data=body, headers=headers, content_type="application/json; charset=utf-8")
    assert ok.status_code == 200


def test_oversized_body_is_a_413_nack(client: FlaskClient, settings: Settings, sessions) -> None:
    response = client.post("/ondc/search", data=b"x" * (settings.max_request_bytes + 1),
                           content_type="application/json")
    assert response.status_code == 413
    assert response.json["message"]["ack"]["status"] == "NACK"
    assert rows(sessions)[0].status == "nacked"


def test_unknown_action_is_a_404_nack(client: FlaskClient) -> None:
    response = client.post("/ondc/frobnicate", data=b"{}", content_type="application/json")
    assert response.status_code == 404
    assert response.json["error"]["path"] == "context.action"


def test_a_database_outage_is_a_503_nack_the_buyer_app_retries(
    settings: Settings, network: Network, tmp_path: Any
) -> None:
    # A database that cannot be opened stands in for PostgreSQL restarting: never a 500, nothing promised.
    app = create_app(replace(settings, database_url=f"sqlite:///{tmp_path}/missing/dir/odop.sqlite3"))
    try:
        response = post(app.test_client(), network, search_body())
    finally:
        app.extensions["odop"].dispose()
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "2"
    assert response.json["message"]["ack"]["status"] == "NACK"
    assert response.json["error"]["code"] == "31001"


@pytest.fixture
def broker_down_app(settings: Settings, sessions) -> Iterator[Flask]:
    app = create_app(replace(settings, broker_url="redis://127.0.0.1:9/0", result_backend="redis://127.0.0.1:9/0"))
    yield app
    app.extensions["odop"].dispose()


def test_broker_down_still_acks_and_keeps_the_message(
    broker_down_app: Flask, network: Network, seller: None, sessions: sessionmaker[Session]
) -> None:
    response = post(broker_down_app.test_client(), network, search_body())
    assert response.status_code == 200
    assert response.json["message"]["ack"]["status"] == "ACK"
    assert [r.status for r in rows(sessions)] == ["received"]  # the sweeper will enqueue it


def test_site_verification_and_on_subscribe(client: FlaskClient, settings: Settings, network: Network) -> None:
    import base64

    from cryptography.hazmat.primitives import padding
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    from adapter.protocol.keys import REGISTRY_ENCRYPTION_PUBLIC_KEYS, EncryptionKey

    assert client.get("/ondc-site-verification.html").status_code == 404
    (settings.data_dir / "ondc-request-id").write_text("req-123\n")
    page = client.get("/ondc-site-verification.html")
    assert page.status_code == 200
    assert "ondc-site-verification" in page.get_data(as_text=True)
    (settings.data_dir / "ondc-request-id").unlink()

    # The registry's side of the challenge, with a key pair standing in for the registry's.
    ours = EncryptionKey.from_base64(settings.encryption_private_key or "")
    registry_env_key = REGISTRY_ENCRYPTION_PUBLIC_KEYS[settings.registry_env]
    shared = ours.exchange(registry_env_key)
    padder = padding.PKCS7(128).padder()
    data = padder.update(b"challenge-text") + padder.finalize()
    encryptor = Cipher(algorithms.AES(shared), modes.ECB()).encryptor()
    challenge = base64.b64encode(encryptor.update(data) + encryptor.finalize()).decode()
    answer = client.post("/ondc/on_subscribe", json={"subscriber_id": SELLER_ID, "challenge": challenge})
    assert answer.status_code == 200
    assert answer.json == {"answer": "challenge-text"}
    bad = client.post("/ondc/on_subscribe", json={"challenge": "AAAA"})
    assert bad.status_code == 422


def test_inbound_count_metric(client: FlaskClient, network: Network, seller: None, sessions) -> None:
    post(client, network, search_body())
    text = client.get("/metrics").get_data(as_text=True)
    assert 'odop_network_responses_total{action="search",code="",status="ACK"}' in text
    with sessions() as session:
        assert session.scalar(select(func.count(InboundMessage.id))) == 1


def test_a_nul_character_in_an_id_is_a_nack_not_a_5xx(client: FlaskClient, network: Network, seller: None,
                                                       sessions: sessionmaker[Session]) -> None:
    """PostgreSQL refuses NUL in text: such an id must be refused as bad input, and the NACK still recorded."""
    body = search_body(transaction_id="t-\u0000-1")
    answer = post(client, network, body)
    assert answer.status_code == 400
    assert answer.json["error"]["code"] == "30000"
    assert answer.json["error"]["path"] == "context.transaction_id"
    stored = rows(sessions)[-1]
    assert (stored.status, stored.transaction_id) == ("nacked", "t--1")

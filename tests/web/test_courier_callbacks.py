"""A courier's LOG on_search on /ondc/on_search: signed by the courier, addressed to us as the BAP, ACKed and
stored raw like any request, or NACKed with the reason."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import orjson
import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from adapter.protocol.context import format_timestamp
from adapter.store.models import InboundMessage
from tests.logistics.conftest import example
from tests.support.network import COURIER_ID, SELLER_ID, Network


def on_search(**context: Any) -> dict[str, Any]:
    """The spec's LOG11 on_search, from our test courier to us, now."""
    payload = example("LOG11_ORDER_FLOW_BASE_LINE.on_search")
    payload["context"] |= {"bap_id": SELLER_ID, "bap_uri": "http://127.0.0.1/ondc", "bpp_id": COURIER_ID,
                           "bpp_uri": "http://127.0.0.1/courier", "transaction_id": str(uuid.uuid4()),
                           "message_id": str(uuid.uuid4()),
                           "timestamp": format_timestamp(dt.datetime.now(dt.UTC))} | context
    return payload


def post(client: FlaskClient, signer: Any, payload: dict[str, Any], action: str = "on_search") -> Any:
    body = orjson.dumps(payload)
    return client.post(f"/ondc/{action}", data=body, content_type="application/json",
                       headers={"Authorization": signer.sign(body)})


def stored(sessions: sessionmaker[Session]) -> list[InboundMessage]:
    with sessions() as session:
        return list(session.scalars(select(InboundMessage).order_by(InboundMessage.id)))


def test_a_courier_answer_is_acked_and_stored_raw_once(client: FlaskClient, network: Network,
                                                       sessions: sessionmaker[Session]) -> None:
    payload = on_search()
    first = post(client, network.courier, payload)
    assert (first.status_code, first.json) == (200, {"message": {"ack": {"status": "ACK"}}})
    again = post(client, network.courier, payload)
    assert again.json == first.json
    (row,) = stored(sessions)
    assert row.body == orjson.dumps(payload)
    assert (row.action, row.bap_id, row.domain, row.signature) == ("on_search", COURIER_ID, "ONDC:LOG11", "ok")
    assert row.transaction_id == payload["context"]["transaction_id"]


def test_an_error_answer_without_a_catalogue_is_acked(client: FlaskClient, network: Network) -> None:
    payload = on_search()
    del payload["message"]
    payload["error"] = {"type": "DOMAIN-ERROR", "code": "60001", "message": "Pickup not serviceable"}
    assert post(client, network.courier, payload).status_code == 200


@pytest.mark.parametrize(("signer", "change", "status", "path", "reason"), [
    # Signed by someone else than the courier the context names.
    ("seller", {}, 401, "headers.Authorization", "context.bpp_id"),
    # Not an answer to us: we are not its BAP.
    ("courier", {"bap_id": "someone.else.example"}, 400, "context.bap_id", "bap_id must be"),
    # A retail on_search is not something we take: the courier has no key there, nor a schema of ours.
    ("courier", {"domain": "ONDC:RET16"}, 401, "headers.Authorization", "no valid registry key"),
    ("courier", {"bpp_uri": "http://elsewhere.example/courier"}, 400, "context.bpp_uri", "registered"),
    ("courier", {"timestamp": "2020-01-01T00:00:00.000Z"}, 400, "context.timestamp", "stale"),
])
def test_refused_answers_are_nacked_and_change_nothing(client: FlaskClient, network: Network,
                                                       sessions: sessionmaker[Session], signer: str,
                                                       change: dict[str, str], status: int, path: str,
                                                       reason: str) -> None:
    response = post(client, getattr(network, signer), on_search(**change))
    assert response.status_code == status
    body = response.json
    assert body["message"]["ack"]["status"] == "NACK"
    assert body["error"]["path"] == path
    assert reason in body["error"]["message"]
    assert [row.status for row in stored(sessions)] == ["nacked"]


def test_a_catalogue_that_is_not_one_is_nacked(client: FlaskClient, network: Network) -> None:
    payload = on_search()
    payload["message"]["catalog"]["bpp/providers"] = [{"id": "P1", "items": [{"id": "I1", "price": "59"}]}]
    response = post(client, network.courier, payload)
    assert response.status_code == 400, response.json
    assert response.json["error"]["path"] == "message.catalog.bpp/providers[0].items[0].price"


def test_other_callbacks_are_still_unknown(client: FlaskClient, network: Network) -> None:
    response = post(client, network.courier, on_search(action="on_select"), action="on_select")
    assert response.status_code == 404
    assert "unknown action 'on_select'" in response.json["error"]["message"]

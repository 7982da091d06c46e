"""A signed request in, a signed callback out: real database, real Redis, real worker, real receiver."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from adapter.protocol.signing import verify_request
from adapter.store import pages as page_store
from adapter.store.models import OutboxMessage, Subscription, utcnow
from tests.support.network import Network, search_body
from tests.support.receiver import Receiver, running_receiver
from tests.support.sellers import make_seller
from tests.support.servers import wait_until


@pytest.fixture
def seller(sessions: sessionmaker[Session]) -> None:
    make_seller(sessions)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as server:
        yield server


def send(client: FlaskClient, network: Network, body: bytes, action: str = "search") -> Any:
    response = client.post(f"/ondc/{action}", data=body, content_type="application/json",
                           headers={"Authorization": network.buyer.sign(body)})
    response.close()  # runs the after-response hook that queues the processing task
    return response


def outbox_rows(sessions: sessionmaker[Session]) -> list[OutboxMessage]:
    with sessions() as session:
        return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def test_search_gets_a_signed_on_search_with_the_exact_stored_bytes(
    client: FlaskClient, worker: Any, network: Network, seller: None, receiver: Receiver,
    sessions: sessionmaker[Session]
) -> None:
    body = search_body(bap_uri=receiver.url)
    request = orjson.loads(body)
    assert send(client, network, body).status_code == 200
    assert wait_until(lambda: len(receiver.posts("/on_search")) >= 1, timeout=30), "no on_search arrived"
    (post,) = receiver.posts("/on_search")
    assert post.path == "/buyer/on_search"
    verify_request(post.body, post.headers["Authorization"], public_key_b64=network.seller.keys.signing_public_key,
                   now=int(__import__("time").time()))
    on_search = orjson.loads(post.body)
    assert on_search["context"]["message_id"] == request["context"]["message_id"]
    assert on_search["context"]["transaction_id"] == request["context"]["transaction_id"]
    assert on_search["context"]["action"] == "on_search"
    assert on_search["context"]["bpp_id"] == network.seller.subscriber_id
    items = on_search["message"]["catalog"]["bpp/providers"][0]["items"]
    assert {"T16-1", "T16-2"} <= {i["id"] for i in items}
    assert wait_until(lambda: [r.status for r in outbox_rows(sessions)] == ["sent"], timeout=10)
    row = outbox_rows(sessions)[0]
    with sessions() as session:  # what we signed and stored is what went out
        assert page_store.wire_of(session, row.body, row.page_digest) == post.body

    # The same request again is a duplicate: same ACK, no second callback.
    assert send(client, network, body).json["message"]["ack"]["status"] == "ACK"
    timeline = client.get(f"/api/v1/transactions/{request['context']['transaction_id']}",
                          headers={"Authorization": "Bearer test-admin-key-0123456789abcdef"}).json
    assert [m["direction"] for m in timeline["messages"]] == ["in", "out"]
    assert timeline["messages"][0]["signature"] == "ok"
    assert timeline["messages"][1]["attempt_log"][0]["outcome"] == "sent"
    assert len(receiver.posts("/on_search")) == 1


def test_failing_buyer_app_retries_then_dead_letters_and_replay_delivers(
    client: FlaskClient, worker: Any, network: Network, seller: None, receiver: Receiver,
    sessions: sessionmaker[Session], admin_headers: dict[str, str]
) -> None:
    receiver.responses.extend([(500, b"oops")] * 50)
    body = search_body(bap_uri=receiver.url, ttl="PT4S")
    assert send(client, network, body).status_code == 200
    assert wait_until(lambda: [r.status for r in outbox_rows(sessions)] == ["dead"], timeout=40), \
        [(r.status, r.attempts, r.last_error) for r in outbox_rows(sessions)]
    row = outbox_rows(sessions)[0]
    assert row.attempts >= 2  # it was retried before the ttl ran out
    assert len(receiver.posts("/on_search")) == row.attempts
    listed = client.get("/api/v1/outbox?status=dead", headers=admin_headers).json
    assert [m["id"] for m in listed["messages"]] == [row.id]

    receiver.responses.clear()  # the buyer app has recovered
    # Once the answer's ttl has passed (a retry that would land after it is dead at once, so it can die a little
    # before), the buyer app has stopped waiting: a plain replay is refused...
    assert row.deadline_at is not None
    assert wait_until(lambda: utcnow() > row.deadline_at, timeout=10)
    refused = client.post(f"/api/v1/outbox/{row.id}/replay", headers=admin_headers)
    assert refused.status_code == 409
    assert refused.json["error"]["details"] == {"expired": True}
    # ...and an operator who knows better sends it anyway.
    replayed = client.post(f"/api/v1/outbox/{row.id}/replay?force=true", headers=admin_headers)
    assert replayed.status_code == 200
    assert wait_until(lambda: [r.status for r in outbox_rows(sessions)] == ["sent"], timeout=30)
    with sessions() as session:
        assert receiver.posts("/on_search")[-1].body == page_store.wire_of(session, row.body, row.page_digest)


def test_permanent_rejection_is_dead_lettered_at_once(
    client: FlaskClient, worker: Any, network: Network, seller: None, receiver: Receiver,
    sessions: sessionmaker[Session]
) -> None:
    receiver.responses.append((400, b'{"message":{"ack":{"status":"NACK"}}}'))
    assert send(client, network, search_body(bap_uri=receiver.url)).status_code == 200
    assert wait_until(lambda: [r.status for r in outbox_rows(sessions)] == ["dead"], timeout=30)
    assert outbox_rows(sessions)[0].attempts == 1
    assert "400" in (outbox_rows(sessions)[0].last_error or "")


def test_catalog_inc_start_and_stop_record_the_subscription(
    client: FlaskClient, worker: Any, network: Network, seller: None, receiver: Receiver,
    sessions: sessionmaker[Session]
) -> None:
    def inc(mode: str) -> bytes:
        return search_body(bap_uri=receiver.url, city="*", message={"intent": {
            "payment": {"@ondc/org/buyer_app_finder_fee_type": "percent",
                        "@ondc/org/buyer_app_finder_fee_amount": "3"},
            "tags": [{"code": "catalog_inc", "list": [{"code": "mode", "value": mode}]}]}})

    def subscription() -> Any:
        with sessions() as session:
            return session.scalar(select(Subscription))

    assert send(client, network, inc("start")).status_code == 200
    assert wait_until(lambda: subscription() is not None and subscription().active, timeout=30)
    assert subscription().bap_uri == receiver.url
    assert send(client, network, inc("stop")).status_code == 200
    assert wait_until(lambda: not subscription().active, timeout=30)
    assert receiver.posts() == []  # start/stop is acknowledged, not answered with a catalogue

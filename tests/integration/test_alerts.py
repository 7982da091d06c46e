"""Alerts through the real flow: signed requests in, a real worker, alerts out to a local HTTP receiver."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import time
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from adapter.alerts import store as alert_store
from adapter.alerts.model import SIGNATURE_HEADER
from adapter.orders import inbound
from adapter.orders.policy import order_policy
from adapter.store import inbound as inbound_store
from adapter.store.db import transaction
from adapter.store.models import AlertMessage, InboundMessage, Order, utcnow
from config import Settings
from tests.integration.test_after_sale import add_order, igm2_issue, request_for
from tests.integration.test_orders import BILLING, Buyer, _act, _pk
from tests.support.network import BUYER_ID, Network
from tests.support.receiver import Receiver, running_receiver
from tests.support.sellers import ALWAYS_OPEN, make_seller
from tests.support.servers import wait_until


@pytest.fixture
def seller(sessions: sessionmaker[Session]) -> int:
    return make_seller(sessions, profile=ALWAYS_OPEN)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as server:
        yield server


@pytest.fixture
def hook() -> Iterator[Receiver]:
    """The cooperative's own server, receiving its alerts."""
    with running_receiver() as server:
        yield server


def choose_webhook(sessions: sessionmaker[Session], cooperative_id: int, url: str) -> str:
    with transaction(sessions) as session:
        _, secret = alert_store.save_settings(session, cooperative_id, webhook_url=url, email=None,
                                              kinds=("new_order", "return_requested", "issue_raised"),
                                              language="en", now=utcnow())
    assert secret is not None
    return secret


def alert_rows(sessions: sessionmaker[Session]) -> list[AlertMessage]:
    with sessions() as session:
        return list(session.scalars(select(AlertMessage).order_by(AlertMessage.id)))


def verified(post: Any, secret: str) -> dict[str, Any]:
    """The alert body, after checking its signature as docs/alerts.md tells a receiver to."""
    expected = "sha256=" + hmac.new(secret.encode(), post.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(post.headers[SIGNATURE_HEADER], expected)
    body: dict[str, Any] = orjson.loads(post.body)
    return body


def test_a_new_order_confirmed_twice_makes_one_alert_and_a_return_another(
    client: FlaskClient, worker: Any, network: Network, seller: int, receiver: Receiver, hook: Receiver,
    sessions: sessionmaker[Session], settings: Settings
) -> None:
    secret = choose_webhook(sessions, seller, hook.url)
    buyer = Buyer(client, network, receiver)
    on_select = buyer.send("select", {"order": buyer.order("T16-1", 1)})
    assert on_select is not None
    assert "error" not in on_select
    on_init = buyer.send("init", {"order": buyer.order("T16-1", 1) | {"billing": BILLING}})
    assert on_init is not None
    confirm = buyer.confirm("T16-1", 1, "ALERT-1", on_init["message"]["order"]["quote"],
                            on_init["message"]["order"]["payment"])
    first = buyer.send("confirm", confirm)
    assert first is not None
    assert "error" not in first, first
    # The buyer app sends the same confirm again (a new message id), and the very same bytes a third time.
    again = buyer.send("confirm", confirm)
    assert again is not None
    assert again["message"]["order"]["id"] == "ALERT-1"
    with sessions() as session:
        stored = session.scalars(select(InboundMessage).where(InboundMessage.action == "confirm")).all()
        raw = stored[-1].body
    resent = client.post("/ondc/confirm", data=raw, content_type="application/json",
                         headers={"Authorization": network.buyer.sign(raw)})
    assert resent.status_code == 200

    assert wait_until(lambda: len(hook.posts()) >= 1, timeout=30)
    time.sleep(2)  # time for a second alert, were one (wrongly) made
    (post,) = hook.posts()
    body = verified(post, secret)
    pk = _pk(sessions, "ALERT-1")
    assert (body["kind"], body["order_id"], body["cooperative"]) == ("new_order", "ALERT-1", "test-coop")
    assert body["link"] == f"{settings.console_url}/console/orders/{pk}"
    assert "ALERT-1" in body["text"]
    (row,) = alert_rows(sessions)
    assert (row.kind, row.status, row.attempts, row.order_pk) == ("new_order", "sent", 1, pk)

    # Delivered, then a return is requested through /update: one return alert, and none for a refused repeat.
    for action in ("pack", "pick_up", "ship", "at_destination_hub", "out_for_delivery", "deliver"):
        _act(client, receiver, pk, action, "on_status")
    request = {"update_target": "item", "order": {"id": "ALERT-1", "fulfillments": [{"type": "Return", "tags": [
        {"code": "return_request", "list": [
            {"code": "id", "value": "R1"}, {"code": "item_id", "value": "T16-1"},
            {"code": "item_quantity", "value": "1"}, {"code": "reason_id", "value": "001"}]}]}]}}
    initiated = buyer.send("update", request)
    assert initiated is not None
    assert "error" not in initiated, initiated
    refused = buyer.send("update", request)
    assert refused is not None
    assert refused["error"]["code"] == "30005"
    assert wait_until(lambda: len(hook.posts()) >= 2, timeout=30)
    time.sleep(1)
    kinds = [verified(p, secret)["kind"] for p in hook.posts()]
    assert kinds == ["new_order", "return_requested"]
    assert [r.status for r in alert_rows(sessions)] == ["sent", "sent"]


def test_a_failing_receiver_leaves_the_order_fine_and_the_alert_is_retried(
    client: FlaskClient, worker: Any, network: Network, seller: int, receiver: Receiver, hook: Receiver,
    sessions: sessionmaker[Session]
) -> None:
    secret = choose_webhook(sessions, seller, hook.url)
    hook.responses.extend([(500, b"down"), (503, b"still down")])
    buyer = Buyer(client, network, receiver)
    on_confirm = buyer.place("T16-1", 1, "ALERT-2")
    assert "error" not in on_confirm
    assert on_confirm["message"]["order"]["state"] == "Created"
    buyer.callback("on_status")  # auto-accepted, as without alerts
    with sessions() as session:
        order = session.scalar(select(Order).where(Order.order_id == "ALERT-2"))
        assert order is not None
        assert order.state == "Accepted"

    def delivered() -> bool:
        rows = alert_rows(sessions)
        return len(rows) == 1 and rows[0].status == "sent"

    assert wait_until(delivered, timeout=30)
    (row,) = alert_rows(sessions)
    assert row.attempts == 3  # two failures, then delivered
    posts = hook.posts()
    assert len(posts) == 3
    assert {verified(p, secret)["id"] for p in posts} == {row.id}  # the same alert each time


def test_an_issue_raised_makes_one_alert_however_often_it_is_sent(
    sessions: sessionmaker[Session], settings: Settings
) -> None:
    seller = make_seller(sessions, profile=ALWAYS_OPEN, catalogue=None)
    choose_webhook(sessions, seller, "http://127.0.0.1:9/hook")
    transaction_id = add_order(sessions, seller, "ORDER-ISSUE")
    policy = order_policy(settings)
    made = []
    for _ in range(2):  # the same issue twice (a retry by the buyer app)
        body = request_for("issue", igm2_issue("ORDER-ISSUE"), transaction_id)
        with transaction(sessions) as session:
            message_id = orjson.loads(body)["context"]["message_id"]
            row = InboundMessage(bap_id=BUYER_ID, action="issue", message_id=message_id,
                                 transaction_id=transaction_id, body=body, headers={}, status="received")
            session.add(row)
            session.flush()
            claimed = inbound_store.claim(session, row.id)
            assert claimed is not None
            made.append(len(inbound.dispatch(session, claimed, policy, dt.datetime.now(dt.UTC)).alerts))
    assert made == [1, 0]
    (alert,) = alert_rows(sessions)
    assert (alert.kind, alert.order_id, alert.status) == ("issue_raised", "ORDER-ISSUE", "pending")
    with sessions() as session:
        assert session.scalar(select(func.count(AlertMessage.id))) == 1

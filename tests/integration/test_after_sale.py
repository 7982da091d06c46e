"""After the sale: IGM issues (1.0 and 2.0), ratings and support, and the cooperative's issues API.

Requests are stored as the web edge stores them and answered by the after-sale handlers the way the worker does
(claim, handle, finish, in one transaction). Resolving through the API goes out through the real worker and
arrives signed at a local receiver.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from adapter.errors import CallbackError
from adapter.orders import after_sale, inbound
from adapter.orders.policy import OrderPolicy, order_policy
from adapter.protocol.context import format_timestamp
from adapter.protocol.messages import validation_errors
from adapter.protocol.signing import verify_request
from adapter.store import inbound as inbound_store
from adapter.store.cooperatives import issue_api_key
from adapter.store.db import transaction
from adapter.store.models import Cooperative, InboundMessage, Issue, Order, OutboxMessage, Rating
from adapter.web.api import issues as issues_api
from tests.support.network import BUYER_ID, SELLER_ID, Network
from tests.support.receiver import Receiver, running_receiver
from tests.support.sellers import ALWAYS_OPEN, make_seller
from tests.support.servers import wait_until

EXAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "ondc" / "examples"  # vendored requests
IGM = EXAMPLES / "variants" / "igm"
# The keys of ONDC's response examples (on_issue.json, igm1_on_issue*.json, vendored beside the requests);
# test_reference_keys_match_the_examples checks the lists against those files.
REFERENCE_KEYS: dict[str, tuple[str, list[str]]] = {
    "igm2.context": ("on_issue.json:context", [
        "action", "bap_id", "bap_uri", "bpp_id", "bpp_uri", "city", "core_version", "country", "domain",
        "message_id", "timestamp", "transaction_id", "ttl"]),
    "igm2.message": ("on_issue.json:message", ["issue", "update_target"]),
    "igm2.issue": ("on_issue.json:message.issue", [
        "actions", "actors", "complainant_id", "created_at", "descriptor", "expected_resolution_time",
        "expected_response_time", "id", "last_action_id", "level", "refs", "respondent_ids", "source_id", "status",
        "updated_at"]),
    "igm2.action": ("on_issue.json:message.issue.actions.1", ["action_by", "actor_details", "descriptor", "id",
                                                             "updated_at"]),
    "igm2.actor": ("on_issue.json:message.issue.actors.2", ["id", "info", "type"]),
    "igm1.issue": ("variants/igm/igm1_on_issue.json:message.issue", ["created_at", "id", "issue_actions",
                                                                      "updated_at"]),
    "igm1.respondent_action": ("variants/igm/igm1_on_issue.json:message.issue.issue_actions.respondent_actions.0",
                               ["cascaded_level", "respondent_action", "short_desc", "updated_at", "updated_by"]),
    "igm1.resolved": ("variants/igm/igm1_on_issue_status_resolved.json:message.issue", [
        "created_at", "id", "issue_actions", "resolution", "resolution_provider", "updated_at"]),
    "igm1.resolution": ("variants/igm/igm1_on_issue_status_resolved.json:message.issue.resolution",
                        ["action_triggered", "long_desc", "refund_amount", "short_desc"]),
    "igm1.respondent_info": (
        "variants/igm/igm1_on_issue_status_resolved.json:message.issue.resolution_provider.respondent_info",
        ["organization", "resolution_support", "type"]),
}
ADMIN = {"Authorization": "Bearer test-admin-key-0123456789abcdef"}
BUYER_URI = "http://127.0.0.1:9/buyer"  # never called: solicited answers are only checked in the outbox


def example(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text())
    return data


@pytest.fixture
def app(app: Flask) -> Flask:
    if "issues" not in app.blueprints:  # until the integrator registers it in create_app
        issues_api.init_app(app)
    return app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as server:
        yield server


@pytest.fixture
def policy(settings: Any) -> OrderPolicy:
    return order_policy(settings)


@pytest.fixture
def seller(sessions: sessionmaker[Session]) -> int:
    return make_seller(sessions, profile=ALWAYS_OPEN, catalogue=None)


def add_order(sessions: sessionmaker[Session], cooperative_id: int, order_id: str,
              bap_uri: str = BUYER_URI) -> str:
    """A confirmed order of this cooperative; returns its transaction id."""
    transaction_id = str(uuid.uuid4())
    with transaction(sessions) as session:
        session.add(Order(cooperative_id=cooperative_id, order_id=order_id, bap_id=BUYER_ID, bap_uri=bap_uri,
                          transaction_id=transaction_id, domain="ONDC:RET16", city="std:0177", state="Completed",
                          fulfilment_state="Order-delivered", routing="P2H2P"))
    return transaction_id


def request_for(action: str, message: dict[str, Any], transaction_id: str, bap_uri: str = BUYER_URI) -> bytes:
    context = {"domain": "ONDC:RET16", "country": "IND", "city": "std:0177", "action": action,
               "core_version": "1.2.5", "bap_id": BUYER_ID, "bap_uri": bap_uri, "bpp_id": SELLER_ID,
               "bpp_uri": "http://127.0.0.1/ondc", "transaction_id": transaction_id,
               "message_id": str(uuid.uuid4()), "timestamp": format_timestamp(dt.datetime.now(dt.UTC)),
               "ttl": "PT30S"}
    payload = {"context": context, "message": message}
    assert validation_errors(action, payload) == []  # what the web edge would accept
    return orjson.dumps(payload)


def answer(sessions: sessionmaker[Session], policy: OrderPolicy, action: str, message: dict[str, Any],
           transaction_id: str, bap_uri: str = BUYER_URI) -> dict[str, Any]:
    """Store a request as the web edge does, answer it as the worker does, and return the callback body."""
    body = request_for(action, message, transaction_id, bap_uri)
    with transaction(sessions) as session:
        row = InboundMessage(bap_id=BUYER_ID, action=action, message_id=orjson.loads(body)["context"]["message_id"],
                             transaction_id=transaction_id, body=body, headers={}, status="received")
        session.add(row)
        session.flush()
        inbound_id = row.id
    now = dt.datetime.now(dt.UTC)
    try:
        with transaction(sessions) as session:
            claimed = inbound_store.claim(session, inbound_id)
            assert claimed is not None
            rows = inbound.dispatch(session, claimed, policy, now).outbox
            inbound_store.finish(claimed, "processed")
            assert len(rows) == 1
            callback = _checked(rows[0], body)
    except CallbackError as refusal:  # as the worker does: roll back, then answer with the error alone
        with transaction(sessions) as session:
            claimed = inbound_store.claim(session, inbound_id)
            assert claimed is not None
            row = inbound.failure_answer(session, claimed, refusal, policy, now)
            assert row is not None
            inbound_store.finish(claimed, "processed")
            callback = _checked(row, body)
    assert callback["context"]["action"] == f"on_{action}"
    assert callback["context"]["transaction_id"] == transaction_id
    return callback


def _checked(outbox: OutboxMessage, body: bytes) -> dict[str, Any]:
    assert outbox.solicited
    assert outbox.message_id == orjson.loads(body)["context"]["message_id"]
    callback: dict[str, Any] = orjson.loads(outbox.body)
    return callback


def igm2_issue(order_id: str, issue_id: str = "ISSUE-1") -> dict[str, Any]:
    message = copy.deepcopy(example(EXAMPLES / "issue.json")["message"])
    message["issue"]["id"] = issue_id
    for ref in message["issue"]["refs"]:
        if ref["ref_type"] == "ORDER":
            ref["ref_id"] = order_id
    return message


def igm1_issue(order_id: str, path: Path = IGM / "igm1_issue_open.json") -> dict[str, Any]:
    message = copy.deepcopy(example(path)["message"])
    message["issue"]["order_details"]["id"] = order_id
    return message


def issue_row(sessions: sessionmaker[Session], issue_id: str = "ISSUE-1") -> Issue:
    with sessions() as session:
        row = session.scalar(select(Issue).where(Issue.bap_id == BUYER_ID, Issue.issue_id == issue_id))
        assert row is not None
        session.expunge(row)
        return row


def assert_keys_cover(ours: dict[str, Any], reference: str) -> None:
    missing = set(REFERENCE_KEYS[reference][1]) - set(ours)
    assert not missing, f"{reference}: missing {sorted(missing)}"


@pytest.mark.parametrize("reference", sorted(REFERENCE_KEYS))
def test_reference_keys_match_the_examples(reference: str) -> None:
    where, keys = REFERENCE_KEYS[reference]
    path, _, dotted = where.partition(":")
    node: Any = example(EXAMPLES / path)
    for part in dotted.split("."):
        node = node[int(part)] if part.isdigit() else node[part]
    assert sorted(node) == keys


# -- issue ------------------------------------------------------------------------------------------------------

def test_igm2_issue_is_stored_and_taken_up_as_processing(
    sessions: sessionmaker[Session], policy: OrderPolicy, seller: int
) -> None:
    transaction_id = add_order(sessions, seller, "ORDER-7")
    on_issue = answer(sessions, policy, "issue", igm2_issue("ORDER-7"), transaction_id)

    assert set(on_issue) == {"context", "message"}
    assert_keys_cover(on_issue["context"], "igm2.context")
    assert sorted(on_issue["message"]) == REFERENCE_KEYS["igm2.message"][1]
    issue = on_issue["message"]["issue"]
    assert_keys_cover(issue, "igm2.issue")
    assert len(issue["actions"]) == 2
    for action in issue["actions"]:
        assert_keys_cover(action, "igm2.action")
    for actor in issue["actors"]:
        assert_keys_cover(actor, "igm2.actor")
    assert issue["status"] == "PROCESSING"
    ours = issue["actions"][-1]
    assert ours["descriptor"]["code"] == "PROCESSING"
    assert ours["action_by"] == SELLER_ID
    assert issue["last_action_id"] == ours["id"]
    assert issue["respondent_ids"] == [SELLER_ID]
    counterparty = next(a for a in issue["actors"] if a["id"] == SELLER_ID)
    assert counterparty["type"] == "COUNTERPARTY_NP"
    assert counterparty["info"]["contact"]["email"] == "care@test-coop.example"  # the cooperative's care desk
    assert issue["expected_response_time"] == {"duration": "PT2H"}
    assert issue["expected_resolution_time"] == {"duration": "P1D"}
    assert on_issue["message"]["update_target"] == [{"action": "APPENDED", "path": "issue.actions"}]

    row = issue_row(sessions)
    assert (row.status, row.cooperative_id, row.transaction_id) == ("PROCESSING", seller, transaction_id)
    assert row.order_pk is not None
    assert row.category == "PAYMENT:PMT002"
    assert row.description is not None
    assert row.description.startswith("The actual payout made is less than expected")


def test_a_repeated_issue_is_idempotent_and_the_buyer_can_close_it(
    sessions: sessionmaker[Session], policy: OrderPolicy, seller: int
) -> None:
    transaction_id = add_order(sessions, seller, "ORDER-8")
    first = answer(sessions, policy, "issue", igm2_issue("ORDER-8"), transaction_id)
    again = answer(sessions, policy, "issue", igm2_issue("ORDER-8"), transaction_id)
    assert again["message"]["issue"]["actions"] == first["message"]["issue"]["actions"]  # no second PROCESSING
    assert again["message"]["issue"]["status"] == "PROCESSING"
    with sessions() as session:
        assert len(session.scalars(select(Issue)).all()) == 1

    closing = igm2_issue("ORDER-8")
    closing["issue"]["actions"] = [*first["message"]["issue"]["actions"],
                                   {"id": "close-1", "action_by": "NP1", "actor_details": {"name": "mock-person"},
                                    "descriptor": {"code": "CLOSED", "short_desc": "Complaint closed"},
                                    "updated_at": format_timestamp(dt.datetime.now(dt.UTC))}]
    closing["issue"]["status"] = "CLOSED"
    closed = answer(sessions, policy, "issue", closing, transaction_id)
    assert closed["message"]["issue"]["status"] == "CLOSED"
    codes = [a["descriptor"]["code"] for a in closed["message"]["issue"]["actions"]]
    assert codes == ["OPEN", "PROCESSING", "CLOSED"]
    assert issue_row(sessions).status == "CLOSED"


def test_igm1_issue_gets_a_respondent_action_and_its_resolution_goes_in_on_issue_status(
    sessions: sessionmaker[Session], policy: OrderPolicy, seller: int
) -> None:
    transaction_id = add_order(sessions, seller, "ORDER-9")
    on_issue = answer(sessions, policy, "issue", igm1_issue("ORDER-9"), transaction_id)
    issue = on_issue["message"]["issue"]
    assert_keys_cover(issue, "igm1.issue")
    action = issue["issue_actions"]["respondent_actions"][0]
    assert_keys_cover(action, "igm1.respondent_action")
    assert action["respondent_action"] == "PROCESSING"
    assert issue_row(sessions).category == "ITEM:ITM04"

    with transaction(sessions) as session:
        row = session.scalars(select(Issue)).one()
        result = after_sale.resolve_issue(session, row, actor="test-coop", policy=policy,
                                          now=dt.datetime.now(dt.UTC),
                                          resolution={"action": "REFUND", "short_desc": "Refund initiated",
                                                      "refund_amount": "100"})
        pushed = orjson.loads(result.outbox[0].body)
    assert pushed["context"]["action"] == "on_issue_status"
    assert_keys_cover(pushed["message"]["issue"], "igm1.resolved")
    assert_keys_cover(pushed["message"]["issue"]["resolution"], "igm1.resolution")
    assert_keys_cover(pushed["message"]["issue"]["resolution_provider"]["respondent_info"], "igm1.respondent_info")
    assert pushed["message"]["issue"]["resolution"]["refund_amount"] == "100.00"
    assert [a["respondent_action"] for a in pushed["message"]["issue"]["issue_actions"]["respondent_actions"]] == [
        "PROCESSING", "RESOLVED"]


def test_an_issue_about_an_unknown_order_is_kept_for_the_operator_and_answered_30018(
    sessions: sessionmaker[Session], policy: OrderPolicy, seller: int, client: FlaskClient
) -> None:
    on_issue = answer(sessions, policy, "issue", igm2_issue("NOT-OURS"), str(uuid.uuid4()))
    assert on_issue["error"]["code"] == "30018"
    assert "message" not in on_issue
    row = issue_row(sessions)
    assert (row.status, row.cooperative_id, row.order_pk) == ("OPEN", None, None)
    listed = client.get("/api/v1/issues?status=open", headers=ADMIN).json["issues"]
    assert [i["issue_id"] for i in listed] == ["ISSUE-1"]
    closed = client.post(f"/api/v1/issues/{row.id}/close", headers=ADMIN)
    assert closed.status_code == 200, closed.json
    assert closed.json["status"] == "CLOSED"


def test_resolving_through_the_api_sends_a_signed_unsolicited_on_issue(
    sessions: sessionmaker[Session], policy: OrderPolicy, seller: int, client: FlaskClient, worker: Any,
    receiver: Receiver, network: Network
) -> None:
    transaction_id = add_order(sessions, seller, "ORDER-10", bap_uri=receiver.url)
    on_issue = answer(sessions, policy, "issue", igm2_issue("ORDER-10"), transaction_id, bap_uri=receiver.url)
    row = issue_row(sessions)

    bad = client.post(f"/api/v1/issues/{row.id}/resolve", headers=ADMIN,
                      json={"action": "REFUND", "short_desc": "Refund"})
    assert bad.status_code == 422
    assert "refund_amount" in bad.json["error"]["details"]
    early_close = client.post(f"/api/v1/issues/{row.id}/close", headers=ADMIN)
    assert early_close.status_code == 409

    response = client.post(f"/api/v1/issues/{row.id}/resolve", headers=ADMIN,
                           json={"action": "REFUND", "short_desc": "Refund initiated",
                                 "long_desc": "The difference is refunded to the buyer", "refund_amount": "120.5"})
    assert response.status_code == 200, response.json
    assert response.json["status"] == "RESOLVED"
    assert response.json["resolution"]["refund_amount"] == "120.50"

    with sessions() as session:
        pushed_row = session.scalars(select(OutboxMessage).where(OutboxMessage.solicited.is_(False))).one()
        assert pushed_row.action == "on_issue"
        assert pushed_row.cooperative_id == seller
    assert wait_until(lambda: bool(receiver.posts("/on_issue")), timeout=30), "on_issue never arrived"
    post = receiver.posts("/on_issue")[-1]
    verify_request(post.body, post.headers["Authorization"],
                   public_key_b64=network.seller.keys.signing_public_key,
                   now=int(dt.datetime.now(dt.UTC).timestamp()))
    pushed = orjson.loads(post.body)
    assert pushed["context"]["transaction_id"] == transaction_id
    assert pushed["context"]["message_id"] != on_issue["context"]["message_id"]  # unsolicited: a new id
    issue = pushed["message"]["issue"]
    assert issue["status"] == "RESOLVED"
    assert [a["descriptor"]["code"] for a in issue["actions"]] == ["OPEN", "PROCESSING", "RESOLVED"]
    assert issue["last_action_id"] == issue["actions"][-1]["id"]
    resolution = issue["resolutions"][0]
    assert resolution["descriptor"]["code"] == "REFUND"
    assert resolution["ref_id"] == "ORDER-10"
    assert resolution["tags"][0]["list"][0] == {"descriptor": {"code": "refund_amount"}, "value": "120.50"}

    again = client.post(f"/api/v1/issues/{row.id}/resolve", headers=ADMIN,
                        json={"action": "NO_ACTION", "short_desc": "Nothing"})
    assert again.status_code == 409
    closed = client.post(f"/api/v1/issues/{row.id}/close", headers=ADMIN)
    assert closed.status_code == 200
    assert closed.json["status"] == "CLOSED"
    assert client.post(f"/api/v1/issues/{row.id}/close", headers=ADMIN).status_code == 409


def test_issues_api_shows_each_cooperative_only_its_own(
    sessions: sessionmaker[Session], policy: OrderPolicy, seller: int, client: FlaskClient
) -> None:
    other = make_seller(sessions, "other-coop", profile=ALWAYS_OPEN, catalogue=None)
    with transaction(sessions) as session:
        mine_key = issue_api_key(session, session.get_one(Cooperative, seller)).plain
        theirs_key = issue_api_key(session, session.get_one(Cooperative, other)).plain
    answer(sessions, policy, "issue", igm2_issue("ORDER-A", "ISSUE-A"), add_order(sessions, seller, "ORDER-A"))
    answer(sessions, policy, "issue", igm2_issue("ORDER-B", "ISSUE-B"), add_order(sessions, other, "ORDER-B"))
    theirs = issue_row(sessions, "ISSUE-B")
    mine_headers = {"Authorization": f"Bearer {mine_key}"}

    listed = client.get("/api/v1/issues", headers=mine_headers)
    assert listed.status_code == 200
    assert [i["issue_id"] for i in listed.json["issues"]] == ["ISSUE-A"]
    assert client.get(f"/api/v1/issues/{theirs.id}", headers=mine_headers).status_code == 404
    resolve = client.post(f"/api/v1/issues/{theirs.id}/resolve", headers=mine_headers,
                          json={"action": "NO_ACTION", "short_desc": "Not ours"})
    assert resolve.status_code == 404
    assert client.post(f"/api/v1/issues/{theirs.id}/close", headers=mine_headers).status_code == 404
    assert issue_row(sessions, "ISSUE-B").status == "PROCESSING"

    shown = client.get(f"/api/v1/issues/{theirs.id}", headers={"Authorization": f"Bearer {theirs_key}"})
    assert shown.status_code == 200
    assert shown.json["issue"]["id"] == "ISSUE-B"
    everything = client.get("/api/v1/issues", headers=ADMIN).json["issues"]
    assert sorted(i["issue_id"] for i in everything) == ["ISSUE-A", "ISSUE-B"]
    assert client.get("/api/v1/issues?status=RESOLVED", headers=ADMIN).json["issues"] == []
    assert client.get("/api/v1/issues?status=WHATEVER", headers=ADMIN).status_code == 422
    assert client.get("/api/v1/issues").status_code == 401


# -- rating and support ------------------------------------------------------------------------------------------

def test_rating_is_stored_and_bad_ratings_get_30015_or_50003(
    sessions: sessionmaker[Session], policy: OrderPolicy, seller: int
) -> None:
    transaction_id = add_order(sessions, seller, "ORDER-11")
    on_rating = answer(sessions, policy, "rating", {"rating_category": "Order", "id": "ORDER-11", "value": 5},
                       transaction_id)
    assert on_rating["message"] == {"feedback_ack": True, "rating_ack": True}
    assert "error" not in on_rating
    listed = answer(sessions, policy, "rating",
                    {"ratings": [{"rating_category": "Item", "id": "T16-1", "value": "4"},
                                 {"rating_category": "Fulfillment", "id": "F1", "value": 3}]}, transaction_id)
    assert listed["message"]["rating_ack"] is True

    unsupported = answer(sessions, policy, "rating", {"rating_category": "Weather", "id": "x", "value": 2},
                         transaction_id)
    assert unsupported["error"]["code"] == "50003"
    assert unsupported["message"] == {"feedback_ack": False, "rating_ack": False}
    half = answer(sessions, policy, "rating", {"rating_category": "Provider", "id": "test-coop", "value": 4.5},
                  transaction_id)
    assert half["error"]["code"] == "30015"
    mixed = answer(sessions, policy, "rating",
                   {"ratings": [{"rating_category": "Agent", "id": "A1", "value": 4},
                                {"rating_category": "Order", "id": "ORDER-11", "value": "3.5"}]}, transaction_id)
    assert mixed["error"]["code"] == "30015"

    with sessions() as session:
        rows = session.scalars(select(Rating).order_by(Rating.id)).all()
        assert [(r.category, r.target_id, r.value, r.cooperative_id) for r in rows] == [
            ("order", "ORDER-11", "5", seller), ("item", "T16-1", "4", seller), ("fulfillment", "F1", "3", seller)]


def test_a_rating_value_out_of_range_reaching_the_handler_is_30015(
    sessions: sessionmaker[Session], policy: OrderPolicy, seller: int
) -> None:
    error = after_sale._rating_error({"rating_category": "order", "id": "O1", "value": 7})
    assert error is not None
    assert error.code == "30015"
    assert after_sale._rating_error({"rating_category": "order", "id": "O1", "value": True}) is not None


def test_support_gives_the_cooperatives_care_desk_or_50004(
    sessions: sessionmaker[Session], policy: OrderPolicy, seller: int
) -> None:
    transaction_id = add_order(sessions, seller, "ORDER-12")
    on_support = answer(sessions, policy, "support", {"ref_id": "ORDER-12"}, transaction_id)
    assert "error" not in on_support
    message = on_support["message"]
    assert message["email"] == "care@test-coop.example"
    assert message["phone"].endswith("9000000001")
    assert message["uri"] == f"tel:+91{message['phone']}"

    unknown = answer(sessions, policy, "support", {"ref_id": "NOPE"}, str(uuid.uuid4()))
    assert unknown["error"]["code"] == "50004"
    assert "message" not in unknown


@pytest.mark.parametrize("name", ["igm1_issue_open.json", "igm1_issue_close.json", "igm2_issue_close.json",
                                  "igm2_issue_resolution_accept.json"])
def test_every_vendored_igm_issue_loads_through_our_inbound_schema(name: str) -> None:
    assert validation_errors("issue", example(IGM / name)) == []

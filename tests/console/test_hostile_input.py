"""Hostile and odd input on the console's order and operator forms: a clear answer, never a 500, nothing changed."""

from __future__ import annotations

import datetime as dt

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

from adapter.delivery import outbox
from adapter.orders import changes
from adapter.orders import store as order_store
from adapter.protocol.context import format_timestamp
from adapter.store.db import transaction
from adapter.store.models import Order, OutboxMessage, utcnow
from tests.conftest import ADMIN_KEY
from tests.console.support import csrf_of, make_order, sign_in


@pytest.mark.parametrize("ttl", ["P9999999D", "PT99999999999H"])
def test_a_return_asking_for_years_to_decide_does_not_break_the_cooperatives_pages(
    web: FlaskClient, sessions: sessionmaker[Session], coops: dict[str, tuple[int, str]], ttl: str
) -> None:
    coop_id, key = coops["test-coop"]
    pk = make_order(sessions, coop_id, "RET-TTL", state="Completed", fulfilment_state="Order-delivered")
    with transaction(sessions) as session:  # the buyer app's /update, through the order flow's own function
        order = session.get_one(Order, pk)
        fulfilment = dict(order.fulfillments[0])
        fulfilment["times"] = {"end": format_timestamp(utcnow())}
        order.fulfillments = [fulfilment]
        said = [{"code": "id", "value": "R1"}, {"code": "item_id", "value": "T16-1"},
                {"code": "item_quantity", "value": "1"}, {"code": "reason_id", "value": "003"},
                {"code": "ttl_approval", "value": ttl}]
        changes.request_return(session, order, {"type": "Return", "tags": [{"code": "return_request", "list": said}]},
                               order_store.items_by_id(session, coop_id, ["T16-1"]), bap_id="buyer.odop.test",
                               now=utcnow())
    sign_in(web, key)
    for path in ("/console", "/console/orders", f"/console/orders/{pk}", "/console/todo.json", "/console/alerts"):
        assert web.get(path).status_code == 200, path
    assert web.get("/console/todo.json").get_json()["returns"] == 1  # the request still waits, with no deadline
    assert 'id="returns"' in web.get(f"/console/orders/{pk}").get_data(as_text=True)


def test_odd_values_in_the_order_forms_are_refused_without_a_500(
    web: FlaskClient, sessions: sessionmaker[Session], coops: dict[str, tuple[int, str]]
) -> None:
    coop_id, key = coops["test-coop"]
    pk = make_order(sessions, coop_id, "ODD-1", state="Accepted")
    sign_in(web, key)
    token = csrf_of(web)
    # An unknown state is named back, but not at any length.
    listing = web.get("/console/orders?state=" + "Z" * 5000, headers={"Accept-Language": "en"}).get_data(as_text=True)
    flashed = listing.split('class="flash error"', 1)[1].split("</p>", 1)[0]
    assert "There is no order state " + "Z" * 40 + ":" in flashed
    assert "Z" * 41 not in flashed
    # "²" is a digit to str.isdigit and not a number to int().
    moved = web.post(f"/console/orders/{pk}/actions/part_cancel",
                     data={"csrf_token": token, "sure": "on", "item_id": "T16-1", "quantity": "²"},
                     headers={"Accept-Language": "en"}, follow_redirects=True)
    assert moved.status_code == 200
    assert "Could not Cancel part" in moved.get_data(as_text=True)
    with sessions() as session:
        order = session.get_one(Order, pk)
        assert (order.state, order.lines[0]["quantity"], order.legs) == ("Accepted", 1, [])
    # A return address with a line break cannot become a Location header: the order page instead.
    for target in ("/console/orders?state=Accepted\r\nSet-Cookie: odop_console=x", "/console/orders?\x00"):
        answer = web.post(f"/console/orders/{pk}/actions/pack", data={"csrf_token": token, "next": target})
        assert answer.status_code == 302
        assert answer.headers["Location"] == f"/console/orders/{pk}"
        assert "odop_console=x" not in str(answer.headers)
    kept = web.post(f"/console/orders/{pk}/actions/initiate_rto",  # not legal now: refused, back to the inbox
                    data={"csrf_token": token, "sure": "on", "next": "/console/orders?state=In-progress"})
    assert kept.headers["Location"] == "/console/orders?state=In-progress"
    toggled = web.post("/console/language", data={"csrf_token": token, "lang": "hi", "next": "/console/orders\r\nX: y"})
    assert (toggled.status_code, toggled.headers["Location"]) == (302, "/console")


def test_signing_in_with_a_line_break_in_next_goes_home(web: FlaskClient, coops: dict[str, tuple[int, str]]) -> None:
    _, key = coops["test-coop"]
    answer = web.post("/console/login?next=/console/orders%0d%0aX:%20y", data={"api_key": key,
                                                                             "csrf_token": csrf_of(web)})
    assert (answer.status_code, answer.headers["Location"]) == (302, "/console")


def _dead(sessions: sessionmaker[Session], cooperative_id: int, *, solicited: bool, deadline: dt.datetime,
          maybe_delivered: bool) -> int:
    now = utcnow()
    with transaction(sessions) as session:
        row = outbox.enqueue(session, action="on_select" if solicited else "on_status",
                             target_url="http://127.0.0.1:9/b/x", body=b"{}", transaction_id="t-x",
                             message_id=f"m-{solicited}-{maybe_delivered}", bap_id="b.example",
                             cooperative_id=cooperative_id, solicited=solicited, deadline_at=deadline,
                             now=now - dt.timedelta(minutes=10))
        row.status, row.attempts, row.maybe_delivered = "dead", 5, maybe_delivered
        return row.id


def test_the_console_never_replays_an_answer_past_its_ttl_even_with_force(
    web: FlaskClient, sessions: sessionmaker[Session], coops: dict[str, tuple[int, str]]
) -> None:
    coop_id, _ = coops["test-coop"]
    past = utcnow() - dt.timedelta(minutes=1)
    # A page loaded while this answer could still go showed "Send again anyway" (force=1); the ttl has run out since.
    late = _dead(sessions, coop_id, solicited=True, deadline=past, maybe_delivered=True)
    push = _dead(sessions, coop_id, solicited=False, deadline=past, maybe_delivered=True)  # pushes never expire
    sign_in(web, ADMIN_KEY)
    token = csrf_of(web)
    refused = web.post(f"/console/operator/outbox/{late}/replay", data={"csrf_token": token, "force": "1"},
                       follow_redirects=True)
    assert "Not sent: this answer is too late" in refused.get_data(as_text=True)
    sent = web.post(f"/console/operator/outbox/{push}/replay", data={"csrf_token": token, "force": "1"})
    assert sent.status_code == 302
    with sessions() as session:
        assert session.get_one(OutboxMessage, late).status == "dead"
        assert session.get_one(OutboxMessage, push).status == "pending"


@pytest.mark.parametrize("cooperative", ["²", "9" * 23, "-1", " 1"])
def test_a_group_replay_naming_no_possible_cooperative_is_a_400(
    web: FlaskClient, sessions: sessionmaker[Session], coops: dict[str, tuple[int, str]], cooperative: str
) -> None:
    coop_id, _ = coops["test-coop"]
    row = _dead(sessions, coop_id, solicited=False, deadline=utcnow(), maybe_delivered=False)
    sign_in(web, ADMIN_KEY)
    form = {"csrf_token": csrf_of(web), "group": "1", "cooperative": cooperative, "bap_id": "b.example"}
    answer = web.post("/console/operator/outbox/replay", data=form)
    assert answer.status_code == 400
    assert "text/html" in answer.headers["Content-Type"]
    with sessions() as session:
        assert session.get_one(OutboxMessage, row).status == "dead"


def test_unsigned_requests_naming_an_order_stay_out_of_its_story(
    web: FlaskClient, sessions: sessionmaker[Session], coops: dict[str, tuple[int, str]]
) -> None:
    coop_id, key = coops["test-coop"]
    pk = make_order(sessions, coop_id, "STORY-1")
    with sessions() as session:
        order = session.get_one(Order, pk)
        context = {"domain": order.domain, "action": "status", "country": "IND", "city": order.city,
                   "core_version": "1.2.5", "bap_id": order.bap_id, "bap_uri": order.bap_uri,
                   "transaction_id": order.transaction_id, "ttl": "PT30S",
                   "timestamp": format_timestamp(utcnow())}
    # Anyone may post this: no signature, the order's transaction id, a buyer app's name.
    for n in range(3):
        body = {"context": context | {"message_id": f"forged-{n}"}, "message": {"order_id": "STORY-1"}}
        assert web.post("/ondc/status", json=body).status_code == 401
    sign_in(web, key)
    story = web.get(f"/console/orders/{pk}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    story = story.split('id="story"', 1)[1].split("</ol>", 1)[0]
    assert "Order received" in story
    assert "refused" not in story
    assert story.count("<li ") == 1


def test_a_bug_behind_a_console_page_gets_the_html_error_page_in_the_members_language(
        web: FlaskClient, sessions: sessionmaker[Session], coops: dict[str, tuple[int, str]]) -> None:
    # No order flow stores a routing we do not know; a hand-edited row does, and the order page cannot draw it.
    coop_id, key = coops["test-coop"]
    pk = make_order(sessions, coop_id, "ODD-1")
    with transaction(sessions) as session:
        session.get_one(Order, pk).routing = "TELEPORT"
    sign_in(web, key)
    response = web.get(f"/console/orders/{pk}", headers={"Accept-Language": "hi"})
    assert response.status_code == 500
    assert response.mimetype == "text/html"
    body = response.get_data(as_text=True)
    assert '<html lang="hi"' in body
    assert "Traceback" not in body

"""The order inbox as a to-do list (adapter/web/console/todo.py), its count in the title (/console/todo.json) and the
order page's delivery steps, through Flask's test client on the real database."""

from __future__ import annotations

import configparser
import datetime as dt
import fnmatch
import html
import re
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from adapter.orders import seller, states
from adapter.protocol.context import format_timestamp
from adapter.store.db import transaction
from adapter.store.models import ConsoleSession, Order, OutboxMessage, utcnow
from adapter.web.console import todo
from tests.conftest import ADMIN_KEY
from tests.console.support import csrf_of, make_order, sign_in
from tests.support.servers import ROOT


def text(response: Any) -> str:
    return str(response.get_data(as_text=True))


def group(page: str, key: str) -> str:
    """The HTML of one inbox group ("" when the page has none)."""
    start = page.find(f'<section class="inbox-group" id="group-{key}"')
    return "" if start < 0 else page[start:page.index("</section>", start)]


def card(page: str, pk: int) -> str:
    """The HTML of one order's card."""
    start = page.index(f'id="card-{pk}"')
    stops = [i for i in (page.find('<li class="card order-card"', start), page.find("</section>", start)) if i >= 0]
    return page[start:min(stops)] if stops else page[start:]


def change(sessions: sessionmaker[Session], pk: int, **values: Any) -> None:
    with transaction(sessions) as session:
        order = session.get_one(Order, pk)
        for name, value in values.items():
            setattr(order, name, value)


def ship_by(sessions: sessionmaker[Session], pk: int, moment: dt.datetime) -> None:
    """Give the order a promised pick-up window ending at ``moment``, as on_confirm fixes it."""
    with transaction(sessions) as session:
        order = session.get_one(Order, pk)
        fulfilment = dict(order.fulfillments[0])
        fulfilment["times"] = {"start_from": format_timestamp(moment - dt.timedelta(days=1)),
                               "start_to": format_timestamp(moment)}
        order.fulfillments = [fulfilment]


def return_request(sessions: sessionmaker[Session], pk: int, requested: dt.datetime) -> None:
    """A buyer's return request (damaged, with words and a photo, 24 h to decide) waiting on a delivered order."""
    said = [{"code": "id", "value": "R1"}, {"code": "item_id", "value": "T16-1"},
            {"code": "item_quantity", "value": "1"}, {"code": "reason_id", "value": "003"},
            {"code": "reason_desc", "value": "The border came unstitched"},
            {"code": "images", "value": "https://buyer.example/r1.jpg"}, {"code": "ttl_approval", "value": "PT24H"}]
    change(sessions, pk, state="Completed", fulfilment_state="Order-delivered",
           legs=[{"id": "R1", "type": "Return", "state": "Return_Initiated", "items": {"T16-1": 1},
                  "tags": [{"code": "return_request", "list": said}], "created_at": format_timestamp(requested)}])


def every_kind(sessions: sessionmaker[Session], coop_id: int) -> dict[str, int]:
    """One order of each kind the inbox knows, and two that are history."""
    pks = {"new": make_order(sessions, coop_id, "IN-NEW"),
           "pack": make_order(sessions, coop_id, "IN-PACK", state="Accepted"),
           "handover": make_order(sessions, coop_id, "IN-HAND", state="In-progress", fulfilment_state="Packed"),
           "on_the_way": make_order(sessions, coop_id, "IN-WAY", state="In-progress", fulfilment_state="In-transit"),
           "returns": make_order(sessions, coop_id, "IN-RET"),
           "done": make_order(sessions, coop_id, "IN-DONE", state="Completed", fulfilment_state="Order-delivered"),
           "cancelled": make_order(sessions, coop_id, "IN-GONE", state="Cancelled", fulfilment_state="Cancelled")}
    return_request(sessions, pks["returns"], utcnow() - dt.timedelta(minutes=90))
    return pks


def test_each_order_lands_in_its_group_and_the_count_is_new_returns_and_to_pack(
    web: FlaskClient, sessions: sessionmaker[Session], coops: dict[str, tuple[int, str]]
) -> None:
    coop_id, key = coops["test-coop"]
    pks = every_kind(sessions, coop_id)
    sign_in(web, key)
    page = text(web.get("/console/orders", headers={"Accept-Language": "en"}))
    for kind in ("new", "returns", "pack", "handover", "on_the_way"):
        assert f'id="card-{pks[kind]}" data-group="{kind}"' in group(page, kind), kind
    assert page.count('class="card order-card"') == 5
    assert [m.group(1) for m in re.finditer(r'<section class="inbox-group" id="group-(\w+)"', page)] == [
        "new", "returns", "pack", "handover", "on_the_way"]
    # Delivered and cancelled orders are history: the plain list below, not cards.
    history = page.split('id="other-orders"', 1)[1]
    assert "IN-DONE" in history
    assert "IN-GONE" in history
    assert "IN-NEW" not in history
    # The to-do count: 1 new + 1 return + 1 to pack; the courier steps are not counted.
    assert "3 things to do now" in page
    assert re.search(r"<title>\(3\) Orders ·", page)
    assert re.search(r'<span id="todo-n">3</span>', page)
    counts = web.get("/console/todo.json").get_json()
    assert counts == {"count": 3, "new": 1, "returns": 1, "pack": 1, "handover": 1, "on_the_way": 1}
    home = text(web.get("/console", headers={"Accept-Language": "en"}))
    assert '<strong id="count-todo">3</strong>' in home
    assert 'id="home-todo" href="/console/orders"' in home
    # Each card's one-tap button is the obvious forward move; the return is decided on the order page.
    assert 'data-action="accept"' in card(page, pks["new"])
    assert 'data-action="pack"' in card(page, pks["pack"])
    assert 'data-action="assign_agent"' in card(page, pks["handover"])
    assert 'data-action="at_destination_hub"' in card(page, pks["on_the_way"])
    assert "<form" not in card(page, pks["returns"])
    assert f'href="/console/orders/{pks["returns"]}#returns">Decide</a>' in card(page, pks["returns"])
    # Nothing that cannot be undone is one tap away.
    for final in ("reject", "cancel", "part_cancel", "initiate_rto", "reject_return", "liquidate"):
        assert f'data-action="{final}"' not in page, final


def test_a_card_says_who_bought_what_for_how_much_and_when(
    web: FlaskClient, sessions: sessionmaker[Session], coops: dict[str, tuple[int, str]]
) -> None:
    coop_id, key = coops["test-coop"]
    pk = make_order(sessions, coop_id, "IN-1")
    came = dt.datetime(2025, 1, 1, 4, 0, tzinfo=dt.UTC)
    change(sessions, pk, created_at=came, lines=[{"item_id": "T16-1", "quantity": 2, "location_id": "main"}],
           quote={"price": {"currency": "INR", "value": "125000.00"}, "breakup": [
               {"@ondc/org/item_id": "T16-1", "@ondc/org/title_type": "item", "title": "Test Rumal Small",
                "price": {"currency": "INR", "value": "125000.00"}}]})
    sign_in(web, key)
    page = card(text(web.get("/console/orders", headers={"Accept-Language": "en"})), pk)
    assert ">Asha Devi</a></h3>" in page  # the buyer (end.person.name), not the house number
    assert "Test Rumal Small \u00d7 2" in page  # a multiplication sign
    assert "₹1,25,000" in page
    assert "1 Jan 2025, 09:30 IST" in page
    assert re.search(r'<span class="ago">\(\d+ days ago\)</span>', page)
    # The billing name stands in when the delivery names no person.
    change(sessions, pk, fulfillments=[{"id": "F1", "type": "Delivery", "end": {}, "times": {}}],
           created_at=utcnow() - dt.timedelta(hours=3, minutes=5))
    page = card(text(web.get("/console/orders", headers={"Accept-Language": "en"})), pk)
    assert ">Asha</a></h3>" in page
    assert '<span class="ago">(3 hours ago)</span>' in page


def test_to_pack_today_comes_first_by_the_promised_time(
    web: FlaskClient, sessions: sessionmaker[Session], coops: dict[str, tuple[int, str]]
) -> None:
    coop_id, key = coops["test-coop"]
    now = utcnow()
    unpromised = make_order(sessions, coop_id, "PK-NONE", state="Accepted")
    later = make_order(sessions, coop_id, "PK-LATER", state="Accepted")
    overdue = make_order(sessions, coop_id, "PK-LATE", state="Accepted")
    ship_by(sessions, later, now + dt.timedelta(days=3))
    ship_by(sessions, overdue, now - dt.timedelta(hours=1))
    sign_in(web, key)
    page = group(text(web.get("/console/orders", headers={"Accept-Language": "en"})), "pack")
    assert page.index(f'id="card-{overdue}"') < page.index(f'id="card-{later}"') < page.index(f'id="card-{unpromised}"')
    assert "Pack today" in card(page, overdue)
    assert "Pack today" not in card(page, later)
    assert "Hand over by" in card(page, later)


def test_a_return_card_shows_the_reason_words_photos_and_the_time_left(
    web: FlaskClient, sessions: sessionmaker[Session], coops: dict[str, tuple[int, str]]
) -> None:
    coop_id, key = coops["test-coop"]
    pk = make_order(sessions, coop_id, "RT-1")
    return_request(sessions, pk, utcnow() - dt.timedelta(minutes=90))
    late = make_order(sessions, coop_id, "RT-2")
    return_request(sessions, late, utcnow() - dt.timedelta(hours=30))
    sign_in(web, key)
    page = group(text(web.get("/console/orders", headers={"Accept-Language": "en"})), "returns")
    mine = card(page, pk)
    assert "Return requested: decide" in mine
    assert "Reason: Product damaged or not usable" in mine
    assert "The border came unstitched" in mine
    assert '<img src="https://buyer.example/r1.jpg"' in mine
    assert '<span class="left">22 hours left</span>' in mine
    assert '<span class="left">time is up (6 hours ago)</span>' in card(page, late)
    assert page.index(f'id="card-{late}"') < page.index(f'id="card-{pk}"')  # the most urgent first


def test_the_card_button_moves_the_order_and_comes_back_to_the_inbox(
    web: FlaskClient, sessions: sessionmaker[Session], coops: dict[str, tuple[int, str]]
) -> None:
    coop_id, key = coops["test-coop"]
    pk = make_order(sessions, coop_id, "MV-1")
    sign_in(web, key)
    page = card(text(web.get("/console/orders?state=Created", headers={"Accept-Language": "en"})), pk)
    form = re.search(r'<form method="post" action="([^"]+)">.*?name="csrf_token" value="([^"]+)">.*?'
                     r'name="next" value="([^"]+)">', page, re.S)
    assert form is not None
    action, token, back = (html.unescape(part) for part in form.groups())
    assert action == f"/console/orders/{pk}/actions/accept"
    assert back == "/console/orders?state=Created"
    moved = web.post(action, data={"csrf_token": token, "next": back})
    assert moved.status_code == 302
    assert moved.headers["Location"] == "/console/orders?state=Created"
    with sessions() as session:
        order = session.get_one(Order, pk)
        assert order.state == "Accepted"
        assert session.scalar(select(func.count(OutboxMessage.id)).where(
            OutboxMessage.transaction_id == order.transaction_id)) == 1  # the buyer app hears of it
    inbox = text(web.get("/console/orders", headers={"Accept-Language": "en"}))
    assert "Done: Accept." in inbox
    assert 'data-action="pack"' in card(group(inbox, "pack"), pk)
    assert group(inbox, "new") == ""
    # A move a card does not offer is still refused, and comes back to the inbox with the reason.
    refused = web.post(f"/console/orders/{pk}/actions/deliver",
                       data={"csrf_token": csrf_of(web), "next": "/console/orders"}, follow_redirects=True)
    assert "Could not Mark delivered" in text(refused)
    # Only the inbox is a place to come back to; anything else goes to the order.
    elsewhere = web.post(f"/console/orders/{pk}/actions/pack",
                         data={"csrf_token": csrf_of(web), "next": "https://evil.example/console/orders"})
    assert elsewhere.headers["Location"] == f"/console/orders/{pk}"


def test_the_state_filter_keeps_working(web: FlaskClient, sessions: sessionmaker[Session],
                                        coops: dict[str, tuple[int, str]]) -> None:
    coop_id, key = coops["test-coop"]
    pks = every_kind(sessions, coop_id)
    sign_in(web, key)
    accepted = text(web.get("/console/orders?state=Accepted", headers={"Accept-Language": "en"}))
    assert f'id="card-{pks["pack"]}"' in accepted
    assert "IN-NEW" not in accepted
    assert "IN-DONE" not in accepted
    assert 'id="state-filter"' in accepted
    completed = text(web.get("/console/orders?state=Completed", headers={"Accept-Language": "en"}))
    assert f'id="card-{pks["returns"]}"' in completed  # the return waits on a completed order
    assert "IN-DONE" in completed.split('id="other-orders"', 1)[1]
    assert "IN-PACK" not in completed
    unknown = web.get("/console/orders?state=Bogus", headers={"Accept-Language": "en"})
    assert unknown.status_code == 200
    assert "There is no order state Bogus: showing every order." in text(unknown)
    assert "IN-NEW" in text(unknown)


def test_the_count_is_each_cooperatives_own_and_the_operators_is_everyones(
    web: FlaskClient, sessions: sessionmaker[Session], coops: dict[str, tuple[int, str]]
) -> None:
    mine, other = coops["test-coop"], coops["other-coop"]
    theirs = make_order(sessions, mine[0], "TN-1")
    make_order(sessions, mine[0], "TN-2")
    make_order(sessions, other[0], "TN-3")
    signed_out = web.get("/console/todo.json")
    assert signed_out.status_code == 401
    assert signed_out.get_json()["error"]["code"] == "signed_out"
    sign_in(web, other[1])
    response = web.get("/console/todo.json")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert response.get_json()["count"] == 1
    inbox = text(web.get("/console/orders"))
    assert f'id="card-{theirs}"' not in inbox
    assert "TN-1" not in inbox
    sign_in(web, ADMIN_KEY)
    assert web.get("/console/todo.json").get_json()["count"] == 3
    operator = text(web.get("/console/orders", headers={"Accept-Language": "en"}))
    assert '<span class="coop">Test Coop</span>' in card(operator, theirs)  # the operator sees whose order


def test_the_poll_does_not_keep_an_idle_session_alive(
    web: FlaskClient, sessions: sessionmaker[Session], coops: dict[str, tuple[int, str]]
) -> None:
    sign_in(web, coops["test-coop"][1])
    earlier = utcnow() - dt.timedelta(minutes=30)
    with transaction(sessions) as session:
        row = session.scalars(select(ConsoleSession)).one()
        row.seen_at = earlier
    assert web.get("/console/todo.json").status_code == 200
    with sessions() as session:
        assert session.scalars(select(ConsoleSession)).one().seen_at == earlier
    web.get("/console/orders")  # the member's own request counts
    with sessions() as session:
        assert session.scalars(select(ConsoleSession)).one().seen_at > earlier


def test_a_card_in_hindi(web: FlaskClient, sessions: sessionmaker[Session],
                         coops: dict[str, tuple[int, str]]) -> None:
    coop_id, key = coops["test-coop"]
    pk = make_order(sessions, coop_id, "HI-1")
    change(sessions, pk, created_at=utcnow() - dt.timedelta(hours=2, minutes=1))
    sign_in(web, key)
    page = text(web.get("/console/orders", headers={"Accept-Language": "hi"}))
    assert 'lang="hi"' in page
    new = group(page, "new")
    assert "स्वीकार करने के लिए नए ऑर्डर (1)" in new
    mine = card(new, pk)
    assert 'data-action="accept">स्वीकार करें</button>' in mine
    assert "(2 घंटे पहले)" in mine
    assert "₹1,200" in mine
    assert " IST</time>" in mine
    assert "अभी करने के लिए 1 काम" in page


def test_the_order_page_shows_the_forward_steps_in_order(
    web: FlaskClient, sessions: sessionmaker[Session], coops: dict[str, tuple[int, str]]
) -> None:
    coop_id, key = coops["test-coop"]
    pk = make_order(sessions, coop_id, "ST-1", state="Accepted")
    sign_in(web, key)
    page = text(web.get(f"/console/orders/{pk}", headers={"Accept-Language": "en"}))
    steps = page.split('id="steps"', 1)[1].split("</section>", 1)[0]
    assert re.findall(r'data-state="([\w-]+)"', steps) == [
        "Agent-assigned", "Order-picked-up", "In-transit", "At-destination-hub", "Out-for-delivery", "Order-delivered"]
    assert steps.count("<button") == 1
    assert 'class="primary" data-action="pack"' in steps
    web.post(f"/console/orders/{pk}/actions/pack", data={"csrf_token": csrf_of(web)})
    page = text(web.get(f"/console/orders/{pk}", headers={"Accept-Language": "en"}))
    steps = page.split('id="steps"', 1)[1].split("</section>", 1)[0]
    assert '<li class="done" data-state="Packed">' in steps
    assert 'data-action="assign_agent"' in steps
    assert 'data-action="pick_up"' not in steps  # a later step is not a button
    others = page.split('id="actions-h"', 1)[1].split("</section>", 1)[0]
    assert 'data-action="pick_up"' in others  # skipping the optional courier step stays possible
    assert 'data-action="assign_agent"' not in others
    final = others.split('<div class="actions final">', 1)[1]
    assert 'data-action="cancel"' in final
    assert 'name="sure" required' in final
    # Hyperlocal delivery has no hub legs.
    change(sessions, pk, routing="P2P")
    page = text(web.get(f"/console/orders/{pk}", headers={"Accept-Language": "en"}))
    steps = page.split('id="steps"', 1)[1].split("</section>", 1)[0]
    assert "In-transit" not in steps
    assert 'data-state="Out-for-delivery"' in steps
    # A new order has no steps yet: Accept or Reject first.
    fresh = make_order(sessions, coop_id, "ST-2")
    assert 'id="steps"' not in text(web.get(f"/console/orders/{fresh}"))


@pytest.mark.parametrize("routing", ["P2P", "P2H2P"])
def test_every_live_forward_state_has_one_legal_next_step(routing: str) -> None:
    machine = states.machine_for_routing(routing)
    for state, targets in states.TABLES[machine].items():
        order = Order(state="Accepted" if state == "Pending" else "In-progress", fulfilment_state=state,
                      routing=routing, legs=[], lines=[], quote={}, fulfillments=[{}])
        steps = todo.forward_steps(order)
        if state == "Cancelled":
            assert steps == [], state
            continue
        upcoming = [step for step in steps if step.status == "next"]
        if not targets:
            assert upcoming == [], state
            assert {step.status for step in steps} == {"done"}, state
            continue
        assert len(upcoming) == 1, state
        assert upcoming[0].action in seller.next_actions(order), state
        assert upcoming[0].state in targets, state
        assert [step.status for step in steps] == sorted((step.status for step in steps),
                                                         key=["done", "next", "later"].index), state


def test_the_script_is_served_loaded_deferred_and_packaged(
    web: FlaskClient, coops: dict[str, tuple[int, str]]
) -> None:
    with web.get("/static/console.js") as script:  # a file response: closed when read
        assert script.status_code == 200
        assert "data-todo-url" in text(script)
        assert script.mimetype in ("text/javascript", "application/javascript")
    sign_in(web, coops["test-coop"][1])
    page = text(web.get("/console/orders"))
    assert '<script src="/static/console.js" defer></script>' in page
    assert 'data-todo-url="/console/todo.json" data-todo-every="30"' in page
    signed_out = text(web.get("/console/login"))
    assert "data-todo-url" not in signed_out  # nothing to poll before signing in
    # Every static file ships with the package (setup.cfg package_data).
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    patterns = config["options.package_data"]["adapter.web"].split()
    for path in (ROOT / "adapter" / "web" / "static").iterdir():
        assert any(fnmatch.fnmatch(f"static/{path.name}", pattern) for pattern in patterns), path.name

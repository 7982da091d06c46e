"""The order's story on the console: a real order placed by a signed buyer app, moved on by the member through the
console, answered and pushed by the real worker, then read back as sentences in English and Hindi."""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from adapter.orders import store as order_store
from adapter.orders.seller import ACTIONS
from adapter.store.db import transaction
from adapter.store.models import InboundMessage, Order, OrderEvent, OutboxMessage
from adapter.web.console import i18n
from adapter.web.console.formats import clock, ist
from tests.conftest import ADMIN_KEY
from tests.console.support import csrf_of, ensure_console, make_coop_with_key, make_order, sign_in
from tests.integration.test_orders import Buyer
from tests.support.network import BUYER_ID, Network
from tests.support.receiver import Receiver, running_receiver
from tests.support.servers import wait_until

LINE = re.compile(r'<li data-actor="(?P<actor>\w+)" data-kind="(?P<kind>[\w-]*)"><time datetime="(?P<iso>[^"]+)">'
                  r'(?P<time>[^<]*)</time>\s*<span>(?P<text>[^<]*)</span>(?P<rest>.*?)</li>', re.S)
IST_TIME = re.compile(r"^\d{1,2} [A-Z][a-z]{2} \d{4}, \d{2}:\d{2} IST$")
RETURN = {"update_target": "item", "order": {"id": "STORY-1", "fulfillments": [{"type": "Return", "tags": [
    {"code": "return_request", "list": [
        {"code": "id", "value": "R1"}, {"code": "item_id", "value": "T16-1"}, {"code": "item_quantity", "value": "1"},
        {"code": "reason_id", "value": "003"}, {"code": "reason_desc", "value": "torn at the corner"},
        {"code": "ttl_approval", "value": "PT24H"}, {"code": "ttl_reverseqc", "value": "P3D"}]}]}]}}


@pytest.fixture
def console(app: Flask) -> Flask:
    return ensure_console(app)


@pytest.fixture
def member(console: Flask, sessions: sessionmaker[Session]) -> tuple[FlaskClient, int]:
    coop_id, key = make_coop_with_key(sessions, "test-coop")
    client = console.test_client()
    sign_in(client, key)
    return client, coop_id


@pytest.fixture
def operator(console: Flask, member: tuple[FlaskClient, int]) -> FlaskClient:
    client = console.test_client()
    sign_in(client, ADMIN_KEY)
    return client


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as server:
        yield server


def story(client: FlaskClient, pk: int, lang: str = "en") -> list[dict[str, str]]:
    """The story's lines as the page shows them: actor, kind, time, sentence and the delivery part after it."""
    response = client.get(f"/console/orders/{pk}", headers={"Accept-Language": lang})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    section = page.split('<ol class="story">', 1)[1].split("</ol>", 1)[0]
    lines = [{key: html.unescape(re.sub(r"<[^>]+>", "", value)).strip() for key, value in m.groupdict().items()}
             | {"delivery": _delivery_state(m["rest"])} for m in LINE.finditer(section)]
    assert lines, section
    return lines


def _delivery_state(rest: str) -> str:
    found = re.search(r'data-delivery="(\w+)"', rest)
    return found.group(1) if found else ""


def page_of(client: FlaskClient, pk: int, lang: str = "en") -> str:
    response = client.get(f"/console/orders/{pk}", headers={"Accept-Language": lang})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def act(client: FlaskClient, pk: int, action: str, **form: str) -> None:
    response = client.post(f"/console/orders/{pk}/actions/{action}", data={"csrf_token": csrf_of(client), **form},
                           follow_redirects=True)
    assert "Done:" in response.get_data(as_text=True), action


def outbox(sessions: sessionmaker[Session], transaction_id: str) -> list[OutboxMessage]:
    with sessions() as session:
        return list(session.scalars(select(OutboxMessage).where(OutboxMessage.transaction_id == transaction_id)
                                    .order_by(OutboxMessage.id)))


def all_sent(sessions: sessionmaker[Session], transaction_id: str) -> bool:
    rows = outbox(sessions, transaction_id)
    return bool(rows) and all(row.status == "sent" for row in rows)


def order_row(sessions: sessionmaker[Session], order_id: str) -> Order:
    with sessions() as session:
        order = session.scalar(select(Order).where(Order.order_id == order_id))
        assert order is not None
        return order


def events(sessions: sessionmaker[Session], order_pk: int) -> dict[str, OrderEvent]:
    with sessions() as session:
        return {e.kind: e for e in session.scalars(select(OrderEvent).where(OrderEvent.order_id == order_pk))}


def find(lines: list[dict[str, str]], text: str) -> dict[str, str]:
    found = [line for line in lines if line["text"].startswith(text)]
    assert len(found) == 1, (text, [line["text"] for line in lines])
    return found[0]


def test_a_member_reads_a_whole_order_as_sentences_in_ist_in_english_and_hindi(
    member: tuple[FlaskClient, int], operator: FlaskClient, console: Flask, worker: Any, network: Network,
    receiver: Receiver, sessions: sessionmaker[Session]
) -> None:
    web, _coop = member
    buyer = Buyer(console.test_client(), network, receiver)
    buyer.place("T16-1", 1, "STORY-1")  # accepted at once by the adapter (ORDER_AUTO_ACCEPT)
    order = order_row(sessions, "STORY-1")
    for action in ("pack", "pick_up", "ship", "at_destination_hub", "out_for_delivery", "deliver"):
        act(web, order.id, action)
    assert wait_until(lambda: all_sent(sessions, order.transaction_id), timeout=60)
    for _ in range(3):  # the buyer app polls; one line says so
        assert buyer.send("status", {"order_id": "STORY-1"}) is not None
    returned = buyer.send("update", RETURN)
    assert returned is not None
    assert "error" not in returned, returned.get("error")
    act(web, order.id, "approve_return", return_id="R1")
    assert wait_until(lambda: all_sent(sessions, order.transaction_id), timeout=60)

    lines = story(web, order.id)
    texts = [line["text"] for line in lines]
    assert texts == [
        f"Order received from {BUYER_ID}", "The adapter accepted the order", "You marked it packed",
        "You marked it picked up by the courier", "You marked it shipped",
        "You noted that it reached the buyer's city hub", "You marked it out for delivery", "You marked it delivered",
        texts[8], "The buyer asked to return 1 item: Product damaged or not usable", "You approved the return"]
    assert [line["actor"] for line in lines] == ["buyer", "adapter", *["you"] * 6, "buyer", "buyer", "you"]
    # Each line at its moment in IST with the zone; every update told the buyer app, at the time it reached it.
    history = events(sessions, order.id)
    rows = outbox(sessions, order.transaction_id)
    for line in lines:
        assert IST_TIME.match(line["time"]), line
    moves = ("accepted", "pack", "pick_up", "ship", "at_destination_hub", "out_for_delivery", "deliver",
             "approve_return")
    pushes = [row for row in rows if not row.solicited]
    assert len(pushes) == len(moves)
    for kind, push in zip(moves, pushes, strict=True):
        line = next(line for line in lines if line["kind"] == kind)
        assert line["time"] == ist(history[kind].at)
        assert line["delivery"] == "sent"
        assert push.sent_at is not None
        assert line["rest"] == f"· told the buyer app ✓ {clock(push.sent_at)}"
    assert find(lines, "Order received")["rest"].startswith("· answered ✓")
    with sessions() as session:
        polls = session.scalars(select(InboundMessage).where(InboundMessage.transaction_id == order.transaction_id,
                                                             InboundMessage.action == "status")
                                .order_by(InboundMessage.received_at)).all()
    assert texts[8] == f"The buyer app checked the status 3 times, last {clock(polls[-1].received_at)}"
    assert lines[8]["time"] == ist(polls[0].received_at)
    assert lines[8]["rest"].startswith("· answered ✓")

    # A member never sees the network's raw words: no message ids, actions, state codes or JSON.
    page = page_of(web, order.id)
    with sessions() as session:
        ids = [m for m in session.scalars(select(InboundMessage.message_id).where(
            InboundMessage.transaction_id == order.transaction_id))]
        ids += [row.message_id for row in rows]
    assert ids
    assert not [message_id for message_id in ids if message_id in page]
    shown = html.unescape(re.sub(r"<[^>]*>", " ", page))  # what the member reads (data-state hooks aside)
    for raw in ("on_status", "Order-picked-up", "Return_Approved", '{"'):
        assert raw not in shown, raw
    for part in ("network-messages", "order-transaction"):
        assert part not in page, part

    in_hindi = story(web, order.id, "hi")
    hindi = [line["text"] for line in in_hindi]
    assert hindi[:3] == [f"{BUYER_ID} से ऑर्डर मिला", "एडैप्टर ने ऑर्डर स्वीकार किया", "आपने इसे पैक हुआ चिह्नित किया"]
    assert hindi[8] == f"खरीदार ऐप ने स्थिति 3 बार जाँची, आख़िरी बार {clock(polls[-1].received_at)}"
    assert hindi[9] == "खरीदार ने 1 सामान लौटाना चाहा: उत्पाद क्षतिग्रस्त या इस्तेमाल लायक नहीं"
    assert in_hindi[2]["rest"] == f"· खरीदार ऐप को बताया ✓ {clock(pushes[1].sent_at)}"
    assert in_hindi[0]["time"].endswith(lines[0]["time"][-9:])  # IST with the zone in either language
    assert "दिस॰" in in_hindi[0]["time"] or "Dec" not in lines[0]["time"]  # the month in Hindi

    # The operator reads the same story (the cooperative did it) and, folded away, every raw message.
    seen = story(operator, order.id)
    assert [line["text"] for line in seen][2] == "The cooperative marked it packed"
    raw = page_of(operator, order.id)
    network = raw.split('<details class="network" id="network-messages" data-audience="operator">', 1)[1]
    network = network.split("</details>", 1)[0]
    assert all(message_id in network for message_id in ids)
    assert "Order status sent to the buyer app" in network  # on_status, named
    assert re.search(r"· <code>\d+ B</code> · Delivered", network)
    assert "· ACK" in network
    link = re.search(r'id="order-transaction" href="([^"]+)"', network)
    assert link is not None
    assert operator.get(html.unescape(link.group(1))).status_code == 200
    assert web.get(html.unescape(link.group(1))).status_code == 404  # the transaction page is the operator's


def test_an_update_that_has_not_reached_the_buyer_app_says_so_and_why(
    member: tuple[FlaskClient, int], console: Flask, worker: Any, network: Network, receiver: Receiver,
    sessions: sessionmaker[Session]
) -> None:
    web, _coop = member
    buyer = Buyer(console.test_client(), network, receiver)
    buyer.place("T16-1", 1, "LATE-1")
    order = order_row(sessions, "LATE-1")
    assert wait_until(lambda: all_sent(sessions, order.transaction_id), timeout=60)

    receiver.responses = [(400, b'{"error":{"code":"10000"}}')]  # refused for good: dead at once
    act(web, order.id, "pack")
    assert wait_until(lambda: outbox(sessions, order.transaction_id)[-1].status == "dead", timeout=30)
    receiver.responses = [(503, b"{}")] * 500  # the buyer app's server is failing: tried again and again
    act(web, order.id, "pick_up")
    assert wait_until(lambda: outbox(sessions, order.transaction_id)[-1].attempts >= 1, timeout=30)
    act(web, order.id, "ship")  # queued behind the one still being tried

    lines = story(web, order.id)
    packed, picked, shipped = (find(lines, text) for text in (
        "You marked it packed", "You marked it picked up by the courier", "You marked it shipped"))
    assert packed["delivery"] == "dead"
    assert packed["rest"] == ("· Could not tell the buyer app: it refused the message. The operator can send it "
                              "again. ✗")
    assert picked["delivery"] == "pending"
    assert picked["rest"] == "· Could not tell the buyer app yet: its server failed; trying again"
    assert shipped["delivery"] == "pending"
    assert shipped["rest"] == "· the buyer app is told after the earlier update"
    assert "✓" not in packed["rest"] + picked["rest"] + shipped["rest"]
    assert find(lines, "The adapter accepted the order")["delivery"] == "sent"
    hindi = story(web, order.id, "hi")
    assert next(line for line in hindi if line["kind"] == "pick_up")["rest"] == (
        "· खरीदार ऐप को अभी नहीं बता सके: उसका सर्वर विफल रहा; फिर कोशिश कर रहे हैं")


def test_the_operators_move_to_a_buyer_app_that_does_not_answer(
    member: tuple[FlaskClient, int], operator: FlaskClient, worker: Any, sessions: sessionmaker[Session]
) -> None:
    web, coop_id = member
    pk = make_order(sessions, coop_id)  # its buyer app is at 127.0.0.1:9, where nothing listens
    act(operator, pk, "accept")
    assert wait_until(lambda: outbox(sessions, "t-WEB-1")[-1].attempts >= 1, timeout=30)
    lines = story(web, pk)
    accepted = find(lines, "The operator accepted the order")
    assert accepted["actor"] == "operator"
    assert accepted["rest"] == "· Could not tell the buyer app yet: its server did not answer; trying again"
    assert find(story(operator, pk), "You accepted the order")["actor"] == "you"


def test_an_order_with_no_history_and_no_messages_still_has_a_story(
    member: tuple[FlaskClient, int], operator: FlaskClient, sessions: sessionmaker[Session]
) -> None:
    web, coop_id = member
    pk = make_order(sessions, coop_id)
    with sessions() as session:
        created = session.get_one(Order, pk).created_at
    for client in (web, operator):
        for lang in ("en", "hi"):
            (line,) = story(client, pk, lang)
            with client.application.test_request_context(headers={"Accept-Language": lang}):
                assert line["time"] == ist(created)
            assert line["delivery"] == ""
        assert story(client, pk)[0]["text"] == "Order received from buyer.odop.test"
    assert "No messages." in page_of(operator, pk).split('id="network-messages"', 1)[1]


def test_every_move_and_word_of_the_story_has_both_languages(console: Flask) -> None:
    kinds = {"accept": "accepted", "cancel": "cancelled", "initiate_rto": "rto_initiated"}
    assert {kinds.get(action, action) for action in ACTIONS} <= set(i18n.DEEDS)
    tables = (i18n.WHO, i18n.DEEDS, i18n.REQUESTS, i18n.UPDATES, i18n.BUYER_CANCEL_REASONS)
    with console.test_request_context(headers={"Accept-Language": "en"}):
        english = [{code: str(text) for code, text in table.items()} for table in tables]
    with console.test_request_context(headers={"Accept-Language": "hi"}):
        hindi = [{code: str(text) for code, text in table.items()} for table in tables]
        assert i18n.delivery_reason("connection: [Errno 111] Connection refused") == "उसका सर्वर जवाब नहीं दे रहा"
        assert i18n.delivery_reason("something new") == "भेजना विफल रहा"
    for words, translated in zip(english, hindi, strict=True):
        for code, text in words.items():
            assert translated[code], code
            assert translated[code] != text, code


def test_the_time_beside_a_tick_is_the_time_of_day_in_ist_with_the_zone() -> None:
    assert clock(dt.datetime(2026, 12, 6, 16, 15, tzinfo=dt.UTC)) == "21:45 IST"
    assert clock("2026-12-06T18:40:00+00:00") == "00:10 IST"  # past midnight in India
    assert clock(None) == ""
    assert clock("not a time") == "not a time"


def test_the_courier_speaks_for_itself_in_the_story(member: tuple[FlaskClient, int],
                                                     sessions: sessionmaker[Session]) -> None:
    """What the booked courier did is said as the courier's, not the adapter's, in both languages."""
    web, coop_id = member
    pk = make_order(sessions, coop_id, "STORY-COURIER", state="Accepted")
    with transaction(sessions) as session:
        order = session.get_one(Order, pk)
        for kind, reason in (("shipment_init", "courier.odop.local"), ("shipment_booked", "12345678901234"),
                             ("courier_charge", "45.00 + 8.10 tax, weighed 1.6 kg")):
            order_store.add_event(session, order, actor="courier", kind=kind, reason=reason)
    english = [line["text"] for line in story(web, pk)]
    assert "The courier got the request to book the parcel" in english
    assert "The courier booked the parcel" in english
    assert "The courier charged extra for the weight" in english
    hindi = [line["text"] for line in story(web, pk, "hi")]
    assert "कूरियर ने पार्सल बुक किया" in hindi
    assert not any(text.startswith("एडैप्टर") for text in hindi[1:])

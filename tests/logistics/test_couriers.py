"""Asking couriers and keeping their answers, on the real database: one signed search per target, answers
counted per courier, the policy's choice when the wait ends, nothing changed by a late or unknown answer."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import orjson
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from adapter.logistics import couriers
from adapter.logistics.couriers import CourierNetwork
from adapter.logistics.parcel import Parcel
from adapter.logistics.search import Drop, LogSearch
from adapter.protocol.identity import SellerApp
from adapter.protocol.request import NetworkRequest
from adapter.store.db import transaction
from adapter.store.models import Cooperative, InboundMessage, LogisticsSearch, OutboxMessage
from catalog_sync.services.catalogue import profile_of
from tests.logistics.conftest import example, schema_errors
from tests.support.sellers import make_seller

NOW = dt.datetime(2030, 10, 1, 6, 30, tzinfo=dt.UTC)
APP = SellerApp(bpp_id="seller.odop.test", bpp_uri="https://seller.odop.test/ondc", name="ODOP", size_budget=1,
                window_seconds=60)
TWO = CourierNetwork(courier_urls=("https://a.example/log", "https://b.example/log/"), wait_seconds=2.5)


def ask(sessions: sessionmaker[Session], network: CourierNetwork = TWO) -> tuple[int, list[int]]:
    cooperative_id = make_seller(sessions, catalogue=None)
    with transaction(sessions) as session:
        profile = profile_of(session.get_one(Cooperative, cooperative_id))
        retail = InboundMessage(action="select", body=b"{}", headers={}, status="processing", bap_id="buyer",
                                received_at=NOW)
        session.add(retail)
        session.flush()
        search = LogSearch(domain="ONDC:LOG11", category="Standard Delivery", pickup=profile.locations[0],
                           drop=Drop("31.1048,77.1734", "171001"), parcel=Parcel(280, Decimal(35), Decimal(35),
                                                                                 Decimal(5)),
                           declared_value=Decimal(2400), goods_category="Home Decor", provider_id="test-coop",
                           provider_name=profile.name, opening=profile.opening)
        row, sent = couriers.ask(session, APP, network, search, cooperative_id=cooperative_id,
                                 inbound_id=retail.id, retail_transaction_id="retail-tx", now=NOW)
        return row.id, [message.id for message in sent]


def answer(sessions: sessionmaker[Session], search_id: int, courier: str, price: str | None,
           at: dt.datetime = NOW) -> LogisticsSearch | None:
    with transaction(sessions) as session:
        search = session.get_one(LogisticsSearch, search_id)
        payload = example("LOG11_ORDER_FLOW_BASE_LINE.on_search")
        payload["context"] |= {"transaction_id": search.transaction_id, "message_id": search.message_id,
                               "bpp_id": courier, "bpp_uri": f"https://{courier}/log", "bap_id": APP.bpp_id}
        if price is None:
            payload["message"] = {}
        else:
            payload["message"]["catalog"]["bpp/providers"][0]["items"][0]["price"]["value"] = price
        body = orjson.dumps(payload)
        stored = InboundMessage(action="on_search", body=body, headers={}, status="processing", bap_id=courier,
                                received_at=at)  # as the webhook keeps it (quotes refer to it)
        session.add(stored)
        session.flush()
        request = NetworkRequest.parse(stored.id, "on_search", body)
        done = couriers.record_answer(session, request, at)
        return done.id if done is not None else None  # type: ignore[return-value]


def test_one_signed_search_per_target_ending_with_the_wait(sessions: sessionmaker[Session]) -> None:
    search_id, outbox_ids = ask(sessions)
    with sessions() as session:
        search = session.get_one(LogisticsSearch, search_id)
        rows = [session.get_one(OutboxMessage, i) for i in outbox_ids]
    assert [row.target_url for row in rows] == ["https://a.example/log/search", "https://b.example/log/search"]
    assert rows[0].body == rows[1].body  # the same message to each
    body = orjson.loads(rows[0].body)
    assert schema_errors("ONDC:LOG11", "search", body) == []
    assert (body["context"]["transaction_id"], body["context"]["message_id"]) == (search.transaction_id,
                                                                                  search.message_id)
    assert body["context"]["bap_uri"] == APP.bpp_uri
    for row in rows:
        assert row.solicited
        assert row.inbound_id == search.inbound_id
        assert row.deadline_at == NOW + dt.timedelta(seconds=2.5) == search.deadline_at
    assert (search.status, search.expected, search.parcel["weight_g"]) == ("waiting", 2, 280)


def test_the_search_is_complete_when_every_courier_asked_has_answered(sessions: sessionmaker[Session]) -> None:
    search_id, _ = ask(sessions)
    assert answer(sessions, search_id, "a.example", "95.00") is None
    assert answer(sessions, search_id, "a.example", "94.00") is None  # the same courier again: still one
    assert answer(sessions, search_id, "b.example", None) == search_id  # "not serviceable" is an answer too
    with transaction(sessions) as session:
        search = session.get_one(LogisticsSearch, search_id)
        quotes = couriers.quotes_of(session, search)
        assert [(q.bpp_id, q.price) for q in quotes] == [("a.example", Decimal("95.00")),
                                                        ("a.example", Decimal("94.00"))]
        chosen = couriers.close(session, search, policy="cheapest", preferred=(), now=NOW)
    assert chosen is not None
    assert chosen.price == Decimal("94.00")
    with sessions() as session:
        search = session.get_one(LogisticsSearch, search_id)
        assert (search.status, search.choice, search.closed_at) == ("closed", chosen.to_dict(), NOW)


def test_a_late_answer_is_kept_and_changes_nothing(sessions: sessionmaker[Session]) -> None:
    search_id, _ = ask(sessions)
    with transaction(sessions) as session:
        assert couriers.close(session, session.get_one(LogisticsSearch, search_id), policy="fastest",
                              preferred=(), now=NOW) is None
    assert answer(sessions, search_id, "a.example", "10.00") is None
    assert answer(sessions, search_id, "b.example", "10.00") is None
    with transaction(sessions) as session:
        search = session.get_one(LogisticsSearch, search_id)
        assert (search.status, search.choice) == ("closed", None)
        assert couriers.close(session, search, policy="cheapest", preferred=(), now=NOW) is None


def test_through_a_gateway_nobody_knows_how_many_answer(sessions: sessionmaker[Session]) -> None:
    gateway = CourierNetwork(gateway_url="https://gateway.example/log", courier_urls=("https://a.example/log",))
    search_id, outbox_ids = ask(sessions, gateway)
    assert len(outbox_ids) == 2
    assert answer(sessions, search_id, "a.example", "50") is None  # only the wait ends it


def test_an_answer_to_no_search_of_ours_is_refused(sessions: sessionmaker[Session]) -> None:
    payload = example("LOG11_ORDER_FLOW_BASE_LINE.on_search")
    payload["context"]["transaction_id"] = str(uuid.uuid4())
    with transaction(sessions) as session, pytest.raises(LookupError, match="no LOG search of ours"):
        couriers.record_answer(session, NetworkRequest.parse(1, "on_search", orjson.dumps(payload)), NOW)
    with sessions() as session:
        assert session.scalars(select(LogisticsSearch)).all() == []


def test_asking_nobody_is_a_bug() -> None:
    with pytest.raises(ValueError, match="LOGISTICS_GATEWAY_URL"):
        couriers.ask(None, APP, CourierNetwork(), None, cooperative_id=1, inbound_id=1,  # type: ignore[arg-type]
                     retail_transaction_id="t", now=NOW)

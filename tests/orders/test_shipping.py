"""A select for a cooperative that ships through ONDC logistics, run by the order flows on the real database:
when couriers are asked (and the select waits), when the slabs answer at once and why, and what the second run
charges. The worker's part (the wait, the rerun) is in tests/conformance/test_logistics_quotes.py."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from typing import Any

import orjson
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from adapter.logistics.couriers import CourierNetwork
from adapter.orders import inbound
from adapter.orders.policy import order_policy
from adapter.protocol.context import format_timestamp
from adapter.store import catalogue as item_store
from adapter.store.db import transaction
from adapter.store.models import Cooperative, InboundMessage, LogisticsSearch, OrderDraft
from catalog_sync.model import Item
from catalog_sync.services import catalogue as catalogues
from config import Settings
from tests.logistics.conftest import example
from tests.support.network import BUYER_ID, SELLER_ID
from tests.support.sellers import ALWAYS_OPEN, make_seller

NETWORK = {"shipping": {"mode": "network", "policy": "cheapest"},
           "default_box": {"length_cm": 30, "breadth_cm": 30, "height_cm": 4}}
COURIERS = CourierNetwork(courier_urls=("https://courier.example/log",), wait_seconds=2)


def seller(sessions: sessionmaker[Session], profile: dict[str, Any], *, weighed: bool) -> int:
    cooperative_id = make_seller(sessions, profile={**ALWAYS_OPEN, "min_order_value": None, **profile})
    if weighed:
        with transaction(sessions) as session:
            for row in item_store.current_items(session, cooperative_id):
                item = dataclasses.replace(Item.from_dict(row.data), weight_g=250)
                item_store.update_item(session, row, catalogues.to_record(item))
    with transaction(sessions) as session:  # a flat 60 rupees from the slabs
        session.get_one(Cooperative, cooperative_id).delivery = {"flat_fee": "60"}
    return cooperative_id


def select_once(sessions: sessionmaker[Session], settings: Settings, couriers: CourierNetwork,
                inbound_id: int | None = None) -> tuple[int, Any]:
    """Store a select (or take the stored one) and run it once, as the worker does."""
    policy = dataclasses.replace(order_policy(settings), couriers=couriers)
    now = dt.datetime.now(dt.UTC)
    with transaction(sessions) as session:
        if inbound_id is None:
            context = {"domain": "ONDC:RET16", "country": "IND", "city": "std:0177", "action": "select",
                       "core_version": "1.2.5", "bap_id": BUYER_ID, "bap_uri": "https://buyer.example/ondc",
                       "bpp_id": SELLER_ID, "bpp_uri": "https://seller.example/ondc",
                       "transaction_id": str(uuid.uuid4()), "message_id": str(uuid.uuid4()),
                       "timestamp": format_timestamp(now), "ttl": "PT30S"}
            order = {"provider": {"id": "test-coop", "locations": [{"id": "main"}]},
                     "items": [{"id": "T16-1", "location_id": "main", "quantity": {"count": 2}}],
                     "fulfillments": [{"end": {"location": {"gps": "31.1048,77.1734",
                                                            "address": {"area_code": "171001"}}}}]}
            message = InboundMessage(action="select", bap_id=BUYER_ID, body=orjson.dumps(
                {"context": context, "message": {"order": order}}), headers={}, status="processing",
                transaction_id=context["transaction_id"], received_at=now)
            session.add(message)
            session.flush()
            inbound_id = message.id
        result = inbound.dispatch(session, session.get_one(InboundMessage, inbound_id), policy, now)
        bodies = [orjson.loads(row.body) for row in result.outbox]
        return inbound_id, (result.waiting, result.reruns, bodies)


def delivery(on_select: dict[str, Any]) -> str:
    (line,) = [b for b in on_select["message"]["order"]["quote"]["breakup"]
               if b["@ondc/org/title_type"] == "delivery"]
    return str(line["price"]["value"])


def draft(sessions: sessionmaker[Session]) -> Any:
    with sessions() as session:
        return session.scalars(select(OrderDraft)).one().shipping


@pytest.mark.parametrize(("profile", "weighed", "couriers", "reason"), [
    ({}, True, COURIERS, None),  # manual shipping: nothing changes, nothing is recorded
    (NETWORK, True, CourierNetwork(), "no courier network is configured (LOGISTICS_GATEWAY_URL or "
                                      "LOGISTICS_COURIER_URLS)"),
    (NETWORK, False, COURIERS, "no weight_g for item(s) T16-1"),
    ({"shipping": {"mode": "network"}}, True, COURIERS, "no item size and no default_box in the profile"),
])
def test_the_slabs_answer_at_once_and_the_draft_says_why(sessions: sessionmaker[Session], settings: Settings,
                                                         profile: dict[str, Any], weighed: bool,
                                                         couriers: CourierNetwork, reason: str | None) -> None:
    seller(sessions, profile, weighed=weighed)
    _, (waiting, reruns, (on_select,)) = select_once(sessions, settings, couriers)
    assert (waiting, reruns) == (False, [])
    assert on_select["context"]["action"] == "on_select"
    assert delivery(on_select) == "60.00"
    assert draft(sessions) == (None if reason is None else {"source": "slabs", "reason": reason})
    with sessions() as session:
        assert session.scalars(select(LogisticsSearch)).all() == []


@pytest.mark.parametrize(("answered", "fee", "source"), [(True, "59.00", "courier"), (False, "60.00", "slabs")])
def test_couriers_are_asked_and_the_second_run_answers(sessions: sessionmaker[Session], settings: Settings,
                                                       answered: bool, fee: str, source: str) -> None:
    seller(sessions, NETWORK, weighed=True)
    inbound_id, (waiting, reruns, (search,)) = select_once(sessions, settings, COURIERS)
    assert (waiting, reruns) == (True, [(inbound_id, 2)])
    assert search["context"]["action"] == "search"
    assert search["message"]["intent"]["@ondc/org/payload_details"]["weight"]["value"] == 0.5  # 2 x 250 g
    if answered:  # the spec's courier quotes 59.00 for P3D
        payload = example("LOG11_ORDER_FLOW_BASE_LINE.on_search")
        payload["context"] |= {key: search["context"][key] for key in ("transaction_id", "message_id")}
        with transaction(sessions) as session:
            stored = InboundMessage(action="on_search", bap_id=payload["context"]["bpp_id"], status="processing",
                                    body=orjson.dumps(payload), headers={}, received_at=dt.datetime.now(dt.UTC))
            session.add(stored)
            session.flush()
            result = inbound.dispatch(session, stored, order_policy(settings), dt.datetime.now(dt.UTC))
            assert (result.outbox, result.reruns) == ([], [(inbound_id, 0.0)])  # the only courier asked
    _, (waiting, reruns, (on_select,)) = select_once(sessions, settings, COURIERS, inbound_id)
    assert (waiting, reruns) == (False, [])
    assert delivery(on_select) == fee
    assert draft(sessions)["source"] == source
    if answered:
        # T16-1 ships in 3 days, then the courier takes P3D.
        assert on_select["message"]["order"]["fulfillments"][0]["@ondc/org/TAT"] == "P6D"
        assert draft(sessions)["courier"]["price"] == "59.00"

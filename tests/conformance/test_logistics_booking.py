"""Booking and tracking through ONDC logistics, end to end: the adapter under gunicorn with its worker, a buyer app,
and the bundled test courier (``odop-adapter courier``) on 127.0.0.1 in the same registry.

The buyer orders from a network-shipping cooperative; the order is accepted and the member packs it; the adapter
books the courier (LOG init/confirm, the AWB kept); the courier moves the parcel and the buyer receives each
retail on_status in order with no member action after pack; /track answers with the courier's tracking URL.
A second order is cancelled by the buyer after booking, and its shipment is cancelled with the courier; a third is
refused at the door, and the courier's return to origin becomes the retail RTO, ending RTO-Delivered with the stock
back. The retail messages of each flow go through ONDC's validator.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from adapter.alerts import store as alert_store
from adapter.certification.driver import ADDRESS as SHIMLA_ADDRESS
from adapter.certification.driver import Transaction, pick, search
from adapter.certification.driver import place as place_order
from adapter.certification.validator import Validator
from adapter.logistics.courier.messages import CourierInfo
from adapter.logistics.courier.sender import Sender
from adapter.logistics.courier.server import CourierApp, CourierServer
from adapter.logistics.courier.service import Courier
from adapter.logistics.courier.store import Store
from adapter.protocol.registry import StaticRegistry
from adapter.store import catalogue as item_store
from adapter.store.db import transaction
from adapter.store.models import AlertMessage, Cooperative, Order, OrderEvent, Shipment
from catalog_sync.model import Item
from catalog_sync.profile import profile_to_dict
from catalog_sync.services import catalogue as catalogues
from catalog_sync.services.catalogue import profile_of
from tests.conformance.buyer import transaction as buyer_transaction
from tests.conformance.conftest import Service
from tests.conformance.test_after_sale_flows import _part_cancel_then_accept
from tests.support.network import COURIER_ID, COURIER_KEY_ID, Network
from tests.support.receiver import Receiver
from tests.support.servers import free_port

SLUG, DOMAIN, CITY = "chamba-rumal", "ONDC:RET16", "std:01376"  # ships from Chamba; the buyer is in Shimla
LOG11_STATES = ["Agent-assigned", "Order-picked-up", "In-transit", "At-destination-hub", "Out-for-delivery",
                "Order-delivered"]


@dataclasses.dataclass
class Bundled:
    courier: Courier
    url: str


@pytest.fixture(scope="module")
def courier(network: Network, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bundled]:
    """The bundled test courier, in-process, moving parcels only on command, trusting the test registry."""
    workdir = tmp_path_factory.mktemp("courier")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    registry = StaticRegistry.from_file(network.write_registry(workdir / "registry.json", courier_url=url))
    store = Store(workdir / "courier.sqlite3")
    info = CourierInfo(bpp_id=COURIER_ID, bpp_uri=url, public_url=url)
    sender = Sender(subscriber_id=COURIER_ID, key_id=COURIER_KEY_ID, key=network.courier.signing_key, store=store,
                    pause=0.05)
    service = Courier(info, store, sender, step_seconds=None)
    server = CourierServer(CourierApp(service, registry, "test-token"), "127.0.0.1", port, tick_seconds=0.05).start()
    try:
        yield Bundled(service, url)
    finally:
        server.stop()


@pytest.fixture(scope="module")
def service_env(courier: Bundled, network: Network, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    registry = network.write_registry(tmp_path_factory.mktemp("logistics") / "registry.json", courier_url=courier.url)
    return {"REGISTRY_FILE": str(registry), "LOGISTICS_COURIER_URLS": courier.url, "LOGISTICS_QUOTE_WAIT": "5",
            "ORDER_AUTO_ACCEPT": "false"}


@pytest.fixture
def shipping_by_network(demo: dict[str, str], sessions: sessionmaker[Session]) -> int:
    with transaction(sessions) as session:
        cooperative = session.scalars(select(Cooperative).where(Cooperative.slug == SLUG)).one()
        profile = profile_to_dict(profile_of(cooperative)) | {
            "packaging_weight_g": 100, "default_box": {"length_cm": 35, "breadth_cm": 35, "height_cm": 5},
            "shipping": {"mode": "network", "policy": "cheapest"}}
        catalogues.set_profile(cooperative, profile)
        for row in item_store.current_items(session, cooperative.id):
            item = dataclasses.replace(Item.from_dict(row.data), weight_g=180)
            item_store.update_item(session, row, catalogues.to_record(item))
        return cooperative.id


def _shipment(sessions: sessionmaker[Session], order_id: str, timeout: float = 20.0,
              state: str = "booked") -> Shipment:
    deadline = time.monotonic() + timeout
    while True:
        with sessions() as session:
            order = session.scalars(select(Order).where(Order.order_id == order_id)).one()
            found = session.scalars(select(Shipment).where(Shipment.order_id == order.id)).one_or_none()
            if found is not None and found.state == state and (state != "booked" or found.tracking_url):
                session.expunge(found)
                return found
        assert time.monotonic() < deadline, f"no {state} shipment: {found and (found.state, found.error)}"
        time.sleep(0.1)


def _charges(sessions: sessionmaker[Session], shipment_id: int, timeout: float = 20.0) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while True:
        with sessions() as session:
            charges = session.get_one(Shipment, shipment_id).charges
        if charges:
            return charges
        assert time.monotonic() < deadline, "the courier's extra charge was not recorded"
        time.sleep(0.1)


def _fulfilment_state(on_status: dict[str, Any]) -> str:
    return str(on_status["message"]["order"]["fulfillments"][0]["state"]["descriptor"]["code"])


def _quoted_price(courier: Bundled, shipment: Shipment) -> Decimal:
    """What the courier charges for the booked parcel, tax included (its catalogue price for the item)."""
    booked = courier.courier.store.shipment(awb=shipment.awb)
    assert booked is not None
    return Decimal(booked.quote["delivery"]) + Decimal(booked.quote["tax"])


def _verdict(validator: Validator, tx: Transaction, flow: str, folder: Path, record: Any) -> None:
    verdict = validator.run(flow, tx.save(folder), case=f"{SLUG} (courier)")
    record(verdict)
    assert verdict.faults == [], verdict.describe()


def _stock(service: Service, demo: dict[str, str], item_id: str) -> int:
    url = f"{service.url}/api/v1/cooperatives/{SLUG}/catalogue/items/{item_id}"
    answer = requests.get(url, headers={"Authorization": f"Bearer {demo[SLUG]}"}, timeout=10)
    assert answer.status_code == 200, answer.text
    return int(answer.json()["stock"])


def _booked(service: Service, network: Network, receiver: Receiver, sessions: sessionmaker[Session], *,
            part_cancel: bool = False) -> tuple[Transaction, str, Shipment, str]:
    """An order placed by the test buyer and accepted by the member, and so booked with the courier
    (``book_on: accepted``): not ready to ship yet. With ``part_cancel``, the order has a second item that the
    cooperative drops before accepting (ONDC's flow 5 starts so)."""
    tx = buyer_transaction(service.url, network, receiver, DOMAIN, CITY)
    provider = search(tx, SLUG)
    item = pick(provider)
    if part_cancel:
        order_id = _part_cancel_then_accept(tx, service, provider, item)
    else:
        order_id = place_order(tx, provider, [(item, 1)], accepted=False)
        with sessions() as session:  # nothing is booked before the member accepts
            order = session.scalars(select(Order).where(Order.order_id == order_id)).one()
            assert session.scalars(select(Shipment).where(Shipment.order_id == order.id)).all() == []
        tx.seller(order_id, "accept")
        (accepted,) = tx.wait("on_status")
        assert accepted["message"]["order"]["state"] == "Accepted"
    shipment = _shipment(sessions, order_id)
    assert not shipment.ready_to_ship
    return tx, order_id, shipment, str(item["id"])


def _pack(tx: Transaction, order_id: str, courier: Bundled, shipment: Shipment,
          sessions: sessionmaker[Session]) -> None:
    """The member packs the order; the courier is told the parcel is ready to ship (LOG update)."""
    tx.seller(order_id, "pack")
    (packed,) = tx.wait("on_status")
    assert _fulfilment_state(packed) == "Packed"
    deadline = time.monotonic() + 20
    while not any(sent.action == "on_update" for sent in courier.courier.store.sent(shipment.transaction_id)):
        assert time.monotonic() < deadline, "the courier was not told the parcel is ready"
        time.sleep(0.1)
    with sessions() as session:
        assert session.get_one(Shipment, shipment.id).ready_to_ship


def test_an_accepted_order_is_booked_and_its_parcel_moves_the_order(
        service: Service, shipping_by_network: int, network: Network, receiver: Receiver, courier: Bundled,
        sessions: sessionmaker[Session], validator: Validator, tmp_path: Path, record: Any) -> None:
    tx, order_id, shipment, _ = _booked(service, network, receiver, sessions)
    _pack(tx, order_id, courier, shipment, sessions)
    select_ = next(m for m in tx.messages if m["context"]["action"] == "on_select")
    delivery = next(line for line in select_["message"]["order"]["quote"]["breakup"]
                    if line["@ondc/org/title_type"] == "delivery")
    # The delivery charge the buyer was quoted is the courier's price for this parcel, as the courier stored it.
    assert Decimal(delivery["price"]["value"]) == _quoted_price(courier, shipment)
    assert shipment.awb is not None
    assert len(shipment.awb) == 14
    assert (shipment.bpp_id, shipment.domain) == (COURIER_ID, "ONDC:LOG11")
    assert shipment.retail_transaction_id == tx.transaction_id
    assert shipment.transaction_id != tx.transaction_id
    assert shipment.label_url == courier.courier.info.label_url(shipment.awb)
    assert shipment.tracking_url == courier.courier.info.tracking_url(shipment.awb)
    assert (shipment.pickup_slot or {}).get("start")
    # The courier moves the parcel; the buyer hears each state, in order, with no member action.
    for state in LOG11_STATES:
        courier.courier.move(shipment.awb, state)
        (on_status,) = tx.wait("on_status")
        assert _fulfilment_state(on_status) == state
        if state == "Order-picked-up":  # the courier finds it heavier than declared and charges the difference
            courier.courier.reweigh(shipment.awb, Decimal("1.6"))
            charged = _charges(sessions, shipment.id)
            # 0.28 kg declared (1 slab of 500 g), 1.6 kg found (4 slabs): 3 further Standard slabs at ₹15 + GST.
            assert [(c["amount"], c["tax"], c["weight_kg"]) for c in charged] == [("45.00", "8.10", "1.6")]
    (on_track,) = tx.send("track", {"order_id": order_id})
    assert on_track["message"]["tracking"]["url"] == shipment.tracking_url
    with sessions() as session:
        done = session.get_one(Shipment, shipment.id)
        assert (done.courier_state, done.unapplied) == ("Order-delivered", [])
        order = session.scalars(select(Order).where(Order.order_id == order_id)).one()
        assert (order.state, order.fulfilment_state) == ("Completed", "Order-delivered")
        # Every move after Packed was the courier's: no member touched the order.
        events = session.scalars(select(OrderEvent).where(OrderEvent.order_id == order.id)
                                 .order_by(OrderEvent.id)).all()
        packed_at = max(n for n, event in enumerate(events) if event.to_state == "Packed")
        movers = {event.actor for event in events[packed_at + 1:] if event.to_state}
        assert movers == {"courier"}, movers
        assert [e.reason for e in events if e.kind == "courier_charge"] == ["45.00 + 8.10 tax, weighed 1.6 kg"]
    # The operator's timeline of the retail transaction carries the courier's messages, under their LOG transaction.
    status, timeline = tx.wire.api("GET", f"/api/v1/transactions/{tx.transaction_id}")
    assert status == 200
    assert shipment.transaction_id in timeline["logistics_transactions"]
    courier_leg = [(e["direction"], e["action"]) for e in timeline["messages"]
                   if e.get("logistics") == shipment.transaction_id]
    for step in [("out", "search"), ("in", "on_search"), ("out", "init"), ("in", "on_init"), ("out", "confirm"),
                 ("in", "on_confirm"), ("out", "update"), ("in", "on_update"), ("in", "on_status")]:
        assert step in courier_leg, step
    assert all(e.get("logistics") is None for e in timeline["messages"] if e["action"] in ("select", "on_select"))
    _verdict(validator, tx, "2", tmp_path / "flow2", record)


def test_a_cancelled_order_cancels_its_shipment(
        service: Service, shipping_by_network: int, network: Network, receiver: Receiver, courier: Bundled,
        sessions: sessionmaker[Session], demo: dict[str, str], validator: Validator, tmp_path: Path,
        record: Any) -> None:
    tx, order_id, shipment, item_id = _booked(service, network, receiver, sessions)
    stock = _stock(service, demo, item_id)
    # 010: the buyer wants to change the address (one of ONDC 1.2.5's buyer reasons).
    (on_cancel,) = tx.send("cancel", {"order_id": order_id, "cancellation_reason_id": "010"})
    assert on_cancel["message"]["order"]["state"] == "Cancelled"
    cancelled = _shipment(sessions, order_id, state="cancelled")
    assert cancelled.courier_state == "Cancelled"
    booked = courier.courier.store.shipment(awb=shipment.awb)
    assert booked is not None
    assert booked.state == "Cancelled"
    assert _stock(service, demo, item_id) == stock + 1
    _verdict(validator, tx, "4", tmp_path / "flow4", record)


def test_a_parcel_refused_at_the_door_goes_back_and_the_stock_returns(
        service: Service, shipping_by_network: int, network: Network, receiver: Receiver, courier: Bundled,
        sessions: sessionmaker[Session], demo: dict[str, str], validator: Validator, tmp_path: Path,
        record: Any) -> None:
    tx, order_id, shipment, item_id = _booked(service, network, receiver, sessions, part_cancel=True)
    _pack(tx, order_id, courier, shipment, sessions)
    assert shipment.awb is not None
    stock = _stock(service, demo, item_id)
    for state in LOG11_STATES[:-1]:  # up to Out-for-delivery
        courier.courier.move(shipment.awb, state)
        (on_status,) = tx.wait("on_status")
        assert _fulfilment_state(on_status) == state
    courier.courier.move(shipment.awb, "RTO-Initiated")
    (rto,) = tx.wait("on_cancel")
    order = rto["message"]["order"]
    assert order["state"] == "Cancelled"
    legs = {leg["type"]: leg for leg in order["fulfillments"]}
    assert legs["RTO"]["state"]["descriptor"]["code"] == "RTO-Initiated"
    assert _stock(service, demo, item_id) == stock  # not back until it is back
    courier.courier.move(shipment.awb, "RTO-Delivered")
    (back,) = tx.wait("on_status", key="on_status_rto_delivered/disposed")
    legs = {leg["type"]: leg for leg in back["message"]["order"]["fulfillments"]}
    assert legs["RTO"]["state"]["descriptor"]["code"] == "RTO-Delivered"
    assert _stock(service, demo, item_id) == stock + 1
    with sessions() as session:
        done = session.get_one(Shipment, shipment.id)
        assert (done.courier_state, done.unapplied) == ("RTO-Delivered", [])
    _verdict(validator, tx, "5", tmp_path / "flow5", record)


def test_an_order_cancelled_while_it_is_being_booked_leaves_no_booking(
        service: Service, shipping_by_network: int, network: Network, receiver: Receiver, courier: Bundled,
        sessions: sessionmaker[Session]) -> None:
    """The buyer cancels at once after the acceptance, while the LOG init/confirm may still be on their way: the
    courier ends with no live booking for the order, whichever message the cancellation overtook."""
    tx = buyer_transaction(service.url, network, receiver, DOMAIN, CITY)
    provider = search(tx, SLUG)
    order_id = place_order(tx, provider, [(pick(provider), 1)], accepted=False)
    tx.seller(order_id, "accept")
    tx.wait("on_status")
    (on_cancel,) = tx.send("cancel", {"order_id": order_id, "cancellation_reason_id": "010"})
    assert on_cancel["message"]["order"]["state"] == "Cancelled"
    cancelled = _shipment(sessions, order_id, state="cancelled")
    deadline = time.monotonic() + 20
    while True:  # whatever the courier booked for this order ends cancelled there too
        live = [s for s in courier.courier.store.shipments()
                if s.transaction_id == cancelled.transaction_id and s.state != "Cancelled"]
        if not live:
            break
        assert time.monotonic() < deadline, f"the courier still has a booking: {live[0].awb} {live[0].state}"
        time.sleep(0.1)


def test_a_cooperative_that_books_on_packing_books_then_ready_to_ship(
        service: Service, shipping_by_network: int, network: Network, receiver: Receiver, courier: Bundled,
        sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        cooperative = session.get_one(Cooperative, shipping_by_network)
        profile = profile_to_dict(profile_of(cooperative))
        catalogues.set_profile(cooperative, profile | {"shipping": profile["shipping"] | {"book_on": "packed"}})
    tx = buyer_transaction(service.url, network, receiver, DOMAIN, CITY)
    provider = search(tx, SLUG)
    order_id = place_order(tx, provider, [(pick(provider), 1)], accepted=False)
    tx.seller(order_id, "accept")
    tx.wait("on_status")
    with sessions() as session:
        order = session.scalars(select(Order).where(Order.order_id == order_id)).one()
        assert session.scalars(select(Shipment).where(Shipment.order_id == order.id)).all() == []
    tx.seller(order_id, "pack")
    tx.wait("on_status")
    shipment = _shipment(sessions, order_id)
    assert shipment.ready_to_ship
    booked = courier.courier.store.shipment(awb=shipment.awb)
    assert booked is not None
    # Confirmed ready to ship: no update was needed.
    assert [s.action for s in courier.courier.store.sent(shipment.transaction_id) if s.action == "on_update"] == []


def test_a_refused_booking_alerts_the_cooperative_and_can_be_booked_again(
        service: Service, shipping_by_network: int, network: Network, receiver: Receiver, courier: Bundled,
        sessions: sessionmaker[Session]) -> None:
    """The courier has no rider for the drop (the test courier's ``courier:no-rider`` marker): its on_init is an
    error. The shipment fails with the courier's words, the order's history says so, the cooperative gets a
    ``shipping_failed`` alert, and the member's "Book the courier again" books it (the marker is gone by then)."""
    with transaction(sessions) as session:
        alert_store.save_settings(session, shipping_by_network, webhook_url=None, email="coop@example.com",
                                  kinds=["shipping_failed"], language="hi", now=dt.datetime.now(dt.UTC))
    tx = buyer_transaction(service.url, network, receiver, DOMAIN, CITY)
    provider = search(tx, SLUG)
    address = dict(SHIMLA_ADDRESS, building="courier:no-rider")
    order_id = place_order(tx, provider, [(pick(provider), 1)], accepted=False,
                           place=("31.1048,77.1734", address))
    tx.seller(order_id, "accept")
    tx.wait("on_status")
    failed = _shipment(sessions, order_id, state="failed")
    assert failed.error == "the courier answered on_init with an error: 60004 Delivery Partners not available"
    with sessions() as session:
        order = session.scalars(select(Order).where(Order.order_id == order_id)).one()
        kinds = [e.kind for e in session.scalars(select(OrderEvent).where(OrderEvent.order_id == order.id))]
        assert "shipment_failed" in kinds
        (alert,) = session.scalars(select(AlertMessage).where(AlertMessage.order_pk == order.id)).all()
        assert (alert.kind, alert.channel) == ("shipping_failed", "email")
        pk = order.id
        # The courier will have a rider this time (the drop no longer says otherwise).
        order.fulfillments = [{**order.fulfillments[0], "end": {**order.fulfillments[0]["end"], "location": {
            **order.fulfillments[0]["end"]["location"], "address": SHIMLA_ADDRESS}}}]
        session.commit()
    status, answer = tx.wire.api("POST", f"/api/v1/orders/{pk}/actions/book_courier")
    assert status == 200, answer
    booked = _shipment(sessions, order_id)
    assert booked.awb is not None
    assert not booked.ready_to_ship
    # Nothing left to book again: a 409 with the reason, and nothing changes.
    status, answer = tx.wire.api("POST", f"/api/v1/orders/{pk}/actions/book_courier")
    assert status == 409
    assert "no failed courier booking" in answer["error"]["message"]
    assert _shipment(sessions, order_id).id == booked.id

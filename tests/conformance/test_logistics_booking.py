"""Booking and tracking through ONDC logistics, end to end: the adapter under gunicorn with its worker, a buyer app,
and the bundled test courier (``odop-adapter courier``) on 127.0.0.1 in the same registry.

The buyer orders from a network-shipping cooperative; the order is accepted and the member packs it; the adapter
books the courier (LOG init/confirm, the AWB kept); the courier moves the parcel and the buyer receives each
retail on_status in order with no member action after pack; /track answers with the courier's tracking URL.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from adapter.certification.driver import pick, search
from adapter.certification.driver import place as place_order
from adapter.logistics.courier.messages import CourierInfo
from adapter.logistics.courier.sender import Sender
from adapter.logistics.courier.server import CourierApp, CourierServer
from adapter.logistics.courier.service import Courier
from adapter.logistics.courier.store import Store
from adapter.protocol.registry import StaticRegistry
from adapter.store import catalogue as item_store
from adapter.store.db import transaction
from adapter.store.models import Cooperative, Order, Shipment
from catalog_sync.model import Item
from catalog_sync.profile import profile_to_dict
from catalog_sync.services import catalogue as catalogues
from catalog_sync.services.catalogue import profile_of
from tests.conformance.buyer import transaction as buyer_transaction
from tests.conformance.conftest import Service
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
    return {"REGISTRY_FILE": str(registry), "LOGISTICS_COURIER_URLS": courier.url, "LOGISTICS_QUOTE_WAIT": "5"}


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


def _fulfilment_state(on_status: dict[str, Any]) -> str:
    return str(on_status["message"]["order"]["fulfillments"][0]["state"]["descriptor"]["code"])


def test_packing_books_the_courier_and_its_parcel_moves_the_order(
        service: Service, shipping_by_network: int, network: Network, receiver: Receiver, courier: Bundled,
        sessions: sessionmaker[Session]) -> None:
    tx = buyer_transaction(service.url, network, receiver, DOMAIN, CITY)
    provider = search(tx, SLUG)
    item = pick(provider)
    order_id = place_order(tx, provider, [(item, 1)])
    # (placing it took the on_status of its acceptance: the test service accepts at once)
    tx.seller(order_id, "pack")
    (packed,) = tx.wait("on_status")
    assert _fulfilment_state(packed) == "Packed"
    shipment = _shipment(sessions, order_id)
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
    (on_track,) = tx.send("track", {"order_id": order_id})
    assert on_track["message"]["tracking"]["url"] == shipment.tracking_url
    with sessions() as session:
        done = session.get_one(Shipment, shipment.id)
        assert (done.courier_state, done.unapplied) == ("Order-delivered", [])
        order = session.scalars(select(Order).where(Order.order_id == order_id)).one()
        assert (order.state, order.fulfilment_state) == ("Completed", "Order-delivered")

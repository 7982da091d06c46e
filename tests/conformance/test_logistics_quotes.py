"""Live courier quotes at /select, end to end: the adapter under gunicorn with its own worker and Redis, a buyer
app, and a courier on 127.0.0.1 that takes our signed LOG search and answers with a signed on_search.

- The courier answers: the on_select's delivery line is the courier's price, init and confirm keep it, and the
  whole order (flow 2) still passes ONDC's validator.
- The courier stays silent: the select is answered from the slabs once the wait is over, well inside its ttl.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from adapter.certification.driver import order_of, pick, search, ship
from adapter.certification.driver import place as place_order
from adapter.certification.validator import Validator
from adapter.orders.delivery_terms import format_duration, parse_duration
from adapter.orders.terms_io import terms_from_json
from adapter.protocol.context import parse_timestamp
from adapter.store import catalogue as item_store
from adapter.store.db import transaction
from adapter.store.models import Cooperative, LogisticsSearch, OrderDraft
from catalog_sync.model import Item
from catalog_sync.profile import profile_to_dict
from catalog_sync.services import catalogue as catalogues
from catalog_sync.services.catalogue import profile_of
from tests.conformance.buyer import transaction as buyer_transaction
from tests.conformance.conftest import Service
from tests.logistics.conftest import schema_errors
from tests.support.courier import Courier, running_courier
from tests.support.network import COURIER_ID, Network
from tests.support.receiver import Receiver
from tests.support.servers import free_port

SLUG, DOMAIN, CITY = "chamba-rumal", "ONDC:RET16", "std:01376"  # ships from Chamba; the buyer is in Shimla
WAIT = 3.0


@pytest.fixture(scope="module")
def courier(network: Network) -> Iterator[Courier]:
    with running_courier(network, free_port()) as server:
        yield server


@pytest.fixture(scope="module")
def service_env(courier: Courier, network: Network, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The service asks our test courier, listed (with its key) in the registry the service reads."""
    registry = network.write_registry(tmp_path_factory.mktemp("logistics") / "registry.json", courier_url=courier.url)
    return {"REGISTRY_FILE": str(registry), "LOGISTICS_COURIER_URLS": courier.url,
            "LOGISTICS_QUOTE_WAIT": str(WAIT)}


@pytest.fixture
def shipping_by_network(demo: dict[str, str], sessions: sessionmaker[Session], courier: Courier) -> int:
    """The demo cooperative ships through ONDC logistics: every item weighed, a default box, cheapest courier."""
    courier.silent, courier.price = False, "87.50"
    with courier.lock:
        courier.searches.clear()
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


def _delivery(quote: dict[str, Any]) -> Decimal:
    (line,) = [b for b in quote["breakup"] if b["@ondc/org/title_type"] == "delivery"]
    return Decimal(line["price"]["value"])


def _draft(sessions: sessionmaker[Session], transaction_id: str) -> OrderDraft:
    with sessions() as session:
        return session.scalars(select(OrderDraft).where(OrderDraft.transaction_id == transaction_id)).one()


def test_the_delivery_charge_is_the_couriers_and_the_order_passes_the_validator(
        service: Service, shipping_by_network: int, network: Network, receiver: Receiver, courier: Courier,
        validator: Validator, tmp_path: Path, record: Any, sessions: sessionmaker[Session]) -> None:
    tx = buyer_transaction(service.url, network, receiver, DOMAIN, CITY)
    provider = search(tx, SLUG)
    item = pick(provider)
    order_id = place_order(tx, provider, [(item, 1)])
    select_, on_select, on_init, on_confirm = (next(m for m in tx.messages if m["context"]["action"] == action)
                                               for action in ("select", "on_select", "on_init", "on_confirm"))
    # The only courier asked answered: the select did not wait out the window.
    answered = parse_timestamp(on_select["context"]["timestamp"]) - parse_timestamp(select_["context"]["timestamp"])
    assert answered.total_seconds() < WAIT
    # The courier was asked once, with a search ONDC's LOG11 OpenAPI accepts, for a parcel of our weights.
    (asked,) = courier.searches
    assert courier.refused == 0
    assert schema_errors("ONDC:LOG11", "search", asked) == []
    payload = asked["message"]["intent"]["@ondc/org/payload_details"]
    assert payload["weight"] == {"unit": "kilogram", "value": 0.28}  # 180 g + 100 g of packing
    assert asked["message"]["intent"]["fulfillment"]["end"]["location"]["address"]["area_code"] == "171001"
    assert courier.answers == [200]
    # Its price is the delivery line, from select to confirm; the TAT is the time to ship plus its P3D.
    for answer in (on_select, on_init, on_confirm):
        assert _delivery(answer["message"]["order"]["quote"]) == Decimal("87.50")
    tat = on_select["message"]["order"]["fulfillments"][0]["@ondc/org/TAT"]
    assert tat == format_duration(parse_duration(item["@ondc/org/time_to_ship"]) + parse_duration("P3D"))
    shipping = _draft(sessions, tx.transaction_id).shipping
    assert shipping is not None
    assert shipping["source"] == "courier"
    assert (shipping["courier"]["bpp_id"], shipping["courier"]["price"]) == (COURIER_ID, "87.50")
    assert shipping["search"]["transaction_id"] == asked["context"]["transaction_id"]
    (tx_status,) = tx.send("status", {"order_id": order_id})
    assert _delivery(tx_status["message"]["order"]["quote"]) == Decimal("87.50")
    ship(tx, order_id)
    verdict = validator.run("2", tx.save(tmp_path / "flow2"), case=f"{SLUG} (courier quote)")
    record(verdict)
    assert verdict.faults == [], verdict.describe()


def test_no_answer_in_time_falls_back_to_the_slabs(
        service: Service, shipping_by_network: int, network: Network, receiver: Receiver, courier: Courier,
        sessions: sessionmaker[Session]) -> None:
    courier.silent = True
    tx = buyer_transaction(service.url, network, receiver, DOMAIN, CITY)
    provider = search(tx, SLUG)
    item = pick(provider)
    started = time.monotonic()
    (on_select,) = tx.send("select", {"order": order_of(provider, [(item, 1)])})
    waited = time.monotonic() - started
    assert "error" not in on_select
    assert len(courier.searches) == 1  # asked, but it never answered
    # Answered once the wait was over, well inside the select's PT30S.
    assert WAIT <= waited < WAIT + 12
    with sessions() as session:
        cooperative = session.get_one(Cooperative, shipping_by_network)
        terms = terms_from_json(cooperative.delivery) if cooperative.delivery else None
        searched = session.scalars(select(LogisticsSearch).where(
            LogisticsSearch.retail_transaction_id == tx.transaction_id)).one()
    quote = on_select["message"]["order"]["quote"]
    item_total = sum(Decimal(b["price"]["value"]) for b in quote["breakup"] if b["@ondc/org/title_type"] == "item")
    expected = terms.fee(item_total) if terms is not None else Decimal("0.00")
    assert _delivery(quote) == expected
    assert (searched.status, searched.choice, searched.expected) == ("closed", None, 1)
    shipping = _draft(sessions, tx.transaction_id).shipping
    assert shipping is not None
    assert (shipping["source"], shipping["reason"]) == ("slabs", "no courier quoted within the wait")


@pytest.mark.parametrize("odd", [{"tat": "P99999999D"}, {"item_id": "I" * 300}], ids=["tat", "item-id"])
def test_a_quote_the_order_could_not_carry_is_left_out_and_the_order_goes_through(
        service: Service, shipping_by_network: int, network: Network, receiver: Receiver, courier: Courier,
        sessions: sessionmaker[Session], odd: dict[str, str]) -> None:
    """A courier quoting a TAT of 273,972 years failed the select (30000 to the buyer app); one quoting a
    300-character item id failed the confirm on PostgreSQL (the booking's insert, at every retry). The quote is
    left out: the courier answered without one, so the select is answered at once, from the slabs."""
    for name, value in odd.items():
        setattr(courier, name, value)
    try:
        tx = buyer_transaction(service.url, network, receiver, DOMAIN, CITY)
        provider = search(tx, SLUG)
        order_id = place_order(tx, provider, [(pick(provider), 1)])
    finally:
        courier.tat, courier.item_id = "P3D", None
    (on_confirm,) = [m for m in tx.messages if m["context"]["action"] == "on_confirm"]
    assert on_confirm["message"]["order"]["id"] == order_id
    assert all("error" not in m for m in tx.messages)
    shipping = _draft(sessions, tx.transaction_id).shipping
    assert shipping is not None
    assert (shipping["source"], shipping["reason"]) == ("slabs", "no courier quoted within the wait")

"""ONDC's log-validation-utility on real transactions with the demo cooperatives: no seller-side error.

Each test drives the adapter (gunicorn + a Celery worker) as a buyer app would, with signed requests and verified
callbacks, saves every message of the transaction as ONDC's review asks for them (one numbered file per message),
and runs the utility on the folder. The only change made to the captured copies is the one the utility's README
names: bap_uri/bpp_uri become https URLs on the subscriber ids.
"""

from __future__ import annotations

import csv
import datetime as dt
import uuid
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from adapter.certification.driver import MOVES, Transaction, order_of, pick, pushed, search, ship
from adapter.certification.driver import place as place_order
from adapter.certification.validator import Validator
from tests.conformance.buyer import NEAR_PALAMPUR, transaction
from tests.conformance.conftest import ROOT, Service
from tests.support.network import Network
from tests.support.receiver import Receiver
from tests.support.servers import wait_until

COOPERATIVES = {  # slug: (domain, the city the cooperative ships from)
    "chamba-rumal": ("ONDC:RET16", "std:01376"),
    "kangra-tea": ("ONDC:RET10", "std:01892"),
    "kinnaur-shawls": ("ONDC:RET12", "std:01786"),
    "lahaul-apricot-oil": ("ONDC:RET10", "std:01900"),
}
PER_DOMAIN = {domain: sum(1 for d, _ in COOPERATIVES.values() if d == domain)
              for domain, _ in COOPERATIVES.values()}
# P2H2P: the buyer is in Shimla, every demo cooperative ships intercity through a courier's hubs (driver.MOVES).


def _search(tx: Transaction, slug: str) -> dict[str, Any]:
    """Search the cooperative's domain; keep its on_search (every cooperative of the domain answers)."""
    return search(tx, slug, answers=PER_DOMAIN[tx.domain])


def _verdict(validator: Validator, tx: Transaction, flow: str, folder: Path, case: str, record: Any) -> None:
    verdict = validator.run(flow, tx.save(folder), case=case)
    record(verdict)
    assert verdict.faults == [], verdict.describe()


@pytest.mark.parametrize("slug", sorted(COOPERATIVES))
def test_flow_8_search_answers(slug: str, service: Service, demo: dict[str, str], network: Network,
                               receiver: Receiver, validator: Validator, tmp_path: Path, record: Any) -> None:
    tx, provider = _transaction(slug, service, network, receiver)
    assert provider["items"], "the demo catalogue answered with no items"
    _verdict(validator, tx, "8", tmp_path / "flow8", slug, record)


_pick, _order = pick, order_of


def _place(tx: Transaction, provider: dict[str, Any], lines: Any, *, accepted: bool = True, place: Any = None) -> str:
    order_id = place_order(tx, provider, lines, accepted=accepted, place=place)
    if accepted:
        accepted_at = tx.messages[-1]["context"]["timestamp"]
        confirmed_at = next(m for m in reversed(tx.messages) if m["context"]["action"] == "on_confirm")[
            "context"]["timestamp"]
        assert accepted_at > confirmed_at  # the acceptance is pushed after on_confirm
    return order_id


def _ship(tx: Transaction, service: Service, order_id: str, moves: tuple[str, ...] = MOVES) -> None:
    """The member's moves, each answered by an on_status; a track once picked up, answered 'inactive'."""
    ship(tx, order_id, moves)
    for message in tx.messages:
        if message["context"]["action"] == "on_track":
            assert message["message"]["tracking"]["status"] == "inactive"


def _sell_offline(service: Service, demo: dict[str, str], slug: str, item_id: str, sold: int = 1) -> int:
    """The cooperative records ``sold`` units sold off the network (negative: back in stock); the stock before."""
    url = f"{service.url}/api/v1/cooperatives/{slug}/catalogue/items/{item_id}"
    headers = {"Authorization": f"Bearer {demo[slug]}"}
    stock = int(requests.get(url, headers=headers, timeout=10).json()["stock"])
    assert requests.patch(url, json={"stock": stock - sold}, headers=headers, timeout=10).status_code == 200
    return stock


def _transaction(slug: str, service: Service, network: Network, receiver: Receiver) -> tuple[Transaction, Any]:
    domain, city = COOPERATIVES[slug]
    tx = transaction(service.url, network, receiver, domain, city)
    return tx, _search(tx, slug)


@pytest.mark.parametrize("slug", ["chamba-rumal", "kangra-tea", "kinnaur-shawls"])
def test_flow_2_order_to_delivery(slug: str, service: Service, demo: dict[str, str], network: Network,
                                  receiver: Receiver, validator: Validator, tmp_path: Path, record: Any) -> None:
    tx, provider = _transaction(slug, service, network, receiver)
    order_id = _place(tx, provider, [(_pick(provider), 1)])
    (on_status,) = tx.send("status", {"order_id": order_id})
    assert on_status["message"]["order"]["id"] == order_id
    _ship(tx, service, order_id)
    assert tx.messages[-1]["message"]["order"]["state"] == "Completed"
    _verdict(validator, tx, "2", tmp_path / "flow2", f"{slug} (P2H2P)", record)


@pytest.mark.parametrize("slug", ["chamba-rumal", "kangra-tea", "kinnaur-shawls"])
def test_flows_8_and_2_with_a_buyer_app_on_1_2_0(slug: str, service: Service, demo: dict[str, str],
                                                 network: Network, receiver: Receiver, validator: Validator,
                                                 tmp_path: Path, record: Any) -> None:
    """A buyer app still on ONDC 1.2.0: the same transaction, checked by the utility's 1.2.0 rules (it takes the
    version from the buyer app's search)."""
    domain, city = COOPERATIVES[slug]
    tx = transaction(service.url, network, receiver, domain, city)
    tx.core_version = "1.2.0"
    provider = _search(tx, slug)
    _verdict(validator, tx, "8", tmp_path / "flow8", f"{slug} (1.2.0)", record)
    order_id = _place(tx, provider, [(_pick(provider), 1)])
    _ship(tx, service, order_id)
    # The buyer app's requests say 1.2.0; our callbacks say 1.2.5, the version whose messages we send.
    versions = {(m["context"]["action"].startswith("on_"), m["context"]["core_version"]) for m in tx.messages}
    assert versions == {(False, "1.2.0"), (True, "1.2.5")}
    _verdict(validator, tx, "2", tmp_path / "flow2", f"{slug} (1.2.0)", record)


def test_flow_3_out_of_stock_then_ordered(service: Service, demo: dict[str, str], network: Network,
                                          receiver: Receiver, validator: Validator, tmp_path: Path,
                                          record: Any) -> None:
    slug = "kangra-tea"
    tx, provider = _transaction(slug, service, network, receiver)
    item = _pick(provider, 2)
    stocked = _sell_offline(service, demo, slug, item["id"], 0)  # nothing sold yet: how many there are
    _sell_offline(service, demo, slug, item["id"], stocked - 1)  # all but one sold
    (short,) = tx.send("select", {"order": _order(provider, [(item, 2)])}, key="select_out_of_stock",
                       answer_key="on_select_out_of_stock")
    assert short["error"]["code"] == "40002"
    _sell_offline(service, demo, slug, item["id"], 1 - stocked)  # restocked
    order_id = _place(tx, provider, [(item, 1)])
    _ship(tx, service, order_id)
    _verdict(validator, tx, "3", tmp_path / "flow3", slug, record)


@pytest.mark.parametrize("slug", ["chamba-rumal", "kinnaur-shawls"])
def test_flow_4_buyer_cancels(slug: str, service: Service, demo: dict[str, str], network: Network,
                              receiver: Receiver, validator: Validator, tmp_path: Path, record: Any) -> None:
    tx, provider = _transaction(slug, service, network, receiver)
    order_id = _place(tx, provider, [(_pick(provider), 1)])
    # 010: the buyer wants to change the address (ONDC 1.2.5's buyer reasons: 010, 051, 052, 053, 999).
    (on_cancel,) = tx.send("cancel", {"order_id": order_id, "cancellation_reason_id": "010"})
    assert on_cancel["message"]["order"]["state"] == "Cancelled"
    _verdict(validator, tx, "4", tmp_path / "flow4", slug, record)


def test_flow_1_search_then_incremental_updates(service: Service, demo: dict[str, str], network: Network,
                                                receiver: Receiver, validator: Validator, tmp_path: Path,
                                                record: Any) -> None:
    slug = "kinnaur-shawls"
    tx, provider = _transaction(slug, service, network, receiver)
    # A shawl is sold offline between the buyer app's full pull and its subscription: that must not be lost.
    early, item = provider["items"][0], provider["items"][1]
    _sell_offline(service, demo, slug, early["id"])
    # The buyer app subscribes to changes (a transaction of their own), then the cooperative sells another.
    tx.transaction_id = str(uuid.uuid4())
    tx.send("search", {"intent": {"payment": {"@ondc/org/buyer_app_finder_fee_type": "percent",
                                              "@ondc/org/buyer_app_finder_fee_amount": "3"},
                                  "tags": [{"code": "catalog_inc", "list": [{"code": "mode", "value": "start"}]}]}},
            answers=0)
    _sell_offline(service, demo, slug, item["id"])
    # The buyer app has the full catalogue from its search: the push carries only what changed since, stock masked.
    (pushed,) = tx.wait("on_search", timeout=60)
    changed = [i for p in pushed["message"]["catalog"]["bpp/providers"] for i in p["items"]]
    assert sorted(i["id"] for i in changed) == sorted([early["id"], item["id"]])
    assert {i["quantity"]["available"]["count"] for i in changed} <= {"99", "0"}
    _verdict(validator, tx, "1", tmp_path / "flow1", slug, record)


def test_flow_1_the_store_closes_for_winter_and_opens_again(service: Service, demo: dict[str, str],
                                                             network: Network, receiver: Receiver,
                                                             validator: Validator, tmp_path: Path,
                                                             record: Any) -> None:
    """A closure set in the profile is pushed at once as the store's closed state, and the reopening after."""
    slug = "lahaul-apricot-oil"
    tx, _ = _transaction(slug, service, network, receiver)
    tx.transaction_id = str(uuid.uuid4())
    tx.send("search", {"intent": {"payment": {"@ondc/org/buyer_app_finder_fee_type": "percent",
                                              "@ondc/org/buyer_app_finder_fee_amount": "3"},
                                  "tags": [{"code": "catalog_inc", "list": [{"code": "mode", "value": "start"}]}]}},
            answers=0)
    profile = yaml.safe_load((ROOT / "examples" / "catalogues" / slug / "profile.yaml").read_text(encoding="utf-8"))
    url, headers = f"{service.url}/api/v1/cooperatives/{slug}/profile", {"Authorization": f"Bearer {demo[slug]}"}
    until = (dt.datetime.now(dt.UTC) + dt.timedelta(days=60)).date().isoformat()
    closed = profile | {"opening": dict(profile.get("opening") or {}, closed={"until": until, "note": "Winter"})}
    try:
        assert requests.put(url, json=closed, headers=headers, timeout=10).status_code == 200
        (pushed,) = tx.wait("on_search", timeout=60)
        assert pushed["message"]["catalog"]["bpp/providers"][0]["time"]["label"] == "close"
    finally:
        assert requests.put(url, json=profile, headers=headers, timeout=10).status_code == 200
    (reopened,) = tx.wait("on_search", timeout=60)
    assert reopened["message"]["catalog"]["bpp/providers"][0]["time"]["label"] == "enable"
    _verdict(validator, tx, "1", tmp_path / "flow1-closure", f"{slug} (closure)", record)


def test_flow_2_hyperlocal_delivery(service: Service, demo: dict[str, str], network: Network, receiver: Receiver,
                                    validator: Validator, tmp_path: Path, record: Any) -> None:
    """The tea cooperative delivers itself within 25 km of its packing shed: P2P, no hub states."""
    slug = "kangra-tea"
    profile = yaml.safe_load((ROOT / "examples" / "catalogues" / slug / "profile.yaml").read_text(encoding="utf-8"))
    profile["serviceability"] = {"type": "radius", "radius_km": 25}
    answer = requests.put(f"{service.url}/api/v1/cooperatives/{slug}/profile", json=profile, timeout=10,
                          headers={"Authorization": f"Bearer {demo[slug]}"})
    assert answer.status_code == 200, answer.text
    tx, provider = _transaction(slug, service, network, receiver)
    order_id = _place(tx, provider, [(_pick(provider), 1)], place=NEAR_PALAMPUR)
    _ship(tx, service, order_id, ("pack", "pick_up", "deliver"))
    delivered = tx.messages[-1]["message"]["order"]
    assert delivered["state"] == "Completed"
    assert delivered["fulfillments"][0]["tags"] == [{"code": "routing", "list": [{"code": "type", "value": "P2P"}]}]
    _verdict(validator, tx, "2", tmp_path / "flow2-p2p", f"{slug} (P2P)", record)


def _row(slug: str, item_id: str) -> int:
    """The row of an item in the demo spreadsheet, as a spreadsheet numbers it (the header is row 1)."""
    with (ROOT / "examples" / "catalogues" / slug / "catalogue.csv").open(encoding="utf-8", newline="") as sheet:
        ids = [row["id"] for row in csv.DictReader(sheet)]
    return ids.index(item_id) + 2


def _rejections(service: Service, demo: dict[str, str], slug: str, count: int) -> list[dict[str, Any]]:
    """The cooperative's open rejections, once the worker has stored ``count`` of them."""
    url = f"{service.url}/api/v1/cooperatives/{slug}/catalogue/rejections"
    found: list[dict[str, Any]] = []

    def stored() -> bool:
        found[:] = requests.get(url, headers={"Authorization": f"Bearer {demo[slug]}"}, timeout=10).json()[
            "rejections"]
        return len(found) >= count

    assert wait_until(stored, timeout=30), f"{slug}: {len(found)} rejection(s) stored, {count} expected"
    return found


def test_flow_7_a_buyer_app_rejects_part_of_the_catalogue(service: Service, demo: dict[str, str], network: Network,
                                                          receiver: Receiver, validator: Validator, tmp_path: Path,
                                                          record: Any) -> None:
    slug = "chamba-rumal"
    tx, provider = _transaction(slug, service, network, receiver)
    second = provider["items"][1]
    tx.reject([
        {"type": "ITEM-ERROR", "code": "91005", "message": f"Low quality image for {second['id']}",
         "path": "message.catalog.bpp/providers[0].items[1].descriptor.images[0]"},
        {"type": "PROVIDER-ERROR", "code": "90026", "message": "Store timing not in correct format",
         "path": f"message.catalog.bpp/providers[?(@.id=='{provider['id']}')].tags"},
    ])
    found = {r["code"]: r for r in _rejections(service, demo, slug, 2)}
    # Traced back to the spreadsheet: the item's row in the demo file (header = row 1) and its column.
    assert (found["91005"]["item_id"], found["91005"]["row"], found["91005"]["column"]) == (
        second["id"], _row(slug, second["id"]), "images")
    assert found["90026"]["column"] == "profile.opening"
    assert found["90026"]["item_id"] is None
    _verdict(validator, tx, "7", tmp_path / "flow7", slug, record)


def test_flow_9_a_buyer_app_rejects_an_incremental_push(service: Service, demo: dict[str, str], network: Network,
                                                        receiver: Receiver, validator: Validator, tmp_path: Path,
                                                        record: Any) -> None:
    slug = "lahaul-apricot-oil"
    domain, city = COOPERATIVES[slug]
    tx = transaction(service.url, network, receiver, domain, city)
    tx.send("search", {"intent": {"payment": {"@ondc/org/buyer_app_finder_fee_type": "percent",
                                              "@ondc/org/buyer_app_finder_fee_amount": "3"},
                                  "tags": [{"code": "catalog_inc", "list": [{"code": "mode", "value": "start"}]}]}},
            answers=0)
    # The cooperative changes a price: the push carries that item (other pushes in the domain are not ours).
    headers = {"Authorization": f"Bearer {demo[slug]}"}
    items_url = f"{service.url}/api/v1/cooperatives/{slug}/catalogue/items"
    item = requests.get(items_url, headers=headers, timeout=10).json()["items"][0]
    changed = requests.patch(f"{items_url}/{item['id']}", json={"price": str(int(float(item["price"])) + 10)},
                             headers=headers, timeout=10)
    assert changed.status_code == 200, changed.text
    push = pushed(tx, slug, item["id"])
    (provider,) = push["message"]["catalog"]["bpp/providers"]
    tx.reject([{"type": "ITEM-ERROR", "code": "91001", "message": "Item price > MRP",
                "path": f"message.catalog.bpp/providers[?(@.id=='{provider['id']}')]"
                        f".items[?(@.id=='{item['id']}')].price.value"}], city="*")
    (found,) = _rejections(service, demo, slug, 1)
    assert (found["item_id"], found["column"], found["row"]) == (item["id"], "price", _row(slug, item["id"]))
    _verdict(validator, tx, "9", tmp_path / "flow9", slug, record)


def test_flow_017_seller_credentials_travel_with_the_order(service: Service, demo: dict[str, str], network: Network,
                                                           receiver: Receiver, validator: Validator, tmp_path: Path,
                                                           record: Any) -> None:
    """ONDC 1.2.5 flow 017: the provider's creds (the weavers' GI) in on_search and unchanged in every order
    message."""
    slug = "kinnaur-shawls"
    tx, provider = _transaction(slug, service, network, receiver)
    (cred,) = provider["creds"]
    assert cred["descriptor"]["code"] == "GI"
    assert cred["tags"] == [{"code": "verification", "list": [
        {"code": "verify_url", "value": "https://search.ipindia.gov.in/GIRPublic/"}]}]
    order_id = _place(tx, provider, [(_pick(provider), 1)])
    _ship(tx, service, order_id)
    for message in tx.messages:
        if message["context"]["action"] in ("on_confirm", "on_status"):
            assert message["message"]["order"]["provider"]["creds"] == provider["creds"]
    _verdict(validator, tx, "017", tmp_path / "flow017", slug, record)

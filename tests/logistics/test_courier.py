"""The test courier (`odop-adapter courier`) on a real port, called by a signed test logistics buyer.

The courier runs in-process on 127.0.0.1 with its own SQLite file; a local receiver plays the logistics buyer's
callback endpoint. Every callback is checked for the courier's signature and against ONDC's LOG OpenAPI.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import pathlib
import socket
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import orjson
import pytest
import requests
import yaml
from click.testing import CliRunner
from jsonschema import Draft7Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

from adapter.cli.courier import control_token
from adapter.cli.main import cli
from adapter.logistics.booking import read_order
from adapter.logistics.courier.messages import CourierInfo
from adapter.logistics.courier.sender import Sender
from adapter.logistics.courier.server import CourierApp, CourierServer
from adapter.logistics.courier.service import Courier
from adapter.logistics.courier.store import Store
from adapter.protocol.context import format_timestamp
from adapter.protocol.keys import KeySet, SigningKey, generate_keyset
from adapter.protocol.registry import StaticRegistry
from adapter.protocol.registry_entry import RegistryEntry
from adapter.protocol.signing import sign_request, verify_request
from config import load_settings
from tests.support.receiver import Receiver, running_receiver

SCHEMAS = pathlib.Path(__file__).resolve().parents[1] / "fixtures" / "ondc" / "schema"  # ONDC's, verbatim
BAP_ID, BAP_KEY_ID = "seller.odop.test", "seller-log-key-1"
COURIER_ID, COURIER_KEY_ID = "courier.odop.test", "courier-key-1"
CHAMBA = "32.5534,76.1258"  # the cooperative's pickup point
BENGALURU = "12.9716,77.5946"
DELHI = "28.6139,77.2090"
KORAMANGALA = "12.9352,77.6245"
LOG11_STATES = ["Agent-assigned", "Order-picked-up", "In-transit", "At-destination-hub", "Out-for-delivery",
                "Order-delivered"]


# --- ONDC's LOG OpenAPI ----------------------------------------------------------------------------------


@functools.cache
def _validator(domain: str, action: str) -> Draft7Validator:
    spec = SCHEMAS / f"logistics-1.2.5-{domain.removeprefix('ONDC:')}-openapi.yaml"
    doc = yaml.safe_load(spec.read_text(encoding="utf-8"))
    uri = f"urn:ondc:{domain}"
    registry: Registry[Any] = Registry().with_resource(uri, Resource.from_contents(doc, default_specification=DRAFT7))
    pointer = f"/paths/~1{action}/post/requestBody/content/application~1json/schema"
    return Draft7Validator({"$ref": f"{uri}#{pointer}"}, registry=registry)


def schema_errors(body: dict[str, Any]) -> list[str]:
    context = body["context"]
    errors = _validator(context["domain"], context["action"]).iter_errors(body)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors]


def test_the_schema_check_rejects_what_it_should() -> None:
    good = {"context": {"domain": "ONDC:LOG11", "country": "IND", "city": "std:080", "action": "on_status",
                        "core_version": "1.2.5", "bap_id": "b", "bap_uri": "https://b.example",
                        "transaction_id": "t", "message_id": "m", "timestamp": "2030-01-01T00:00:00.000Z"},
            "message": {"order": {"id": "O1", "state": "Accepted"}}}
    assert schema_errors(good) == []
    bad = {**good, "message": {"order": {"id": "O1", "tags": [{"code": "x", "list": [{"code": "y", "value": True}]}],
                                         "surprise": 1}}}
    found = schema_errors(bad)
    assert any("surprise" in e for e in found)
    assert any("True is not of type 'string'" in e for e in found)


# --- the rate card, computed independently of the courier's code (docs/logistics.md) --------------------------

CARD = {"STD": (Decimal("40"), Decimal("0.40"), Decimal("15")), "EXP": (Decimal("70"), Decimal("0.60"), Decimal("25"))}


def km_between(a: str, b: str) -> Decimal:
    (lat1, lng1), (lat2, lng2) = (tuple(math.radians(float(x)) for x in p.split(",")) for p in (a, b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lng2 - lng1) / 2) ** 2
    return Decimal(str(2 * 6371.0088 * math.asin(math.sqrt(h)))).quantize(Decimal("0.1"), ROUND_HALF_UP)


def expected_total(item: str, km: Decimal, kg: Decimal, dims_cm: tuple[int, int, int] = (0, 0, 0)) -> Decimal:
    base, per_km, per_slab = CARD[item]
    chargeable = max(kg, Decimal(dims_cm[0] * dims_cm[1] * dims_cm[2]) / 5000)
    slabs = max(1, math.ceil(chargeable / Decimal("0.5")))
    delivery = (base + per_km * km + per_slab * (slabs - 1)).quantize(Decimal("0.01"), ROUND_HALF_UP)
    return delivery + (delivery * Decimal("0.18")).quantize(Decimal("0.01"), ROUND_HALF_UP)


# --- the parties ---------------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _entries(subscriber: str, key_id: str, keys: KeySet, kind: str, url: str) -> list[RegistryEntry]:
    now = dt.datetime.now(dt.UTC)
    return [RegistryEntry(subscriber_id=subscriber, unique_key_id=key_id, signing_public_key=keys.signing_public_key,
                          encr_public_key=keys.encryption_public_key, valid_from=now - dt.timedelta(days=1),
                          valid_until=now + dt.timedelta(days=30), type=kind, domain=domain, city="*",
                          subscriber_url=url)
            for domain in ("ONDC:LOG10", "ONDC:LOG11")]


@dataclass
class World:
    courier: Courier
    server: CourierServer
    receiver: Receiver
    bap_keys: KeySet
    courier_keys: KeySet
    data_dir: pathlib.Path

    @property
    def url(self) -> str:
        return self.courier.info.bpp_uri

    def post(self, action: str, body: dict[str, Any], *, key: SigningKey | None = None,
             raw: bytes | None = None) -> requests.Response:
        data = raw if raw is not None else orjson.dumps(body)
        created = int(time.time())
        header = sign_request(data, subscriber_id=BAP_ID, unique_key_id=BAP_KEY_ID,
                              key=key or self.bap_keys.signing_key(), created=created, expires=created + 300)
        return requests.post(f"{self.url}/{action}", data=data, timeout=10,
                             headers={"Authorization": header, "Content-Type": "application/json"})

    def callbacks(self, action: str, count: int = 1, timeout: float = 10.0) -> list[dict[str, Any]]:
        """The first ``count`` callbacks of ``action``, each checked for the courier's signature and the OpenAPI."""
        deadline = time.monotonic() + timeout
        while len(self.receiver.posts(f"/{action}")) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        posts = self.receiver.posts(f"/{action}")
        assert len(posts) >= count, f"{len(posts)} {action} callback(s) after {timeout} s, wanted {count}"
        bodies = []
        for post in posts[:count]:
            verify_request(post.body, post.headers["Authorization"],
                           public_key_b64=self.courier_keys.signing_public_key, now=int(time.time()))
            assert COURIER_ID in post.headers["Authorization"]
            body = orjson.loads(post.body)
            assert body["context"]["bpp_id"] == COURIER_ID
            assert schema_errors(body) == [], schema_errors(body)
            bodies.append(body)
        return bodies

    def every_callback_passes_the_openapi(self) -> None:
        for post in self.receiver.posts():
            body = orjson.loads(post.body)
            assert schema_errors(body) == [], (post.path, schema_errors(body))

    def command(self, *args: str) -> Any:
        result = CliRunner().invoke(cli, ["courier", *args, "--url", self.url],
                                    env={"DATA_DIR": str(self.data_dir)})
        return result


def _world(tmp_path: pathlib.Path, step: float | None) -> Iterator[World]:
    bap_keys, courier_keys = generate_keyset(), generate_keyset()
    port = _free_port()
    with running_receiver() as receiver:
        registry = StaticRegistry([*_entries(BAP_ID, BAP_KEY_ID, bap_keys, "buyerApp", receiver.url),
                                   *_entries(COURIER_ID, COURIER_KEY_ID, courier_keys, "sellerApp",
                                             f"http://127.0.0.1:{port}")])
        store = Store(tmp_path / "courier.sqlite3")
        info = CourierInfo(bpp_id=COURIER_ID, bpp_uri=f"http://127.0.0.1:{port}",
                           public_url=f"http://127.0.0.1:{port}")
        sender = Sender(subscriber_id=COURIER_ID, key_id=COURIER_KEY_ID, key=courier_keys.signing_key(), store=store,
                        pause=0.05)
        courier = Courier(info, store, sender, step_seconds=step)
        token = control_token(load_settings({"DATA_DIR": str(tmp_path)}))
        server = CourierServer(CourierApp(courier, registry, token), "127.0.0.1", port, tick_seconds=0.05).start()
        try:
            yield World(courier, server, receiver, bap_keys, courier_keys, tmp_path)
        finally:
            server.stop()


@pytest.fixture
def world(tmp_path: pathlib.Path) -> Iterator[World]:
    """Parcels move only on command."""
    yield from _world(tmp_path, None)


@pytest.fixture
def fast_world(tmp_path: pathlib.Path) -> Iterator[World]:
    """Parcels move on their own, a state every 0.2 s."""
    yield from _world(tmp_path, 0.2)


# --- requests ------------------------------------------------------------------------------------------------


def context(action: str, domain: str, transaction_id: str, receiver: Receiver, **extra: Any) -> dict[str, Any]:
    ctx = {"domain": domain, "country": "IND", "city": "std:080", "action": action, "core_version": "1.2.5",
           "bap_id": BAP_ID, "bap_uri": receiver.url, "transaction_id": transaction_id,
           "message_id": str(uuid.uuid4()), "timestamp": format_timestamp(dt.datetime.now(dt.UTC)), "ttl": "PT30S"}
    if action != "search":
        ctx |= {"bpp_id": COURIER_ID, "bpp_uri": f"{receiver.url}-unused"}
    return ctx | extra


def search(domain: str, receiver: Receiver, *, start: str = CHAMBA, end: str = BENGALURU, kg: float = 1.2,
           dims: tuple[int, int, int] = (20, 15, 5), category: str | None = None) -> dict[str, Any]:
    intent: dict[str, Any] = {
        "fulfillment": {"type": "Delivery",
                        "start": {"location": {"gps": start, "address": {"area_code": "176310"}}},
                        "end": {"location": {"gps": end, "address": {"area_code": "560001"}}}},
        "@ondc/org/payload_details": {
            "weight": {"unit": "kilogram", "value": kg}, "category": "Handicraft", "dangerous_goods": False,
            "dimensions": {side: {"unit": "centimeter", "value": value}
                           for side, value in zip(("length", "breadth", "height"), dims, strict=True)},
            "value": {"currency": "INR", "value": "1800.00"}},
        "payment": {"type": "POST-FULFILLMENT"},
    }
    if category:
        intent["category"] = {"id": category}
    return {"context": context("search", domain, str(uuid.uuid4()), receiver), "message": {"intent": intent}}


def stops(end: str = BENGALURU, drop_note: str = "") -> tuple[dict[str, Any], dict[str, Any]]:
    start = {"location": {"gps": CHAMBA, "address": {
        "name": "Chamba Rumal Kala Sangh", "building": "Chowgan Road", "locality": "Chowgan", "city": "Chamba",
        "state": "Himachal Pradesh", "country": "IND", "area_code": "176310"}},
             "contact": {"phone": "9816000001", "email": "orders@chamba.example"}}
    drop = {"location": {"gps": end, "address": {"name": f"Flat 4 {drop_note}".strip(), "building": "Lake View",
                                                 "locality": "Indiranagar", "city": "Bengaluru", "state": "Karnataka",
                                                 "country": "IND", "area_code": "560038"}},
            "contact": {"phone": "9999999999", "email": "buyer@example.com"}, "person": {"name": "Test Buyer"}}
    return start, drop


def init(domain: str, transaction_id: str, receiver: Receiver, item: str = "STD") -> dict[str, Any]:
    start, end = stops()
    return {"context": context("init", domain, transaction_id, receiver), "message": {"order": {
        "provider": {"id": "odop-test-courier"}, "items": [{"id": item, "category_id": "Standard Delivery",
                                                            "fulfillment_id": "1"}],
        "fulfillments": [{"id": "1", "type": "Delivery", "start": start, "end": end}],
        "billing": {"name": "ODOP adapter", "address": start["location"]["address"], "phone": "9816000001",
                    "tax_number": "02AAACO1234A1Z5", "created_at": "2030-01-01T00:00:00.000Z",
                    "updated_at": "2030-01-01T00:00:00.000Z"},
        "payment": {"type": "POST-FULFILLMENT", "collected_by": "BAP", "@ondc/org/settlement_basis": "invoicing",
                    "@ondc/org/settlement_window": "P15D"},
        "tags": [{"code": "bap_terms", "list": [{"code": "accept_bpp_terms", "value": "true"}]}]}}}


def confirm(domain: str, transaction_id: str, receiver: Receiver, order_id: str, *, item: str = "STD",
            ready: bool = True, drop_note: str = "") -> dict[str, Any]:
    start, end = stops(drop_note=drop_note)
    order = init(domain, transaction_id, receiver, item)["message"]["order"]
    order["fulfillments"] = [{"id": "1", "type": "Delivery", "start": start, "end": end, "tags": [
        {"code": "linked_order", "list": [{"code": "id", "value": "RO-1"}, {"code": "weight_value", "value": "1.2"}]},
        {"code": "state", "list": [{"code": "ready_to_ship", "value": "yes" if ready else "no"}]}]}]
    order |= {"id": order_id, "state": "Created", "created_at": format_timestamp(dt.datetime.now(dt.UTC)),
              "updated_at": format_timestamp(dt.datetime.now(dt.UTC))}
    return {"context": context("confirm", domain, transaction_id, receiver), "message": {"order": order}}


def book(world: World, domain: str = "ONDC:LOG11", **options: Any) -> tuple[str, str, dict[str, Any]]:
    """search, init and confirm one parcel; (transaction_id, order_id, on_confirm order)."""
    found = search(domain, world.receiver)
    transaction_id = found["context"]["transaction_id"]
    assert world.post("search", found).status_code == 200
    assert world.post("init", init(domain, transaction_id, world.receiver)).status_code == 200
    order_id = f"O-{uuid.uuid4().hex[:8]}"
    before = len(world.receiver.posts("/on_confirm"))
    booking = confirm(domain, transaction_id, world.receiver, order_id, **options)
    assert world.post("confirm", booking).status_code == 200
    confirmed = world.callbacks("on_confirm", before + 1)[-1]
    return transaction_id, order_id, confirmed["message"]["order"]


def delivery_state(body: dict[str, Any]) -> str:
    fulfilment = next(f for f in body["message"]["order"]["fulfillments"] if f["type"] == "Delivery")
    return str(fulfilment["state"]["descriptor"]["code"])


def awb_of(order: dict[str, Any]) -> str:
    return str(order["fulfillments"][0]["@ondc/org/awb_no"])


# --- search --------------------------------------------------------------------------------------------------


def test_a_signed_search_gets_a_signed_catalogue_priced_by_distance_and_weight(world: World) -> None:
    answer = world.post("search", search("ONDC:LOG11", world.receiver))
    assert answer.status_code == 200
    assert answer.json() == {"message": {"ack": {"status": "ACK"}}}
    body = world.callbacks("on_search")[0]
    provider = body["message"]["catalog"]["bpp/providers"][0]
    prices = {item["id"]: Decimal(item["price"]["value"]) for item in provider["items"]}
    km = km_between(CHAMBA, BENGALURU)
    assert prices["STD"] == expected_total("STD", km, Decimal("1.2"))
    assert prices["EXP"] == expected_total("EXP", km, Decimal("1.2"))
    assert {item["category_id"] for item in provider["items"]} == {"Standard Delivery", "Express Delivery"}
    assert {"STD-RTO", "EXP-RTO"} <= prices.keys()
    distance = provider["fulfillments"][0]["tags"][0]["list"]
    assert {"code": "motorable_distance", "value": f"{km}"} in distance
    tat = {c["id"]: c["time"]["duration"] for c in provider["categories"]}
    assert tat == {"Standard Delivery": "P7D", "Express Delivery": "P3D"}  # over 1500 km away


def test_prices_follow_distance_weight_and_volume(world: World) -> None:
    cases = {
        "near": search("ONDC:LOG11", world.receiver, end=DELHI, category="Standard Delivery"),
        "far": search("ONDC:LOG11", world.receiver, end=BENGALURU, category="Standard Delivery"),
        "heavy": search("ONDC:LOG11", world.receiver, end=DELHI, kg=4.1, category="Standard Delivery"),
        "bulky": search("ONDC:LOG11", world.receiver, end=DELHI, kg=0.4, dims=(50, 40, 30),
                        category="Standard Delivery"),
    }
    for body in cases.values():
        assert world.post("search", body).status_code == 200
    bodies = {b["context"]["message_id"]: b for b in world.callbacks("on_search", len(cases))}
    price = {name: Decimal(bodies[body["context"]["message_id"]]["message"]["catalog"]["bpp/providers"][0]["items"][0]
                           ["price"]["value"]) for name, body in cases.items()}
    near = km_between(CHAMBA, DELHI)
    assert price["near"] == expected_total("STD", near, Decimal("1.2"))
    assert price["far"] > price["near"]
    assert price["heavy"] == expected_total("STD", near, Decimal("4.1")) > price["near"]
    # 50 x 40 x 30 cm weighs 12 kg by volume: billed as 24 slabs, not as the 400 g it weighs.
    assert price["bulky"] == expected_total("STD", near, Decimal("0.4"), (50, 40, 30)) > price["heavy"]


def test_a_hyperlocal_search_too_far_away_gets_an_error(world: World) -> None:
    assert world.post("search", search("ONDC:LOG10", world.receiver, start=BENGALURU, end=DELHI)).status_code == 200
    body = world.callbacks("on_search")[0]
    assert body["error"]["code"] == "60002"
    assert "message" not in body
    near = search("ONDC:LOG10", world.receiver, start=BENGALURU, end=KORAMANGALA, category="Express Delivery")
    assert world.post("search", near).status_code == 200
    answer = world.callbacks("on_search", 2)[1]
    items = answer["message"]["catalog"]["bpp/providers"][0]["items"]
    assert [i["id"] for i in items] == ["EXP", "EXP-RTO"]
    assert answer["message"]["catalog"]["bpp/providers"][0]["categories"][0]["time"]["duration"] == "PT4H"


# --- bad requests ----------------------------------------------------------------------------------------------


def test_a_bad_signature_gets_401_and_no_callback(world: World) -> None:
    body = search("ONDC:LOG11", world.receiver)
    forged = world.post("search", body, key=generate_keyset().signing_key())
    assert forged.status_code == 401
    assert forged.json()["message"]["ack"]["status"] == "NACK"
    assert forged.json()["error"]["code"] == "60005"
    assert "Signature" in forged.headers["WWW-Authenticate"]
    unsigned = requests.post(f"{world.url}/search", data=orjson.dumps(body), timeout=10,
                             headers={"Content-Type": "application/json"})
    assert unsigned.status_code == 401
    assert unsigned.json()["error"]["code"] == "60005"
    # Signed by the right key over other bytes than the ones sent.
    created = int(time.time())
    header = sign_request(orjson.dumps(body), subscriber_id=BAP_ID, unique_key_id=BAP_KEY_ID,
                          key=world.bap_keys.signing_key(), created=created, expires=created + 300)
    tampered = requests.post(f"{world.url}/search", data=orjson.dumps(body) + b" ", timeout=10,
                             headers={"Authorization": header, "Content-Type": "application/json"})
    assert tampered.status_code == 401
    # The same bytes, well signed, are answered.
    assert world.post("search", body, raw=orjson.dumps(body) + b" ").status_code == 200
    time.sleep(0.5)
    assert len(world.receiver.posts("/on_search")) == 1  # only the well-signed one was answered


@pytest.mark.parametrize(("change", "path"), [
    (lambda b: b["message"]["intent"]["fulfillment"]["end"]["location"].pop("gps"),
     "message.intent.fulfillment.end.location.gps"),
    (lambda b: b["message"]["intent"]["fulfillment"]["start"]["location"].update(gps="north of here"),
     "message.intent.fulfillment.start.location.gps"),
    (lambda b: b["message"]["intent"]["@ondc/org/payload_details"]["weight"].update(value=-1),
     "message.intent.@ondc/org/payload_details.weight.value"),
    (lambda b: b["message"]["intent"]["@ondc/org/payload_details"]["weight"].update(unit="pound"),
     "message.intent.@ondc/org/payload_details.weight.unit"),
    (lambda b: b["context"].update(domain="ONDC:RET16"), "context.domain"),
    (lambda b: b["context"].update(core_version="1.1.0"), "context.core_version"),
    (lambda b: b.pop("message"), "message"),
])
def test_a_malformed_request_gets_a_nack_with_the_spec_code_and_path(world: World, change: Any, path: str) -> None:
    body = search("ONDC:LOG11", world.receiver)
    change(body)
    answer = world.post("search", body)
    assert answer.status_code == 400
    assert answer.json()["message"]["ack"]["status"] == "NACK"
    assert answer.json()["error"]["code"] == "60006"
    assert answer.json()["error"]["path"] == path


def test_not_json_stale_and_wrong_bpp_are_refused(world: World) -> None:
    not_json = world.post("search", {}, raw=b"{not json")
    assert (not_json.status_code, not_json.json()["error"]["code"]) == (400, "60006")
    stale = search("ONDC:LOG11", world.receiver)
    stale["context"]["timestamp"] = format_timestamp(dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5))
    answer = world.post("search", stale)
    assert (answer.status_code, answer.json()["error"]["code"]) == (400, "65003")
    other = {"context": context("status", "ONDC:LOG11", "t1", world.receiver, bpp_id="someone.else"),
             "message": {"order_id": "O1"}}
    answer = world.post("status", other)
    assert (answer.status_code, answer.json()["error"]["path"]) == (400, "context.bpp_id")
    elsewhere = search("ONDC:LOG11", world.receiver)
    elsewhere["context"]["bap_uri"] = "http://10.0.0.7/callbacks"  # not the host the buyer registered
    answer = world.post("search", elsewhere)
    assert (answer.status_code, answer.json()["error"]["path"]) == (400, "context.bap_uri")
    unreadable = search("ONDC:LOG11", world.receiver)
    unreadable["context"]["bap_uri"] = "http://[::1/callbacks"  # urllib cannot read a host in it
    answer = world.post("search", unreadable)
    assert (answer.status_code, answer.json()["error"]["path"]) == (400, "context.bap_uri")
    time.sleep(0.3)
    assert world.receiver.posts() == []


def test_a_repeated_request_is_answered_once(world: World) -> None:
    body = search("ONDC:LOG11", world.receiver)
    assert world.post("search", body).status_code == 200
    assert world.post("search", body).status_code == 200
    world.callbacks("on_search")
    time.sleep(0.3)
    assert len(world.receiver.posts("/on_search")) == 1


# --- booking -----------------------------------------------------------------------------------------------------


def test_init_and_confirm_give_the_quote_an_awb_a_label_and_a_pickup_slot(world: World) -> None:
    found = search("ONDC:LOG11", world.receiver)
    transaction_id = found["context"]["transaction_id"]
    world.post("search", found)
    quoted = world.callbacks("on_search")[0]["message"]["catalog"]["bpp/providers"][0]["items"]
    std = next(Decimal(i["price"]["value"]) for i in quoted if i["id"] == "STD")
    assert world.post("init", init("ONDC:LOG11", transaction_id, world.receiver)).status_code == 200
    on_init = world.callbacks("on_init")[0]["message"]["order"]
    assert Decimal(on_init["quote"]["price"]["value"]) == std
    assert {b["@ondc/org/title_type"] for b in on_init["quote"]["breakup"]} == {"delivery", "tax"}
    assert on_init["payment"]["@ondc/org/settlement_details"][0]["settlement_counterparty"] == "lsp"

    assert world.post("confirm", confirm("ONDC:LOG11", transaction_id, world.receiver, "O-42")).status_code == 200
    order = world.callbacks("on_confirm")[0]["message"]["order"]
    fulfilment = order["fulfillments"][0]
    awb = fulfilment["@ondc/org/awb_no"]
    assert len(awb) == 14
    assert awb.isdigit()
    assert (order["id"], order["state"], fulfilment["state"]["descriptor"]["code"]) == ("O-42", "Accepted", "Pending")
    assert Decimal(order["quote"]["price"]["value"]) == std
    slot = fulfilment["start"]["time"]["range"]
    assert slot["start"] < slot["end"]
    label = next(t for t in fulfilment["tags"] if t["code"] == "shipping_label")["list"]
    label_url = next(e["value"] for e in label if e["code"] == "url")
    assert label_url == f"{world.url}/labels/{awb}.pdf"
    pdf = requests.get(label_url, timeout=10)
    assert pdf.status_code == 200
    assert pdf.headers["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    page = requests.get(f"{world.url}/track/{awb}", timeout=10)
    assert page.status_code == 200
    assert awb in page.text
    assert "Pending" in page.text

    # The same confirm again: the same booking, not a second parcel.
    world.post("confirm", confirm("ONDC:LOG11", transaction_id, world.receiver, "O-42"))
    again = world.callbacks("on_confirm", 2)[1]["message"]["order"]
    assert again["fulfillments"][0]["@ondc/org/awb_no"] == awb
    assert len(world.courier.store.shipments()) == 1


def test_init_without_a_search_gets_quote_unavailable(world: World) -> None:
    world.post("init", init("ONDC:LOG11", str(uuid.uuid4()), world.receiver))
    assert world.callbacks("on_init")[0]["error"]["code"] == "66005"
    transaction_id, _, _ = book(world)
    world.post("init", init("ONDC:LOG11", transaction_id, world.receiver, item="NOPE"))
    assert world.callbacks("on_init", 3)[2]["error"]["code"] == "66002"


# --- moving parcels ------------------------------------------------------------------------------------------------


def test_move_pushes_on_status_in_order_through_the_log11_states(world: World) -> None:
    transaction_id, order_id, order = book(world)
    awb = awb_of(order)
    for state in LOG11_STATES:
        result = world.command("move", awb, "--to", state)
        assert result.exit_code == 0, result.output
        assert state in result.output
    statuses = world.callbacks("on_status", len(LOG11_STATES))
    assert [delivery_state(b) for b in statuses] == LOG11_STATES
    assert len({b["context"]["message_id"] for b in statuses}) == len(statuses)  # unsolicited: new ids
    assert {b["context"]["transaction_id"] for b in statuses} == {transaction_id}
    picked = statuses[1]["message"]["order"]["fulfillments"][0]
    assert picked["start"]["time"]["timestamp"]
    assert picked["agent"]["name"]
    done = statuses[-1]["message"]["order"]
    assert done["state"] == "Completed"
    assert done["fulfillments"][0]["end"]["time"]["timestamp"]
    assert [s for s, _ in world.courier.store.history(awb)] == ["Pending", *LOG11_STATES]

    back = world.command("move", awb, "--to", "In-transit")
    assert back.exit_code == 1
    assert "Order-delivered" in back.output
    unknown = world.command("move", "12345", "--to", "In-transit")
    assert unknown.exit_code == 1
    assert "no shipment" in unknown.output
    # /status and /track answer from the same parcel.
    world.post("status", {"context": context("status", "ONDC:LOG11", transaction_id, world.receiver),
                          "message": {"order_id": order_id}})
    assert delivery_state(world.callbacks("on_status", len(LOG11_STATES) + 1)[-1]) == "Order-delivered"
    world.every_callback_passes_the_openapi()


def test_moves_that_make_no_sense_are_refused(world: World) -> None:
    _, _, order = book(world)
    awb = awb_of(order)
    refused = {state: world.command("move", awb, "--to", state) for state in
               ("At-pickup", "RTO-Initiated", "RTO-Delivered", "Delivered")}
    assert all(r.exit_code == 1 for r in refused.values())
    assert "only after it was picked up" in refused["RTO-Initiated"].output
    assert "not a ONDC:LOG11 fulfilment state" in refused["Delivered"].output
    assert world.receiver.posts("/on_status") == []


def test_the_schedule_moves_a_parcel_to_delivery_on_its_own(fast_world: World) -> None:
    book(fast_world)
    statuses = fast_world.callbacks("on_status", len(LOG11_STATES), timeout=15)
    assert [delivery_state(b) for b in statuses] == LOG11_STATES
    time.sleep(0.5)
    assert len(fast_world.receiver.posts("/on_status")) == len(LOG11_STATES)  # and then it stops


def test_a_confirm_not_ready_to_ship_waits_for_the_update(fast_world: World) -> None:
    transaction_id, order_id, _ = book(fast_world, ready=False)
    time.sleep(0.6)
    assert fast_world.receiver.posts("/on_status") == []
    update = {"context": context("update", "ONDC:LOG11", transaction_id, fast_world.receiver),
              "message": {"update_target": "fulfillment", "order": {"id": order_id, "fulfillments": [
                  {"id": "1", "type": "Delivery", "tags": [
                      {"code": "state", "list": [{"code": "ready_to_ship", "value": "true"}]}]}]}}}
    assert fast_world.post("update", update).status_code == 200
    assert delivery_state(fast_world.callbacks("on_update")[0]) == "Pending"
    statuses = fast_world.callbacks("on_status", len(LOG11_STATES), timeout=15)
    assert [delivery_state(b) for b in statuses] == LOG11_STATES


def test_a_flag_on_the_order_sends_the_parcel_back(fast_world: World) -> None:
    book(fast_world, drop_note="courier:rto")
    on_cancel = fast_world.callbacks("on_cancel", timeout=15)[0]
    order = on_cancel["message"]["order"]
    assert [delivery_state(b) for b in fast_world.callbacks("on_status", 5)] == LOG11_STATES[:-1]
    delivery, rto = order["fulfillments"]
    assert (delivery["state"]["descriptor"]["code"], rto["type"], rto["state"]["descriptor"]["code"]) == \
        ("RTO", "RTO", "RTO-Initiated")
    assert rto["start"]["time"]["timestamp"]
    precancel = next(t for t in delivery["tags"] if t["code"] == "precancel_state")["list"]
    assert {"code": "fulfillment_state", "value": "Out-for-delivery"} in precancel
    assert any(t["code"] == "rto_event" for t in delivery["tags"])
    assert order["cancellation"]["cancelled_by"] == COURIER_ID
    assert {b["@ondc/org/title_type"] for b in order["quote"]["breakup"]} == {"delivery", "tax", "rto"}
    finished = fast_world.callbacks("on_status", 6, timeout=15)[-1]["message"]["order"]
    rto_done = next(f for f in finished["fulfillments"] if f["type"] == "RTO")
    assert rto_done["state"]["descriptor"]["code"] == "RTO-Delivered"
    assert rto_done["end"]["time"]["timestamp"]
    time.sleep(0.5)
    assert len(fast_world.receiver.posts("/on_status")) == 6
    fast_world.every_callback_passes_the_openapi()


def test_rto_and_failed_pickup_by_command(world: World) -> None:
    _, _, order = book(world)
    awb = awb_of(order)
    for state in ("Agent-assigned", "Order-picked-up", "In-transit"):
        assert world.command("move", awb, "--to", state).exit_code == 0
    assert world.command("move", awb, "--to", "RTO-Initiated").exit_code == 0
    assert world.callbacks("on_cancel")[0]["message"]["order"]["fulfillments"][1]["state"]["descriptor"]["code"] \
        == "RTO-Initiated"
    assert world.command("move", awb, "--to", "Order-delivered").exit_code == 1
    assert world.command("move", awb, "--to", "RTO-Delivered").exit_code == 0

    _, _, second = book(world)
    failing = awb_of(second)
    assert world.command("scenario", failing, "fail-pickup").exit_code == 0
    listed = world.command("list")
    assert failing in listed.output
    assert "fail-pickup" in listed.output
    world.courier.step_seconds = 0.05  # let the schedule take it from here
    world.courier.store.plan(failing, next_at=time.time())
    deadline = time.monotonic() + 10
    while world.courier.store.shipment(awb=failing).state != "Pickup-failed" and time.monotonic() < deadline:  # type: ignore[union-attr]
        time.sleep(0.05)
    time.sleep(0.3)
    assert [s for s, _ in world.courier.store.history(failing)] == ["Pending", "Agent-assigned", "Pickup-failed"]
    assert world.command("move", failing, "--to", "Pickup-rescheduled").exit_code == 0
    world.every_callback_passes_the_openapi()


# --- cancel, status, track ---------------------------------------------------------------------------------------


def test_cancel_before_pickup_cancels_and_after_pickup_sends_back(world: World) -> None:
    transaction_id, order_id, _ = book(world)
    wrong = {"context": context("cancel", "ONDC:LOG11", transaction_id, world.receiver),
             "message": {"order_id": order_id, "cancellation_reason_id": "150"}}  # a LOG10 reason
    world.post("cancel", wrong)
    assert world.callbacks("on_cancel")[0]["error"]["code"] == "60009"
    good = {"context": context("cancel", "ONDC:LOG11", transaction_id, world.receiver),
            "message": {"order_id": order_id, "cancellation_reason_id": "250"}}
    world.post("cancel", good)
    cancelled = world.callbacks("on_cancel", 2)[1]["message"]["order"]
    assert (cancelled["state"], delivery_state({"message": {"order": cancelled}})) == ("Cancelled", "Cancelled")
    assert Decimal(cancelled["quote"]["price"]["value"]) == 0  # no rider was assigned: nothing to pay
    again = {"context": context("cancel", "ONDC:LOG11", transaction_id, world.receiver),
             "message": {"order_id": order_id, "cancellation_reason_id": "250"}}
    world.post("cancel", again)
    assert world.callbacks("on_cancel", 3)[2]["error"]["code"] == "60007"

    transaction_id, order_id, order = book(world)
    for state in ("Agent-assigned", "Order-picked-up"):
        world.command("move", awb_of(order), "--to", state)
    world.post("cancel", {"context": context("cancel", "ONDC:LOG11", transaction_id, world.receiver),
                          "message": {"order_id": order_id, "cancellation_reason_id": "250"}})
    back = world.callbacks("on_cancel", 4)[3]["message"]["order"]
    assert [f["state"]["descriptor"]["code"] for f in back["fulfillments"]] == ["RTO", "RTO-Initiated"]
    assert back["cancellation"]["cancelled_by"] == BAP_ID
    world.every_callback_passes_the_openapi()


def test_track_answers_with_the_tracking_url_and_gps(world: World) -> None:
    transaction_id, order_id, order = book(world)
    awb = awb_of(order)
    world.command("move", awb, "--to", "Agent-assigned")
    world.command("move", awb, "--to", "Order-picked-up")
    world.post("track", {"context": context("track", "ONDC:LOG11", transaction_id, world.receiver),
                         "message": {"order_id": order_id}})
    tracking = world.callbacks("on_track")[0]["message"]["tracking"]
    assert tracking["url"] == f"{world.url}/track/{awb}"
    assert tracking["status"] == "active"
    assert tracking["location"]["gps"] != CHAMBA  # on its way
    page = requests.get(tracking["url"], params={"format": "json"}, timeout=10).json()
    assert page["state"] == "Order-picked-up"
    assert [h["state"] for h in page["history"]] == ["Pending", "Agent-assigned", "Order-picked-up"]
    world.post("track", {"context": context("track", "ONDC:LOG11", transaction_id, world.receiver),
                         "message": {"order_id": "nobody"}})
    assert world.callbacks("on_track", 2)[1]["error"]["code"] == "66004"
    assert requests.get(f"{world.url}/track/999", timeout=10).status_code == 404
    assert requests.get(f"{world.url}/labels/../x.pdf", timeout=10).status_code == 404


def test_hyperlocal_parcels_skip_the_hub(world: World) -> None:
    found = search("ONDC:LOG10", world.receiver, start=BENGALURU, end=KORAMANGALA)
    transaction_id = found["context"]["transaction_id"]
    world.post("search", found)
    world.callbacks("on_search")
    world.post("confirm", confirm("ONDC:LOG10", transaction_id, world.receiver, "O-local"))
    awb = awb_of(world.callbacks("on_confirm")[0]["message"]["order"])
    hub = world.command("move", awb, "--to", "In-transit")
    assert hub.exit_code == 1
    assert "not a ONDC:LOG10 fulfilment state" in hub.output
    assert world.command("scenario", awb, "fail-pickup").exit_code == 1
    for state in ("Agent-assigned", "Order-picked-up", "Out-for-delivery", "Order-delivered"):
        assert world.command("move", awb, "--to", state).exit_code == 0
    assert [delivery_state(b) for b in world.callbacks("on_status", 4)] == \
        ["Agent-assigned", "Order-picked-up", "Out-for-delivery", "Order-delivered"]


def test_commands_need_the_control_token(world: World) -> None:
    answer = requests.post(f"{world.url}/_courier/shipments", data=b"{}", timeout=10,
                           headers={"Authorization": "Bearer wrong"})
    assert answer.status_code == 401


def test_a_parcel_heavier_than_declared_is_charged_the_difference(world: World) -> None:
    """ONDC's weight differential: declared 1.2 kg (3 slabs), weighed 2.1 kg at pickup (5 slabs): two further
    Standard slabs at ₹15, plus 18% GST, as diff and tax_diff lines of an unsolicited on_update."""
    _, _, order = book(world)
    awb = awb_of(order)
    assert world.command("reweigh", awb, "--kg", "2.1").exit_code == 1  # not picked up yet
    for state in ("Agent-assigned", "Order-picked-up"):
        assert world.command("move", awb, "--to", state).exit_code == 0
    assert world.command("reweigh", awb, "--kg", "1.0").exit_code == 1  # lighter: nothing to charge
    result = world.command("reweigh", awb, "--kg", "2.1")
    assert result.exit_code == 0, result.output
    (update,) = world.callbacks("on_update")
    read = read_order(update["message"])
    assert read.extra is not None
    assert (read.extra.amount, read.extra.tax, read.extra.weight_kg) == (Decimal("30.00"), Decimal("5.40"),
                                                                         Decimal("2.1"))
    assert read.extra.proof is not None
    assert read.extra.proof.startswith(world.url)
    assert read.state == "Order-picked-up"  # the parcel did not move
    quote = update["message"]["order"]["quote"]
    assert Decimal(quote["price"]["value"]) == sum(Decimal(b["price"]["value"]) for b in quote["breakup"])
    world.every_callback_passes_the_openapi()

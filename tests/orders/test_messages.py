"""The order callback builders (adapter.orders.messages) against ONDC's OpenAPI and its RET16 examples.

Each builder's message, wrapped in a correct context, must (a) pass the vendored RET16 and RET10 1.2.5 OpenAPI
(RET10 is the same contract with additionalProperties: false, so unknown keys fail) with only the exceptions in
ORDER_OPENAPI_EXCEPTIONS, (b) carry every key the matching ONDC example carries (less the listed optional
ones), (c) keep quote.price equal to the sum of the breakup, and (d) reproduce the order state, fulfilment
states and timestamps of the RET16 status progression examples.
"""

from __future__ import annotations

import copy
import functools
import json
import pathlib
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from jsonschema import Draft7Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

from adapter.orders import states
from adapter.orders.delivery_terms import DeliveryTerms
from adapter.orders.messages import (
    on_init_message,
    on_select_error,
    on_select_message,
    on_track_message,
    order_message,
)
from adapter.orders.quote import SelectionResult, check_selection, quote_trail_tag, requote_after_cancel
from adapter.orders.records import (
    Address,
    BppTerms,
    Cancellation,
    Contact,
    FulfilmentView,
    OrderItemView,
    OrderView,
    Settlement,
    Stop,
)
from adapter.protocol.context import build_context
from catalog_sync.model import Serviceability
from tests.contract.conftest import openapi
from tests.orders.test_quote import make_item, make_location, make_profile

EXAMPLES = pathlib.Path(__file__).resolve().parents[1] / "fixtures" / "ondc" / "examples"
PROGRESSION = "variants/status_progression_RET16_v1.2.0"
SCHEMA_FILES = ("retail-1.2.5-RET16-openapi.yaml", "retail-1.2.5-RET10-openapi.yaml")

# Where ONDC's OpenAPI and its examples disagree we follow the examples (as tests/contract/conftest.py does);
# these are patched into the schema below, on top of that file's OPENAPI_EXCEPTIONS. Everything else is enforced.
ORDER_OPENAPI_EXCEPTIONS = {
    "OrderFulfillment.type": "enum is Delivery|Pickup|Delivery and Pickup|Reverse QC, but ONDC's on_cancel, "
    "on_update and on_status examples (and PROTOCOL.md §4) add Cancel, RTO and Return fulfilments",
    "Payment.@ondc/org/buyer_app_finder_fee_type": "enum is Amount|Percent, but every ONDC on_init/on_confirm/"
    "on_status example echoes the buyer's lower-case 'percent'",
    "Order.cancellation.reason.state": "required by the OpenAPI, but every ONDC on_cancel example "
    "(full, force, RTO, return) sends reason{id} only",
}


def _patched(doc: dict[str, Any]) -> dict[str, Any]:
    doc = copy.deepcopy(doc)
    schemas = doc["components"]["schemas"]
    ftype = schemas["OrderFulfillment"]["properties"]["type"]
    ftype["enum"] = sorted({*ftype["enum"], "Cancel", "RTO", "Return"})
    fee = schemas["Payment"]["properties"]["@ondc/org/buyer_app_finder_fee_type"]
    fee["enum"] = sorted({*fee["enum"], "percent", "amount"})
    reason = schemas["Order"]["properties"]["cancellation"]["properties"]["reason"]
    reason["required"] = [key for key in reason["required"] if key != "state"]
    return doc


@functools.cache
def _validator(filename: str, action: str, *, patched: bool = True) -> Draft7Validator:
    doc = _patched(openapi(filename)) if patched else openapi(filename)
    uri = f"urn:ondc:orders:{filename}:{patched}"
    registry: Registry[Any] = Registry().with_resource(uri, Resource.from_contents(doc, default_specification=DRAFT7))
    pointer = f"/paths/~1{action}/post/requestBody/content/application~1json/schema"
    return Draft7Validator({"$ref": f"{uri}#{pointer}"}, registry=registry)


def schema_errors(body: dict[str, Any], *, patched: bool = True) -> list[str]:
    action = body["context"]["action"]
    return [
        f"{filename}: {'/'.join(map(str, e.absolute_path))}: {e.message}"
        for filename in SCHEMA_FILES
        for e in _validator(filename, action, patched=patched).iter_errors(body)
    ]


def load_example(relpath: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EXAMPLES / relpath).read_text(encoding="utf-8"))
    return data


# --- "keys of the example are keys we emit" -------------------------------------------------------------

_DISCRIMINATORS = ("@ondc/org/title_type", "code", "type")


def _group(element: Any) -> str:
    if isinstance(element, dict):
        for key in _DISCRIMINATORS:
            value = element.get(key)
            if isinstance(value, str):
                return value
    return "*"


def _merge(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    out = dict(a)
    for key, value in b.items():
        out[key] = _merge(out[key], value) if key in out else value
    return out


def shape(value: Any) -> dict[str, Any]:
    """The key tree of a JSON value. List elements are merged per discriminator (title_type, code or type),
    so a breakup's item lines are compared with item lines and a Cancel fulfilment with a Cancel fulfilment."""
    if isinstance(value, dict):
        return {key: shape(sub) for key, sub in value.items()}
    if isinstance(value, list):
        out: dict[str, Any] = {}
        for element in value:
            key = f"[{_group(element)}]"
            out[key] = _merge(out.get(key, {}), shape(element))
        return out
    return {}


def missing_keys(example: Any, ours: Any, optional: Iterable[str] = ()) -> list[str]:
    """Paths (``order.fulfillments[Delivery].start.time``) present in the example but not in ours."""
    skip = set(optional)
    missing: list[str] = []

    def walk(theirs: dict[str, Any], mine: dict[str, Any], path: str) -> None:
        for key, sub in theirs.items():
            here = f"{path}{key}" if key.startswith("[") or not path else f"{path}.{key}"
            if here in skip:
                continue
            if key not in mine:
                missing.append(here)
            else:
                walk(sub, mine[key], here)

    walk(shape(example), shape(ours), "")
    return missing


def test_missing_keys_helper_finds_gaps_and_honours_optional() -> None:
    example = {"order": {"id": "1", "tags": [{"code": "a", "list": [{"code": "x", "value": "1"}]}],
                         "fulfillments": [{"type": "Delivery", "start": {"time": {"timestamp": "t"}}}]}}
    ours = {"order": {"id": "2", "tags": [{"code": "a", "list": []}],
                      "fulfillments": [{"type": "Delivery", "start": {}}, {"type": "Cancel"}]}}
    assert missing_keys(example, ours) == ["order.tags[a].list[x]", "order.fulfillments[Delivery].start.time"]
    assert missing_keys(example, ours, ["order.tags[a].list[x]", "order.fulfillments[Delivery].start.time"]) == []
    assert missing_keys(ours, example) == ["order.fulfillments[Cancel]"]


# --- a Chamba Rumal order for a buyer in Shimla ---------------------------------------------------------

NOW = datetime(2030, 1, 14, 5, 0, tzinfo=UTC)  # Monday 10:30 IST: the cooperative is open
TXN = "5b3f4c9e-2a7d-4f8b-9c1e-0d6a7b8c9d01"
PROVIDER = "chamba-rumal-coop"
LOCATION = "chamba-main"
TERMS = DeliveryTerms(flat_fee=Decimal(80), convenience_fee=Decimal(3))
ITEMS = {
    "CR-KRISHNA-18": make_item("CR-KRISHNA-18", "4500", name="Chamba Rumal - Krishna Leela, silk, 18x18 in",
                               location_id=LOCATION, time_to_ship="P2D"),
    "CR-RAAS-24": make_item("CR-RAAS-24", "6200", name="Chamba Rumal - Raas Mandal wall piece, 24x24 in",
                            location_id=LOCATION, time_to_ship="P3D"),
}
STORE = Address(name="Chamba Rumal Cooperative", building="Near Chaugan", locality="Court Road", city="Chamba",
                state="Himachal Pradesh", country="IND", area_code="176310")
BUYER = Address(name="Flat 4, Rose Villa", building="Rose Villa", locality="Mall Road", city="Shimla",
                state="Himachal Pradesh", country="IND", area_code="171001")
BUYER_CONTACT = Contact(phone="9816012345", email="meera.thakur@example.in")
BILLING: dict[str, Any] = {
    "name": "Meera Thakur",
    "address": {"name": BUYER.name, "building": BUYER.building, "locality": BUYER.locality, "city": BUYER.city,
                "state": BUYER.state, "country": BUYER.country, "area_code": BUYER.area_code},
    "email": BUYER_CONTACT.email,
    "phone": BUYER_CONTACT.phone,
    "created_at": "2030-01-14T05:01:02.345Z",
    "updated_at": "2030-01-14T05:01:02.345Z",
}
SETTLEMENT = Settlement(kind="neft", account_no="50100012345678", ifsc="HDFC0001234", bank_name="HDFC Bank",
                        branch="Chamba", beneficiary="Chamba Rumal Cooperative Society")
SETTLEMENT_ENTRY = {
    "settlement_counterparty": "seller-app",
    "settlement_phase": "sale-amount",
    "settlement_type": "neft",
    "settlement_bank_account_no": "50100012345678",
    "settlement_ifsc_code": "HDFC0001234",
    "bank_name": "HDFC Bank",
    "branch_name": "Chamba",
    "beneficiary_name": "Chamba Rumal Cooperative Society",
}
FINDER_FEE = {"@ondc/org/buyer_app_finder_fee_type": "percent", "@ondc/org/buyer_app_finder_fee_amount": "3"}
PAID: dict[str, Any] = {
    **FINDER_FEE,
    "@ondc/org/settlement_details": [SETTLEMENT_ENTRY],
    "collected_by": "BAP",
    "params": {"amount": "10783.00", "currency": "INR", "transaction_id": "pay-8d1f2c"},
    "status": "PAID",
    "tl_method": "http/get",
    "type": "ON-ORDER",
    "uri": "https://pay.buyer.example/",
}
TERMS_BPP = BppTerms(np_type="MSN", gstin="02AAACC1234F1Z5", pan="AAACC1234F")


def select(requested: list[tuple[str, int, str]] | None = None, **kwargs: Any) -> SelectionResult:
    args: dict[str, Any] = {
        "profile": make_profile(locations=(make_location(LOCATION, gps="32.5534,76.1258", area_code="176310"),)),
        "provider_id": PROVIDER,
        "expected_provider_id": PROVIDER,
        "now": NOW,
        "end_area_code": BUYER.area_code,
        "end_gps": "31.1048,77.1734",
        "terms": TERMS,
    }
    args.update(kwargs)
    lines = requested or [("CR-KRISHNA-18", 1, LOCATION), ("CR-RAAS-24", 1, LOCATION)]
    return check_selection(ITEMS, lines, **args)


def context(action: str) -> dict[str, Any]:
    return build_context(action=action, domain="ONDC:RET16", city="std:0177", bpp_id="bpp.odop.example",
                         bpp_uri="https://bpp.odop.example/ondc", transaction_id=TXN,
                         message_id="9e1d2c3b-4a5f-4e6d-8c7b-6a5f4e3d2c10", now=NOW + timedelta(minutes=5),
                         bap_id="buyer.example", bap_uri="https://buyer.example/ondc")


def start_stop(timestamp: datetime | None = None) -> Stop:
    return Stop(location_id=LOCATION, name="Chamba Rumal Cooperative", gps="32.5534,76.1258", address=STORE,
                contact=Contact(phone="9418012345", email="orders@chambarumal.example"),
                time_range=(NOW + timedelta(hours=1), NOW + timedelta(days=1)), timestamp=timestamp)


def end_stop(timestamp: datetime | None = None, *, person: str | None = "Meera Thakur") -> Stop:
    return Stop(gps="31.1048,77.1734", address=BUYER, contact=BUYER_CONTACT, person_name=person,
                time_range=(NOW + timedelta(days=1), NOW + timedelta(days=5)) if person else None,
                timestamp=timestamp)


def delivery(state: str = "Pending", *, tags: list[dict[str, Any]] | None = None) -> FulfilmentView:
    """The forward fulfilment, with the timestamps states.timestamps_required asks for in ``state``."""
    required = states.timestamps_required(state)
    picked = NOW + timedelta(days=1, hours=2) if "start.time.timestamp" in required else None
    delivered = NOW + timedelta(days=3) if "end.time.timestamp" in required else None
    return FulfilmentView(id="F1", type="Delivery", state=state, tracking=True, tat="P6D",
                          category="Standard Delivery", provider_name="Chamba Rumal Cooperative",
                          start=start_stop(picked), end=end_stop(delivered), tags=tags or [])


def order_items(fulfillment_id: str = "F1", counts: tuple[int, int] = (1, 1)) -> list[OrderItemView]:
    return [OrderItemView(item_id, count, fulfillment_id, location_id=LOCATION)
            for item_id, count in zip(ITEMS, counts, strict=True)]


def make_order(order_state: str = "Accepted", fulfilment_state: str = "Pending", **overrides: Any) -> OrderView:
    fields: dict[str, Any] = {
        "order_id": "ODOP-2030-000123",
        "state": order_state,
        "provider_id": PROVIDER,
        "provider_location_id": LOCATION,
        "items": order_items(),
        "billing": copy.deepcopy(BILLING),
        "fulfillments": [delivery(fulfilment_state)],
        "quote": select().quote.to_ondc(),
        "payment": copy.deepcopy(PAID),
        "bpp_terms": TERMS_BPP,
        "created_at": NOW + timedelta(minutes=3),
        "updated_at": NOW + timedelta(minutes=4),
    }
    fields.update(overrides)
    return OrderView(**fields)


def cancelled_order(reason_id: str = "001", initiated_by: str = "buyer.example") -> OrderView:
    """A full buyer cancel before pickup (ONDC on_cancel.json): a Cancel fulfilment with the quote trail."""
    quote, trail = requote_after_cancel(select().quote, {item_id: 1 for item_id in ITEMS})
    cancelled_at = NOW + timedelta(hours=2)
    forward = delivery("Cancelled", tags=[
        {"code": "cancel_request", "list": [{"code": "reason_id", "value": reason_id},
                                            {"code": "initiated_by", "value": initiated_by}]},
        {"code": "precancel_state", "list": [{"code": "fulfillment_state", "value": "Pending"},
                                             {"code": "updated_at", "value": "2030-01-14T05:04:00.000Z"}]},
    ])
    cancel = FulfilmentView(id="C1", type="Cancel", state="Cancelled", tags=trail)
    return make_order("Cancelled", items=[*order_items(counts=(0, 0)), *order_items("C1")],
                      fulfillments=[forward, cancel], quote=quote.to_ondc(),
                      cancellation=Cancellation(reason_id, initiated_by, cancelled_at), updated_at=cancelled_at)


def part_cancelled_order() -> OrderView:
    """A seller part-cancel (reason 002, ONDC on_update.json): one Chamba Rumal is no longer available."""
    quote, trail = requote_after_cancel(select().quote, {"CR-RAAS-24": 1})
    request = {"code": "cancel_request", "list": [{"code": "reason_id", "value": "002"},
                                                  {"code": "initiated_by", "value": "bpp.odop.example"}]}
    cancel = FulfilmentView(id="C1", type="Cancel", state="Cancelled", tags=[request, *trail])
    return make_order("Accepted", items=[*order_items(counts=(1, 0)), OrderItemView("CR-RAAS-24", 1, "C1")],
                      fulfillments=[delivery(), cancel], quote=quote.to_ondc())


def wrap(action: str, message: dict[str, Any], error: dict[str, str] | None = None) -> dict[str, Any]:
    body = {"context": context(action), "message": message}
    if error is not None:
        body["error"] = error
    return body


def assert_quote_adds_up(quote: dict[str, Any]) -> None:
    values = [Decimal(line["price"]["value"]) for line in quote["breakup"]]
    assert sum(values, Decimal(0)) == Decimal(quote["price"]["value"])


def on_select_body() -> dict[str, Any]:
    selection = select()
    items = [OrderItemView(line.item.id, line.quantity, "F1", location_id=LOCATION) for line in selection.lines]
    message = on_select_message(selection, provider_id=PROVIDER, location_id=LOCATION, items=items,
                                provider_name="Chamba Rumal Cooperative", tracking=True)
    return wrap("on_select", message, on_select_error(selection))


def on_init_body() -> dict[str, Any]:
    at_init = make_order("Created", fulfillments=[FulfilmentView(
        "F1", "Delivery", "Pending", tracking=True, end=end_stop(person=None))], payment=dict(FINDER_FEE))
    return wrap("on_init", on_init_message(at_init, settlement=SETTLEMENT))


# action -> (our callback, the ONDC example, keys of the example we do not emit and why)
CASES: dict[str, tuple[Any, str, dict[str, str]]] = {
    "on_select": (on_select_body, "on_select.json", {}),
    "on_init": (on_init_body, "on_init.json", {}),
    "on_confirm": (lambda: wrap("on_confirm", order_message(make_order("Created"))), "on_confirm.json", {
        "message.order.tags[bap_terms]": "echoed from /confirm when the buyer sends it; this order has none",
        "message.order.tags[bpp_terms].list[accept_bap_terms]": "optional in PROTOCOL.md §3; BppTerms has no flag",
    }),
    "on_status": (lambda: wrap("on_status", order_message(make_order(fulfillments=[delivery(tags=[
        {"code": "routing", "list": [{"code": "type", "value": "P2H2P"}]},
        {"code": "tracking", "list": [{"code": "gps_enabled", "value": "no"}, {"code": "url_enabled", "value": "yes"},
                                      {"code": "url", "value": "https://bpp.odop.example/track/F1"}]},
    ])]))), "on_status.json", {}),
    "on_cancel": (lambda: wrap("on_cancel", order_message(cancelled_order())), "on_cancel.json", {}),
    "on_update": (lambda: wrap("on_update", order_message(part_cancelled_order())), "on_update.json", {
        "message.order.quote.breakup[item].item.quantity":
            "ONDC's review forbids quantity objects after on_select; the example has them (docs/certification.md)",
    }),
    "on_track": (lambda: wrap("on_track", on_track_message(
        "F1", url=None, gps="31.1048,77.1734", updated_at=NOW + timedelta(days=1))), "on_track.json", {
        "message.tracking.tags": "order/config/path tags describe live polling, which we do not offer",
    }),
}


# --- (a) OpenAPI ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("action", sorted(CASES))
def test_callback_passes_the_openapi(action: str) -> None:
    body = CASES[action][0]()
    assert body["context"]["action"] == action
    assert schema_errors(body) == []


@pytest.mark.parametrize("example", [case[1] for case in CASES.values()]
                         + [f"{PROGRESSION}/{p.name}" for p in sorted((EXAMPLES / PROGRESSION).glob("*.json"))])
def test_ondc_examples_pass_the_patched_openapi(example: str) -> None:
    """The exceptions are enough for ONDC's own examples, and each is needed by at least one of them."""
    assert schema_errors(load_example(example)) == []


def test_each_exception_is_needed() -> None:
    unpatched = [e for example in ("on_cancel.json", "on_update.json", "on_status.json")
                 for e in schema_errors(load_example(example), patched=False)]
    assert any("fulfillments/1/type: 'Cancel'" in e for e in unpatched)
    assert any("buyer_app_finder_fee_type: 'percent'" in e for e in unpatched)
    assert any("cancellation/reason: 'state'" in e for e in unpatched)
    assert len(ORDER_OPENAPI_EXCEPTIONS) == 3


def test_the_validator_rejects_what_it_should() -> None:
    body = CASES["on_confirm"][0]()
    body["message"]["order"]["fulfillments"][0]["start"]["location"]["gps"] = "near Chaugan"
    body["message"]["order"]["quote"]["price"]["value"] = 10783
    body["message"]["order"]["surprise"] = True
    errors = schema_errors(body)
    assert any("gps" in e for e in errors)
    assert any("price/value" in e for e in errors)
    assert any("surprise" in e for e in errors)


# --- (b) the example's keys ----------------------------------------------------------------------------


@pytest.mark.parametrize("action", sorted(CASES))
def test_we_emit_every_key_of_the_example(action: str) -> None:
    build, example, optional = CASES[action]
    assert missing_keys(load_example(example), build(), optional) == []


# --- (c) quote -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("action", sorted(set(CASES) - {"on_track"}))
def test_quote_price_is_the_sum_of_the_breakup(action: str) -> None:
    quote = CASES[action][0]()["message"]["order"]["quote"]
    assert quote["breakup"]
    assert_quote_adds_up(quote)


# --- builder details -----------------------------------------------------------------------------------


def test_on_select_fulfilment_and_quote() -> None:
    order = on_select_body()["message"]["order"]
    assert "error" not in on_select_body()
    (fulfilment,) = order["fulfillments"]
    assert fulfilment == {"id": "F1", "type": "Delivery", "@ondc/org/provider_name": "Chamba Rumal Cooperative",
                          "@ondc/org/category": "Standard Delivery", "@ondc/org/TAT": "P6D", "tracking": True,
                          "state": {"descriptor": {"code": "Serviceable"}}}  # P3D to ship + P3D intercity
    assert order["provider"] == {"id": PROVIDER, "locations": [{"id": LOCATION}]}
    assert [i["id"] for i in order["items"]] == list(ITEMS)
    assert order["quote"]["price"]["value"] == "10783.00"  # 4500 + 6200 + 80 delivery + 3 convenience


def test_on_select_over_the_limit_and_not_serviceable() -> None:
    chamba_only = Serviceability(kind="pincodes", pincodes=("176301-176320",))  # Shimla's 171001 is outside
    profile = make_profile(locations=(make_location(LOCATION), ), serviceability=chamba_only)
    selection = select([("CR-KRISHNA-18", 60, LOCATION)], profile=profile)
    items = [OrderItemView("CR-KRISHNA-18", 10, "F1")]
    body = wrap("on_select", on_select_message(selection, provider_id=PROVIDER, location_id=LOCATION,
                                               items=items, provider_name="Chamba Rumal Cooperative"),
                on_select_error(selection))
    assert schema_errors(body) == []
    assert body["message"]["order"]["fulfillments"][0]["state"]["descriptor"]["code"] == "Non-serviceable"
    assert body["message"]["order"]["fulfillments"][0]["tracking"] is False
    assert (body["error"]["type"], body["error"]["code"]) == ("DOMAIN-ERROR", "30009")
    assert [e.code for e in selection.errors] == ["40009", "30009"]
    assert {b["@ondc/org/title_type"] for b in body["message"]["order"]["quote"]["breakup"]} == {"item", "misc"}


def test_on_select_error_is_none_when_all_is_well() -> None:
    selection = select()
    assert selection.errors == ()
    assert on_select_error(selection) is None


def test_on_select_refuses_two_fulfilments() -> None:
    items = [OrderItemView("CR-KRISHNA-18", 1, "F1"), OrderItemView("CR-RAAS-24", 1, "F2")]
    with pytest.raises(ValueError, match="one fulfilment"):
        on_select_message(select(), provider_id=PROVIDER, location_id=LOCATION, items=items, provider_name="x")


def test_on_init_echoes_billing_and_adds_settlement_and_terms() -> None:
    order = on_init_body()["message"]["order"]
    assert order["billing"] == BILLING  # same created_at/updated_at as the buyer sent
    assert order["payment"] == {**FINDER_FEE, "@ondc/org/settlement_details": [SETTLEMENT_ENTRY]}
    assert order["tags"] == [{"code": "bpp_terms", "list": [
        {"code": "np_type", "value": "MSN"}, {"code": "tax_number", "value": "02AAACC1234F1Z5"},
        {"code": "provider_tax_number", "value": "AAACC1234F"}]}]
    assert order["fulfillments"][0]["end"] == {
        "location": {"gps": "31.1048,77.1734", "address": BILLING["address"]},
        "contact": {"phone": BUYER_CONTACT.phone, "email": BUYER_CONTACT.email},
    }


def test_on_init_upi_settlement_replaces_ours_and_keeps_the_buyers_entries() -> None:
    refund = {"settlement_counterparty": "buyer", "settlement_phase": "refund", "settlement_type": "upi",
              "upi_address": "meera@upi"}
    stale = {**SETTLEMENT_ENTRY, "settlement_bank_account_no": "0000"}
    order = make_order("Created", payment={**FINDER_FEE, "@ondc/org/settlement_details": [stale, refund]})
    upi = Settlement(kind="upi", upi_address="chambarumal@upi", beneficiary="Chamba Rumal Cooperative Society")
    payment = on_init_message(order, settlement=upi)["order"]["payment"]
    assert payment["@ondc/org/settlement_details"] == [
        {"settlement_counterparty": "seller-app", "settlement_phase": "sale-amount", "settlement_type": "upi",
         "upi_address": "chambarumal@upi", "beneficiary_name": "Chamba Rumal Cooperative Society"},
        refund,
    ]
    assert order.payment["@ondc/org/settlement_details"][0] is stale  # the view is not mutated


def test_order_message_snapshot() -> None:
    order = make_order("Accepted")
    message = order_message(order)["order"]
    assert message["id"] == "ODOP-2030-000123"
    assert message["state"] == "Accepted"
    assert message["created_at"] == "2030-01-14T05:03:00.000Z"
    assert message["updated_at"] == "2030-01-14T05:04:00.000Z"
    assert message["billing"] == BILLING
    assert message["payment"] == PAID
    assert message["items"][0] == {"id": "CR-KRISHNA-18", "fulfillment_id": "F1", "quantity": {"count": 1},
                                   "location_id": LOCATION}
    fulfilment = message["fulfillments"][0]
    assert fulfilment["start"]["location"] == {
        "id": LOCATION, "descriptor": {"name": "Chamba Rumal Cooperative"}, "gps": "32.5534,76.1258",
        "address": {"name": STORE.name, "building": STORE.building, "locality": STORE.locality, "city": "Chamba",
                    "state": "Himachal Pradesh", "country": "IND", "area_code": "176310"}}
    assert fulfilment["start"]["time"] == {"range": {"start": "2030-01-14T06:00:00.000Z",
                                                     "end": "2030-01-15T05:00:00.000Z"}}
    assert fulfilment["end"]["person"] == {"name": "Meera Thakur"}
    assert "id" not in fulfilment["end"]["location"]
    assert (fulfilment["@ondc/org/TAT"], fulfilment["tracking"]) == ("P6D", True)
    assert "documents" not in message
    assert "cancellation" not in message
    message["billing"]["name"] = "changed"
    assert order.billing["name"] == "Meera Thakur"
    assert message["provider"] == {"id": PROVIDER, "locations": [{"id": LOCATION}]}  # no creds: none sent


def test_order_messages_repeat_the_provider_s_creds() -> None:
    creds = [{"id": "GI-AU-0042", "descriptor": {"code": "GI", "name": "Chamba Rumal (GI)",
                                                  "short_desc": "Authorised user"}}]
    order = make_order("Accepted", provider_creds=creds)
    message = order_message(order)["order"]
    assert message["provider"]["creds"] == creds
    message["provider"]["creds"][0]["id"] = "changed"
    assert order.provider_creds[0]["id"] == "GI-AU-0042"


def test_order_message_timestamps_documents_and_instructions() -> None:
    packed_start = Stop(location_id=LOCATION, gps="32.5534,76.1258",
                        instructions={"code": "2", "name": "ONDC order", "short_desc": "123456"})
    invoice = {"url": "https://bpp.odop.example/invoices/ODOP-2030-000123.pdf", "label": "Invoice"}
    message = order_message(make_order("Completed", "Order-delivered", documents=[invoice]))["order"]
    fulfilment = message["fulfillments"][0]
    assert fulfilment["start"]["time"]["timestamp"] == "2030-01-15T07:00:00.000Z"
    assert fulfilment["end"]["time"]["timestamp"] == "2030-01-17T05:00:00.000Z"
    assert message["documents"] == [invoice]
    packed = make_order("In-progress", fulfillments=[FulfilmentView("F1", "Delivery", "Packed", start=packed_start)])
    start = order_message(packed)["order"]["fulfillments"][0]["start"]
    assert start == {"location": {"id": LOCATION, "gps": "32.5534,76.1258"},
                     "instructions": {"code": "2", "name": "ONDC order", "short_desc": "123456"}}


def test_on_cancel_cancellation_and_cancel_fulfilment() -> None:
    message = order_message(cancelled_order("001", "buyer.example"))["order"]
    assert message["state"] == "Cancelled"
    assert message["cancellation"] == {"cancelled_by": "buyer.example", "reason": {"id": "001"}}
    forward, cancel = message["fulfillments"]
    assert forward["state"]["descriptor"]["code"] == "Cancelled"
    assert cancel == {"id": "C1", "type": "Cancel", "state": {"descriptor": {"code": "Cancelled"}},
                      "tags": [quote_trail_tag("item", "CR-KRISHNA-18", Decimal("-4500")),
                               quote_trail_tag("item", "CR-RAAS-24", Decimal("-6200")),
                               quote_trail_tag("delivery", "F1", Decimal(-80)),
                               quote_trail_tag("misc", "F1", Decimal(-3))]}
    assert message["quote"]["price"]["value"] == "0.00"
    assert [(i["fulfillment_id"], i["quantity"]["count"]) for i in message["items"]] == [
        ("F1", 0), ("F1", 0), ("C1", 1), ("C1", 1)]


def test_on_track_url_gps_or_neither() -> None:
    stamp = NOW + timedelta(days=1)
    assert on_track_message("F1", url="https://bpp.odop.example/track/F1", gps=None, updated_at=stamp) == {
        "tracking": {"id": "F1", "url": "https://bpp.odop.example/track/F1", "status": "active"}}
    location = on_track_message("F1", url=None, gps="31.1048,77.1734", updated_at=stamp)["tracking"]["location"]
    assert location == {"gps": "31.1048,77.1734", "time": {"timestamp": "2030-01-15T05:00:00.000Z"},
                        "updated_at": "2030-01-15T05:00:00.000Z"}
    body = wrap("on_track", on_track_message("F1", url="https://bpp.odop.example/track/F1", gps=None,
                                             updated_at=stamp))
    assert schema_errors(body) == []
    with pytest.raises(ValueError, match="url or a gps"):
        on_track_message("F1", url=None, gps=None, updated_at=stamp)


# --- (d) the RET16 status progression ------------------------------------------------------------------


def status_facts(body: dict[str, Any]) -> tuple[str, list[tuple[str, str, bool, bool]]]:
    """order.state and, per fulfilment, (type, state, has start.time.timestamp, has end.time.timestamp)."""
    order = body["message"]["order"]
    return order["state"], [
        (f["type"], f["state"]["descriptor"]["code"],
         "timestamp" in f.get("start", {}).get("time", {}), "timestamp" in f.get("end", {}).get("time", {}))
        for f in order["fulfillments"]
    ]


def progression_order(example: dict[str, Any]) -> OrderView:
    """Our order in the example's fulfilment states; the order state and timestamps come from adapter.orders.states."""
    forward_state, *others = [(f["type"], f["state"]["descriptor"]["code"])
                              for f in example["message"]["order"]["fulfillments"]]
    forward = delivery(forward_state[1])
    if not others:
        implied = states.implied_order_state(states.Machine.HYPERLOCAL, forward_state[1])
        return make_order(implied or "Accepted", fulfillments=[forward])
    ((rto_type, rto_state),) = others
    assert rto_type == "RTO"
    quote, trail = requote_after_cancel(select().quote, {item_id: 1 for item_id in ITEMS})
    rto_at = NOW + timedelta(days=2) if "start.time.timestamp" in states.timestamps_required(rto_state) else None
    rto = FulfilmentView("F1-RTO", "RTO", rto_state, start=Stop(timestamp=rto_at), tags=trail)
    order_state = states.implied_order_state(states.Machine.RTO, rto_state)
    assert order_state is not None
    return make_order(order_state, items=[*order_items(counts=(0, 0)), *order_items("F1-RTO")],
                      fulfillments=[forward, rto], quote=quote.to_ondc())


@pytest.mark.parametrize("name", sorted(p.name for p in (EXAMPLES / PROGRESSION).glob("*.json")))
def test_status_progression_matches_the_examples(name: str) -> None:
    example = load_example(f"{PROGRESSION}/{name}")
    body = wrap("on_status", order_message(progression_order(example)))
    assert status_facts(body) == status_facts(example)
    assert schema_errors(body) == []
    assert_quote_adds_up(body["message"]["order"]["quote"])


def test_progression_examples_cover_the_timestamp_rule() -> None:
    seen = {status_facts(load_example(f"{PROGRESSION}/{p.name}"))[1][0][1:]
            for p in (EXAMPLES / PROGRESSION).glob("*.json")}
    assert ("Order-picked-up", True, False) in seen
    assert ("Order-delivered", True, True) in seen
    assert ("Pending", False, False) in seen


# --- views ---------------------------------------------------------------------------------------------


def test_views_refuse_bad_values() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        Stop(timestamp=datetime(2030, 1, 14, 5, 0))  # noqa: DTZ001 -- the naive datetime is the point
    with pytest.raises(ValueError, match="ends before"):
        Stop(time_range=(NOW, NOW - timedelta(hours=1)))
    with pytest.raises(ValueError, match="upi_address"):
        Settlement(kind="upi")
    with pytest.raises(ValueError, match="account_no and ifsc"):
        Settlement(kind="rtgs", account_no="123")
    with pytest.raises(ValueError, match="unknown fulfilment"):
        make_order(items=[OrderItemView("CR-KRISHNA-18", 1, "F9")])
    with pytest.raises(ValueError, match="before created_at"):
        make_order(updated_at=NOW)
    with pytest.raises(ValueError, match="negative"):
        OrderItemView("CR-KRISHNA-18", -1, "F1")

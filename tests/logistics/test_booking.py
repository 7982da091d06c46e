"""The LOG messages we send to book, ready, track and cancel a parcel, against ONDC's LOG10/LOG11 OpenAPI; and
what we read of the courier's answers, from the spec's own examples (ONDC logistics 1.2.5 base and RTO flows)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from adapter.logistics.booking import (
    Booking,
    cancel_body,
    confirm_body,
    init_body,
    read_order,
    ready_body,
    track_body,
    tracking_url,
)
from catalog_sync.profile import load_profile
from tests.logistics.conftest import example, schema_errors

PROFILE = load_profile(json.loads((Path(__file__).parents[1] / "catalog_sync" / "fixtures" /
                                   "profile.json").read_text()))
NOW = dt.datetime(2030, 10, 1, 6, 30, tzinfo=dt.UTC)
DOMAINS = ("ONDC:LOG10", "ONDC:LOG11")
FLOWS = {"ONDC:LOG10": "LOG10", "ONDC:LOG11": "LOG11"}
DROP = {"location": {"gps": "31.1048, 77.1734",
                     "address": {"name": "4", "building": "Mall Road", "locality": "The Ridge", "city": "Shimla",
                                 "state": "Himachal Pradesh", "area_code": "171001"}},
        "contact": {"phone": "9876543210", "email": "asha@example.com"}, "person": {"name": "Asha Devi"}}
QUOTE = {"price": {"currency": "INR", "value": "554.60"},
         "breakup": [{"@ondc/org/item_id": "STD", "@ondc/org/title_type": "delivery",
                      "price": {"currency": "INR", "value": "470.00"}},
                     {"@ondc/org/item_id": "STD", "@ondc/org/title_type": "tax",
                      "price": {"currency": "INR", "value": "84.60"}}], "ttl": "PT15M"}


def booking(domain: str) -> Booking:
    place = PROFILE.locations[0]
    return Booking(domain=domain, city=place.city_code, transaction_id="log-t-1", bpp_id="courier.example.com",
                   bpp_uri="https://courier.example.com/ondc", provider_id="P1", item_id="STD",
                   category="Standard Delivery", log_order_id="O-1-1", retail_order_id="O-1", pickup=place,
                   pickup_name=PROFILE.name, pickup_phone=PROFILE.consumer_care.phone,
                   pickup_email=PROFILE.consumer_care.email, drop=DROP,
                   parcel={"weight_g": 1170, "length_cm": "45", "breadth_cm": "30.5", "height_cm": "8",
                           "category": "Standard Delivery"},
                   declared_value="4500.00", goods_category="Home Decor")


ARGS: dict[str, Any] = {"bap_id": "seller.odop.test", "bap_uri": "https://seller.odop.test/ondc", "message_id": "m-1",
                        "now": NOW}
BODIES: dict[str, Callable[[Booking], dict[str, Any]]] = {
    "init": lambda b: init_body(b, **ARGS),
    "confirm": lambda b: confirm_body(b, QUOTE, ready=False, **ARGS),
    "confirm-ready": lambda b: confirm_body(b, QUOTE, ready=True, **ARGS),
    "update": lambda b: ready_body(b, "12345678901234", **ARGS),
    "track": lambda b: track_body(b, **ARGS),
    "cancel": lambda b: cancel_body(b, "005", **ARGS),
}


def _spec_name(domain: str, action: str) -> str:
    flow = "BUYER_SIDE_ORDER_CANCELLATION" if action == "cancel" else "ORDER_FLOW_BASE_LINE"
    return f"{FLOWS[domain]}_{flow}.{action}"


def _ready(body: dict[str, Any]) -> str:
    (fulfilment,) = body["message"]["order"]["fulfillments"]
    (state,) = [tag for tag in fulfilment["tags"] if tag["code"] == "state"]
    return str(next(entry["value"] for entry in state["list"] if entry["code"] == "ready_to_ship"))


@pytest.mark.parametrize("domain", DOMAINS)
@pytest.mark.parametrize("name", sorted(BODIES))
def test_what_we_send_validates_against_the_log_openapi(domain: str, name: str) -> None:
    body = BODIES[name](booking(domain))
    action = name.split("-")[0]
    assert body["context"]["action"] == action
    assert schema_errors(domain, action, body) == []


@pytest.mark.parametrize("domain", DOMAINS)
@pytest.mark.parametrize("action", ["init", "confirm", "update", "track", "cancel"])
def test_the_spec_examples_of_our_messages_pass_the_openapi_we_check_against(domain: str, action: str) -> None:
    """The schema is not vacuous for these actions: ONDC's own examples pass it, and a broken copy does not."""
    spec = example(_spec_name(domain, action))
    assert schema_errors(domain, action, spec) == []
    broken = {**spec, "context": {**spec["context"], "core_version": 1.2}}
    assert schema_errors(domain, action, broken) != []


@pytest.mark.parametrize("domain", DOMAINS)
@pytest.mark.parametrize("action", ["init", "confirm", "update", "track", "cancel"])
def test_our_messages_say_what_the_spec_examples_say(domain: str, action: str) -> None:
    ours = BODIES[action](booking(domain))
    spec = example(_spec_name(domain, action))
    assert set(ours["context"]) == set(spec["context"])
    assert ours["context"]["domain"] == spec["context"]["domain"] == domain
    if action in ("track", "cancel"):
        assert set(ours["message"]) == set(spec["message"])
        return
    # Every part of the order we fill is one the spec fills too.
    assert set(ours["message"]["order"]) <= set(spec["message"]["order"]), action
    if action == "update":
        assert ours["message"]["update_target"] == spec["message"]["update_target"] == "fulfillment"


def test_ready_to_ship_says_yes_or_no_as_the_spec_does() -> None:
    spec_confirm = example("LOG11_ORDER_FLOW_BASE_LINE.confirm")
    spec_update = example("LOG11_ORDER_FLOW_BASE_LINE.update")
    assert (_ready(spec_confirm), _ready(spec_update)) == ("no", "yes")
    b = booking("ONDC:LOG11")
    assert (_ready(BODIES["confirm"](b)), _ready(BODIES["confirm-ready"](b)), _ready(BODIES["update"](b))) == (
        "no", "yes", "yes")


@pytest.mark.parametrize("log", ["LOG10", "LOG11"])
def test_we_read_the_courier_answers_of_the_spec(log: str) -> None:
    on_init = read_order(example(f"{log}_ORDER_FLOW_BASE_LINE.on_init")["message"])
    assert on_init.quote is not None
    assert on_init.quote["price"]["value"]
    on_confirm = read_order(example(f"{log}_ORDER_FLOW_BASE_LINE.on_confirm")["message"])
    assert on_confirm.order_id
    assert on_confirm.state == "Pending"
    on_status = read_order(example(f"{log}_ORDER_FLOW_BASE_LINE.on_status")["message"])
    assert on_status.state is not None
    assert on_status.rto_state is None
    # LOG11's on_track gives a tracking page; LOG10's a live GPS poll and no page (retail /track then answers
    # with what we know ourselves).
    url = tracking_url(example(f"{log}_ORDER_FLOW_BASE_LINE.on_track")["message"])
    assert (url or "").startswith("https://") if log == "LOG11" else url is None
    cancelled = read_order(example(f"{log}_BUYER_SIDE_ORDER_CANCELLATION.on_cancel")["message"])
    assert cancelled.state == "Cancelled"
    rto = read_order(example(f"{log}_RTO_FLOW.on_cancel")["message"])
    assert (rto.state, rto.rto_state) == ("RTO", "RTO-Initiated")


def test_an_error_answer_reads_as_no_order() -> None:
    read = read_order({"ack": {"status": "NACK"}})
    assert (read.order_id, read.state, read.rto_state, read.awb, read.quote) == (None, None, None, None, None)


def _delivery(**fields: Any) -> dict[str, Any]:
    return {"order": {"id": "O-1-1", "fulfillments": [{"id": "1", "type": "Delivery",
                                                        "state": {"descriptor": {"code": "Agent-assigned"}}} | fields]}}


@pytest.mark.parametrize("fields", [
    {"start": "today"}, {"start": {"time": ["10:00"]}}, {"start": {"time": {"range": "10-12"}}},
    {"tags": 5}, {"tags": {"code": "shipping_label"}}, {"tags": [{"code": "shipping_label", "list": 3}]},
    {"tags": [{"code": "shipping_label", "list": [{"code": "url", "value": 7}]}]},
    {"@ondc/org/awb_no": {"no": 1}}, {"@ondc/org/awb_no": True},
])
def test_parts_of_the_wrong_type_are_read_as_missing_not_as_an_error(fields: dict[str, Any]) -> None:
    read = read_order(_delivery(**fields))
    assert read.state == "Agent-assigned"  # the rest is still read
    assert (read.awb, read.label_url) == (None, None)
    assert read.pickup_slot in (None, {"start": "", "end": ""})


def test_values_too_long_to_be_real_are_read_as_missing() -> None:
    """What a courier sends is kept in columns of a set size: a state, AWB or label link longer than any real one is
    not stored (on PostgreSQL it would fail the transaction, again at every retry)."""
    label = [{"code": "shipping_label", "list": [{"code": "url", "value": "https://c.example/" + "l" * 2048}]}]
    read = read_order(_delivery(**{"@ondc/org/awb_no": "9" * 65, "tags": label}))
    assert (read.awb, read.label_url) == (None, None)
    huge = read_order({"order": {"fulfillments": [{"type": "Delivery", "state": {"descriptor": {"code": "A" * 33}}},
                                                  {"type": "RTO", "state": {"descriptor": {"code": "B" * 33}}}]}})
    assert (huge.state, huge.rto_state) == (None, None)
    fine = read_order(_delivery(**{"@ondc/org/awb_no": 12345678901234}))
    assert fine.awb == "12345678901234"  # a number is an AWB all the same


def test_a_weight_charge_in_odd_shapes_is_read_leniently() -> None:
    """A diff line beside tags that are not a list, a breakup that is not a list, prices that are not numbers:
    read as far as they make sense, never an exception in the worker."""
    order: dict[str, Any] = {"quote": {"breakup": [
        {"@ondc/org/title_type": "diff", "price": {"value": "30.00"}},
        {"@ondc/org/title_type": "tax_diff", "price": "5.40"},
        {"@ondc/org/title_type": "diff", "price": {"value": "NaN"}}, "text"]},
        "fulfillments": [{"type": "Delivery", "tags": 5}]}
    read = read_order({"order": order})
    assert read.extra is not None
    assert (read.extra.amount, read.extra.tax, read.extra.weight_kg, read.extra.proof) == (
        Decimal("30.00"), Decimal("0"), None, None)
    assert read_order({"order": {"quote": {"breakup": 7}, "fulfillments": [{"tags": [{"code": "linked_order_diff",
                                                                                     "list": 3}]}]}}).extra is None

"""Inbound request schemas: every ONDC example passes, broken requests NACK with the right code, type and path."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapter.errors import ProtocolError
from adapter.protocol.messages import INBOUND_ACTIONS, validate_request, validation_errors

EXAMPLES_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "ondc" / "examples"


def load(relative: str) -> dict[str, Any]:
    payload: dict[str, Any] = json.loads((EXAMPLES_DIR / relative).read_text(encoding="utf-8"))
    return payload


def inbound_examples() -> list[str]:
    found = []
    for path in sorted(EXAMPLES_DIR.rglob("*.json")):
        payload = json.loads(path.read_text(encoding="utf-8"))
        if payload["context"]["action"] in INBOUND_ACTIONS:
            found.append(path.relative_to(EXAMPLES_DIR).as_posix())
    return found


INBOUND_EXAMPLES = inbound_examples()

_STEP = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def steps(path: str) -> list[str | int]:
    """Split "message.order.items[0].quantity.count" into keys and indexes."""
    return [key if key else int(index) for key, index in _STEP.findall(path)]


def parent_of(payload: Any, path: str) -> tuple[Any, str | int]:
    *head, last = steps(path)
    node = payload
    for step in head:
        node = node[step]
    return node, last


def with_value(payload: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    changed = copy.deepcopy(payload)
    node, last = parent_of(changed, path)
    node[last] = value
    return changed


def without(payload: dict[str, Any], path: str) -> dict[str, Any]:
    changed = copy.deepcopy(payload)
    node, last = parent_of(changed, path)
    del node[last]
    return changed


def nack(action: str, payload: object) -> ProtocolError:
    with pytest.raises(ProtocolError) as caught:
        validate_request(action, payload)
    return caught.value


def request(action: str, message: Any) -> dict[str, Any]:
    """A request to `action` with a valid context taken from the track example."""
    payload = load("track.json")
    payload["context"]["action"] = action
    payload["message"] = message
    return payload


# --- every ONDC example request is accepted --------------------------------------------------------------


def test_the_vendored_examples_cover_every_example_action() -> None:
    actions = {load(relative)["context"]["action"] for relative in INBOUND_EXAMPLES}
    # rating and support have no ONDC example (1.2.0 only); they are covered by hand-built requests below. recon
    # (RSF 2.0) is covered in tests/money.
    assert actions == set(INBOUND_ACTIONS) - {"rating", "support", "catalog_rejection", "recon"}
    assert len(INBOUND_EXAMPLES) == 24


@pytest.mark.parametrize("relative", INBOUND_EXAMPLES)
def test_every_example_request_validates(relative: str) -> None:
    payload = load(relative)
    action = payload["context"]["action"]
    assert validation_errors(action, payload) == []
    validate_request(action, payload)


@pytest.mark.parametrize("relative", INBOUND_EXAMPLES)
def test_unknown_keys_are_allowed_everywhere(relative: str) -> None:
    payload = load(relative)

    def add_extras(node: Any) -> None:
        if isinstance(node, dict):
            for value in list(node.values()):
                add_extras(value)
            node["x_ondc_future_field"] = {"anything": [1, "two"]}
        elif isinstance(node, list):
            for value in node:
                add_extras(value)

    add_extras(payload)
    assert validation_errors(payload["context"]["action"], payload) == []


@pytest.mark.parametrize(
    "message",
    [
        {"ratings": [{"rating_category": "Item", "id": "I1", "value": "4"}]},
        {"rating_category": "Order", "id": "O1", "value": 5},
    ],
    ids=["ratings-list", "single-rating"],
)
def test_rating_accepts_both_shapes(message: dict[str, Any]) -> None:
    assert validation_errors("rating", request("rating", message)) == []


def test_support_with_ref_id_validates() -> None:
    assert validation_errors("support", request("support", {"ref_id": "703070"})) == []


def test_search_needs_no_bpp_fields_and_accepts_the_wildcard_city() -> None:
    payload = load("variants/discovery/search_incremental_start.json")
    assert "bpp_id" not in payload["context"]
    assert payload["context"]["city"] == "*"
    assert validation_errors("search", payload) == []


def test_timestamps_with_an_offset_are_accepted() -> None:
    payload = with_value(load("select.json"), "context.timestamp", "2026-03-18T16:18:41.104+05:30")
    assert validation_errors("select", payload) == []


# --- broken requests: exact code, type and path -----------------------------------------------------------

CONTEXT = "CONTEXT-ERROR"
SCHEMA = "JSON-SCHEMA-ERROR"

DROP = object()  # the value that means "remove the key"

# (example, path to break, new value or DROP, expected error type); the NACK path is the broken path.
BROKEN: list[tuple[str, str, Any, str]] = [
    # search
    ("search.json", "context.action", "select", CONTEXT),
    ("search.json", "context.city", "Bengaluru", CONTEXT),
    ("search.json", "message.intent", DROP, SCHEMA),
    ("search.json", "message.intent.payment.@ondc/org/buyer_app_finder_fee_type", "fixed", SCHEMA),
    ("search.json", "message.intent.tags[0].list", "x", SCHEMA),
    ("search.json", "message.intent.fulfillment.type", "Drone", SCHEMA),
    # select
    ("select.json", "message.order.items[0].quantity.count", "1", SCHEMA),
    ("select.json", "message.order.items[1].quantity.count", 0, SCHEMA),
    ("select.json", "message.order.items[0].quantity.count", True, SCHEMA),
    ("select.json", "message.order.provider.locations", DROP, SCHEMA),
    ("select.json", "message.order.fulfillments[0].end.location.gps", "north", SCHEMA),
    ("select.json", "context.timestamp", "2026-03-18T10:48:41", CONTEXT),
    ("select.json", "context.bpp_id", DROP, CONTEXT),
    # init
    ("init.json", "message.order.billing", DROP, SCHEMA),
    ("init.json", "message.order.fulfillments[0].type", "Teleport", SCHEMA),
    ("init.json", "message.order.billing.created_at", "yesterday", SCHEMA),
    ("init.json", "message.order.items", [], SCHEMA),
    # confirm
    ("confirm.json", "message.order.quote.price.value", 5216.75, SCHEMA),
    ("confirm.json", "message.order.quote.price.value", "5,216.75", SCHEMA),
    ("confirm.json", "message.order.payment.type", "PREPAID", SCHEMA),
    ("confirm.json", "message.order.quote.breakup[2].@ondc/org/title_type", "tip", SCHEMA),
    ("confirm.json", "message.order.id", "", SCHEMA),
    # status and track
    ("status.json", "message.order_id", DROP, SCHEMA),
    ("status.json", "message.order_id", 319936, SCHEMA),
    ("status.json", "context.transaction_id", "x" * 129, CONTEXT),
    ("track.json", "context.ttl", "30 seconds", CONTEXT),
    ("track.json", "context.core_version", 1.2, CONTEXT),
    ("track.json", "message", [], SCHEMA),
    # cancel
    ("cancel.json", "message.cancellation_reason_id", DROP, SCHEMA),
    ("cancel.json", "context.bap_uri", "ftp://buyer.example", CONTEXT),
    ("variants/cancel/cancel_force.json", "message.descriptor.tags[0].list[1]", "PT10S", SCHEMA),
    # update
    ("update.json", "message.update_target", "everything", SCHEMA),
    ("update.json", "message.order.fulfillments[0].type", "Teleport", SCHEMA),
    (
        "variants/cancel/update_settlement_part_cancel.json",
        "message.order.payment.@ondc/org/settlement_details[0].settlement_type",
        "cheque",
        SCHEMA,
    ),
    # issue
    ("issue.json", "message.issue.id", DROP, SCHEMA),
    ("issue.json", "context.domain", "RET16", CONTEXT),
    ("variants/igm/igm1_issue_open.json", "message.issue", "broken", SCHEMA),
]


@pytest.mark.parametrize(("relative", "path", "value", "error_type"), BROKEN)
def test_broken_requests_nack_with_code_type_and_path(relative: str, path: str, value: Any, error_type: str) -> None:
    original = load(relative)
    action = original["context"]["action"]
    payload = without(original, path) if value is DROP else with_value(original, path, value)
    error = nack(action, payload)
    assert (error.ondc_code, error.error_type, error.path) == ("30000", error_type, path)
    assert error.message.startswith(path + " ")
    assert error.status == 400


@pytest.mark.parametrize(
    ("action", "message", "expected_path"),
    [
        ("rating", {"ratings": [{"rating_category": "Item", "id": "I1", "value": 6}]}, "message.ratings[0].value"),
        ("rating", {"ratings": [{"rating_category": "Item", "id": "I1", "value": True}]}, "message.ratings[0].value"),
        ("rating", {"rating_category": "Order"}, "message"),
        ("rating", {"ratings": []}, "message.ratings"),
        ("support", {}, "message.ref_id"),
        ("support", {"ref_id": ["O1"]}, "message.ref_id"),
    ],
)
def test_broken_rating_and_support(action: str, message: dict[str, Any], expected_path: str) -> None:
    error = nack(action, request(action, message))
    assert (error.ondc_code, error.error_type, error.path) == ("30000", SCHEMA, expected_path)


def test_messages_name_the_field_and_what_is_expected() -> None:
    payload = with_value(load("select.json"), "message.order.items[0].quantity.count", "1")
    assert nack("select", payload).message == "message.order.items[0].quantity.count must be an integer"
    payload = with_value(load("confirm.json"), "message.order.payment.type", "PREPAID")
    assert nack("confirm", payload).message == (
        "message.order.payment.type must be one of: ON-ORDER, ON-FULFILLMENT, POST-FULFILLMENT"
    )
    assert nack("select", without(load("select.json"), "context.bpp_id")).message == "context.bpp_id is required"


def test_an_impossible_date_is_rejected() -> None:
    payload = with_value(load("select.json"), "context.timestamp", "2026-02-30T10:48:41.104Z")
    error = nack("select", payload)
    assert (error.error_type, error.path) == (CONTEXT, "context.timestamp")


@pytest.mark.parametrize("payload", [[], "search", None, 42, 3.5, True])
def test_a_body_that_is_not_an_object_is_a_schema_error_without_path(payload: object) -> None:
    error = nack("search", payload)
    assert (error.ondc_code, error.error_type, error.path) == ("30000", SCHEMA, None)
    assert validation_errors("search", payload) == [
        ("", "the request body must be a JSON object with context and message")
    ]


def test_missing_or_non_object_context_is_a_context_error() -> None:
    payload = load("select.json")
    assert (nack("select", {"message": payload["message"]}).error_type, "context") == (CONTEXT, "context")
    error = nack("select", {"context": "select", "message": payload["message"]})
    assert (error.error_type, error.path, error.message) == (CONTEXT, "context", "context must be an object")


def test_missing_message_is_a_schema_error() -> None:
    error = nack("status", {"context": load("status.json")["context"]})
    assert (error.error_type, error.path, error.message) == (SCHEMA, "message", "message is required")


def test_context_problems_come_before_message_problems() -> None:
    payload = with_value(load("select.json"), "message.order.items[0].quantity.count", "one")
    payload = with_value(payload, "context.message_id", "")
    error = nack("select", payload)
    assert (error.error_type, error.path) == (CONTEXT, "context.message_id")
    assert [path for path, _ in validation_errors("select", payload)] == [
        "context.message_id",
        "message.order.items[0].quantity.count",
    ]


def test_validation_errors_lists_every_problem_in_a_stable_order() -> None:
    payload = without(load("confirm.json"), "context.bpp_uri")
    payload = with_value(payload, "message.order.state", "Shipped")
    payload = with_value(payload, "message.order.items[1].quantity", {"count": -1})
    expected = [
        ("context.bpp_uri", "context.bpp_uri is required"),
        ("message.order.state", "message.order.state must be one of: Created, Accepted"),
        ("message.order.items[1].quantity.count", "message.order.items[1].quantity.count must be at least 1"),
    ]
    assert validation_errors("confirm", payload) == expected
    assert validation_errors("confirm", payload) == expected


def test_the_nack_body_carries_code_type_and_path() -> None:
    error = nack("track", with_value(load("track.json"), "context.action", "status"))
    assert error.to_dict() == {
        "message": {"ack": {"status": "NACK"}},
        "error": {
            "type": "CONTEXT-ERROR",
            "code": "30000",
            "message": "context.action must be track on this endpoint",
            "path": "context.action",
        },
    }


def test_an_unknown_action_is_a_programming_error() -> None:
    # on_search is a logistics callback we take as a BAP (adapter.protocol.messages_logistics); on_select is not.
    with pytest.raises(ValueError, match="on_select"):
        validate_request("on_select", load("search.json"))


# --- junk never escapes as anything but ProtocolError ----------------------------------------------------

json_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=20,
)


def all_paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    paths = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            paths += all_paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            paths += all_paths(value, (*prefix, index))
    return paths


def replaced(payload: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    changed = copy.deepcopy(payload)
    node = changed
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value
    return changed


def check_only_protocol_errors(action: str, payload: object) -> None:
    """validate_request agrees with validation_errors, and fails only with a 30000 ProtocolError."""
    problems = validation_errors(action, payload)
    if not problems:
        validate_request(action, payload)
        return
    error = nack(action, payload)
    assert (error.ondc_code, error.path, error.message) == ("30000", problems[0][0] or None, problems[0][1])
    assert error.error_type in {CONTEXT, SCHEMA}


@settings(max_examples=300, deadline=None)
@given(action=st.sampled_from(INBOUND_ACTIONS), payload=json_values)
def test_random_json_raises_only_protocol_errors(action: str, payload: object) -> None:
    check_only_protocol_errors(action, payload)


@settings(max_examples=300, deadline=None)
@given(
    action=st.sampled_from(INBOUND_ACTIONS),
    context=json_values,
    message=json_values,
)
def test_random_sections_raise_only_protocol_errors(action: str, context: object, message: object) -> None:
    check_only_protocol_errors(action, {"context": context, "message": message})


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), relative=st.sampled_from(INBOUND_EXAMPLES), junk=json_values)
def test_examples_with_a_random_part_replaced_raise_only_protocol_errors(
    data: st.DataObject, relative: str, junk: object
) -> None:
    payload = load(relative)
    path = data.draw(st.sampled_from(all_paths(payload)))
    check_only_protocol_errors(payload["context"]["action"], replaced(payload, path, junk))

"""How the dispatcher sorts a failed attempt: answer it (and how), or let the sweeper run it again."""

from __future__ import annotations

import pytest
from prometheus_client import REGISTRY
from sqlalchemy.exc import OperationalError

from adapter.errors import InternalFailureError, InvalidNetworkRequestError
from adapter.orders import inbound
from adapter.orders.errors import OrderNotFoundError
from catalog_sync.errors import IntentError, MappingError


def _count(kind: str) -> float:
    return REGISTRY.get_sample_value("odop_inbound_failures_total", {"action": "select", "kind": kind}) or 0.0


def test_a_refusal_is_answered_as_it_is() -> None:
    refusal = OrderNotFoundError("order 'X' not found")
    assert inbound.as_callback_error(refusal, "select", 1) is refusal


@pytest.mark.parametrize("error", [OperationalError("SELECT 1", {}, Exception("server closed")),
                                   ConnectionResetError("peer"), TimeoutError("slow")])
def test_database_and_network_errors_are_run_again(error: Exception) -> None:
    assert inbound.as_callback_error(error, "select", 1) is None


def test_bad_input_past_the_schemas_is_30000_with_its_path() -> None:
    before = _count("invalid")
    answer = inbound.as_callback_error(IntentError("no such fulfilment type", "message.intent.fulfillment.type"),
                                       "select", 1)
    assert isinstance(answer, InvalidNetworkRequestError)
    assert answer.code == "30000"
    assert answer.path == "message.intent.fulfillment.type"
    assert _count("invalid") == before + 1
    missing = inbound.as_callback_error(KeyError("order"), "select", 1)
    assert missing is not None
    assert missing.message == "a required value is missing: 'order'"


@pytest.mark.parametrize("error", [TypeError("boom-1"), AttributeError("boom-2"),
                                   MappingError("item too large for a page")])
def test_bugs_and_faults_in_our_own_data_are_31001_without_internals(error: Exception) -> None:
    before = _count("internal")
    answer = inbound.as_callback_error(error, "select", 1)
    assert isinstance(answer, InternalFailureError)
    assert answer.code == "31001"
    assert str(error) not in answer.message
    assert _count("internal") == before + 1


def test_an_unreadable_stored_request_is_counted() -> None:
    before = _count("unreadable")
    error = InvalidNetworkRequestError("the request cannot be read: no context", path="context")
    assert inbound.as_callback_error(error, "select", 1) is error
    assert _count("unreadable") == before + 1

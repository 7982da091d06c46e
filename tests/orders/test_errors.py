"""The order error tree and the callback ``error`` object."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from adapter.orders import errors as e

CODES = [
    (e.ProviderNotFoundError("P9"), "30001"),
    (e.LocationNotFoundError("L9"), "30002"),
    (e.ItemNotFoundError("I9"), "30004"),
    (e.InvalidReturnError(), "30005"),
    (e.NotServiceableError(), "30009"),
    (e.InvalidCancellationReasonError("777"), "30012"),
    (e.CancellationRejectedError(), "30014"),
    (e.InvalidRatingError(), "30015"),
    (e.StoreClosedError(), "30017"),
    (e.OrderNotFoundError(), "30018"),
    (e.ConfirmFailedError(), "30019"),
    (e.BelowMinimumOrderValueError(Decimal(10), Decimal(100)), "30023"),
    (e.OutOfStockError({"I1": 0}), "40002"),
    (e.SoldOutError(), "40002"),
    (e.QuoteUnavailableError(), "40003"),
    (e.TrackingNotEnabledError(), "40005"),
    (e.QuoteChangedError(), "40008"),
    (e.MaxQuantityExceededError("I1", 11, 10), "40009"),
    (e.MinimumQuantityError("I1", 0), "40012"),
    (e.CancellationNotPossibleError(), "50001"),
    (e.UpdateNotPossibleError(), "50002"),
    (e.RatingCategoryError(), "50003"),
    (e.SupportUnavailableError(), "50004"),
    (e.IllegalTransitionError("order", "Completed", "Accepted", ()), "40000"),
]


@pytest.mark.parametrize(("error", "code"), CODES, ids=[type(err).__name__ for err, _ in CODES])
def test_every_error_carries_its_code(error: e.OrderError, code: str) -> None:
    assert isinstance(error, e.OrderError)
    assert error.code == code
    assert error.error_type == "DOMAIN-ERROR"
    assert error.message
    assert str(error) == error.message
    body = e.to_ondc_error([error])
    assert body is not None
    assert body["code"] == code
    assert body["type"] == "DOMAIN-ERROR"


def test_every_public_error_is_listed() -> None:
    listed = {type(err) for err, _ in CODES}
    public = {getattr(e, name) for name in e.__all__ if name.endswith("Error") and name != "OrderError"}
    assert listed == public


def test_out_of_stock_message_is_the_exact_ondc_item_list() -> None:
    body = e.to_ondc_error([e.OutOfStockError({"I1": 0})])
    # ONDC RET16 1.2.5 Out_Of_Stock_Flow on_select error, byte for byte
    assert body == {"type": "DOMAIN-ERROR", "code": "40002", "message": "[{\"item_id\":\"I1\",\"error\":\"40002\"}]"}


def test_out_of_stock_keeps_available_counts() -> None:
    error = e.OutOfStockError({"I1": 2, "I2": 0})
    assert error.available == {"I1": 2, "I2": 0}
    assert error.item_errors() == [("I1", "40002"), ("I2", "40002")]
    with pytest.raises(ValueError, match="at least one"):
        e.OutOfStockError({})


def test_item_errors_are_reported_together_under_the_first_code() -> None:
    body = e.to_ondc_error([e.MaxQuantityExceededError("I2", 12, 10), e.OutOfStockError({"I1": 1})])
    assert body is not None
    assert body["code"] == "40002"
    assert json.loads(body["message"]) == [{"item_id": "I2", "error": "40009"}, {"item_id": "I1", "error": "40002"}]


def test_non_item_error_wins_by_priority_and_keeps_its_message() -> None:
    body = e.to_ondc_error([e.BelowMinimumOrderValueError(Decimal(10), Decimal(100)), e.OutOfStockError({"I1": 0}),
                            e.StoreClosedError()])
    assert body == {"type": "DOMAIN-ERROR", "code": "30017", "message": "Merchant is currently not taking orders"}


def test_unranked_errors_come_last_and_ties_keep_order() -> None:
    body = e.to_ondc_error([e.UpdateNotPossibleError("first"), e.CancellationNotPossibleError("second")])
    assert body == {"type": "DOMAIN-ERROR", "code": "50002", "message": "first"}
    assert e.to_ondc_error([e.NotServiceableError(), e.UpdateNotPossibleError()])["code"] == "30009"  # type: ignore[index]


def test_no_errors_no_object() -> None:
    assert e.to_ondc_error([]) is None


def test_paths_and_details() -> None:
    assert e.ProviderNotFoundError("P9").path == "message.order.provider.id"
    assert e.InvalidCancellationReasonError("777").path == "message.cancellation_reason_id"
    assert e.NotServiceableError(path="message.order.fulfillments[0].end").path == "message.order.fulfillments[0].end"
    err = e.IllegalTransitionError("hyperlocal", "Pending", "Order-delivered", ("Packed", "Cancelled"))
    assert (err.machine, err.current, err.target, err.allowed) == (
        "hyperlocal", "Pending", "Order-delivered", ("Packed", "Cancelled"))

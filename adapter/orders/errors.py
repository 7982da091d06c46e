"""Business errors of the order flow, each with its ONDC code (ONDC-RFC-001, PROTOCOL.md §5).

    OrderError                          base: ONDC code, error type, message, optional JSON path
    ├── ProviderNotFoundError           30001 provider id is not ours
    ├── LocationNotFoundError           30002 provider location id is not ours
    ├── ItemNotFoundError               30004 item id unknown (or not sold from that location)
    ├── InvalidReturnError              30005 return request invalid
    ├── NotServiceableError             30009 drop-off location not serviceable
    ├── InvalidCancellationReasonError  30012 reason id not usable by this side
    ├── CancellationRejectedError       30014 cancel for "TAT breached" before the promised time
    ├── InvalidRatingError              30015 rating value or target unusable
    ├── StoreClosedError                30017 merchant not taking orders now
    ├── OrderNotFoundError              30018 no such order
    ├── ConfirmFailedError              30019 confirm cannot be honoured (no init before it)
    ├── BelowMinimumOrderValueError     30023 cart value below the minimum order value
    ├── OutOfStockError                 40002 quantity unavailable, with available counts per item
    ├── SoldOutError                    40002 an item sold out between select and confirm
    ├── QuoteUnavailableError           40003 quote no longer available (ttl expired)
    ├── TrackingNotEnabledError         40005 no tracking for this order
    ├── QuoteChangedError               40008 quote differs from ours (init/confirm)
    ├── MaxQuantityExceededError        40009 more than max_per_order
    ├── MinimumQuantityError            40012 quantity below 1
    ├── CancellationNotPossibleError    50001 cancellation policy forbids it
    ├── UpdateNotPossibleError          50002 update policy forbids it
    ├── RatingCategoryError             50003 rating category not supported
    ├── SupportUnavailableError         50004 no support contact for that reference
    └── IllegalTransitionError          internal: a state-machine move the tables forbid (40000 if it leaks)

These are *callback* errors (``adapter.errors.CallbackError``): they go in the ``error`` object of an ``on_*``
callback, not in a NACK (a business error does not produce a NACK, PROTOCOL.md §2). Flows raise them; the inbound
dispatcher (``adapter.orders.inbound``) and the reply builder (``adapter.delivery.replies``) render them with
``adapter.errors.to_ondc_error``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal

from adapter.errors import CallbackError, item_error_message, to_ondc_error

__all__ = [
    "BelowMinimumOrderValueError",
    "CancellationNotPossibleError",
    "CancellationRejectedError",
    "ConfirmFailedError",
    "IllegalTransitionError",
    "InvalidCancellationReasonError",
    "InvalidRatingError",
    "InvalidReturnError",
    "ItemNotFoundError",
    "LocationNotFoundError",
    "MaxQuantityExceededError",
    "MinimumQuantityError",
    "NotServiceableError",
    "OrderError",
    "OrderNotFoundError",
    "OutOfStockError",
    "ProviderNotFoundError",
    "QuoteChangedError",
    "QuoteUnavailableError",
    "RatingCategoryError",
    "SoldOutError",
    "StoreClosedError",
    "SupportUnavailableError",
    "TrackingNotEnabledError",
    "UpdateNotPossibleError",
    "to_ondc_error",
]


class OrderError(CallbackError):
    """Base of every order-flow error; carries the ONDC error code, type and an optional JSON path."""


class ProviderNotFoundError(OrderError):
    """The provider id in the request is not one of ours."""

    code = "30001"
    default_message = "Provider not found"

    def __init__(self, provider_id: str, *, path: str | None = "message.order.provider.id") -> None:
        self.provider_id = provider_id
        super().__init__(f"Provider {provider_id!r} not found", path=path)


class LocationNotFoundError(OrderError):
    """The provider location id in the request is not one of ours."""

    code = "30002"
    default_message = "Provider location not found"

    def __init__(self, location_id: str, *, path: str | None = "message.order.provider.locations") -> None:
        self.location_id = location_id
        super().__init__(f"Provider location {location_id!r} not found", path=path)


class ItemNotFoundError(OrderError):
    """The item id is unknown, or the item is not sold from the requested location."""

    code = "30004"
    default_message = "Item not found"

    def __init__(self, item_id: str, message: str | None = None, *, path: str | None = "message.order.items") -> None:
        self.item_id = item_id
        super().__init__(message or f"Item {item_id!r} not found", path=path)

    def item_errors(self) -> list[tuple[str, str]]:
        """Return [(item_id, "30004")]."""
        return [(self.item_id, self.code)]


class InvalidReturnError(OrderError):
    """The return request is invalid (reason, item, quantity or window)."""

    code = "30005"
    default_message = "Invalid return request"


class NotServiceableError(OrderError):
    """The drop-off location is outside the seller's serviceability."""

    code = "30009"
    default_message = "Dropoff location not serviceable"


class InvalidCancellationReasonError(OrderError):
    """The cancellation reason id is unknown or not usable by the side that sent it."""

    code = "30012"
    default_message = "Invalid cancellation reason"

    def __init__(self, reason_id: str, message: str | None = None) -> None:
        self.reason_id = reason_id
        super().__init__(message or f"Invalid cancellation reason {reason_id!r}",
                         path="message.cancellation_reason_id")


class CancellationRejectedError(OrderError):
    """The buyer's cancellation reason does not hold yet (TAT breached before the promised delivery time)."""

    code = "30014"
    default_message = "Cancellation rejected"


class InvalidRatingError(OrderError):
    """A rating with a value or target we cannot take (ONDC 1.2.0 on_rating)."""

    code = "30015"
    default_message = "Invalid rating"


class StoreClosedError(OrderError):
    """The merchant is not taking orders now (closed day, hours or holiday)."""

    code = "30017"
    default_message = "Merchant is currently not taking orders"


class OrderNotFoundError(OrderError):
    """No order with this id for this provider."""

    code = "30018"
    default_message = "Order not found"


class ConfirmFailedError(OrderError):
    """The confirm cannot be honoured as sent (for example, no init came before it)."""

    code = "30019"
    default_message = "Order confirm error"


class BelowMinimumOrderValueError(OrderError):
    """The cart value is below the provider's minimum order value."""

    code = "30023"
    default_message = "Cart value is less than minimum order value"

    def __init__(self, order_value: Decimal, minimum: Decimal) -> None:
        self.order_value = order_value
        self.minimum = minimum
        super().__init__(f"Cart value {order_value:.2f} is less than minimum order value {minimum:.2f}")


class OutOfStockError(OrderError):
    """One or more items cannot be supplied in the requested quantity; ``available`` maps item id -> count."""

    code = "40002"
    default_message = "Item quantity unavailable"

    def __init__(self, available: Mapping[str, int]) -> None:
        if not available:
            raise ValueError("OutOfStockError needs at least one item")
        self.available = dict(available)
        super().__init__(item_error_message(self.item_errors()), path="message.order.items")

    def item_errors(self) -> list[tuple[str, str]]:
        """Return [(item_id, "40002"), ...] in insertion order."""
        return [(item_id, self.code) for item_id in self.available]


class SoldOutError(OrderError):
    """Stock ran out while the order was being confirmed (another order took it)."""

    code = "40002"
    default_message = "an item sold out while confirming; select again"


class QuoteUnavailableError(OrderError):
    """The quote is no longer available (its ttl has passed)."""

    code = "40003"
    default_message = "Quote no longer available"


class TrackingNotEnabledError(OrderError):
    """No fulfilment of the order has tracking."""

    code = "40005"
    default_message = "Tracking not enabled for any fulfillment in the order"


class QuoteChangedError(OrderError):
    """The quote the buyer app sent (init/confirm) differs from the one we would give now."""

    # ONDC-RFC-001: 40008 "Change in quote" is the specific code; 30019 is the generic confirm failure
    # and 40003 means the quote expired.
    code = "40008"
    default_message = "Change in quote"


class MaxQuantityExceededError(OrderError):
    """The requested quantity is above the item's max_per_order."""

    code = "40009"
    default_message = "Maximum order qty exceeded"

    def __init__(self, item_id: str, requested: int, maximum: int) -> None:
        self.item_id = item_id
        self.requested = requested
        self.maximum = maximum
        super().__init__(f"Item {item_id!r}: {requested} requested, at most {maximum} per order",
                         path="message.order.items")

    def item_errors(self) -> list[tuple[str, str]]:
        """Return [(item_id, "40009")]."""
        return [(self.item_id, self.code)]


class MinimumQuantityError(OrderError):
    """The requested quantity is below 1."""

    code = "40012"
    default_message = "Minimum order qty required"

    def __init__(self, item_id: str, requested: int) -> None:
        self.item_id = item_id
        self.requested = requested
        super().__init__(f"Item {item_id!r}: quantity {requested} is below 1", path="message.order.items")

    def item_errors(self) -> list[tuple[str, str]]:
        """Return [(item_id, "40012")]."""
        return [(self.item_id, self.code)]


class CancellationNotPossibleError(OrderError):
    """The cancellation policy (item not cancellable, order already shipped or terminal) forbids it."""

    code = "50001"
    default_message = "Cancellation not possible"


class UpdateNotPossibleError(OrderError):
    """The update policy forbids this update."""

    code = "50002"
    default_message = "Update not possible"


class RatingCategoryError(OrderError):
    """A rating category we do not take ratings for."""

    code = "50003"
    default_message = "Rating category not supported"


class SupportUnavailableError(OrderError):
    """We cannot tell whose support contact the buyer app asks for."""

    code = "50004"
    default_message = "Support unavailable"


class IllegalTransitionError(OrderError):
    """A state-machine move that the transition tables forbid (internal; callers map it to 50001/50002)."""

    def __init__(self, machine: str, current: str, target: str, allowed: Iterable[str]) -> None:
        self.machine = machine
        self.current = current
        self.target = target
        self.allowed = tuple(allowed)
        allowed_text = ", ".join(self.allowed) if self.allowed else "none"
        super().__init__(f"{machine}: {current!r} -> {target!r} is not allowed; allowed: {allowed_text}")

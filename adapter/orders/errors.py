"""Business errors of the order flow, each with its ONDC code (ONDC-RFC-001, PROTOCOL.md §5).

    OrderError                          base: ONDC code, error type, message, optional JSON path
    ├── ProviderNotFoundError           30001 provider id is not ours
    ├── LocationNotFoundError           30002 provider location id is not ours
    ├── ItemNotFoundError               30004 item id unknown (or not sold from that location)
    ├── InvalidReturnError              30005 return request invalid
    ├── NotServiceableError             30009 drop-off location not serviceable
    ├── InvalidCancellationReasonError  30012 reason id not usable by this side
    ├── StoreClosedError                30017 merchant not taking orders now
    ├── OrderNotFoundError              30018 no such order
    ├── BelowMinimumOrderValueError     30023 cart value below the minimum order value
    ├── OutOfStockError                 40002 quantity unavailable, with available counts per item
    ├── QuoteUnavailableError           40003 quote no longer available (ttl expired)
    ├── TrackingNotEnabledError         40005 no tracking for this order
    ├── QuoteChangedError               40008 quote differs from ours (init/confirm)
    ├── MaxQuantityExceededError        40009 more than max_per_order
    ├── MinimumQuantityError            40012 quantity below 1
    ├── CancellationNotPossibleError    50001 cancellation policy forbids it
    ├── UpdateNotPossibleError          50002 update policy forbids it
    └── IllegalTransitionError          internal: a state-machine move the tables forbid (40000 if it leaks)

These are *callback* errors: they go in the ``error`` object of an ``on_*`` callback, not in a NACK
(a business error does not produce a NACK, PROTOCOL.md §2). ``to_ondc_error`` builds that object.
The package imports nothing from ``adapter.errors`` (import-linter keeps the core layers independent);
an edge that must NACK wraps an ``OrderError`` into ``adapter.errors.ProtocolError`` with ``code`` and ``path``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import ClassVar

__all__ = [
    "BelowMinimumOrderValueError",
    "CancellationNotPossibleError",
    "IllegalTransitionError",
    "InvalidCancellationReasonError",
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
    "StoreClosedError",
    "TrackingNotEnabledError",
    "UpdateNotPossibleError",
    "to_ondc_error",
]


class OrderError(Exception):
    """Base of every order-flow error; carries the ONDC error code, type and an optional JSON path."""

    code: ClassVar[str] = "40000"
    error_type: ClassVar[str] = "DOMAIN-ERROR"
    default_message: ClassVar[str] = "Business error"

    def __init__(self, message: str | None = None, *, path: str | None = None) -> None:
        self.message = message or self.default_message
        self.path = path
        super().__init__(self.message)

    def item_errors(self) -> list[tuple[str, str]]:
        """Return (item_id, code) pairs when this is an item-level error, else an empty list."""
        return []


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


class StoreClosedError(OrderError):
    """The merchant is not taking orders now (closed day, hours or holiday)."""

    code = "30017"
    default_message = "Merchant is currently not taking orders"


class OrderNotFoundError(OrderError):
    """No order with this id for this provider."""

    code = "30018"
    default_message = "Order not found"


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
        super().__init__(_item_message(self.item_errors()), path="message.order.items")

    def item_errors(self) -> list[tuple[str, str]]:
        """Return [(item_id, "40002"), ...] in insertion order."""
        return [(item_id, self.code) for item_id in self.available]


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


class IllegalTransitionError(OrderError):
    """A state-machine move that the transition tables forbid (internal; callers map it to 50001/50002)."""

    def __init__(self, machine: str, current: str, target: str, allowed: Iterable[str]) -> None:
        self.machine = machine
        self.current = current
        self.target = target
        self.allowed = tuple(allowed)
        allowed_text = ", ".join(self.allowed) if self.allowed else "none"
        super().__init__(f"{machine}: {current!r} -> {target!r} is not allowed; allowed: {allowed_text}")


# Which error the callback reports when several apply: request-shape errors first, then the store,
# then items, then the cart value. Anything not listed comes after.
_PRIORITY = ("30001", "30002", "30004", "40012", "30017", "30009", "40002", "40009", "30023")


def _rank(error: OrderError) -> int:
    return _PRIORITY.index(error.code) if error.code in _PRIORITY else len(_PRIORITY)


def _item_message(pairs: Iterable[tuple[str, str]]) -> str:
    # ONDC RET 1.2.5 on_select_out_of_stock: message is the compact JSON list [{"item_id":..,"error":..}]
    return json.dumps([{"item_id": item_id, "error": code} for item_id, code in pairs], separators=(",", ":"))


def to_ondc_error(errors: Sequence[OrderError]) -> dict[str, str] | None:
    """Return the callback ``error`` object for these errors (the most important one's code), or None if none.

    Item-level errors (30004, 40002, 40009, 40012) are reported together: when the chosen error is one of them,
    the message is the JSON list of every item-level error, e.g. ``[{"item_id":"I1","error":"40002"}]``.
    """
    if not errors:
        return None
    primary = min(errors, key=_rank)  # min() is stable: the first of equal rank wins
    pairs = [pair for error in errors for pair in error.item_errors()]
    message = _item_message(pairs) if primary.item_errors() else primary.message
    return {"type": primary.error_type, "code": primary.code, "message": message}

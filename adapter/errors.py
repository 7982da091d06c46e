"""The one error tree of the service.

    AdapterError                 base; carries an HTTP status and a machine-readable code
    ├── ApiError                 operator/cooperative REST API errors, rendered as JSON
    │   ├── InvalidRequestError  400/422, with field details
    │   ├── AuthenticationError  401, missing or wrong API key
    │   ├── PermissionDeniedError 403
    │   ├── NotFoundError        404 (also used for other tenants' resources)
    │   ├── ConflictError        409
    │   └── TooManyRequestsError 429, with the seconds to wait
    └── ProtocolError            an ONDC NACK: error type, ONDC code and JSON path

    CallbackError                an ACKed request answered with an error in its on_* callback
    ├── InvalidNetworkRequestError  30000 the request passed the schemas but cannot be acted on
    ├── InternalFailureError     31001 a bug of ours; the buyer app may retry
    ├── ActionNotSupportedError  40001 an action no flow of ours answers
    └── adapter.orders.errors.OrderError   the order flows' business errors (30001, 40002, 50001, ...)

Views never build error bodies by hand: they raise, and one handler renders. Flows never build callback
``error`` objects by hand either: they raise (or pass) a ``CallbackError``, and ``to_ondc_error`` renders it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any, ClassVar, Self


class AdapterError(Exception):
    """Base of every error we render to a client."""

    status = 500
    code = "internal_error"

    def __init__(self, message: str, *, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def to_dict(self) -> dict[str, Any]:
        """The JSON error body."""
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details is not None:
            body["details"] = self.details
        return {"error": body}


class ApiError(AdapterError):
    """An error of the REST API."""

    status = 400
    code = "bad_request"


class InvalidRequestError(ApiError):
    """The request body or parameters are not acceptable."""

    status = 422
    code = "invalid_request"


class AuthenticationError(ApiError):
    """No API key, or one we do not know."""

    status = 401
    code = "unauthenticated"


class PermissionDeniedError(ApiError):
    """The key is valid but may not do this."""

    status = 403
    code = "forbidden"


class NotFoundError(ApiError):
    """No such resource for this caller (other tenants' resources look absent too)."""

    status = 404
    code = "not_found"


class ConflictError(ApiError):
    """The resource already exists or is in a state that forbids this."""

    status = 409
    code = "conflict"


class TooManyRequestsError(ApiError):
    """Too many failed attempts from this address: wait ``retry_after`` seconds."""

    status = 429
    code = "too_many_requests"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message, details={"retry_after": retry_after})
        self.retry_after = retry_after


class ProtocolError(AdapterError):
    """A request the network sent that we NACK, with its ONDC error code and JSON path."""

    status = 400
    code = "nack"

    def __init__(self, message: str, *, ondc_code: str, error_type: str, path: str | None = None,
                 status: int = 400) -> None:
        super().__init__(message)
        self.ondc_code = ondc_code
        self.error_type = error_type
        self.path = path
        self.status = status

    def to_dict(self) -> dict[str, Any]:
        """The ONDC NACK body."""
        error: dict[str, Any] = {"type": self.error_type, "code": self.ondc_code, "message": self.message}
        if self.path:
            error["path"] = self.path
        return {"message": {"ack": {"status": "NACK"}}, "error": error}


class CallbackError(Exception):
    """A problem with an ACKed request, answered in its callback's ``error`` (ONDC: business errors never NACK)."""

    code: ClassVar[str] = "40000"
    error_type: ClassVar[str] = "DOMAIN-ERROR"
    default_message: ClassVar[str] = "Business error"
    show_path: ClassVar[bool] = False  # the order errors' paths are for logs; the callbacks never carried them

    def __init__(self, message: str | None = None, *, path: str | None = None) -> None:
        self.message = message or self.default_message
        self.path = path
        self.cooperative_id: int | None = None
        super().__init__(self.message)

    def for_cooperative(self, cooperative_id: int | None) -> Self:
        """The cooperative the request was about, so the error callback shows in its outbox; returns self."""
        self.cooperative_id = cooperative_id
        return self

    def item_errors(self) -> list[tuple[str, str]]:
        """Return (item_id, code) pairs when this is an item-level error, else an empty list."""
        return []


class InvalidNetworkRequestError(CallbackError):
    """The request passed the schemas, but something in it cannot be acted on (an id, a value, a reference)."""

    code = "30000"
    default_message = "Invalid request"
    show_path = True


class InternalFailureError(CallbackError):
    """We failed on our side; the buyer app may send the request again."""

    code = "31001"
    error_type = "CORE-ERROR"
    default_message = "Cannot process request due to internal error, please retry"


class ActionNotSupportedError(CallbackError):
    """No flow of ours answers this action."""

    code = "40001"
    default_message = "Feature not supported"


# Which error the callback reports when several apply: request-shape errors first, then the store,
# then items, then the cart value. Anything not listed comes after.
_PRIORITY = ("30000", "30001", "30002", "30004", "40012", "30017", "30009", "40002", "40009", "30023")


def _rank(error: CallbackError) -> int:
    return _PRIORITY.index(error.code) if error.code in _PRIORITY else len(_PRIORITY)


def item_error_message(pairs: Iterable[tuple[str, str]]) -> str:
    """The message of item-level errors (ONDC RET 1.2.5 on_select_out_of_stock): [{"item_id":..,"error":..}]."""
    return json.dumps([{"item_id": item_id, "error": code} for item_id, code in pairs], separators=(",", ":"))


def to_ondc_error(errors: CallbackError | Sequence[CallbackError] | None) -> dict[str, str] | None:
    """The callback ``error`` object for these errors (the most important one's code), or None if none.

    Item-level errors (30004, 40002, 40009, 40012) are reported together: when the chosen error is one of them,
    the message is the JSON list of every item-level error, e.g. ``[{"item_id":"I1","error":"40002"}]``.
    """
    if errors is None:
        return None
    if isinstance(errors, CallbackError):
        errors = [errors]
    if not errors:
        return None
    primary = min(errors, key=_rank)  # min() is stable: the first of equal rank wins
    pairs = [pair for error in errors for pair in error.item_errors()]
    message = item_error_message(pairs) if primary.item_errors() else primary.message
    body = {"type": primary.error_type, "code": primary.code, "message": message}
    if primary.path and primary.show_path:
        body["path"] = primary.path
    return body

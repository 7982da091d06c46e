"""The one error tree of the service.

    AdapterError                 base; carries an HTTP status and a machine-readable code
    ├── ApiError                 operator/cooperative REST API errors, rendered as JSON
    │   ├── InvalidRequestError  400/422, with field details
    │   ├── AuthenticationError  401, missing or wrong API key
    │   ├── PermissionDeniedError 403
    │   ├── NotFoundError        404 (also used for other tenants' resources)
    │   └── ConflictError        409
    └── ProtocolError            an ONDC NACK: error type, ONDC code and JSON path

Views never build error bodies by hand: they raise, and one handler renders.
"""

from __future__ import annotations

from typing import Any


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

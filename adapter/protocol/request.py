"""A stored network request, parsed once into a typed envelope that travels with it through the flows."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import orjson

from adapter.protocol.context import DEFAULT_TTL, deadline_of

__all__ = ["NetworkRequest", "RequestContext"]


@dataclass(frozen=True)
class RequestContext:
    """The context of a request we ACKed (the webhook schemas already checked every field is there)."""

    action: str
    domain: str
    city: str
    bap_id: str
    bap_uri: str
    transaction_id: str
    message_id: str
    timestamp: str
    ttl: str = DEFAULT_TTL
    core_version: str = ""
    # Set on a courier's callback (we are the BAP there): who answered.
    bpp_id: str = ""
    bpp_uri: str = ""

    @classmethod
    def from_dict(cls, context: dict[str, Any]) -> RequestContext:
        """The typed context; KeyError when a field the schemas require is missing.

        A Beckn 2.0 context (RSF) names its city in ``location.city.code`` and its version in ``version``.
        """
        if "location" in context and "city" not in context:
            location = context["location"]
            city = location["city"]["code"] if isinstance(location, dict) else None
            context = {**context, "city": city, "core_version": context.get("version", "")}
        return cls(action=str(context.get("action", "")), domain=str(context["domain"]), city=str(context["city"]),
                   bap_id=str(context["bap_id"]), bap_uri=str(context["bap_uri"]),
                   transaction_id=str(context["transaction_id"]), message_id=str(context["message_id"]),
                   timestamp=str(context["timestamp"]), ttl=str(context.get("ttl") or DEFAULT_TTL),
                   core_version=str(context.get("core_version", "")), bpp_id=str(context.get("bpp_id") or ""),
                   bpp_uri=str(context.get("bpp_uri") or ""))

    @property
    def deadline(self) -> dt.datetime:
        """When a solicited callback stops being useful: the request's timestamp plus its ttl."""
        return deadline_of({"timestamp": self.timestamp, "ttl": self.ttl})


@dataclass(frozen=True)
class NetworkRequest:
    """One stored request: its id in ``inbound_messages``, its typed context and its message (a catalogue
    rejection has none: its reasons are ``errors``, beside the context)."""

    inbound_id: int
    action: str
    context: RequestContext
    message: dict[str, Any]
    errors: list[dict[str, Any]] = field(default_factory=list)
    error: dict[str, Any] = field(default_factory=dict)  # an on_* answer's error object (a courier's refusal)

    @classmethod
    def parse(cls, inbound_id: int, action: str, body: bytes) -> NetworkRequest:
        """Parse the stored raw body (ValueError or KeyError when it is not a request)."""
        payload = orjson.loads(body)
        if not isinstance(payload, dict) or not isinstance(payload.get("context"), dict):
            raise ValueError("the request has no context object")
        message = payload.get("message")
        errors, error = payload.get("errors"), payload.get("error")
        return cls(inbound_id=inbound_id, action=action, context=RequestContext.from_dict(payload["context"]),
                   message=message if isinstance(message, dict) else {},
                   errors=[e for e in errors if isinstance(e, dict)] if isinstance(errors, list) else [],
                   error=error if isinstance(error, dict) else {})

"""One registry record (the ONDC `/v2.0/lookup` response shape) and the registry errors.

Pure: parsing, formatting and validity checks take their inputs, including `now`.
Public names are re-exported from `adapter.protocol.registry`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from adapter.protocol.keys import KeyFormatError, decode_signing_public_key

__all__ = [
    "RegistryEntry",
    "RegistryEntryError",
    "RegistryError",
    "format_timestamp",
    "parse_timestamp",
    "select_entry",
]

# Lookup fields that may be absent (or null) in a registry answer; they default to "".
_OPTIONAL = ("encr_public_key", "type", "domain", "city", "subscriber_url")


class RegistryError(Exception):
    """A lookup failed and there was nothing, not even a stale entry, to serve; `reason` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class RegistryEntryError(ValueError):
    """A registry record is not in the lookup shape; `field` names the offending key."""

    def __init__(self, field: str | None, problem: str) -> None:
        super().__init__(f"{field}: {problem}" if field else problem)
        self.field = field
        self.problem = problem


def parse_timestamp(value: str) -> datetime:
    """Parse an ISO 8601 registry timestamp (``Z`` or an offset; none means UTC) to an aware UTC datetime."""
    parsed = datetime.fromisoformat(value.strip())
    if parsed.tzinfo is None:
        # The registry writes UTC; a bare timestamp from a hand-written static file means UTC too.
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def format_timestamp(value: datetime) -> str:
    """Format an aware datetime the way the registry does (``2025-01-01T00:00:00.000Z``), losslessly."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("registry timestamps must be timezone-aware")
    utc = value.astimezone(UTC)
    spec = "milliseconds" if utc.microsecond % 1000 == 0 else "microseconds"
    return utc.replace(tzinfo=None).isoformat(timespec=spec) + "Z"


def _string(data: dict[str, Any], name: str, *, required: bool) -> str:
    value = data.get(name)
    if value is None:
        if required:
            raise RegistryEntryError(name, "is missing")
        return ""
    if not isinstance(value, str):
        raise RegistryEntryError(name, f"expected a string, got {type(value).__name__}")
    if required and not value.strip():
        raise RegistryEntryError(name, "is empty")
    return value.strip()


def _timestamp(data: dict[str, Any], name: str) -> datetime:
    text = _string(data, name, required=True)
    try:
        return parse_timestamp(text)
    except ValueError:
        raise RegistryEntryError(name, f"expected an ISO 8601 timestamp, got {text!r}") from None


@dataclass(frozen=True)
class RegistryEntry:
    """A participant's registered key and endpoint, as the registry's lookup returns it."""

    subscriber_id: str
    unique_key_id: str
    signing_public_key: str
    encr_public_key: str
    valid_from: datetime
    valid_until: datetime
    type: str
    domain: str
    city: str
    subscriber_url: str

    @classmethod
    def from_lookup(cls, data: dict[str, Any]) -> RegistryEntry:
        """Parse one lookup-response object; raise RegistryEntryError naming the bad field."""
        if not isinstance(data, dict):
            raise RegistryEntryError(None, f"expected a JSON object, got {type(data).__name__}")
        # The v2.0 lookup says `ukId`; older registry payloads say `unique_key_id`.
        uk_key = "ukId" if "ukId" in data or "unique_key_id" not in data else "unique_key_id"
        values = {name: _string(data, name, required=True) for name in ("subscriber_id", "signing_public_key")}
        unique_key_id = _string(data, uk_key, required=True)
        try:
            decode_signing_public_key(values["signing_public_key"])
        except KeyFormatError as error:
            raise RegistryEntryError("signing_public_key", str(error)) from None
        valid_from = _timestamp(data, "valid_from")
        valid_until = _timestamp(data, "valid_until")
        if valid_until <= valid_from:
            raise RegistryEntryError("valid_until", "must be after valid_from")
        optional = {name: _string(data, name, required=False) for name in _OPTIONAL}
        return cls(
            subscriber_id=values["subscriber_id"],
            unique_key_id=unique_key_id,
            signing_public_key=values["signing_public_key"],
            encr_public_key=optional["encr_public_key"],
            valid_from=valid_from,
            valid_until=valid_until,
            type=optional["type"],
            domain=optional["domain"],
            city=optional["city"],
            subscriber_url=optional["subscriber_url"],
        )

    def is_valid_at(self, now: datetime) -> bool:
        """Whether the key is inside its validity window at ``now`` (aware): valid_from <= now < valid_until."""
        if now.tzinfo is None or now.utcoffset() is None:
            raise ValueError("now must be timezone-aware")
        return self.valid_from <= now < self.valid_until

    def to_lookup(self) -> dict[str, str]:
        """The lookup-response object for this entry (the inverse of `from_lookup`)."""
        return {
            "subscriber_id": self.subscriber_id,
            "ukId": self.unique_key_id,
            "signing_public_key": self.signing_public_key,
            "encr_public_key": self.encr_public_key,
            "valid_from": format_timestamp(self.valid_from),
            "valid_until": format_timestamp(self.valid_until),
            "type": self.type,
            "domain": self.domain,
            "city": self.city,
            "subscriber_url": self.subscriber_url,
        }

    def matches(self, subscriber_id: str, unique_key_id: str | None, domain: str | None) -> bool:
        """Whether this entry answers a lookup for (subscriber_id, ukId?, domain?)."""
        return (
            self.subscriber_id == subscriber_id
            and (unique_key_id is None or self.unique_key_id == unique_key_id)
            and (domain is None or self.domain == domain)
        )


def select_entry(
    entries: list[RegistryEntry], subscriber_id: str, unique_key_id: str | None, domain: str | None, now: datetime
) -> RegistryEntry | None:
    """The entry answering a lookup at ``now``: matching and valid, the most recently issued key first."""
    candidates = [e for e in entries if e.matches(subscriber_id, unique_key_id, domain) and e.is_valid_at(now)]
    if not candidates:
        return None
    return max(candidates, key=lambda e: (e.valid_from, e.valid_until))


def url_host(url: str) -> str | None:
    """The host a URL names, as urllib reads it (lower case; "" when it has none), to compare a request's
    bap_uri/bpp_uri with the `subscriber_url` its signer registered; None when urllib cannot read one
    ("http://[::1/x")."""
    try:
        return urlsplit(url).hostname or ""
    except ValueError:
        return None

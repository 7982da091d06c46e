"""The Beckn/ONDC message context (PROTOCOL.md §2)."""

from __future__ import annotations

import datetime as dt
from typing import Any

CORE_VERSION = "1.2.5"
ACCEPTED_CORE_VERSIONS = ("1.2.0", "1.2.5")
DEFAULT_TTL = "PT30S"


def format_timestamp(moment: dt.datetime) -> str:
    """RFC 3339 UTC with milliseconds, as ONDC validators expect: 2024-06-23T00:16:46.000Z."""
    if moment.tzinfo is None:
        raise ValueError("timestamps must be timezone-aware")
    utc = moment.astimezone(dt.UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def build_context(
    *,
    action: str,
    domain: str,
    city: str,
    bpp_id: str,
    bpp_uri: str,
    transaction_id: str,
    message_id: str,
    now: dt.datetime,
    bap_id: str | None = None,
    bap_uri: str | None = None,
    ttl: str = DEFAULT_TTL,
) -> dict[str, Any]:
    """A complete context for a message we send; ids and time are passed in."""
    context: dict[str, Any] = {
        "domain": domain,
        "country": "IND",
        "city": city,
        "action": action,
        "core_version": CORE_VERSION,
    }
    if bap_id is not None:
        context["bap_id"] = bap_id
    if bap_uri is not None:
        context["bap_uri"] = bap_uri
    context.update(
        {
            "bpp_id": bpp_id,
            "bpp_uri": bpp_uri,
            "transaction_id": transaction_id,
            "message_id": message_id,
            "timestamp": format_timestamp(now),
            "ttl": ttl,
        }
    )
    return context

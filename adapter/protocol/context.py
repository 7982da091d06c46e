"""The Beckn/ONDC message context (PROTOCOL.md §2)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from adapter.errors import ProtocolError

CORE_VERSION = "1.2.5"
ACCEPTED_CORE_VERSIONS = ("1.2.0", "1.2.5")
DEFAULT_TTL = "PT30S"
MAX_TTL = dt.timedelta(hours=1)
# ONDC's Reconciliation and Settlement Framework (RSF 2.0) speaks Beckn 2.0 contexts in its own domain: a
# `location` object instead of country and city, `version` instead of core_version, and a day-long ttl.
RSF_DOMAIN = "ONDC:NTS10"
RSF_VERSION = "2.0.0"
RSF_ACTIONS = frozenset({"recon"})
RSF_TTL = "P1D"
MAX_RSF_TTL = dt.timedelta(days=1)


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


def build_rsf_context(
    *,
    action: str,
    bap_id: str,
    bap_uri: str,
    bpp_id: str,
    bpp_uri: str,
    transaction_id: str,
    message_id: str,
    now: dt.datetime,
    ttl: str = RSF_TTL,
) -> dict[str, Any]:
    """A complete RSF 2.0 context (domain ONDC:NTS10, version 2.0.0, every city) for a message we send."""
    return {
        "domain": RSF_DOMAIN,
        "location": {"country": {"code": "IND"}, "city": {"code": "*"}},
        "version": RSF_VERSION,
        "action": action,
        "bap_id": bap_id,
        "bap_uri": bap_uri,
        "bpp_id": bpp_id,
        "bpp_uri": bpp_uri,
        "transaction_id": transaction_id,
        "message_id": message_id,
        "timestamp": format_timestamp(now),
        "ttl": ttl,
    }


_DURATION = re.compile(
    r"P(?!$)(?:(?P<d>\d+)D)?(?:T(?=\d)(?:(?P<h>\d+)H)?(?:(?P<m>\d+)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?)?"
)


def parse_duration(value: str) -> dt.timedelta:
    """An ISO 8601 duration of days and time (P1D, PT30S, PT1H30M); ValueError otherwise."""
    match = _DURATION.fullmatch(value)
    if not match:
        raise ValueError(f"{value!r} is not an ISO 8601 duration like PT30S")
    parts = {k: float(v) if v else 0.0 for k, v in match.groupdict().items()}
    return dt.timedelta(days=parts["d"], hours=parts["h"], minutes=parts["m"], seconds=parts["s"])


def deadline_of(context: dict[str, Any]) -> dt.datetime:
    """When a solicited callback stops being useful: the request's timestamp plus its ttl."""
    return parse_timestamp(context["timestamp"]) + parse_duration(context.get("ttl", DEFAULT_TTL))


def parse_timestamp(value: str) -> dt.datetime:
    """An RFC 3339 timestamp with a zone (Z or an offset); ValueError otherwise."""
    moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError(f"{value!r} has no time zone")
    return moment.astimezone(dt.UTC)


@dataclass(frozen=True)
class ServedScope:
    """What we sell: the domains, and the cities (None means every city: a pan-India seller)."""

    domains: frozenset[str]
    cities: frozenset[str] | None

    def serves(self, domain: str, city: str) -> bool:
        """True when some cooperative sells in this domain and city (city "*" matches any)."""
        if domain not in self.domains:
            return False
        return self.cities is None or city == "*" or city in self.cities


@dataclass(frozen=True)
class ContextPolicy:
    """What an inbound context must say to be processed."""

    bpp_id: str
    max_skew: int  # seconds a timestamp may be ahead of our clock


def _context_error(message: str, path: str, code: str = "30000") -> ProtocolError:
    return ProtocolError(message, ondc_code=code, error_type="CONTEXT-ERROR", path=f"context.{path}")


def check_context(
    context: dict[str, Any], *, action: str, policy: ContextPolicy, scope: ServedScope, now: dt.datetime
) -> bool:
    """Check the semantics of a structurally valid context; False means "ACK but ignore" (search we don't serve).

    Raises ProtocolError (a CONTEXT-ERROR NACK) for anything we must refuse.
    """
    if context.get("action") != action:
        raise _context_error(f"context.action must be {action!r} on this endpoint", "action")
    if action in RSF_ACTIONS:
        return _check_rsf_context(context, policy=policy, now=now)
    if context.get("core_version") not in ACCEPTED_CORE_VERSIONS:
        raise _context_error(
            f"core_version must be one of {', '.join(ACCEPTED_CORE_VERSIONS)}", "core_version"
        )
    bpp_id = context.get("bpp_id")
    if action != "search" and bpp_id != policy.bpp_id:
        raise _context_error(f"bpp_id must be {policy.bpp_id!r}", "bpp_id")
    if action == "search" and bpp_id not in (None, policy.bpp_id):
        raise _context_error(f"bpp_id must be {policy.bpp_id!r} or absent", "bpp_id")
    _check_timing(context, policy=policy, now=now, longest=MAX_TTL,
                  usual="ttl must be at most PT1H (ONDC uses PT30S for these actions)")
    domain, city = str(context.get("domain")), str(context.get("city"))
    if scope.serves(domain, city):
        return True
    if action == "search":
        return False  # ONDC: a BPP ignores searches for domains or cities it does not serve
    if domain not in scope.domains:
        raise _context_error(f"we do not sell in domain {domain!r}", "domain")
    raise _context_error(f"we do not serve city {city!r}", "city")


def check_callback_context(context: dict[str, Any], *, action: str, policy: ContextPolicy, now: dt.datetime) -> None:
    """Check a structurally valid logistics callback's context: addressed to us as the BAP, and on time.

    Raises ProtocolError (a CONTEXT-ERROR NACK) for anything we must refuse.
    """
    if context.get("action") != action:
        raise _context_error(f"context.action must be {action!r} on this endpoint", "action")
    if context.get("core_version") not in ACCEPTED_CORE_VERSIONS:
        raise _context_error(f"core_version must be one of {', '.join(ACCEPTED_CORE_VERSIONS)}", "core_version")
    if context.get("bap_id") != policy.bpp_id:
        raise _context_error(f"bap_id must be {policy.bpp_id!r}: we did not send this search", "bap_id")
    _check_timing(context, policy=policy, now=now, longest=MAX_TTL,
                  usual="ttl must be at most PT1H (ONDC uses PT30S for these actions)")


def _check_timing(context: dict[str, Any], *, policy: ContextPolicy, now: dt.datetime, longest: dt.timedelta,
                  usual: str) -> None:
    """The ttl is a duration no longer than ``longest``; the timestamp is neither in the future nor stale."""
    try:
        ttl = parse_duration(str(context.get("ttl", DEFAULT_TTL)))
    except (ValueError, OverflowError) as error:
        raise _context_error(str(error), "ttl") from error
    if ttl > longest:
        # Callbacks are retried until the request's ttl runs out: an endless ttl would mean endless retries.
        raise _context_error(usual, "ttl")
    try:
        sent = parse_timestamp(str(context.get("timestamp")))
    except (ValueError, OverflowError) as error:
        raise _context_error(f"timestamp must be RFC 3339 with a zone: {error}", "timestamp") from error
    skew = dt.timedelta(seconds=policy.max_skew)
    # ONDC RET 1.2.x: a request older than its ttl, or from the future, is stale (30022).
    if sent > now + skew:
        raise _context_error("timestamp is in the future", "timestamp", code="30022")
    if sent + ttl + skew < now:
        raise _context_error("request is stale: its timestamp plus ttl has passed", "timestamp", code="30022")


def _check_rsf_context(context: dict[str, Any], *, policy: ContextPolicy, now: dt.datetime) -> bool:
    """The RSF 2.0 context of a recon addressed to us (its domain and version were checked by the schema)."""
    if context.get("domain") != RSF_DOMAIN:
        raise _context_error(f"domain must be {RSF_DOMAIN} for RSF actions", "domain")
    if context.get("version") != RSF_VERSION:
        raise _context_error(f"version must be {RSF_VERSION} for RSF actions", "version")
    if context.get("bpp_id") != policy.bpp_id:
        raise _context_error(f"bpp_id must be {policy.bpp_id!r}", "bpp_id")
    _check_timing(context, policy=policy, now=now, longest=MAX_RSF_TTL,
                  usual="ttl must be at most P1D (RSF uses P1D)")
    return True

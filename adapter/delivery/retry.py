"""The retry policy: what a POST's result means for the outbox row, and how long to wait before the next try.

Pure functions; the random source is passed in. The table is in docs/delivery.md, "Retry table".
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Literal

from adapter.delivery.http import HttpResult, TransportError

__all__ = ["RETRYABLE_NACK_CODES", "Outcome", "classify", "next_delay", "parse_ack"]

Outcome = Literal["sent", "retry", "dead"]

# NACK codes that say "try again later" (ONDC-RFC-001):
#   23001 BNP internal error, "please retry"; 31001 internal error (retry), which some buyer apps reuse;
#   20008 callback out of sequence: our callback overtook the ACK of its request, or an unsolicited push
#         overtook an earlier callback that is still being retried. A later try can succeed.
# Not retryable: 20009 (late: a retry is later still), 20002 (stale: same bytes, same timestamp),
# 20001 (bad signature on the same bytes), and every business/terms code.
RETRYABLE_NACK_CODES = frozenset({"23001", "31001", "20008"})

# HTTP statuses that are transient by definition.
_RETRYABLE_STATUSES = frozenset({408, 425, 429})


def parse_ack(body: bytes) -> tuple[str | None, str | None]:
    """The ack status ("ACK"/"NACK"/other) and the error code of a response body; (None, None) if not an ack."""
    try:
        data: Any = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None, None
    if not isinstance(data, dict):
        return None, None
    message = data.get("message")
    ack = message.get("ack") if isinstance(message, dict) else None
    status = ack.get("status") if isinstance(ack, dict) else None
    error = data.get("error")
    code = error.get("code") if isinstance(error, dict) else None
    return (
        status.strip().upper() if isinstance(status, str) else None,
        str(code).strip() if isinstance(code, str | int) and not isinstance(code, bool) else None,
    )


def _nack_suffix(code: str | None) -> str:
    return f" (NACK {code})" if code else ""


def classify(result: HttpResult | None, error: TransportError | None) -> tuple[Outcome, str]:
    """Map a POST's response (or transport failure) to sent/retry/dead and a reason for the operator."""
    if error is not None:
        if error.kind in ("timeout", "connection"):
            return "retry", f"{error.kind}: {error.message}"
        return "dead", f"request failed: {error.message}"
    if result is None:
        raise ValueError("classify needs a result or an error")

    status = result.status_code
    ack, code = parse_ack(result.body)
    if 200 <= status < 300:
        if ack == "ACK":
            return "sent", f"HTTP {status} ACK"
        if ack == "NACK":
            if code is None:
                return "dead", f"HTTP {status} NACK without an error code"
            if code in RETRYABLE_NACK_CODES:
                return "retry", f"HTTP {status} NACK {code} (retryable)"
            return "dead", f"HTTP {status} NACK {code}"
        # The buyer app's server took the request; retrying cannot change how it answers. See docs/delivery.md.
        return "sent", f"warning: HTTP {status} without an ACK body; treated as delivered"
    if status >= 500 or status in _RETRYABLE_STATUSES:
        return "retry", f"HTTP {status}{_nack_suffix(code)}"
    if status == 401:
        return "dead", f"HTTP 401: the buyer app rejected our signature{_nack_suffix(code)}"
    if 300 <= status < 400:
        return "dead", f"HTTP {status}: redirects are not followed"
    return "dead", f"HTTP {status}{_nack_suffix(code)}"


def next_delay(attempt: int, *, base: float, cap: float, rng: Callable[[], float]) -> float:
    """Seconds to wait after failed attempt number ``attempt`` (1-based): full jitter in [0, min(cap, base*2^(n-1))]."""
    if attempt < 1:
        raise ValueError("attempt is 1-based")
    if base <= 0 or cap <= 0:
        raise ValueError("base and cap must be positive")
    # Cap the exponent so huge attempt counts cannot overflow a float.
    ceiling = min(cap, base * 2.0 ** min(attempt - 1, 64))
    fraction = rng()
    if not 0.0 <= fraction <= 1.0:
        raise ValueError("rng must return a number in [0, 1]")
    return fraction * ceiling

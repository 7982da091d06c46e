"""A quick yes for the common, valid /search: the ACK path's check before the full schemas.

Gateways broadcast every search to every seller app, so searches outnumber orders about a hundred to one and
their check is on the hot path. `plainly_valid_search` walks the request once with plain Python and answers
True only when the marshmallow schemas (`adapter.protocol.messages`) would find no problem: it accepts a subset
of what they accept, never more. Anything it does not recognise, and every error, goes to the schemas, which
name the problem. `tests/protocol/test_search_check.py` holds it to that: every mutation of real searches that
it accepts, the schemas accept too.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable
from typing import Any

from marshmallow import ValidationError, validate

from adapter.protocol.messages import MAX_URI_LENGTH
from adapter.protocol.messages_base import (
    _DECIMAL,
    _DURATION,
    _GPS,
    _RFC3339,
    FINDER_FEE_TYPES,
    FORWARD_FULFILLMENT_TYPES,
)

Check = Callable[[Any], bool]
# (check, required) per key; keys not listed are ignored, as the schemas ignore unknown keys.
Shape = dict[str, tuple[Check, bool]]

_URL = validate.URL(schemes={"http", "https"}, require_tld=False)
_DOMAIN = re.compile(r"ONDC:RET[0-9A-Z]{2}\Z")
_COUNTRY = re.compile(r"[A-Z]{3}\Z")
_CITY = re.compile(r"(std:[0-9]{2,6}|\*)\Z")
_DECIMAL_RE, _GPS_RE = re.compile(_DECIMAL), re.compile(_GPS)


def _text(value: Any) -> bool:
    return isinstance(value, str)


def _ident(value: Any) -> bool:
    return isinstance(value, str) and 0 < len(value) <= 128 and "\x00" not in value


def _matches(pattern: re.Pattern[str]) -> Check:
    return lambda value: isinstance(value, str) and pattern.match(value) is not None


def _one_of(choices: tuple[str, ...]) -> Check:
    return lambda value: isinstance(value, str) and value in choices


def _url(value: Any) -> bool:
    return isinstance(value, str) and len(value) <= MAX_URI_LENGTH and _valid_url(value)


# marshmallow's URL pattern takes about 20 us a search (and 50 ms to compile in each process), and a network
# has a few hundred bap_uri values, so each answer is kept; the bound keeps strangers' URIs from growing it.
@functools.lru_cache(maxsize=4096)
def _valid_url(value: str) -> bool:
    try:
        _URL(value)
    except ValidationError:
        return False
    return True


def _timestamp(value: Any) -> bool:
    if not isinstance(value, str) or _RFC3339.match(value) is None:
        return False
    try:
        dt.datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


def _object(shape: Shape) -> Check:
    def check(value: Any) -> bool:
        return isinstance(value, dict) and _fits(value, shape)

    return check


def _list_of(item: Check) -> Check:
    return lambda value: isinstance(value, list) and all(item(entry) for entry in value)


def _fits(value: dict[str, Any], shape: Shape) -> bool:
    for key, (check, required) in shape.items():
        if key not in value:
            if required:
                return False
            continue
        if not check(value[key]):  # None included: no field of these schemas allows null
            return False
    return True


_CONTEXT: Shape = {
    "domain": (_matches(_DOMAIN), True),
    "country": (_matches(_COUNTRY), True),
    "city": (_matches(_CITY), True),
    "action": (lambda value: value == "search", True),
    "core_version": (_text, True),
    "bap_id": (_ident, True),
    "bap_uri": (_url, True),
    "bpp_id": (_ident, False),
    "bpp_uri": (_url, False),
    "transaction_id": (_ident, True),
    "message_id": (_ident, True),
    "timestamp": (_timestamp, True),
    "ttl": (_matches(_DURATION), True),
}
_TAG = _object({"code": (_ident, True), "value": (_text, False)})
_INTENT: Shape = {
    "fulfillment": (_object({
        "type": (_one_of(FORWARD_FULFILLMENT_TYPES), False),
        "end": (_object({"location": (_object({
            "gps": (_matches(_GPS_RE), False),
            "address": (_object({"area_code": (_text, False)}), False),
        }), False)}), False),
    }), False),
    "category": (_object({"id": (_text, False)}), False),
    "item": (_object({"descriptor": (_object({"name": (_text, False)}), False)}), False),
    "payment": (_object({
        "@ondc/org/buyer_app_finder_fee_type": (_one_of(FINDER_FEE_TYPES), True),
        "@ondc/org/buyer_app_finder_fee_amount": (_matches(_DECIMAL_RE), True),
    }), False),
    "tags": (_list_of(_object({"code": (_ident, True), "list": (_list_of(_TAG), False)})), False),
}
_SEARCH: Shape = {
    "context": (_object(_CONTEXT), True),
    "message": (_object({"intent": (_object(_INTENT), True)}), True),
}


def compile_patterns() -> None:
    """Compile marshmallow's URL pattern now, before requests come (about 50 ms): the threads of a new web process
    that meet it first, all at once, would each compile it, 0.5 s of CPU between them at the start of a burst."""
    _URL("https://seller.example/ondc")


def plainly_valid_search(payload: Any) -> bool:
    """True when the schemas would find no problem in this /search body (False says only: ask the schemas)."""
    return isinstance(payload, dict) and _fits(payload, _SEARCH)

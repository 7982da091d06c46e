"""Indian formats for the console: rupees with lakh grouping, times in IST with the zone shown (the month named in
the reader's language), and amounts and counts read the way people type them (``1,25,000``, ``₹ 450``, Devanagari
digits)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.dates import format_date

from adapter.web.languages import DEFAULT, current_language
from catalog_sync.on_search_items import IST

__all__ = ["clock", "day", "inr", "ist", "month", "typed_number"]

# Devanagari digits (U+0966 to U+096F) read as 0 to 9.
_DIGITS = str.maketrans("०१२३४५६७८९", "0123456789")


def _group(whole: str) -> str:
    """Lakh grouping: the last three digits, then pairs (1,25,000; 12,34,56,789)."""
    if len(whole) <= 3:
        return whole
    head, tail = whole[:-3], whole[-3:]
    pairs: list[str] = []
    while len(head) > 2:
        pairs.insert(0, head[-2:])
        head = head[:-2]
    return ",".join([head, *pairs, tail]) if head else ",".join([*pairs, tail])


def inr(value: Any) -> str:
    """``125000.00`` -> ``₹1,25,000``; ``450.5`` -> ``₹450.50``; what is not a number is shown as it is."""
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value or "")
    if not amount.is_finite():
        return str(value)
    sign = "-" if amount < 0 else ""
    try:
        paise = abs(amount).quantize(Decimal("0.01"))
    except InvalidOperation:  # more digits than a Decimal context holds ("1e30"): shown as it is
        return str(value)
    whole, _, fraction = f"{paise:f}".partition(".")
    text = _group(whole) + ("" if fraction == "00" else f".{fraction}")
    return f"{sign}₹{text}"


def _local(value: Any) -> dt.datetime | None:
    """A moment (an aware datetime, or an ISO 8601 string) in IST; None when it is not one."""
    moment = value
    if isinstance(value, str):
        try:
            moment = dt.datetime.fromisoformat(value)
        except ValueError:
            return None
    if not isinstance(moment, dt.datetime):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)  # the database keeps UTC
    return moment.astimezone(IST)


def ist(value: Any) -> str:
    """A moment (an aware datetime, or an ISO 8601 string) as ``6 Dec 2026, 21:50 IST``, the month in the reader's
    language; "" for none."""
    if value in (None, ""):
        return ""
    local = _local(value)
    if local is None:
        return str(value)
    return f"{_date(local.date())}, {local:%H:%M} IST"


def day(value: Any) -> str:
    """A calendar day (a date, or ``2026-12-06``) as ``6 Dec 2026``; what is not a day is shown as it is."""
    if value in (None, ""):
        return ""
    if isinstance(value, dt.date):
        return _date(value)
    try:
        return _date(dt.date.fromisoformat(str(value)))
    except ValueError:
        return str(value)


def _date(value: dt.date) -> str:
    """``6 Dec 2026``, the month as the reader's language shortens it (CLDR, through Babel): ``6 दिस॰ 2026``."""
    try:
        locale = Locale.parse(current_language())
    except (UnknownLocaleError, ValueError):  # a language CLDR does not know: its months in English
        locale = Locale.parse(DEFAULT)
    formatted: str = format_date(value, "d MMM y", locale=locale)
    return formatted


def month(value: str) -> str:
    """A month (``2026-12``) as ``December 2026``, named in the reader's language; what is not one as it is."""
    try:
        first = dt.date.fromisoformat(f"{value}-01")
    except ValueError:
        return value
    try:
        locale = Locale.parse(current_language())
    except (UnknownLocaleError, ValueError):
        locale = Locale.parse(DEFAULT)
    formatted: str = format_date(first, "LLLL y", locale=locale)
    return formatted


def clock(value: Any) -> str:
    """The time of day of a moment, as ``21:50 IST`` (beside a full ``ist`` date on the same line); "" for none."""
    if value in (None, ""):
        return ""
    local = _local(value)
    return f"{local:%H:%M} IST" if local is not None else str(value)


def typed_number(text: str) -> str:
    """What a person typed as an amount or a count, as plain digits: Devanagari digits become 0-9, and ``₹``,
    spaces and the commas of 1,25,000 go. The result is checked by whoever asked for it."""
    return text.translate(_DIGITS).replace("₹", "").replace(",", "").replace(" ", "").replace("\u00a0", "").strip()

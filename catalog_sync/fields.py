"""Marshmallow fields that read spreadsheet text and fail with plain-language messages.

Each message names the column, so a cooperative can fix the cell without knowing any code.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit

from marshmallow import ValidationError, fields

__all__ = [
    "FORMULA_PREFIXES",
    "MAX_COUNT",
    "CellField",
    "Choice",
    "Count",
    "Duration",
    "HexColour",
    "Identifier",
    "Money",
    "Percent",
    "Quantity",
    "Text",
    "Url",
    "UrlList",
    "YesNo",
    "formula_message",
    "parse_duration",
]

FORMULA_PREFIXES = ("=", "+", "-", "@")
ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,36}$")
# ISO 8601 duration as ONDC's validator checks it (validations.yaml ITEMS_ONDC_ORG_RETURN_WINDOW).
ISO_DURATION_RE = re.compile(r"^P(?=\d|T)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+S)?)?$")
_FRIENDLY_DURATION_RE = re.compile(
    r"^(\d+)\s*(d|day|days|दिन|h|hr|hrs|hour|hours|घंटे|m|min|mins|minute|minutes|w|week|weeks)$"
)
_DURATION_UNITS = {
    "d": "D",
    "day": "D",
    "days": "D",
    "दिन": "D",
    "w": "W",
    "week": "W",
    "weeks": "W",
    "h": "TH",
    "hr": "TH",
    "hrs": "TH",
    "hour": "TH",
    "hours": "TH",
    "घंटे": "TH",
    "m": "TM",
    "min": "TM",
    "mins": "TM",
    "minute": "TM",
    "minutes": "TM",
}
_YES = {"yes", "y", "true", "1", "हाँ", "हां", "ha", "haan"}
_NO = {"no", "n", "false", "0", "नहीं", "नही", "nahi"}
_MONEY_RE = re.compile(r"^\d+(\.\d{1,2})?$")
# An amount as a program sends it (JSON): ASCII digits, at most 2 decimals, under a hundred crore.
_PLAIN_AMOUNT_RE = re.compile(r"[0-9]{1,9}(\.[0-9]{1,2})?")


def plain_amount(value: object) -> Decimal | None:
    """A JSON number or string written as rupees (``450``, ``450.5``, ``"450.50"``), or None for anything else:
    exponents, other digits, NaN, booleans and amounts of a hundred crore or more are not amounts."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return None
    text = str(value).strip()
    return Decimal(text) if _PLAIN_AMOUNT_RE.fullmatch(text) else None
_GROUPED_RE = re.compile(r"^(\d{1,3}(,\d{3})+|\d{1,2}(,\d{2})*,\d{3})(\.\d+)?$")
_PLACEHOLDER_HOSTS = {
    "example.com",
    "example.org",
    "example.net",
    "placehold.co",
    "placehold.it",
    "placeholder.com",
    "via.placeholder.com",
    "dummyimage.com",
    "picsum.photos",
    "localhost",
}


def formula_message(column: str, value: str) -> str:
    """Return the message for a text cell that a spreadsheet would run as a formula."""
    return (
        f"{column} starts with '{value[0]}' which spreadsheets treat as a formula; "
        f"remove it or add a word first"
    )


def parse_duration(text: str) -> str | None:
    """Return an ISO 8601 duration for 'P7D', '7 days', '48 hours' or '1 week'; None if unreadable."""
    value = text.strip()
    if ISO_DURATION_RE.match(value.upper()):
        return value.upper()
    m = _FRIENDLY_DURATION_RE.match(value.lower())
    if not m:
        return None
    unit = _DURATION_UNITS[m.group(2)]
    return f"PT{m.group(1)}{unit[1]}" if unit.startswith("T") else f"P{m.group(1)}{unit}"


class CellField(fields.Field[Any]):
    """A field that reads one stripped string cell."""

    def fail(self, message: str) -> ValidationError:
        return ValidationError(message)

    def _deserialize(
        self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any
    ) -> Any:
        return self.parse(str(value).strip())

    def parse(self, value: str) -> Any:
        return value


# An HTML tag: buyer apps show catalogue text as plain text, and some render it unescaped.
_HTML_TAG = re.compile(r"<\s*/?\s*[a-zA-Z!][^<>]*>")
# Characters that break out of an HTML attribute or a URL in a buyer app's page.
_URL_UNSAFE = frozenset("\"'<>\\`{}^")


class Text(CellField):
    """Free text; refuses formula-looking cells, HTML tags and over-long values."""

    def __init__(self, *, max_len: int = 500, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.max_len = max_len

    def parse(self, value: str) -> str:
        if value.startswith(FORMULA_PREFIXES):
            raise self.fail(formula_message(self.name or "value", value))
        if len(value) > self.max_len:
            raise self.fail(f"{self.name} is {len(value)} characters long; keep it to {self.max_len}")
        if (tag := _HTML_TAG.search(value)) is not None:
            raise self.fail(f"{self.name} contains the HTML tag {tag.group(0)[:40]}; buyer apps show plain text, "
                            "so remove the tags")
        return value


class Identifier(CellField):
    """An item or group code: letters, digits, - and _, at most 36 characters."""

    def parse(self, value: str) -> str:
        if not ID_RE.match(value):
            raise self.fail(
                f"{self.name} '{value}' may only use letters, digits, - and _, with at most 36 characters"
            )
        return value


class Money(CellField):
    """Rupees with at most 2 decimals; ₹, Rs and thousands commas are understood."""

    def parse(self, value: str) -> Decimal:
        cleaned = re.sub(r"^(₹|rs\.?|inr)\s*", "", value, flags=re.IGNORECASE).strip()
        if _GROUPED_RE.match(cleaned):
            cleaned = cleaned.replace(",", "")
        if not _MONEY_RE.match(cleaned):
            raise self.fail(f"{self.name} must be a number like 450 or 450.50")
        amount = Decimal(cleaned)
        if amount <= 0:
            raise self.fail(f"{self.name} must be more than 0")
        return amount


# The largest whole number a count column takes (stock, for one).
MAX_COUNT = 10_000_000


class Count(CellField):
    """A whole number at least ``minimum``."""

    def __init__(self, *, minimum: int = 0, maximum: int = MAX_COUNT, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.minimum = minimum
        self.maximum = maximum

    def parse(self, value: str) -> int:
        text = value[:-2] if value.endswith(".0") else value
        if not re.fullmatch(r"\d+", text):
            raise self.fail(
                f"{self.name} must be a whole number {self.minimum} or more, like {self.minimum + 5}"
            )
        number = int(text)
        if number < self.minimum:
            raise self.fail(f"{self.name} must be at least {self.minimum}")
        if number > self.maximum:
            raise self.fail(f"{self.name} must be at most {self.maximum}")
        return number


class Quantity(CellField):
    """A positive decimal quantity such as 250 or 0.5."""

    def parse(self, value: str) -> Decimal:
        try:
            number = Decimal(value)
        except InvalidOperation:
            raise self.fail(f"{self.name} must be a number like 250 or 0.5") from None
        if not number.is_finite() or number <= 0:
            raise self.fail(f"{self.name} must be more than 0")
        if number == number.to_integral_value():
            return Decimal(int(number))
        return Decimal(format(number.normalize(), "f"))


class Percent(CellField):
    """A percentage from 0 to 100 with at most 2 decimals, such as 10 or 12.5 (a trailing % is understood)."""

    def parse(self, value: str) -> Decimal:
        cleaned = value.removesuffix("%").strip()
        if not _MONEY_RE.match(cleaned) or Decimal(cleaned) > 100:
            raise self.fail(f"{self.name} must be a percent from 0 to 100 like 10 or 12.5")
        return Decimal(cleaned)


class YesNo(CellField):
    """yes/no, true/false, 1/0 or हाँ/नहीं."""

    def parse(self, value: str) -> bool:
        lowered = value.lower()
        if lowered in _YES:
            return True
        if lowered in _NO:
            return False
        raise self.fail(f"{self.name} must be yes or no (true/false, 1/0 and हाँ/नहीं also work)")


class Duration(CellField):
    """An ISO 8601 duration such as P7D, or '7 days' / '48 hours'."""

    def parse(self, value: str) -> str:
        duration = parse_duration(value)
        if duration is None:
            raise self.fail(f"{self.name} must be a time like 7 days, 48 hours or P7D")
        return duration


class HexColour(CellField):
    """A colour as #RRGGBB."""

    def parse(self, value: str) -> str:
        if not re.fullmatch(r"#[0-9A-Fa-f]{6}", value):
            raise self.fail(f"{self.name} must be a hex colour code like #8B0000 (use colour_name for words)")
        return value.upper()


class Choice(CellField):
    """One of a fixed set of words; ``synonyms`` maps friendly words to the canonical one."""

    def __init__(self, choices: Mapping[str, str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.choices = dict(choices)

    def parse(self, value: str) -> str:
        canonical = self.choices.get(value.lower())
        if canonical is None:
            options = ", ".join(sorted(set(self.choices.values())))
            raise self.fail(f"{self.name} '{value}' is not allowed; use one of: {options}")
        return canonical


def check_image_url(url: str, column: str) -> str | None:
    """Return a message if ``url`` is not an acceptable https image link, else None."""
    if any(ch in _URL_UNSAFE for ch in url):
        return f"{column} link '{url}' contains a character a link cannot have (quotes, < > or \\)"
    try:
        parts = urlsplit(url)
        scheme, hostname = parts.scheme, parts.hostname
    except ValueError:  # "https://[bad/x.jpg": no host urllib can read
        scheme, hostname = "", None
    if scheme != "https" or not hostname:
        return f"{column} must be https:// links; '{url}' is not"
    host = hostname.lower()
    if host in _PLACEHOLDER_HOSTS or any(host.endswith("." + h) for h in _PLACEHOLDER_HOSTS):
        return f"{column} '{url}' is a placeholder address; ONDC does not allow placeholder images"
    return None


class Url(CellField):
    """One https link (an image: a size chart, a certificate)."""

    def parse(self, value: str) -> str:
        problem = check_image_url(value.strip(), self.name or "link")
        if problem:
            raise self.fail(problem)
        return value.strip()


class UrlList(CellField):
    """One or more https URLs separated by commas, spaces, | or new lines."""

    def __init__(self, *, max_items: int = 10, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.max_items = max_items

    def parse(self, value: str) -> tuple[str, ...]:
        urls = tuple(u for u in re.split(r"[\s,|]+", value) if u)
        if not urls:
            raise self.fail(f"{self.name} needs at least one https:// link")
        if len(urls) > self.max_items:
            raise self.fail(f"{self.name} has {len(urls)} links; at most {self.max_items} are allowed")
        problems = [msg for u in urls if (msg := check_image_url(u, self.name or "images"))]
        if problems:
            raise ValidationError(problems)
        return urls

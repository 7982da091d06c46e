"""Validation messages in Hindi: real messages from the validator are translated through the Hindi catalogue,
unknown ones stay English."""

from __future__ import annotations

from pathlib import Path

import pytest

from catalog_sync.ingest import parse_catalogue
from catalog_sync.report_hi import PATTERNS, localise
from catalog_sync.validate import validate_rows
from tests.catalog_sync.hindi import hindi, to_hindi

CSV = (Path(__file__).parent / "fixtures" / "items_ret16.csv").read_text()


def broken(column: str, value: str) -> str:
    lines = CSV.splitlines()
    header = lines[0].split(",")
    cells = lines[1].split(",")
    cells[header.index(column)] = value
    return "\n".join([lines[0], ",".join(cells), *lines[2:]]) + "\n"


@pytest.mark.parametrize(
    ("column", "value", "hindi_fragment"),
    [
        ("price", "free", "एक संख्या होनी चाहिए"),
        ("mrp", "10", "कीमत"),
        ("category_id", "Decor", "ONDC की श्रेणी नहीं है"),
        ("returnable", "maybe", "हाँ या नहीं"),
        ("images", "http://x.example/a.jpg", "https://"),
        ("name", "=HYPERLINK(1)", "फ़ॉर्मूला"),
        ("stock", "-3", "पूरी संख्या"),
        ("colour", "red", "hex"),
        ("return_window", "soon", "समय होना चाहिए"),
        ("month_year_of_manufacture", "2025", "महीना/साल"),
        ("long_desc", "Hand <b>embroidered</b>", "HTML टैग <b>"),
        ("images", "https://cdn.test.odop-adapter.example/a.jpg'x", "ऐसा चिह्न"),
    ],
)
def test_real_validator_messages_are_translated(column: str, value: str, hindi_fragment: str) -> None:
    report = validate_rows(parse_catalogue(broken(column, value).encode(), "c.csv"))
    messages = [e.message for e in report.errors if e.column == column]
    assert messages, report.errors
    hindi = to_hindi(messages[0])
    assert hindi_fragment in hindi
    assert hindi != messages[0]


def test_unknown_messages_stay_in_english() -> None:
    assert to_hindi("something new went wrong") == "something new went wrong"


def test_every_pattern_has_a_hindi_translation() -> None:
    untranslated = [msgid for _, msgid in PATTERNS if hindi().gettext(msgid) == msgid]
    assert untranslated == []


def test_an_untranslated_message_stays_as_the_validator_wrote_it() -> None:
    message = "returnable must be yes or no (true/false, 1/0 and हाँ/नहीं also work)"
    assert localise(message, lambda msgid: msgid) == message
    assert localise(message, lambda msgid: "%(c)s: oui ou non") == "returnable: oui ou non"

"""Indian formats on console pages: lakh grouping, IST with the zone, and inputs as people type them."""

from __future__ import annotations

import datetime as dt

import pytest

from adapter.web.console.formats import inr, ist, typed_number


@pytest.mark.parametrize(("value", "shown"), [
    ("125000.00", "₹1,25,000"), ("450.5", "₹450.50"), ("999", "₹999"), ("1000", "₹1,000"),
    ("12345678.9", "₹1,23,45,678.90"), ("-1500", "-₹1,500"), (None, ""), ("n/a", "n/a"),
    ("1e5", "₹1,00,000"), ("1e30", "1e30"), ("NaN", "NaN"),
])
def test_rupees_use_lakh_grouping_and_drop_zero_paise(value: object, shown: str) -> None:
    assert inr(value) == shown


def test_times_are_shown_in_ist_with_the_zone() -> None:
    # An order at 21:50 IST is 16:20 UTC: the page must say 21:50, whatever form the time comes in.
    for value in ("2026-12-06T16:20:00.000Z", dt.datetime(2026, 12, 6, 16, 20, tzinfo=dt.UTC),
                  dt.datetime(2026, 12, 6, 16, 20, tzinfo=None)):  # noqa: DTZ001 - as SQLite returns UTC
        assert ist(value) == "6 Dec 2026, 21:50 IST"
    assert ist(None) == ""
    assert ist("not a time") == "not a time"


@pytest.mark.parametrize(("typed", "read"), [
    ("1,25,000", "125000"), ("₹ 1,250.50", "1250.50"), (" 17 ", "17"), ("abc", "abc"),
    ("\u0967,\u0968\u096b,\u0966\u0966\u0966", "125000"),  # 1,25,000 in Devanagari digits
])
def test_amounts_are_read_as_people_type_them(typed: str, read: str) -> None:
    assert typed_number(typed) == read


def test_delivery_failures_read_as_words_and_unknown_ones_as_recorded() -> None:
    from flask import Flask

    from adapter.web import languages
    from adapter.web.console.i18n import delivery_error

    app = Flask("adapter.web")  # its root path is where the translations are
    languages.init_app(app)
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert delivery_error("connection: HTTPConnectionPool(host='10.0.0.9', port=80): Max retries exceeded "
                              "([Errno 111] Connection refused)").startswith("The buyer app's server refused")
        assert delivery_error("timeout: read timed out after 10 s").startswith("The buyer app did not answer in time")
        assert delivery_error("HTTP 503 NACK 31001 (retryable)") == "The buyer app refused the message (NACK)."
        assert delivery_error("HTTP 502").startswith("The buyer app's server failed")
        assert delivery_error("something new") == "something new"
        assert delivery_error(None) == ""
    with app.test_request_context(headers={"Accept-Language": "hi"}):
        assert delivery_error("connection: [Errno 111] Connection refused").startswith("खरीदार ऐप के सर्वर")

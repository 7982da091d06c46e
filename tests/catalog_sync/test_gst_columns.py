"""The hsn and gst_rate columns: optional, checked with a fix in English and Hindi, one warning for the items
whose tax invoices cannot split GST, in every category's template, and invisible to buyer apps."""

from __future__ import annotations

import csv
import dataclasses
import io
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

import orjson
import pytest

from catalog_sync.categories import CATEGORIES, template_csv
from catalog_sync.ingest import RawRow
from catalog_sync.model import Catalogue, Item, item_hash
from catalog_sync.on_search import BppInfo, to_on_search
from catalog_sync.validate import validate_rows
from tests.catalog_sync.hindi import to_hindi

Row = Callable[..., RawRow]


@pytest.mark.parametrize(("hsn", "rate", "expected_rate"), [
    ("6304", "5", Decimal("5")), ("630492", "12%", Decimal("12")), ("63049239", "0.25", Decimal("0.25")),
    ("58109100", "18.0", Decimal("18")), ("0902", "0", Decimal("0")), ("7113", "3 %", Decimal("3")),
    ("9503", "28", Decimal("28")),
])
def test_good_values_are_kept(row: Row, hsn: str, rate: str, expected_rate: Decimal) -> None:
    report = validate_rows([row(hsn=hsn, gst_rate=rate)])
    assert report.ok, report.errors
    (item,) = report.items
    assert (item.hsn, item.gst_rate) == (hsn, expected_rate)
    assert [w for w in report.warnings if w.column in ("hsn", "gst_rate")] == []


@pytest.mark.parametrize(("column", "value", "english", "hindi"), [
    ("hsn", "63", "hsn '63' is not an HSN code: write the 4, 6 or 8-digit HSN code", "HSN कोड नहीं है"),
    ("hsn", "6304923", "hsn '6304923' is not an HSN code", "4, 6 या 8 अंकों का HSN कोड"),
    ("hsn", "HSN6304", "hsn 'HSN6304' is not an HSN code", "केवल अंक"),
    ("gst_rate", "17", "gst_rate '17' is not a GST rate: write one of 0, 0.25, 3, 5, 12, 18, 28 (the percent",
     "जीएसटी दर नहीं है: इनमें से एक लिखें: 0, 0.25, 3, 5, 12, 18, 28"),
    ("gst_rate", "0.18", "gst_rate '0.18' is not a GST rate", "प्रतिशत, जैसे 5% के लिए 5"),
    ("gst_rate", "five", "gst_rate 'five' is not a GST rate", "gst_rate 'five'"),
])
def test_bad_values_are_errors_with_the_row_column_and_fix(row: Row, column: str, value: str, english: str,
                                                           hindi: str) -> None:
    report = validate_rows([row(**{column: value})])
    assert report.items == ()  # nothing is imported
    (error,) = report.errors
    assert (error.row, error.column, error.value) == (2, column, value)
    assert error.message.startswith(english)
    translated = to_hindi(error.message)
    assert translated != error.message
    assert hindi in translated


def test_items_without_them_import_with_one_warning_for_all(row: Row) -> None:
    rows = [row(2, id="A", hsn=None, gst_rate=None), row(3, id="B"), row(4, id="C", gst_rate=None),
            row(5, id="D", hsn=None, gst_rate="5", code_type="hsn", code="63049239")]  # the code is an HSN
    report = validate_rows(rows)
    assert report.ok
    assert len(report.items) == 4
    (warning,) = [w for w in report.warnings if w.column in ("hsn", "gst_rate")]
    assert (warning.row, warning.column) == (2, "hsn")
    assert warning.message.startswith("2 item(s) have no hsn or gst_rate, the first on row 2: their tax invoices "
                                      "will say 'HSN missing'")
    assert to_hindi(warning.message).startswith("2 वस्तुओं में hsn या gst_rate नहीं है, पहली पंक्ति 2 पर")


@pytest.mark.parametrize("category", sorted(CATEGORIES))
def test_every_template_has_both_columns(category: str) -> None:
    header, example = list(csv.reader(io.StringIO(template_csv(category))))[:2]
    assert {"hsn", "gst_rate"} <= set(header)
    assert example[header.index("gst_rate")] == "5"


def test_items_without_them_keep_their_hash_and_buyer_apps_never_see_them(make_item: Callable[..., Item]) -> None:
    plain = make_item(code_type="hsn", code="58109100")
    taxed = dataclasses.replace(plain, hsn="63049239", gst_rate=Decimal("12"))
    assert "hsn" not in plain.to_dict()
    assert "gst_rate" not in plain.to_dict()
    assert item_hash(plain) != item_hash(taxed)
    assert Item.from_dict(taxed.to_dict()) == taxed
    # Hashes of items stored before the columns existed are unchanged: the same dict, the same hash.
    stored = {key: value for key, value in plain.to_dict().items()}
    assert item_hash(Item.from_dict(stored)) == item_hash(plain)


def test_the_on_search_is_the_same_with_or_without_them(catalogue: Catalogue, bpp: BppInfo, context: Any,
                                                        now: datetime) -> None:
    taxed = dataclasses.replace(catalogue, items=tuple(
        dataclasses.replace(item, hsn="63049239", gst_rate=Decimal("12")) for item in catalogue.items))
    plain_pages = to_on_search(catalogue, bpp=bpp, context=context("ONDC:RET16"), now=now)
    taxed_pages = to_on_search(taxed, bpp=bpp, context=context("ONDC:RET16"), now=now)
    assert taxed_pages == plain_pages
    assert b"63049239" not in orjson.dumps(taxed_pages)

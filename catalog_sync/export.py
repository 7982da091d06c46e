"""The current catalogue as a spreadsheet the cooperative can edit and upload back (CSV or XLSX).

The columns are those of the cooperative's categories (the templates' columns, in template order) plus
``stock_as_of``: each item's newest stock ledger move when its stock was read, so that uploading the file back keeps
every sale made after the download (catalog_sync.plan). The file uploaded back unchanged changes nothing.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from catalog_sync.categories import STOCK_AS_OF, columns_for
from catalog_sync.model import Item

__all__ = ["MIME_TYPES", "export_csv", "export_rows", "export_xlsx"]

MIME_TYPES = {"csv": "text/csv", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}

# Model fields that are not spreadsheet columns.
_NOT_COLUMNS = frozenset({"domain"})


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Decimal):
        return f"{value:f}"
    if isinstance(value, tuple):
        return ",".join(str(v) for v in value)
    return str(value)


def export_rows(items: Sequence[Item], *, stock_as_of: Sequence[str]) -> tuple[list[str], list[list[str]]]:
    """The header and one row per item (items in the order given; ``stock_as_of`` is each item's cell)."""
    header: list[str] = []
    for category in dict.fromkeys(item.category_id for item in items):
        for column in columns_for(category):
            if column.name not in header and column.name not in _NOT_COLUMNS:
                header.append(column.name)
    if not header:  # an empty catalogue: the common columns, so the file is still a template
        header = [c.name for c in columns_for("Home Decor")]
    for item in items:  # columns an item uses that its category's template leaves out (rare: set by the API)
        for name in ("parent_item_id", "variant_attributes", "one_of_a_kind"):
            if getattr(item, name) and name not in header:
                header.append(name)
    header.append(STOCK_AS_OF)
    rows = [[mark if name == STOCK_AS_OF else _cell(getattr(item, name, "")) for name in header]
            for item, mark in zip(items, stock_as_of, strict=True)]
    return header, rows


def export_csv(items: Sequence[Item], *, stock_as_of: Sequence[str]) -> bytes:
    """UTF-8 CSV with a byte-order mark, so Excel opens Hindi text correctly."""
    header, rows = export_rows(items, stock_as_of=stock_as_of)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def export_xlsx(items: Sequence[Item], *, stock_as_of: Sequence[str]) -> bytes:
    """An XLSX workbook with one sheet; every cell is text, so codes like 0401 keep their leading zero."""
    from openpyxl import Workbook

    header, rows = export_rows(items, stock_as_of=stock_as_of)
    book = Workbook(write_only=True)
    sheet = book.create_sheet("catalogue")
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()

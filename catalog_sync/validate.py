"""Validate raw catalogue rows into ``Item``s, reporting every problem in plain language.

All-or-nothing: if any row has an error, the report has no items (DESIGN.md "no partial import").
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from marshmallow import ValidationError

from catalog_sync.categories import (
    ALL_COLUMNS,
    CATEGORIES,
    DOMAIN_NAMES,
    EXPECTED_CODE,
    REVIEW_REJECTS,
    STOCK_AS_OF,
    columns_for,
)
from catalog_sync.ingest import EXTRA_CELLS, RawRow
from catalog_sync.model import Item, Profile
from catalog_sync.ondc_tables import FASHION_FABRICS, FASHION_MATERIALS, SIZE_CHART_REQUIRED, canonical
from catalog_sync.report import RowError, ValidationReport, render_report_text

__all__ = ["RowError", "ValidationReport", "render_report_text", "stock_mark", "validate_rows"]

from catalog_sync.item_schema import ItemRowSchema

_SCHEMA = ItemRowSchema()


def _flatten(messages: Mapping[str, Any]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for column, msgs in messages.items():
        if isinstance(msgs, dict):
            out.extend(_flatten(msgs))
            continue
        for msg in msgs if isinstance(msgs, list) else [msgs]:
            text = str(msg)
            if text == "Missing data for required field.":
                text = f"{column} is required and is empty"
            out.append(("" if column == "_schema" else column, text))
    return out


_CODE_HELP = {
    "ean": "the 13-digit barcode number printed under the barcode (a cooperative without barcodes can get them "
           "from GS1 India, www.gs1india.org)",
    "hsn": "the 4, 6 or 8-digit HSN code on your GST invoices",
    "gtin": "the barcode number (GTIN) of the product",
}


def _code_warning(row: int, item: Item) -> RowError | None:
    """A warning when the item lacks the product code ONDC's review expects for its domain (not an error:
    the item can be sold, but buyer apps and the review may reject it)."""
    expected = EXPECTED_CODE.get(item.domain)
    if expected is None or item.code_type == expected:
        return None
    return RowError(row, "code_type", item.code_type,
                    f"{DOMAIN_NAMES.get(item.domain, item.domain)} items should have code_type {expected} and "
                    f"code: {_CODE_HELP[expected]}; without it ONDC's review and some buyer apps reject the item")


def _category_warning(row: int, item: Item) -> RowError | None:
    """A warning when ONDC's review rejects a category its own taxonomy lists (docs/certification.md)."""
    instead = REVIEW_REJECTS.get(item.category_id)
    if instead is None:
        return None
    return RowError(row, "category_id", item.category_id,
                    f"ONDC's review currently rejects the category '{item.category_id}' (its checker misspells it); "
                    f"to pass the review use '{instead}'")


def _fashion(row: int, item: Item, warnings: list[RowError]) -> Item:
    """Fashion items: material and fabric in the spelling of ONDC's lists, and the size chart its review wants."""
    if item.domain != "ONDC:RET12":
        return item
    changes: dict[str, Any] = {}
    for column, table in (("material", FASHION_MATERIALS), ("fabric", FASHION_FABRICS)):
        value = getattr(item, column)
        if not value:
            continue
        known = canonical(value, table)
        if known is None:
            warnings.append(RowError(row, column, value,
                                     f"{column} '{value}' is not in ONDC's list for fashion; write the main one "
                                     f"from the list, e.g. {', '.join(table[-3:])}"))
        elif known != value:
            changes[column] = known
    if item.category_id in SIZE_CHART_REQUIRED and not item.size_chart:
        warnings.append(RowError(row, "size_chart", "",
                                 f"size_chart is needed for {item.category_id} items: an https:// link to the size "
                                 "chart image; without it ONDC's review rejects the item"))
    return dataclasses.replace(item, **changes) if changes else item


def _gst_warning(items: dict[int, Item]) -> RowError | None:
    """One warning for the items a tax invoice cannot split GST for (no HSN or no rate): they still sell, and their
    invoices say what is missing (docs/money.md)."""
    rows = [row for row, item in items.items()
            if item.gst_rate is None or not (item.hsn or (item.code_type == "hsn" and item.code))]
    if not rows:
        return None
    first = items[rows[0]]
    column = "gst_rate" if first.hsn or first.code_type == "hsn" else "hsn"
    return RowError(rows[0], column, "",
                    f"{len(rows)} item(s) have no hsn or gst_rate, the first on row {rows[0]}: their tax invoices "
                    "will say 'HSN missing' and split no GST; fill in both columns from your GST records")


def _header_warnings(rows: list[RawRow]) -> list[RowError]:
    seen: dict[str, None] = {}
    for raw in rows:
        for key in raw.values:
            seen.setdefault(key, None)
    warnings: list[RowError] = []
    for column in seen:
        if column in ALL_COLUMNS or column == EXTRA_CELLS:
            continue
        close = difflib.get_close_matches(column, sorted(ALL_COLUMNS), n=1, cutoff=0.75)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        warnings.append(RowError(1, column, "", f"column '{column}' is not used and will be ignored{hint}"))
    return warnings


_MARK = re.compile(r"\s*ledger\s+(\d{1,18})\b")


def stock_mark(mark: int, when: str) -> str:
    """The ``stock_as_of`` cell of a downloaded file: the ledger position, then the time for people."""
    return f"ledger {mark} ({when})"


def _stock_as_of(raw: RawRow, errors: list[RowError]) -> int | None:
    cell = raw.values.get(STOCK_AS_OF, "")
    if not cell:
        return None
    found = _MARK.match(cell)
    if found is None:
        errors.append(RowError(raw.row, STOCK_AS_OF, cell, "stock_as_of is written by the catalogue download "
                               "and must stay as it is; clear it if this stock figure was counted just now"))
        return None
    return int(found.group(1))


def _row_item(raw: RawRow, profile: Profile | None, errors: list[RowError]) -> Item | None:
    values = {k: v for k, v in raw.values.items() if v != "" and k not in (EXTRA_CELLS, STOCK_AS_OF)}
    before = len(errors)
    if EXTRA_CELLS in raw.values:
        errors.append(
            RowError(
                raw.row,
                "",
                raw.values[EXTRA_CELLS],
                "this row has more cells than the header has columns; add a header or remove them",
            )
        )
    try:
        data: dict[str, Any] = _SCHEMA.load(values)
    except ValidationError as exc:
        messages = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
        errors.extend(RowError(raw.row, col, raw.values.get(col, ""), msg) for col, msg in _flatten(messages))
        data = exc.valid_data if isinstance(exc.valid_data, dict) else {}
    category = data.get("category_id", "")
    if category in CATEGORIES:
        domain = CATEGORIES[category]
        for col in columns_for(category):
            if not col.required or col.name in values:
                continue
            if col.name == "fssai_license_no" and profile is not None and profile.fssai_license_no:
                data["fssai_license_no"] = profile.fssai_license_no
                continue
            if not any(e.row == raw.row and e.column == col.name for e in errors[before:]):
                errors.append(RowError(raw.row, col.name, "", f"{col.name} is required for {category} items"))
        if profile is not None:
            _check_profile(raw, data, domain, category, profile, errors)
    if len(errors) > before:
        return None
    if data["mrp"] is None:
        data["mrp"] = data["price"]
    if data["return_window"] is None:
        data["return_window"] = "P0D"
    return Item(domain=CATEGORIES[category], **data)


def _check_profile(
    raw: RawRow, data: dict[str, Any], domain: str, category: str, profile: Profile, errors: list[RowError]
) -> None:
    if domain not in profile.domains:
        errors.append(
            RowError(
                raw.row,
                "category_id",
                category,
                f"category '{category}' belongs to {domain}, but the cooperative's profile only "
                f"sells in {', '.join(profile.domains)}; add {domain} to the profile's domains",
            )
        )
    location_id = data.get("location_id", "")
    ids = [loc.id for loc in profile.locations]
    if not location_id:
        if len(ids) == 1:
            data["location_id"] = ids[0]
        else:
            errors.append(
                RowError(
                    raw.row,
                    "location_id",
                    "",
                    f"location_id is required because the profile has several locations: {', '.join(ids)}",
                )
            )
    elif location_id not in ids:
        errors.append(
            RowError(
                raw.row,
                "location_id",
                location_id,
                f"location_id '{location_id}' is not one of the profile's locations: {', '.join(ids)}",
            )
        )


def _check_groups(rows: list[RawRow], items: dict[int, Item], errors: list[RowError]) -> None:
    first_row: dict[str, int] = {}
    for raw in rows:
        item_id = raw.values.get("id", "")
        if not item_id:
            continue
        if item_id in first_row:
            errors.append(
                RowError(
                    raw.row,
                    "id",
                    item_id,
                    f"id '{item_id}' is also used on row {first_row[item_id]}; every item needs its own id",
                )
            )
        else:
            first_row[item_id] = raw.row
    groups: dict[str, list[tuple[int, Item]]] = defaultdict(list)
    for row, item in items.items():
        if item.parent_item_id:
            groups[item.parent_item_id].append((row, item))
    for group, members in groups.items():
        if group in first_row:
            row = members[0][0]
            errors.append(
                RowError(
                    row,
                    "parent_item_id",
                    group,
                    f"parent_item_id '{group}' is also an item id "
                    f"(row {first_row[group]}); use a separate group code",
                )
            )
        head_row, head = members[0]
        seen: dict[tuple[str, ...], int] = {}
        for row, item in members:
            if item.category_id != head.category_id:
                errors.append(
                    RowError(
                        row,
                        "category_id",
                        item.category_id,
                        f"all items in variant group '{group}' must have the same category_id; "
                        f"row {head_row} has '{head.category_id}'",
                    )
                )
            if item.variant_attributes != head.variant_attributes:
                errors.append(
                    RowError(
                        row,
                        "variant_attributes",
                        ",".join(item.variant_attributes),
                        f"all items in variant group '{group}' must vary by the same columns; row "
                        f"{head_row} has '{','.join(head.variant_attributes)}'",
                    )
                )
                continue
            key = tuple(item.attribute(a) for a in item.variant_attributes)
            blank = [a for a, v in zip(item.variant_attributes, key, strict=True) if not v]
            for attr in blank:
                errors.append(
                    RowError(
                        row, attr, "", f"{attr} is required because variant group '{group}' varies by {attr}"
                    )
                )
            if blank:
                continue
            if key in seen:
                attrs = " and ".join(item.variant_attributes)
                errors.append(
                    RowError(
                        row,
                        item.variant_attributes[0],
                        ", ".join(key),
                        f"row {row} has the same {attrs} as row {seen[key]} in variant group "
                        f"'{group}'; each variant must differ in {attrs}",
                    )
                )
            else:
                seen[key] = row


def validate_rows(rows: list[RawRow], profile: Profile | None = None) -> ValidationReport:
    """Validate every row; return items only if there is no error anywhere, and every error otherwise."""
    errors: list[RowError] = []
    items: dict[int, Item] = {}
    marks: dict[str, int] = {}
    for raw in rows:
        item = _row_item(raw, profile, errors)
        mark = _stock_as_of(raw, errors)
        if item is not None:
            items[raw.row] = item
            if mark is not None:
                marks[item.id] = mark
    _check_groups(rows, items, errors)
    errors.sort(key=lambda e: e.row)
    found = [w for row, item in items.items() for check in (_code_warning, _category_warning)
             if (w := check(row, item)) is not None]
    items = {row: _fashion(row, item, found) for row, item in items.items()}
    if (gst := _gst_warning(items)) is not None:
        found.append(gst)
    warnings = (*_header_warnings(rows), *sorted(found, key=lambda w: w.row))
    if errors:
        return ValidationReport(items=(), errors=tuple(errors), warnings=warnings)
    return ValidationReport(items=tuple(items.values()), errors=(), warnings=warnings, rows=tuple(items),
                            marks=marks)

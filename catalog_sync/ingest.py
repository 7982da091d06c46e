"""Parse an uploaded catalogue file (CSV, XLSX or JSON) into raw rows of strings.

Nothing here interprets values: that is ``validate``'s job. Cells are never evaluated; a cell that
looks like a spreadsheet formula stays text and ``validate`` reports it.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

import orjson

from catalog_sync.categories import ALL_COLUMNS
from catalog_sync.errors import IngestError

__all__ = ["EXTRA_CELLS", "RawRow", "check_file", "clean_filename", "normalise_header", "parse_catalogue"]

MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 50_000
# XLSX is a zip: refuse archives that inflate beyond this multiple of max_bytes or with absurd ratios.
_XLSX_INFLATE_FACTOR = 10
_XLSX_MAX_RATIO = 200
# Blank rows are skipped, but still read: a sheet of a million empty rows costs as much as a million full ones.
_BLANK_ROW_ALLOWANCE = 10_000
# Key under which cells beyond the header's last column are kept, so validation can report them.
EXTRA_CELLS = "_extra_cells"

_SUPPORTED = ".csv, .tsv, .txt, .xlsx or .json"


@dataclass(frozen=True, slots=True)
class RawRow:
    """One data row: ``row`` is the number a spreadsheet shows (header = 1), or the 1-based JSON index."""

    row: int
    values: dict[str, str]


def normalise_header(name: str) -> str:
    """Normalise a column name: strip, lowercase, runs of spaces/hyphens become one underscore."""
    cleaned = name.replace("\ufeff", "").strip().lower()
    return re.sub(r"[\s\-]+", "_", cleaned)


def parse_catalogue(
    data: bytes, filename: str, *, max_bytes: int = MAX_BYTES, max_rows: int = MAX_ROWS
) -> list[RawRow]:
    """Parse CSV/TSV, XLSX or JSON bytes into raw rows; raise IngestError with a clear message."""
    ext = check_file(data, filename, max_bytes=max_bytes)
    if ext in {"csv", "tsv", "txt"}:
        rows = _parse_csv(_decode(data), tab=ext == "tsv", max_rows=max_rows)
        _lost_text(rows)
    elif ext == "xlsx":
        rows = _parse_xlsx(data, max_bytes=max_bytes, max_rows=max_rows)
    else:
        rows = _parse_json(_decode(data), max_rows=max_rows)
    if not rows:
        raise IngestError("the file has no items: only a header row, or an empty list")
    return rows


def clean_filename(name: str) -> str:
    """An uploaded file's name fit to store and show: no path, no control characters, at most 255 characters
    (the extension kept)."""
    name = re.sub(r"[\x00-\x1f\x7f]", "", name.replace("\\", "/").rsplit("/", 1)[-1]).strip() or "upload"
    if len(name) <= 255:
        return name
    stem, dot, ext = name.rpartition(".")
    return (stem[: 254 - len(ext)] + dot + ext) if dot and len(ext) <= 10 else name[:255]


def check_file(data: bytes, filename: str, *, max_bytes: int = MAX_BYTES) -> str:
    """The cheap checks, before any parsing: size, emptiness and file type. Returns the extension."""
    if len(data) > max_bytes:
        raise IngestError(
            f"the file is {_mb(len(data))}, larger than the {_mb(max_bytes)} limit; "
            f"split it into smaller files"
        )
    if not data.removeprefix(b"\xef\xbb\xbf").strip():
        raise IngestError("the file is empty")
    ext = filename.lower().rsplit(".", 1)[-1] if "." in filename else ""
    if ext in {"csv", "tsv", "txt"}:
        if data.startswith(b"PK\x03\x04"):
            raise IngestError(f"'{filename}' is an Excel (.xlsx) file with a .{ext} name; rename it to .xlsx")
        return ext
    if ext in {"xlsx", "json"}:
        return ext
    if ext in {"xls", "ods", "numbers"}:
        raise IngestError(f"'.{ext}' files are not supported; save the sheet as {_SUPPORTED}")
    raise IngestError(f"unknown file type '{filename}'; upload a {_SUPPORTED} file")


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MB"


_SAVE_AS = "in Excel use 'Save As' > 'CSV UTF-8 (comma delimited)' (LibreOffice: 'Character set: Unicode (UTF-8)')"
# Hindi (or any text the file's encoding could not hold) written as question marks by an ANSI save.
_LOST_TEXT = re.compile(r"\?{3,}")


def _decode(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise IngestError(f"the file is saved as UTF-16 ('Unicode Text'), not UTF-8; {_SAVE_AS}")
    nul = data.find(b"\x00")
    if nul >= 0:
        line = data.count(b"\n", 0, nul) + 1
        raise IngestError(
            f"the file looks binary, not text: it has a NUL byte at byte offset {nul} (line {line}); "
            f"save it as CSV UTF-8 or upload the .xlsx file"
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        bad = data[exc.start]
        try:
            shown = f" ('{bytes([bad]).decode('cp1252')}')"
            encoding = "Windows-1252 ('CSV (Comma delimited)' in Excel)"
        except UnicodeDecodeError:
            shown, encoding = "", "an old encoding"
        raise IngestError(
            f"the file is saved in {encoding}, not UTF-8: byte 0x{bad:02X}{shown} on line {line} cannot be read; "
            f"{_SAVE_AS}"
        ) from None
    return text.removeprefix("\ufeff")


def _lost_text(rows: list[RawRow]) -> None:
    """Refuse a file whose text became question marks (an old-encoding save of Hindi): a cell that is mostly
    '?', with at least three of them. A question in a description ("Why wait???") is not that."""
    for raw in rows:
        for column, value in raw.values.items():
            marks = value.count("?")
            letters = len(value) - value.count(" ")
            if marks >= 3 and marks * 2 >= letters and _LOST_TEXT.search(value):
                raise IngestError(
                    f"row {raw.row}, column {column} is '{value[:40]}' where text should be: Hindi or other letters "
                    f"were lost when the file was saved in an old encoding; open the original and "
                    f"{_SAVE_AS[0].lower()}{_SAVE_AS[1:]}"
                )


def _header(cells: list[str], *, source: str) -> list[str]:
    names = [normalise_header(c) for c in cells]
    while names and not names[-1]:
        names.pop()
    if not names or not any(n in ALL_COLUMNS for n in names):
        shown = ", ".join(repr(c) for c in cells[:5])
        raise IngestError(
            f"no header row found: the first row of the {source} must hold column names such as id, name, "
            f"category_id, price (found {shown or 'nothing'})"
        )
    seen: dict[str, int] = {}
    for index, name in enumerate(names, start=1):
        if not name:
            raise IngestError(f"column {index} of the header has no name")
        if name in seen:
            raise IngestError(
                f"column '{name}' appears twice in the header (columns {seen[name]} and {index})"
            )
        seen[name] = index
    return names


def _rows_from_table(table: Iterable[list[str]], *, source: str, max_rows: int) -> list[RawRow]:
    it: Iterator[list[str]] = iter(table)
    header: list[str] | None = None
    row_no = 0
    for cells in it:
        row_no += 1
        if any(c.strip() for c in cells):
            header = _header(cells, source=source)
            break
    if header is None:
        raise IngestError("the file is empty")
    width = len(header)
    rows: list[RawRow] = []
    for cells in it:
        row_no += 1
        if row_no > max_rows + _BLANK_ROW_ALLOWANCE:
            raise IngestError(f"the file has more than {max_rows + _BLANK_ROW_ALLOWANCE} lines (blank ones count "
                              "too); delete the empty rows below your items, or split the file")
        if not any(c.strip() for c in cells):
            continue
        if len(rows) >= max_rows:
            raise IngestError(f"the file has more than {max_rows} item rows; split it into smaller files")
        values = {name: (cells[i].strip() if i < len(cells) else "") for i, name in enumerate(header)}
        extra = [c.strip() for c in cells[width:] if c.strip()]
        if extra:
            values[EXTRA_CELLS] = ", ".join(extra)
        rows.append(RawRow(row_no, values))
    return rows


def _parse_csv(text: str, *, tab: bool, max_rows: int) -> list[RawRow]:
    first_line = next((ln for ln in text.splitlines() if ln.strip()), "")
    if tab:
        delimiter = "\t"
    else:
        # Sniff only among , ; and tab, by counting them outside quotes in the header line.
        unquoted = re.sub(r'"[^"]*"', "", first_line)
        delimiter = max((",", ";", "\t"), key=unquoted.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    try:
        return _rows_from_table(reader, source="file", max_rows=max_rows)
    except csv.Error as exc:
        raise IngestError(f"the CSV file is malformed near line {reader.line_num}: {exc}") from None


def _check_zip(data: bytes, *, max_bytes: int) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
    except zipfile.BadZipFile:
        raise IngestError("the .xlsx file is damaged or is not really an Excel file") from None
    total = sum(i.file_size for i in infos)
    limit = max_bytes * _XLSX_INFLATE_FACTOR
    if total > limit:
        raise IngestError(
            f"the .xlsx file unpacks to {_mb(total)}, more than the {_mb(limit)} limit; it may be a zip bomb "
            f"or have huge hidden sheets"
        )
    for info in infos:
        if info.compress_size and info.file_size / info.compress_size > _XLSX_MAX_RATIO:
            raise IngestError(
                f"the .xlsx file has a part ('{info.filename}') that unpacks "
                f"{info.file_size // info.compress_size}"
                f" times larger; refusing it as a possible zip bomb"
            )


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return str(Decimal(repr(value)))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value)


def _parse_xlsx(data: bytes, *, max_bytes: int, max_rows: int) -> list[RawRow]:
    _check_zip(data, max_bytes=max_bytes)
    # Imported here so CSV/JSON uploads don't pay for openpyxl's import.
    import openpyxl  # type: ignore[import-untyped,unused-ignore]
    from openpyxl.utils.exceptions import InvalidFileException  # type: ignore[import-untyped,unused-ignore]

    # openpyxl parses with defusedxml (a dependency of ours), so entity expansion is refused, not performed.
    # Malformed XML raises ParseError, a SyntaxError, while the sheet is read, not only when it is opened.
    unreadable = (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError, SyntaxError)
    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except unreadable as exc:
        raise IngestError(f"the .xlsx file cannot be opened: {exc}") from None
    try:
        sheets = wb.worksheets
        if not sheets:
            raise IngestError("the .xlsx file has no sheets")
        table = ([_cell_text(v) for v in row] for row in sheets[0].iter_rows(values_only=True))
        return _rows_from_table(table, source="first sheet", max_rows=max_rows)
    except unreadable as exc:
        raise IngestError(f"the .xlsx file cannot be read: {exc}") from None
    finally:
        wb.close()


def _json_cell(key: str, value: Any, index: int) -> str:
    if isinstance(value, list):
        if all(isinstance(v, str | int | float) and not isinstance(v, bool) for v in value):
            return ", ".join(_cell_text(v) for v in value)
        raise IngestError(f"item {index}: '{key}' must be text or a list of text")
    if isinstance(value, dict):
        raise IngestError(f"item {index}: '{key}' must be text, not a nested object")
    return _cell_text(value).strip()


def _parse_json(text: str, *, max_rows: int) -> list[RawRow]:
    try:
        doc = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise IngestError(
            f"the JSON is not valid: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        ) from None
    if isinstance(doc, dict) and isinstance(doc.get("items"), list):
        doc = doc["items"]
    if not isinstance(doc, list):
        raise IngestError('the JSON must be a list of items, or an object like {"items": [...]}')
    if len(doc) > max_rows:
        raise IngestError(f"the file has more than {max_rows} items; split it into smaller files")
    rows: list[RawRow] = []
    for index, obj in enumerate(doc, start=1):
        if not isinstance(obj, dict):
            raise IngestError(f"item {index} is not an object with named fields")
        values: dict[str, str] = {}
        for raw_key, value in obj.items():
            key = normalise_header(str(raw_key))
            if key in values:
                raise IngestError(f"item {index}: field '{key}' appears twice")
            values[key] = _json_cell(key, value, index)
        rows.append(RawRow(index, values))
    return rows

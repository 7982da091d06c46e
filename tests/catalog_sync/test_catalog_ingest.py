"""ingest.parse_catalogue: formats, encodings and hostile files."""

from __future__ import annotations

import io
import zipfile
from datetime import datetime
from typing import Any

import openpyxl
import orjson
import pytest

from catalog_sync.errors import CatalogueError, IngestError
from catalog_sync.ingest import EXTRA_CELLS, RawRow, normalise_header, parse_catalogue

HEADER = "id,name,category_id,price,stock\n"


def test_csv_rows_are_numbered_like_a_spreadsheet() -> None:
    rows = parse_catalogue(
        (HEADER + "A1,Rumal,Home Decor,450,3\n\nA2,Cap,Caps & Hats,300,1\n").encode(), "c.csv"
    )
    assert rows == [
        RawRow(2, {"id": "A1", "name": "Rumal", "category_id": "Home Decor", "price": "450", "stock": "3"}),
        RawRow(4, {"id": "A2", "name": "Cap", "category_id": "Caps & Hats", "price": "300", "stock": "1"}),
    ]


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_csv_delimiter_is_sniffed(delimiter: str) -> None:
    text = delimiter.join(["id", "name", "price"]) + "\n" + delimiter.join(["A1", "Shawl, red", "450"]) + "\n"
    if delimiter == ",":
        text = 'id,name,price\nA1,"Shawl, red",450\n'
    rows = parse_catalogue(text.encode(), "c.csv")
    assert rows[0].values == {"id": "A1", "name": "Shawl, red", "price": "450"}


def test_utf8_bom_and_hindi_text() -> None:
    data = "\ufeffID, Name ,Long Desc\nA1,चंबा रुमाल,हाथ से बनी कढ़ाई\n".encode()
    rows = parse_catalogue(data, "c.csv")
    assert rows[0].values == {"id": "A1", "name": "चंबा रुमाल", "long_desc": "हाथ से बनी कढ़ाई"}


def test_header_names_are_normalised() -> None:
    assert normalise_header("\ufeff  Max Per-Order ") == "max_per_order"
    rows = parse_catalogue(b"Category ID,PRICE\nHome Decor,450\n", "c.csv")
    assert rows[0].values == {"category_id": "Home Decor", "price": "450"}


def test_multiline_quoted_cell_keeps_one_row_number() -> None:
    rows = parse_catalogue(b'id,long_desc\nA1,"line one\nline two"\nA2,x\n', "c.csv")
    assert [r.row for r in rows] == [2, 3]
    assert rows[0].values["long_desc"] == "line one\nline two"


def test_formula_cells_are_kept_as_text_never_evaluated() -> None:
    rows = parse_catalogue(b'id,name\nA1,"=HYPERLINK(""http://evil"")"\n', "c.csv")
    assert rows[0].values["name"] == '=HYPERLINK("http://evil")'


def test_extra_cells_are_kept_for_the_report() -> None:
    rows = parse_catalogue(b"id,name\nA1,Rumal,surprise\n", "c.csv")
    assert rows[0].values[EXTRA_CELLS] == "surprise"


def test_short_rows_get_empty_cells() -> None:
    rows = parse_catalogue(b"id,name,price\nA1\n", "c.csv")
    assert rows[0].values == {"id": "A1", "name": "", "price": ""}


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (b"", "c.csv", "empty"),
        (b"\xef\xbb\xbf  \n\n", "c.csv", "empty"),
        (HEADER.encode(), "c.csv", "no items"),
        (b"A1,Rumal,450\nA2,Cap,300\n", "c.csv", "no header row"),
        (b"id,name,ID\nA1,x,y\n", "c.csv", "appears twice"),
        (b"id,,name\nA1,x,y\n", "c.csv", "column 2 of the header has no name"),
        (b"id,name\nA1,\xe9t\xe9\n", "c.csv", "Windows-1252 ('CSV (Comma delimited)' in Excel), not UTF-8: byte 0xE9 "
                                          "('\u00e9') on line 2"),
        (b"id,name\nA1,\x81\n", "c.csv", "saved in an old encoding, not UTF-8: byte 0x81 on line 2"),
        ("id,name\nA1,x\n".encode("utf-16"), "c.csv", "UTF-16 ('Unicode Text'), not UTF-8; in Excel use 'Save As' > "
                                                "'CSV UTF-8 (comma delimited)'"),
        (b"id,name\nA1,x\nA2,????? ?????\n", "c.csv", "row 3, column name is '????? ?????' where text should be"),
        (b"id,name\nA1,x\x00y\n", "c.csv", "NUL byte at byte offset 12 (line 2)"),
        (b"id,name\n", "c.xls", "not supported"),
        (b"id,name\n", "catalogue.pdf", "unknown file type"),
        (b"id,name\n", "catalogue", "unknown file type"),
        (b"PK\x03\x04rest", "c.csv", "rename it to .xlsx"),
        (b"PK\x03\x04 not really a zip", "c.xlsx", "damaged"),
        (b"[1, 2]", "c.json", "item 1 is not an object"),
        (b'{"rows": []}', "c.json", "must be a list"),
        (b'[{"id": "A1", "name": {"en": "x"}}]', "c.json", "nested object"),
        (b'[{"id": "A1", "ID": "A2"}]', "c.json", "appears twice"),
        (b'[{"id": "A1",}]', "c.json", "line 1"),
        (b"[]", "c.json", "no items"),
    ],
)
def test_bad_files_raise_a_clear_ingest_error(data: bytes, filename: str, message: str) -> None:
    with pytest.raises(IngestError, match=None) as info:
        parse_catalogue(data, filename)
    assert message in str(info.value)
    assert isinstance(info.value, CatalogueError)


def test_too_big_file_is_refused_before_parsing() -> None:
    with pytest.raises(IngestError, match=r"larger than the 0\.0 MB limit"):
        parse_catalogue(b"id\n" + b"x" * 2000, "c.csv", max_bytes=1000)


def test_too_many_rows() -> None:
    data = HEADER + "".join(f"A{i},n,Home Decor,1,1\n" for i in range(11))
    with pytest.raises(IngestError, match="more than 10 item rows"):
        parse_catalogue(data.encode(), "c.csv", max_rows=10)
    assert len(parse_catalogue(data.encode(), "c.csv", max_rows=11)) == 11


def test_json_list_and_items_object() -> None:
    items = [
        {
            "ID": "A1",
            "price": 450.5,
            "stock": 3,
            "returnable": True,
            "images": ["https://a/1", "https://a/2"],
            "mrp": None,
        }
    ]
    for doc in (items, {"items": items}):
        rows = parse_catalogue(orjson.dumps(doc), "c.json")
        assert rows == [
            RawRow(
                1,
                {
                    "id": "A1",
                    "price": "450.5",
                    "stock": "3",
                    "returnable": "yes",
                    "images": "https://a/1, https://a/2",
                    "mrp": "",
                },
            )
        ]


def test_json_too_many_items() -> None:
    with pytest.raises(IngestError, match="more than 2 items"):
        parse_catalogue(orjson.dumps([{"id": str(i)} for i in range(3)]), "c.json", max_rows=2)


def _xlsx(rows: list[list[Any]], *, extra_sheet: bool = False) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    for r in rows:
        ws.append(r)
    if extra_sheet:
        wb.create_sheet("ignored").append(["id", "name"])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_xlsx_first_sheet_with_typed_cells() -> None:
    data = _xlsx(
        [
            ["ID", "Name", "Price", "Stock", "Returnable", "Made"],
            ["A1", "चंबा रुमाल", 450.5, 3, True, datetime(2030, 3, 1)],  # noqa: DTZ001 - spreadsheets are naive
            [None, None, None, None, None, None],
            ["A2", "=1+1", 300, 0, False, None],
        ],
        extra_sheet=True,
    )
    rows = parse_catalogue(data, "Catalogue.XLSX")
    assert rows == [
        RawRow(
            2,
            {
                "id": "A1",
                "name": "चंबा रुमाल",
                "price": "450.5",
                "stock": "3",
                "returnable": "yes",
                "made": "2030-03-01",
            },
        ),
        # data_only: a formula is never evaluated by us; only the value Excel cached is read (none here).
        RawRow(4, {"id": "A2", "name": "", "price": "300", "stock": "0", "returnable": "no", "made": ""}),
    ]


def test_xlsx_text_that_looks_like_a_formula_is_kept() -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["id", "name"])
    ws.append(["A1", "x"])
    ws["B2"].value = "@SUM(1)"
    ws["B2"].data_type = "s"
    buf = io.BytesIO()
    wb.save(buf)
    assert parse_catalogue(buf.getvalue(), "c.xlsx")[0].values["name"] == "@SUM(1)"


def test_xlsx_without_header_or_rows() -> None:
    with pytest.raises(IngestError, match="no header row"):
        parse_catalogue(_xlsx([["A1", "Rumal", 450]]), "c.xlsx")
    with pytest.raises(IngestError, match="empty"):
        parse_catalogue(_xlsx([]), "c.xlsx")


def test_xlsx_zip_bomb_is_refused_by_uncompressed_size() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/worksheets/sheet1.xml", b"<" + b"a" * 3_000_000)
    data = buf.getvalue()
    assert len(data) < 100_000
    with pytest.raises(IngestError, match="zip bomb"):
        parse_catalogue(data, "c.xlsx", max_bytes=200_000)


def test_xlsx_high_compression_ratio_is_refused() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/sharedStrings.xml", b"0" * 1_000_000)
    with pytest.raises(IngestError, match="zip bomb"):
        parse_catalogue(buf.getvalue(), "c.xlsx")


def test_xlsx_too_many_rows() -> None:
    data = _xlsx([["id", "name"], *[[f"A{i}", "x"] for i in range(6)]])
    with pytest.raises(IngestError, match="more than 5 item rows"):
        parse_catalogue(data, "c.xlsx", max_rows=5)


def test_xlsx_blank_rows_count_toward_the_limit() -> None:
    # A sheet padded with empty rows costs as much to read as a full one: refused, not read to the end.
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["id", "name"])
    ws.append(["A1", "Rumal"])
    ws.cell(row=20_000, column=1, value="A2")  # 19,997 blank rows in between
    buf = io.BytesIO()
    wb.save(buf)
    with pytest.raises(IngestError, match="blank ones count too"):
        parse_catalogue(buf.getvalue(), "c.xlsx", max_rows=5)


def _rewrite_sheet(sheet_xml: bytes) -> bytes:
    """A valid workbook whose first sheet's XML is replaced."""
    source = zipfile.ZipFile(io.BytesIO(_xlsx([["id", "name"], ["A1", "Rumal"]])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for info in source.infolist():
            data = sheet_xml if info.filename == "xl/worksheets/sheet1.xml" else source.read(info.filename)
            zf.writestr(info.filename, data)
    return out.getvalue()


@pytest.mark.parametrize(
    "sheet_xml",
    [
        b"<worksheet><sheetData><row><c><v>1</v></c></row>",  # truncated: malformed XML
        (b'<?xml version="1.0"?><!DOCTYPE lol [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">'
         b']><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1">'
         b'<c r="A1" t="inlineStr"><is><t>&b;</t></is></c></row></sheetData></worksheet>'),  # entity expansion
    ],
    ids=["malformed", "entities"],
)
def test_xlsx_with_broken_or_hostile_xml_is_an_ingest_error(sheet_xml: bytes) -> None:
    with pytest.raises(IngestError, match="xlsx file cannot be"):
        parse_catalogue(_rewrite_sheet(sheet_xml), "c.xlsx")


def test_question_marks_in_a_description_are_text_not_lost_hindi() -> None:
    rows = parse_catalogue(b"id,name,long_desc\nA1,Rumal,Why wait??? Order now?\n", "c.csv")
    assert rows[0].values["long_desc"] == "Why wait??? Order now?"

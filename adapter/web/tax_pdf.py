"""A tax invoice or credit note as a PDF (fpdf2), the same as its page: Noto Sans for Latin text with Noto Sans
Devanagari as the fallback, shaped by HarfBuzz so that Hindi conjuncts and vowel signs join as they should.

The fonts are Debian's (fonts-noto-core, under /usr/share/fonts); a machine without them cannot make PDFs and
says so (FontsMissingError) rather than printing boxes.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from fpdf import FPDF

from adapter.web.console.formats import inr

__all__ = ["FONT_ROOTS", "FontsMissingError", "render_pdf"]

FONT_ROOTS = (Path("/usr/share/fonts"), Path("/usr/local/share/fonts"))
_FILES = {("sans", ""): "NotoSans-Regular.ttf", ("sans", "B"): "NotoSans-Bold.ttf",
          ("deva", ""): "NotoSansDevanagari-Regular.ttf", ("deva", "B"): "NotoSansDevanagari-Bold.ttf"}
_WIDTH = 186.0  # A4 less 12 mm margins, in mm


class FontsMissingError(RuntimeError):
    """The Noto fonts are not installed (Debian: apt-get install fonts-noto-core)."""


@functools.cache
def _fonts() -> dict[tuple[str, str], Path]:
    found: dict[tuple[str, str], Path] = {}
    for root in FONT_ROOTS:
        if not root.is_dir():
            continue
        for key, name in _FILES.items():
            if key not in found:
                path = next(root.rglob(name), None)
                if path is not None:
                    found[key] = path
    for family in ("sans", "deva"):
        if (family, "") not in found:
            raise FontsMissingError(f"{_FILES[(family, '')]} was not found under "
                                    f"{', '.join(map(str, FONT_ROOTS))} (install fonts-noto-core)")
        found.setdefault((family, "B"), found[(family, "")])
    return found


def _pdf() -> FPDF:
    pdf = FPDF(format="A4")
    pdf.set_margins(12, 12, 12)
    pdf.set_auto_page_break(True, margin=12)
    for (family, style), path in _fonts().items():
        pdf.add_font(family, style, str(path))
    pdf.set_fallback_fonts(["deva"])
    pdf.set_text_shaping(True)
    pdf.add_page()
    return pdf


def _text(pdf: FPDF, text: str, *, size: float = 9, bold: bool = False, height: float = 4.6) -> None:
    pdf.set_font("sans", "B" if bold else "", size)
    pdf.multi_cell(0, height, text, new_x="LMARGIN", new_y="NEXT")


def _rate(line: dict[str, Any]) -> str:
    return "" if line["rate"] is None else f"{line['rate']}%"


def render_pdf(document: dict[str, Any], lines: Sequence[dict[str, Any]], label: dict[str, str], *, words: str,
               issued: str, invoice_date: str = "") -> bytes:
    """The document as PDF bytes; ``lines`` with their titles and ``label`` in the reader's language."""
    pdf = _pdf()
    pdf.set_title(f"{label['title']} {document['number']}")
    seller, buyer, place = document["seller"], document["buyer"], document["place_of_supply"]
    _text(pdf, label["title"], size=16, bold=True, height=8)
    _text(pdf, seller["legal_name"], size=11, bold=True, height=6)
    for line in seller["address"]:
        _text(pdf, line)
    _text(pdf, f"{label['gstin']} {seller['gstin']} · {label['pan']} {seller['pan']} · {label['state']} "
               f"{seller['state']['name']} ({seller['state']['code']})")
    pdf.ln(2)
    facts = [(label["number"], document["number"]), (label["date"], issued), (label["order"], document["order_id"])]
    if document["kind"] == "credit_note":
        facts += [(label["against"], f"{document['invoice_number']} · {invoice_date}"),
                  (label["reason"], label.get(document["reason"], document["reason"]))]
    assumed = f" ({label['assumed']})" if place.get("assumed") else ""
    facts += [(label["place"], f"{place['name']} ({place['code']}){assumed}"), (label["reverse"], label["no"])]
    for name, value in facts:
        pdf.set_font("sans", "B", 9)
        pdf.cell(42, 5, name)
        pdf.set_font("sans", "", 9)
        pdf.multi_cell(0, 5, value, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    _text(pdf, label["billed"], bold=True)
    _text(pdf, "\n".join([buyer["name"], *buyer["address"]]).strip() or "-")
    if buyer.get("delivery_address") and buyer["delivery_address"] != buyer["address"]:
        _text(pdf, label["delivered"], bold=True)
        _text(pdf, "\n".join(buyer["delivery_address"]))
    pdf.ln(2)
    intra = bool(document["intra_state"])
    taxes = [("cgst", label["cgst"]), ("sgst", label["sgst"])] if intra else [("igst", label["igst"])]
    widths = (52, 10, 26, 12, *((22, 22) if intra else (32,)), 0)
    widths = (*widths[:-1], _WIDTH - sum(widths[:-1]))
    pdf.set_font("sans", "", 8)
    with pdf.table(col_widths=widths, text_align=("LEFT", *["RIGHT"] * (len(widths) - 1)), line_height=4.4,
                   first_row_as_headings=True) as table:
        table.row([label["item"], label["qty"], label["taxable"], label["rate"], *(name for _, name in taxes),
                   label["amount"]])
        for line in lines:
            hsn = f"{label['hsn']} {line['hsn']}" if line["hsn"] else label["hsn_missing"]
            rate = _rate(line) or label["rate_missing"]
            table.row([f"{line['title']}\n{hsn}", "" if line["quantity"] is None else str(line["quantity"]),
                       inr(line["taxable"]), rate, *(inr(line[key]) for key, _ in taxes), inr(line["gross"])])
        totals = document["totals"]
        table.row([label["total"], "", inr(totals["taxable"]), "", *(inr(totals[key]) for key, _ in taxes),
                   inr(totals["gross"])])
    pdf.ln(2)
    _text(pdf, f"{label['words']}: {words}")
    _text(pdf, f"{label['reverse']}: {label['no']} · {label['included']}")
    if not document.get("complete", True):
        _text(pdf, label["incomplete"], bold=True)
    return bytes(pdf.output())

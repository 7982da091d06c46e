"""The shipping label the test courier serves at its label URL: a 100 x 150 mm PDF with the AWB as a barcode.

Core PDF fonts only (no font files needed): text outside Latin-1 is shown as '?', which is enough for a test
courier's label.
"""

from __future__ import annotations

from typing import Any

from fpdf import FPDF

from adapter.logistics.courier.messages import delivery_fulfillment
from adapter.logistics.courier.store import Shipment

__all__ = ["label_pdf"]


def _latin(text: Any) -> str:
    return str(text).encode("latin-1", errors="replace").decode("latin-1")


def _address(stop: dict[str, Any]) -> list[str]:
    address = (stop.get("location") or {}).get("address") or {}
    person = (stop.get("person") or {}).get("name")
    phone = (stop.get("contact") or {}).get("phone")
    lines = [person] if person else []
    lines += [", ".join(str(address[k]) for k in ("name", "building", "locality") if address.get(k))]
    lines += [", ".join(str(address[k]) for k in ("city", "state", "area_code") if address.get(k))]
    if phone:
        lines.append(f"Phone {phone}")
    return [_latin(line) for line in lines if line]


def label_pdf(shipment: Shipment, courier_name: str) -> bytes:
    """The label of one shipment, as PDF bytes."""
    fulfilment = delivery_fulfillment(shipment.order)
    item = shipment.order["items"][0]
    pdf = FPDF(unit="mm", format=(100, 150))
    pdf.set_margins(6, 6, 6)
    pdf.set_auto_page_break(False)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 13)
    pdf.cell(0, 7, _latin(courier_name), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 9)
    pdf.cell(0, 5, _latin(f"{item.get('category_id', '')} - {shipment.domain}"), new_x="LMARGIN", new_y="NEXT")
    pdf.interleaved2of5(shipment.awb, 6, 20, w=0.55, h=16)
    pdf.set_xy(6, 38)
    pdf.set_font("Helvetica", "B", 12)
    pdf.cell(0, 6, f"AWB {shipment.awb}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 9)
    pdf.cell(0, 5, _latin(f"Order {shipment.order_id}"), new_x="LMARGIN", new_y="NEXT")
    for title, stop in (("FROM", fulfilment.get("start") or {}), ("TO", fulfilment.get("end") or {})):
        pdf.ln(3)
        pdf.set_font("Helvetica", "B", 10)
        pdf.cell(0, 5, title, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 9)
        for line in _address(stop):
            pdf.multi_cell(0, 4.5, line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())

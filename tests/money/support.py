"""A cooperative whose catalogue has HSN codes and GST rates, and orders as the order flows store them."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from adapter.store.db import transaction
from adapter.store.models import Order
from tests.support.sellers import ALWAYS_OPEN, RET16_CSV, make_seller

QTY = "@ondc/org/item_quantity"
# The test catalogue's rumals with HSN and rate; the bed cover (T16-3) keeps neither.
GST_COLUMNS = {"T16-1": ("58109100", "5"), "T16-2": ("63049239", "12")}


def gst_catalogue() -> bytes:
    """The RET16 test catalogue with hsn and gst_rate columns."""
    rows = list(csv.DictReader(io.StringIO(RET16_CSV.decode())))
    out = io.StringIO()
    writer = csv.DictWriter(out, [*rows[0].keys(), "hsn", "gst_rate"], lineterminator="\n")
    writer.writeheader()
    for row in rows:
        hsn, rate = GST_COLUMNS.get(row["id"], ("", ""))
        writer.writerow({**row, "hsn": hsn, "gst_rate": rate})
    return out.getvalue().encode()


def make_gst_seller(sessions: sessionmaker[Session], slug: str = "gst-coop", **profile: Any) -> int:
    """A cooperative in Himachal Pradesh (GSTIN 02...) with the GST catalogue."""
    return make_seller(sessions, slug, catalogue=gst_catalogue(), profile={**ALWAYS_OPEN, **profile})


def item_line(item_id: str, title: str, unit: str, count: int) -> dict[str, Any]:
    return {"@ondc/org/item_id": item_id, QTY: {"count": count}, "@ondc/org/title_type": "item", "title": title,
            "price": {"currency": "INR", "value": f"{Decimal(unit) * count:.2f}"},
            "item": {"price": {"currency": "INR", "value": unit}}}


def quote() -> dict[str, Any]:
    """Two small rumals (5 %), one large (12 %), delivery and packing: 5,770.50 in all."""
    breakup = [item_line("T16-1", "Test Rumal Small", "1200.00", 2),
               item_line("T16-2", "Test Rumal Large", "3200.50", 1),
               {"@ondc/org/item_id": "F1", "@ondc/org/title_type": "delivery", "title": "Delivery charges",
                "price": {"currency": "INR", "value": "150.00"}},
               {"@ondc/org/item_id": "F1", "@ondc/org/title_type": "packing", "title": "Packing charges",
                "price": {"currency": "INR", "value": "20.00"}}]
    return {"price": {"currency": "INR", "value": "5770.50"}, "ttl": "P1D", "breakup": breakup}


def make_order(sessions: sessionmaker[Session], cooperative_id: int, order_id: str, *,
               state: str = "Accepted", fulfilment_state: str = "Packed", to_state: str = "Himachal Pradesh",
               now: dt.datetime | None = None) -> int:
    """An accepted, packed hyperlocal order delivered to ``to_state``."""
    at = now or dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    with transaction(sessions) as session:
        order = Order(cooperative_id=cooperative_id, order_id=order_id, bap_id="buyer.odop.test",
                      bap_uri="http://127.0.0.1:9/buyer", transaction_id=f"t-{order_id}", domain="ONDC:RET16",
                      city="std:0177", state=state, fulfilment_state=fulfilment_state, routing="P2P",
                      lines=[{"item_id": "T16-1", "quantity": 2, "location_id": "main"},
                             {"item_id": "T16-2", "quantity": 1, "location_id": "main"}],
                      quote=quote(), payment={},
                      billing={"name": "Ravi Kumar", "address": {
                          "name": "Flat 4B", "building": "Deodar Apartments", "locality": "Sanjauli",
                          "city": "Shimla", "state": "Himachal Pradesh", "area_code": "171006"}},
                      fulfillments=[{"id": "F1", "type": "Delivery", "tat": "P5D", "category": "Standard Delivery",
                                     "end": {"location": {"gps": "31.1,77.1", "address": {
                                         "name": "12", "street": "Mall Road", "city": "Elsewhere",
                                         "state": to_state, "area_code": "171001"}},
                                             "contact": {"phone": "9800000000"}, "person": {"name": "Ravi Kumar"}},
                                     "times": {}}],
                      created_at=at, updated_at=at)
        session.add(order)
        session.flush()
        return order.id

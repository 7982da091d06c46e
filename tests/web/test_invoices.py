"""The public invoice page (the on_status `documents` link): its signed token, languages, amounts and lines."""

from __future__ import annotations

import dataclasses
import html
import re
from decimal import Decimal

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

from adapter.orders.policy import order_policy
from adapter.orders.snapshots import invoice_token
from adapter.store.db import transaction
from adapter.store.models import Order, utcnow
from config import Settings
from tests.conftest import app_under_test
from tests.support.sellers import make_seller

DEVANAGARI = re.compile("[\u0900-\u097f]")
QTY = "@ondc/org/item_quantity"
# Two rumals, one bed cover cancelled in full (count 0), delivery and packing charges: 1,25,000.50 in all.
QUOTE = {"price": {"currency": "INR", "value": "125000.50"}, "ttl": "P1D", "breakup": [
    {"@ondc/org/item_id": "T16-2", QTY: {"count": 38}, "@ondc/org/title_type": "item", "title": "Test Rumal Large",
     "price": {"currency": "INR", "value": "121619.00"}, "item": {"price": {"currency": "INR", "value": "3200.50"}}},
    {"@ondc/org/item_id": "T16-3", QTY: {"count": 0}, "@ondc/org/title_type": "item", "title": "Test Bed Cover",
     "price": {"currency": "INR", "value": "0.00"}, "item": {"price": {"currency": "INR", "value": "2800.00"}}},
    {"@ondc/org/item_id": "T16-3", "@ondc/org/title_type": "tax", "title": "Tax",
     "price": {"currency": "INR", "value": "0.00"}},
    {"@ondc/org/item_id": "F1", "@ondc/org/title_type": "delivery", "title": "Delivery charges",
     "price": {"currency": "INR", "value": "3331.50"}},
    {"@ondc/org/item_id": "F1", "@ondc/org/title_type": "packing", "title": "Packing charges",
     "price": {"currency": "INR", "value": "50.00"}}]}
BILLING = {"name": "Ravi Kumar", "phone": "9800000001", "email": "ravi@example.in",
           "address": {"name": "Flat 4B", "building": "Deodar Apartments", "locality": "Sanjauli", "city": "Shimla",
                       "state": "Himachal Pradesh", "country": "IND", "area_code": "171006"}}


def text(response: object) -> str:
    return html.unescape(response.get_data(as_text=True))  # type: ignore[attr-defined]


@pytest.fixture
def order_pk(sessions: sessionmaker[Session]) -> int:
    coop_id = make_seller(sessions, "test-coop")
    now = utcnow()
    with transaction(sessions) as session:
        order = Order(cooperative_id=coop_id, order_id="INV-1", bap_id="buyer.odop.test",
                      bap_uri="http://127.0.0.1:9/buyer", transaction_id="t-inv-1", domain="ONDC:RET16",
                      city="std:0177", state="In-progress", fulfilment_state="Order-picked-up", routing="P2H2P",
                      lines=[{"item_id": "T16-2", "quantity": 38, "location_id": "main"},
                             {"item_id": "T16-3", "quantity": 0, "location_id": "main"}],
                      quote=QUOTE, billing=BILLING, payment={}, fulfillments=[], created_at=now, updated_at=now)
        session.add(order)
        session.flush()
        return order.id


def url_of(settings: Settings, pk: int) -> str:
    return f"/invoices/{pk}/{invoice_token(pk, order_policy(settings).invoice_secret)}"


def test_the_invoice_in_english_by_default(client: FlaskClient, settings: Settings, order_pk: int) -> None:
    # The buyer's browser or an old console session asking for Hindi does not change the public link's default.
    response = client.get(url_of(settings, order_pk), headers={"Accept-Language": "hi-IN,hi;q=0.9"})
    assert response.status_code == 200
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["Cache-Control"] == "no-store"
    page = text(response)
    assert '<html lang="en">' in page
    assert "<h1>Tax invoice</h1>" in page
    assert "Test Himalayan Crafts Cooperative Society Ltd (test fixture)" in page
    assert "GSTIN <span class=\"nowrap\">02AAAAA0000A1ZE</span> · PAN <span class=\"nowrap\">AAAAA0000A</span>" in page
    assert "1 Test Lane" in page  # the seller's address
    assert re.search(r"\d{1,2} \w{3} \d{4}, \d\d:\d\d IST", page)
    billed = page.split('id="billed-to">', 1)[1].split("</p>", 1)[0]
    assert billed.split("<br>") == ["<strong>Ravi Kumar</strong>", "Flat 4B", "Deodar Apartments", "Sanjauli",
                                    "Shimla, Himachal Pradesh 171006"]
    assert "Prices include GST." in page
    assert not DEVANAGARI.search(page.split("<main", 1)[1])
    assert '<link rel="stylesheet" href="/static/print.css">' in page
    assert len(re.findall(r"<script(?![^>]*\bsrc=)", page)) == 0
    assert f'href="{url_of(settings, order_pk)}?lang=hi" hreflang="hi" lang="hi">हिन्दी</a>' in page


def test_lines_amounts_and_total(client: FlaskClient, settings: Settings, order_pk: int) -> None:
    page = text(client.get(url_of(settings, order_pk)))
    rows = re.findall(r"<tr><td>(.*?)</td><td class=\"num\">(.*?)</td><td class=\"num\">(.*?)</td></tr>",
                      page.split("<tbody>", 1)[1].split("</tbody>", 1)[0])
    # The cancelled bed cover (count 0) and its tax line are not billed; amounts in rupees with lakh grouping.
    assert rows == [("Test Rumal Large", "38", "₹1,21,619"), ("Delivery charges", "", "₹3,331.50"),
                    ("Packing charges", "", "₹50")]
    assert '<td class="num" id="invoice-total">₹1,25,000.50</td>' in page
    billed = sum(Decimal(amount.strip("₹").replace(",", "")) for _, _, amount in rows)
    assert billed == Decimal(QUOTE["price"]["value"])


def test_the_invoice_in_hindi(client: FlaskClient, settings: Settings, order_pk: int) -> None:
    page = text(client.get(url_of(settings, order_pk) + "?lang=hi"))
    assert '<html lang="hi">' in page
    for label in ("<h1>कर बीजक</h1>", "जीएसटीआईएन", "पैन", "बिल प्राप्तकर्ता", "मात्रा", "राशि", "कुल",
                  "डिलीवरी शुल्क", "पैकिंग शुल्क", "कीमतों में जीएसटी शामिल है।", "तारीख"):
        assert label in page, label
    for english in ("Tax invoice", "Billed to", "Prices include GST", "Delivery charges"):
        assert english not in page, english
    for data in ("Ravi Kumar", "Test Rumal Large", "INV-1", "02AAAAA0000A1ZE", "₹1,25,000.50"):
        assert data in page, data
    assert f'href="{url_of(settings, order_pk)}?lang=en" hreflang="en" lang="en">English</a>' in page


@pytest.mark.parametrize("query", ["?lang=xx", "?lang=", "?lang=%22%3E%3Cb%3E", "?lang=HI"])
def test_a_bad_lang_gives_the_english_invoice(client: FlaskClient, settings: Settings, order_pk: int,
                                              query: str) -> None:
    response = client.get(url_of(settings, order_pk) + query)
    assert response.status_code == 200
    assert '<html lang="en">' in text(response)
    assert "<h1>Tax invoice</h1>" in text(response)
    assert "<b>" not in response.get_data(as_text=True)


def test_a_wrong_token_is_404(client: FlaskClient, settings: Settings, order_pk: int) -> None:
    good = url_of(settings, order_pk)
    token = good.rsplit("/", 1)[1]
    flipped = token[:-1] + ("1" if token[-1] == "0" else "0")
    other_order = url_of(settings, order_pk + 1)  # a real token, but for another (absent) order
    for path in (f"/invoices/{order_pk}/{'0' * 32}", f"/invoices/{order_pk}/{token[:-1]}",
                 f"/invoices/{order_pk}/{token.upper()}", f"/invoices/{order_pk + 1}/{token}", other_order,
                 f"/invoices/{order_pk}/{token}x", f"/invoices/{order_pk}/{flipped}?lang=hi"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "INV-1" not in text(response)
        assert "Ravi Kumar" not in text(response)
    assert client.get(good).status_code == 200


def test_no_invoices_without_a_signing_key(settings: Settings, order_pk: int) -> None:
    with app_under_test(dataclasses.replace(settings, signing_private_key=None)) as app:
        response = app.test_client().get(url_of(settings, order_pk))
        assert response.status_code == 404
        assert "Ravi Kumar" not in text(response)

"""The packing slip and the order page's Documents block, through Flask's test client on the real database."""

from __future__ import annotations

import dataclasses
import html
import re

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

from adapter.money import invoices
from adapter.orders import invoicing
from adapter.orders.policy import order_policy
from adapter.orders.seller import seller_action
from adapter.orders.snapshots import invoice_token
from adapter.store.db import transaction
from adapter.store.models import Order, utcnow
from config import Settings
from tests.conftest import ADMIN_KEY, app_under_test
from tests.console.support import ensure_console, make_order, sign_in

DEVANAGARI = re.compile("[\u0900-\u097f]")


def text(response: object) -> str:
    return html.unescape(response.get_data(as_text=True))  # type: ignore[attr-defined]


def slip_of(web: FlaskClient, pk: int, query: str = "", **headers: str) -> str:
    response = web.get(f"/console/orders/{pk}/packing-slip{query}", headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return text(response)


def edit_order(sessions: sessionmaker[Session], pk: int, **changes: object) -> None:
    with transaction(sessions) as session:
        order = session.get(Order, pk)
        assert order is not None
        for name, value in changes.items():
            setattr(order, name, value)


def test_the_slip_has_what_the_packer_needs_in_english(web: FlaskClient, sessions: sessionmaker[Session],
                                                        coops: dict[str, tuple[int, str]]) -> None:
    coop_id, key = coops["test-coop"]
    pk = make_order(sessions, coop_id, "SLIP-1")
    sign_in(web, key)
    page = slip_of(web, pk, **{"Accept-Language": "en"})
    assert '<html lang="en">' in page
    # The cooperative and where the parcel leaves from (the order line's location in the profile).
    assert "Test Himalayan Crafts Cooperative" in page
    assert "Test workshop" in page
    assert "1 Test Lane" in page
    assert "Chamba, Himachal Pradesh 176310" in page
    # The order, its date in IST, the buyer (person.name, not the house in address.name) and the phone.
    assert page.count("SLIP-1") >= 3  # title, facts and the big id for the parcel
    assert re.search(r'id="parcel-id"><span>Write on the parcel</span><strong>SLIP-1</strong>', page)
    assert re.search(r"\d{1,2} \w{3} \d{4}, \d\d:\d\d IST", page)
    assert "<strong>Asha Devi</strong>" in page
    address = page.split("<address>", 1)[1].split("</address>", 1)[0]
    assert address.split("<br>") == ["12", "Mall Road", "Shimla, Himachal Pradesh 171001"]
    assert 'href="tel:9800000000"' in page
    # Each item: title, SKU, quantity, the artisan from the catalogue, and a tick box.
    row = page.split('data-item="T16-1"', 1)[1].split("</tr>", 1)[0]
    assert "Test Rumal Small" in row
    assert "SKU: T16-1" in row
    assert "Artisan: Test Artisan" in row
    assert '<td class="qty">1</td>' in row
    assert row.count('type="checkbox"') == 1
    assert 'aria-label="Packed: Test Rumal Small"' in row
    assert "Items to pack" in page
    assert "Buyer's note" not in page  # no instructions were sent
    assert not DEVANAGARI.search(page.split("<article", 1)[1].split("</article>", 1)[0])
    # The print stylesheet and script are our own files; nothing inline for the CSP to block.
    assert '<link rel="stylesheet" href="/static/print.css">' in page
    assert '<script src="/static/print.js" defer></script>' in page
    assert "onclick" not in page
    assert len(re.findall(r"<script(?![^>]*\bsrc=)", page)) == 0
    assert re.search(r'<button type="button" id="print-button" hidden>Print</button>', page)
    assert "use your browser's Print command" in page


def test_the_slip_in_hindi_keeps_the_data_as_it_is(web: FlaskClient, sessions: sessionmaker[Session],
                                                   coops: dict[str, tuple[int, str]]) -> None:
    coop_id, key = coops["test-coop"]
    pk = make_order(sessions, coop_id, "SLIP-2")
    sign_in(web, key)
    page = slip_of(web, pk, "?lang=hi", **{"Accept-Language": "en"})
    assert '<html lang="hi">' in page
    for label in ("पैकिंग पर्ची", "पहुँचाने का पता", "पैक करने", "कारीगर: Test Artisan", "पार्सल पर लिखें",
                  "प्रिंट करें", "उत्पाद कोड (SKU): T16-1", "तारीख"):
        assert label in page, label
    for english in ("Packing slip", "Deliver to", "Write on the parcel", "Artisan:"):
        assert english not in page, english
    for data in ("Asha Devi", "Mall Road", "Test Rumal Small", "SLIP-2", "Test Himalayan Crafts Cooperative"):
        assert data in page, data
    # The other language is one link away; the member's own choice of language is not changed by it.
    assert f'href="/console/orders/{pk}/packing-slip?lang=en" hreflang="en" lang="en">English</a>' in page
    assert '<html lang="en">' in text(web.get(f"/console/orders/{pk}", headers={"Accept-Language": "en"}))


def test_the_member_language_is_the_default_and_lang_overrides_it(
        web: FlaskClient, sessions: sessionmaker[Session], coops: dict[str, tuple[int, str]]) -> None:
    coop_id, key = coops["test-coop"]
    pk = make_order(sessions, coop_id, "SLIP-3")
    sign_in(web, key)
    hindi_member = {"Accept-Language": "hi-IN,hi;q=0.9"}
    assert "पैकिंग पर्ची" in slip_of(web, pk, **hindi_member)
    english = slip_of(web, pk, "?lang=en", **hindi_member)
    assert '<html lang="en">' in english
    assert "<h1 id=\"slip-h\">Packing slip</h1>" in english
    assert 'hreflang="hi" lang="hi">हिन्दी</a>' in english


@pytest.mark.parametrize("query", ["?lang=xx", "?lang=", "?lang=HI", "?lang=%3Cscript%3E", "?lang=en&lang=hi",
                                   "?lang=" + "a" * 500])
def test_a_bad_lang_falls_back_to_the_member_language(web: FlaskClient, sessions: sessionmaker[Session],
                                                      coops: dict[str, tuple[int, str]], query: str) -> None:
    coop_id, key = coops["test-coop"]
    pk = make_order(sessions, coop_id, "SLIP-4")
    sign_in(web, key)
    page = slip_of(web, pk, query, **{"Accept-Language": "en"})
    assert '<html lang="en">' in page
    assert "Packing slip" in page
    assert "<script>" not in page


def test_the_buyer_note_and_cancelled_lines(web: FlaskClient, sessions: sessionmaker[Session],
                                            coops: dict[str, tuple[int, str]]) -> None:
    coop_id, key = coops["test-coop"]
    pk = make_order(sessions, coop_id, "SLIP-5")
    with sessions() as session:
        order = session.get_one(Order, pk)
        fulfilment = dict(order.fulfillments[0])
    fulfilment["end"] = {**fulfilment["end"], "instructions": {
        "short_desc": "Ring twice", "long_desc": "Leave it with the neighbour <Meena> if nobody is in."}}
    # T16-2 was cancelled in full (part cancel leaves the line at 0); T16-3 is not in the quote's titles.
    lines = [{"item_id": "T16-1", "quantity": 2, "location_id": "main"},
             {"item_id": "T16-2", "quantity": 0, "location_id": "main"},
             {"item_id": "T16-3", "quantity": 1, "location_id": "main"}]
    edit_order(sessions, pk, fulfillments=[fulfilment], lines=lines)
    sign_in(web, key)
    page = slip_of(web, pk, **{"Accept-Language": "en"})
    raw = web.get(f"/console/orders/{pk}/packing-slip").get_data(as_text=True)
    assert "Buyer's note" in page
    assert "Ring twice · Leave it with the neighbour <Meena> if nobody is in." in page
    assert "&lt;Meena&gt;" in raw  # the buyer's words are escaped
    assert 'data-item="T16-2"' not in page
    assert "Test Bed Cover" in page.split('data-item="T16-3"', 1)[1]  # the catalogue's name
    assert page.count('type="checkbox"') == 2
    pieces = page.split("Pieces in the parcel", 1)[1].split("</tr>", 1)[0]
    assert '<td class="qty">3</td>' in pieces


def test_another_cooperative_gets_404_and_the_operator_sees_it(
        web: FlaskClient, sessions: sessionmaker[Session], coops: dict[str, tuple[int, str]]) -> None:
    coop_id, _ = coops["test-coop"]
    _, other_key = coops["other-coop"]
    pk = make_order(sessions, coop_id, "SLIP-6")
    signed_out = web.get(f"/console/orders/{pk}/packing-slip")
    assert signed_out.status_code == 302
    assert "/console/login" in signed_out.headers["Location"]
    sign_in(web, other_key)
    for query in ("", "?lang=hi", "?lang=en"):
        response = web.get(f"/console/orders/{pk}/packing-slip{query}", headers={"Accept-Language": "en"})
        assert response.status_code == 404
        assert "Asha Devi" not in text(response)
        assert "SLIP-6" not in text(response)
    assert web.get("/console/orders/999999/packing-slip").status_code == 404
    admin = ensure_console(web.application).test_client()
    sign_in(admin, ADMIN_KEY)
    assert "Asha Devi" in slip_of(admin, pk)


def test_the_order_page_links_the_documents(web: FlaskClient, settings: Settings, sessions: sessionmaker[Session],
                                            coops: dict[str, tuple[int, str]]) -> None:
    coop_id, key = coops["test-coop"]
    pk = make_order(sessions, coop_id, "SLIP-7")
    sign_in(web, key)
    page = text(web.get(f"/console/orders/{pk}", headers={"Accept-Language": "en"}))
    block = page.split('id="documents"', 1)[1].split("</section>", 1)[0]
    assert f'href="/console/orders/{pk}/packing-slip?lang=en"' in block
    assert f'href="/console/orders/{pk}/packing-slip?lang=hi"' in block
    token = invoice_token(pk, order_policy(settings).invoice_secret)
    assert f'id="invoice-link" href="/invoices/{pk}/{token}"' in block
    # The links lead to the pages.
    assert web.get(f"/invoices/{pk}/{token}").status_code == 200
    assert "पैकिंग पर्ची" in slip_of(web, pk, "?lang=hi")
    hindi = text(web.get(f"/console/orders/{pk}", headers={"Accept-Language": "hi"}))
    assert "दस्तावेज़" in hindi.split('id="documents"', 1)[1].split("</section>", 1)[0]


def test_no_invoice_link_without_a_signing_key(settings: Settings, sessions: sessionmaker[Session],
                                               coops: dict[str, tuple[int, str]]) -> None:
    coop_id, key = coops["test-coop"]
    pk = make_order(sessions, coop_id, "SLIP-8")
    with app_under_test(dataclasses.replace(settings, signing_private_key=None)) as app:
        web = ensure_console(app).test_client()
        sign_in(web, key)
        block = text(web.get(f"/console/orders/{pk}")).split('id="documents"', 1)[1].split("</section>", 1)[0]
        assert "packing-slip?lang=en" in block
        assert "invoice-link" not in block
        assert "/invoices/" not in block


def test_the_print_files_are_served(web: FlaskClient) -> None:
    with web.get("/static/print.css") as css:
        assert css.status_code == 200
        assert css.mimetype == "text/css"
        body = css.get_data(as_text=True)
    assert "@media print" in body
    printed = body.split("@media print {", 1)[1]
    hidden_on_paper = printed.split("display: none !important", 1)[0].rsplit("}", 1)[-1]
    assert ".top" in hidden_on_paper
    assert "nav" in hidden_on_paper
    assert "button" in hidden_on_paper
    with web.get("/static/print.js") as script:
        assert script.status_code == 200
        assert script.mimetype in ("text/javascript", "application/javascript")
        assert "window.print()" in script.get_data(as_text=True)


def test_the_documents_block_lists_the_tax_invoice_its_pdf_and_credit_notes(
        web: FlaskClient, settings: Settings, sessions: sessionmaker[Session],
        coops: dict[str, tuple[int, str]]) -> None:
    coop_id, key = coops["test-coop"]
    pk = make_order(sessions, coop_id, "SLIP-9", state="In-progress", fulfilment_state="Packed")
    sign_in(web, key)
    block = text(web.get(f"/console/orders/{pk}", headers={"Accept-Language": "en"})).split(
        'id="documents"', 1)[1].split("</section>", 1)[0]
    assert "The tax invoice gets its number when the order is picked up." in block
    assert "invoice-pdf" not in block
    edit_order(sessions, pk, routing="P2P")
    with transaction(sessions) as session:
        order = session.get_one(Order, pk)
        seller_action(session, order, "pick_up", order_policy(settings), actor="test", now=utcnow())
        order.quote = {**order.quote, "price": {"currency": "INR", "value": "0.00"},
                       "breakup": [{**line, "price": {**line["price"], "value": "0.00"}}
                                   for line in order.quote["breakup"]]}
        note = invoicing.credit_quote_change(session, order, reason="cancel", ref="RTO1", now=utcnow())
        assert note is not None
        issued = invoices.invoice_of(session, pk)
        assert issued is not None
        number, note_id = issued.number, note.id
    assert number.startswith("TEST/")
    assert number.endswith("/00001")
    token = invoice_token(pk, order_policy(settings).invoice_secret)
    page = text(web.get(f"/console/orders/{pk}", headers={"Accept-Language": "en"}))
    block = page.split('id="documents"', 1)[1].split("</section>", 1)[0]
    assert f'id="invoice-link" href="/invoices/{pk}/{token}">Tax invoice {number}</a>' in block
    assert f'id="invoice-pdf" href="/invoices/{pk}/{token}.pdf" type="application/pdf">' in block
    assert f'href="/invoices/{pk}/{token}/credit-notes/{note_id}">Credit note CN/' in block
    assert f'href="/invoices/{pk}/{token}/credit-notes/{note_id}.pdf"' in block
    # The test catalogue's rumal has an HSN (its code) but no GST rate: the cooperative is told what to fill in.
    assert 'id="invoice-incomplete"' in block
    assert "Fill in the hsn and gst_rate columns" in block
    hindi = text(web.get(f"/console/orders/{pk}", headers={"Accept-Language": "hi"}))
    hindi_block = hindi.split('id="documents"', 1)[1].split("</section>", 1)[0]
    assert f"कर बीजक {number}" in hindi_block
    assert "hsn और gst_rate कॉलम भरें" in hindi_block
    for path in (f"/invoices/{pk}/{token}", f"/invoices/{pk}/{token}.pdf",
                 f"/invoices/{pk}/{token}/credit-notes/{note_id}"):
        assert web.get(path).status_code == 200, path

"""Public tax documents: the invoice link in on_status `documents` (a page and its PDF), and the credit notes
against it, readable by whoever holds the signed URL, in English unless ``?lang=`` asks for another language.

Before the goods leave there is no tax invoice yet: the link shows the order's summary and says so.
"""

from __future__ import annotations

import hmac
from decimal import Decimal
from typing import Any

from flask import Blueprint, Flask, Response, render_template, request, url_for
from flask_babel import gettext, pgettext
from werkzeug.exceptions import ServiceUnavailable

from adapter.errors import NotFoundError
from adapter.money import invoices as tax
from adapter.money.words import in_words
from adapter.orders.policy import order_policy
from adapter.orders.snapshots import invoice_token
from adapter.store.models import Cooperative, CreditNote, Order, TaxInvoice
from adapter.web import languages
from adapter.web.console import formats
from adapter.web.order_documents import (
    BREAKUP_TITLES,
    address_lines,
    invoice_lines,
    location_lines,
    pickup_location,
)
from adapter.web.runtime import db, runtime
from adapter.web.tax_pdf import FontsMissingError, render_pdf
from catalog_sync.services.catalogue import profile_of

bp = Blueprint("invoices", __name__)


def init_app(app: Flask) -> None:
    """Register the blueprint."""
    app.register_blueprint(bp)


def _order(order_pk: int, token: str) -> Order:
    """The order behind a signed link; 404 for a wrong token, so order ids can't be probed (compared as bytes:
    a token with a non-ASCII character is simply wrong)."""
    order = db().get(Order, order_pk)
    secret = order_policy(runtime().settings).invoice_secret
    if not secret or order is None or not hmac.compare_digest(token.encode(),
                                                              invoice_token(order_pk, secret).encode()):
        raise NotFoundError("no such invoice")
    return order


def _speak() -> str:
    """The link's language: ``?lang=`` when it names one we have, else English (the buyer may not read the
    cooperative's language, and an old console session must not change the public link's default)."""
    if not languages.speak(request.args.get("lang")):
        languages.speak(languages.DEFAULT)
    return languages.current_language()


def _others(lang: str) -> list[Any]:
    return [language for language in languages.available_languages() if language.code != lang]


def _note_urls(order_pk: int, token: str, note: CreditNote) -> tuple[str, str]:
    return (url_for("invoices.credit_note", order_pk=order_pk, token=token, note_id=note.id),
            url_for("invoices.credit_note_pdf", order_pk=order_pk, token=token, note_id=note.id))


def _lines(document: dict[str, Any]) -> list[dict[str, Any]]:
    """The document's lines with a charge's title in the reader's language."""
    out = []
    for line in document["lines"]:
        label = BREAKUP_TITLES.get(line["kind"]) if line["kind"] != "item" else None
        out.append({**line, "title": str(label) if label is not None else line["title"]})
    return out


def labels(document: dict[str, Any]) -> dict[str, str]:
    """Every label of a tax document, in the current language (the page and the PDF say the same)."""
    second = gettext("UTGST") if document["second_tax"] == "UTGST" else gettext("SGST")
    return {
        "title": gettext("Credit note") if document["kind"] == "credit_note" else gettext("Tax invoice"),
        "number": gettext("Credit note number") if document["kind"] == "credit_note" else gettext("Invoice number"),
        "date": gettext("Date"), "order": gettext("Order"), "gstin": gettext("GSTIN"), "pan": gettext("PAN"),
        "state": pgettext("a part of India", "State"), "place": gettext("Place of supply"),
        "reverse": gettext("Reverse charge"),
        "no": gettext("No"), "billed": gettext("Billed to"), "delivered": gettext("Delivered to"),
        "item": gettext("Item"), "hsn": gettext("HSN"), "hsn_missing": gettext("HSN missing"),
        "rate_missing": gettext("GST rate missing"), "qty": gettext("Qty"), "taxable": gettext("Taxable value"),
        "rate": gettext("Rate"), "cgst": gettext("CGST"), "sgst": second, "igst": gettext("IGST"),
        "amount": gettext("Amount"), "total": gettext("Total"), "words": gettext("Amount in words"),
        "assumed": gettext("the address names no state we know: taken as the seller's"),
        "against": gettext("Against invoice"), "reason": gettext("Reason"),
        "return": gettext("Goods returned"), "cancel": gettext("Order cancelled after dispatch"),
        "incomplete": gettext("Some lines have no HSN code or GST rate in the seller's catalogue: their tax is "
                              "not split."),
        "included": gettext("Prices include GST."),
    }


def _render(order: Order, token: str, row: TaxInvoice | CreditNote, lang: str) -> str:
    document = row.document
    notes: list[tuple[CreditNote, str, str]] = []
    if isinstance(row, CreditNote):
        here, pdf = _note_urls(order.id, token, row)
    else:
        here = url_for("invoices.invoice", order_pk=order.id, token=token)
        pdf = url_for("invoices.invoice_pdf", order_pk=order.id, token=token)
        notes = [(note, *_note_urls(order.id, token, note)) for note in tax.credit_notes_of(db(), row.id)]
    return render_template(
        "invoice.html", order=order, doc=document, lines=_lines(document), label=labels(document), lang=lang,
        words=in_words(Decimal(document["totals"]["gross"]), lang), inr=formats.inr, ist=formats.ist, notes=notes,
        here=here, pdf=pdf, invoice_url=url_for("invoices.invoice", order_pk=order.id, token=token, lang=lang),
        others=_others(lang))


def _pdf(row: TaxInvoice | CreditNote, lang: str) -> Response:
    document = row.document
    try:
        body = render_pdf(document, _lines(document), labels(document),
                          words=in_words(Decimal(document["totals"]["gross"]), lang),
                          issued=formats.ist(row.issued_at),
                          invoice_date=formats.ist(document["invoice_date"]) if "invoice_date" in document else "")
    except FontsMissingError as error:  # the server's set-up, not the reader's link
        raise ServiceUnavailable(f"the PDF cannot be made on this server: {error}") from error
    name = document["number"].replace("/", "-")
    return Response(body, mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{name}.pdf"'})


@bp.get("/invoices/<int:order_pk>/<token>")
def invoice(order_pk: int, token: str) -> str:
    """The tax invoice of one order with its credit notes; before it is issued, the order's summary."""
    order = _order(order_pk, token)
    lang = _speak()
    issued = tax.invoice_of(db(), order.id)
    if issued is not None:
        return _render(order, token, issued, lang)
    profile = profile_of(db().get_one(Cooperative, order.cooperative_id))
    return render_template(
        "invoice.html", order=order, doc=None, token=token, profile=profile, lang=lang, inr=formats.inr,
        ist=formats.ist, seller_address=location_lines(pickup_location(profile, order)),
        billed_name=str(order.billing.get("name") or ""), billed_address=address_lines(order.billing.get("address")),
        lines=invoice_lines(order.quote), total=(order.quote.get("price") or {}).get("value", ""),
        here=url_for("invoices.invoice", order_pk=order.id, token=token), others=_others(lang))


@bp.get("/invoices/<int:order_pk>/<token>.pdf")
def invoice_pdf(order_pk: int, token: str) -> Response:
    """The tax invoice as a PDF (404 until it is issued)."""
    order = _order(order_pk, token)
    lang = _speak()
    issued = tax.invoice_of(db(), order.id)
    if issued is None:
        raise NotFoundError("no tax invoice has been issued for this order yet")
    return _pdf(issued, lang)


def _note(order: Order, note_id: int) -> CreditNote:
    note = db().get(CreditNote, note_id)
    if note is None or note.order_pk != order.id:
        raise NotFoundError("no such credit note")
    return note


@bp.get("/invoices/<int:order_pk>/<token>/credit-notes/<int:note_id>")
def credit_note(order_pk: int, token: str, note_id: int) -> str:
    """A credit note against the order's invoice."""
    order = _order(order_pk, token)
    lang = _speak()
    return _render(order, token, _note(order, note_id), lang)


@bp.get("/invoices/<int:order_pk>/<token>/credit-notes/<int:note_id>.pdf")
def credit_note_pdf(order_pk: int, token: str, note_id: int) -> Response:
    """A credit note as a PDF."""
    order = _order(order_pk, token)
    lang = _speak()
    return _pdf(_note(order, note_id), lang)

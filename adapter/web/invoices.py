"""Public invoice pages: the link in on_status `documents`, readable by whoever holds the signed URL."""

from __future__ import annotations

import hmac

from flask import Blueprint, Flask, render_template, request

from adapter.errors import NotFoundError
from adapter.orders.policy import order_policy
from adapter.orders.snapshots import invoice_token
from adapter.store.models import Cooperative, Order
from adapter.web import languages
from adapter.web.console import formats
from adapter.web.order_documents import address_lines, invoice_lines, location_lines, pickup_location
from adapter.web.runtime import db, runtime
from catalog_sync.services.catalogue import profile_of

bp = Blueprint("invoices", __name__)


def init_app(app: Flask) -> None:
    """Register the blueprint."""
    app.register_blueprint(bp)


@bp.get("/invoices/<int:order_pk>/<token>")
def invoice(order_pk: int, token: str) -> str:
    """The invoice of one order (404 for a wrong token, so order ids can't be probed), in English unless the link
    asks for another language with ``?lang=`` (the buyer may not read the cooperative's language)."""
    order = db().get(Order, order_pk)
    secret = order_policy(runtime().settings).invoice_secret
    if not secret or order is None or not hmac.compare_digest(token, invoice_token(order_pk, secret)):
        raise NotFoundError("no such invoice")
    if not languages.speak(request.args.get("lang")):
        languages.speak(languages.DEFAULT)
    profile = profile_of(db().get_one(Cooperative, order.cooperative_id))
    lang = languages.current_language()
    return render_template(
        "invoice.html", order=order, token=token, profile=profile, lang=lang, inr=formats.inr, ist=formats.ist,
        seller_address=location_lines(pickup_location(profile, order)),
        billed_name=str(order.billing.get("name") or ""), billed_address=address_lines(order.billing.get("address")),
        lines=invoice_lines(order.quote), total=(order.quote.get("price") or {}).get("value", ""),
        others=[language for language in languages.available_languages() if language.code != lang])

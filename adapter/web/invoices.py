"""Public invoice pages: the link in on_status `documents`, readable by whoever holds the signed URL."""

from __future__ import annotations

import hmac

from flask import Blueprint, Flask, render_template_string

from adapter.errors import NotFoundError
from adapter.orders.policy import order_policy
from adapter.orders.snapshots import invoice_token
from adapter.store.models import Cooperative, Order
from adapter.web.runtime import db, runtime
from catalog_sync.services.catalogue import profile_of

bp = Blueprint("invoices", __name__)

PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Invoice {{ order.order_id }}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head><body>
<h1>Tax invoice</h1>
<p><strong>{{ profile.legal_name }}</strong><br>GSTIN {{ profile.gstin }} &middot; PAN {{ profile.pan }}</p>
<p>Order {{ order.order_id }} &middot; {{ order.created_at.strftime("%d %b %Y") }}</p>
<p>Billed to: {{ order.billing.get("name", "") }}<br>{{ order.billing.get("address", {}).get("city", "") }}
{{ order.billing.get("address", {}).get("area_code", "") }}</p>
<table><thead><tr><th>Item</th><th>Qty</th><th>Amount (INR)</th></tr></thead><tbody>
{% for line in order.quote.get("breakup", []) %}<tr><td>{{ line.get("title", "") }}</td>
<td>{{ line.get("@ondc/org/item_quantity", {}).get("count", "") }}</td><td>{{ line["price"]["value"] }}</td></tr>
{% endfor %}</tbody><tfoot><tr><th colspan="2">Total</th><th>{{ order.quote["price"]["value"] }}</th></tr></tfoot>
</table><p>Prices include GST.</p></body></html>"""


def init_app(app: Flask) -> None:
    """Register the blueprint."""
    app.register_blueprint(bp)


@bp.get("/invoices/<int:order_pk>/<token>")
def invoice(order_pk: int, token: str) -> str:
    """The invoice of one order (404 for a wrong token, so order ids can't be probed)."""
    order = db().get(Order, order_pk)
    secret = order_policy(runtime().settings).invoice_secret
    if not secret or order is None or not hmac.compare_digest(token, invoice_token(order_pk, secret)):
        raise NotFoundError("no such invoice")
    profile = profile_of(db().get_one(Cooperative, order.cooperative_id))
    return render_template_string(PAGE, order=order, profile=profile)

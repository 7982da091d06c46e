"""An order's tax documents (docs/money.md): the GST tax invoice when the goods leave the cooperative
(Order-picked-up, the time of supply), and a credit note when a return is received or the order loses lines after
that (a cancellation or an RTO). Gathers what adapter.money needs from the order, the profile and the catalogue.
Takes a session and never commits.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from adapter.money import documents, gst, invoices
from adapter.orders import store as order_store
from adapter.store.models import Cooperative, CreditNote, Order, TaxInvoice
from catalog_sync.model import Item, Profile
from catalog_sync.services.catalogue import profile_of

__all__ = ["credit_quote_change", "credit_return", "hsn_of", "issue_invoice"]


def hsn_of(item: Item) -> str:
    """The item's HSN code: its ``hsn`` column, else its product code when that is an HSN."""
    return item.hsn or (item.code if item.code_type == "hsn" else "")


def _seller(profile: Profile, order: Order) -> documents.Seller:
    location = next((found for line in order.lines
                     if (found := profile.location(str(line.get("location_id") or ""))) is not None),
                    profile.locations[0])
    address = {"name": location.name, "street": location.street, "locality": location.locality,
               "city": location.city, "state": location.state, "area_code": location.area_code}
    return documents.Seller(legal_name=profile.legal_name, name=profile.name, gstin=profile.gstin, pan=profile.pan,
                            address=documents.address_lines(address))


def _buyer(order: Order) -> documents.Buyer:
    end = (order.fulfillments[0].get("end") if order.fulfillments else None) or {}
    delivery: Any = (end.get("location") or {}).get("address") or {}
    billing: Any = order.billing.get("address") or {}
    person = end.get("person") or {}
    name = str(order.billing.get("name") or person.get("name") or "")
    delivery_lines = documents.address_lines(delivery)
    return documents.Buyer(name=name, address=documents.address_lines(billing) or delivery_lines,
                           delivery_address=delivery_lines,
                           delivery_state=str(delivery.get("state") or "") if isinstance(delivery, dict) else "",
                           billing_state=str(billing.get("state") or "") if isinstance(billing, dict) else "")


def issue_invoice(session: Session, order: Order, cooperative: Cooperative, now: dt.datetime) -> TaxInvoice:
    """The order's tax invoice, numbered now in the cooperative's series (the one already issued, if any), with
    each item's HSN and rate as the catalogue has them now."""
    existing = invoices.invoice_of(session, order.id)
    if existing is not None:
        return existing
    profile = profile_of(cooperative)
    item_ids = [str(line.get("@ondc/org/item_id")) for line in order.quote.get("breakup", [])
                if line.get("@ondc/org/title_type") == "item"]
    items = order_store.items_by_id(session, cooperative.id, item_ids)
    rates: dict[str, tuple[str, Decimal | None]] = {
        item_id: (hsn_of(item), item.gst_rate) for item_id, item in items.items()}
    return invoices.issue_invoice(
        session, cooperative_id=cooperative.id, order_pk=order.id, order_id=order.order_id,
        prefix=profile.invoice_prefix or gst.default_prefix(profile.slug), seller=_seller(profile, order),
        buyer=_buyer(order), breakup=list(order.quote.get("breakup", [])), rates=rates, now=now)


def credit_return(session: Session, order: Order, leg: dict[str, Any], now: dt.datetime) -> CreditNote | None:
    """The credit note for a return the cooperative accepted in full (received, or liquidated): its items at the
    invoiced price. None when the order was never invoiced."""
    invoice = invoices.invoice_of(session, order.id)
    if invoice is None:
        return None
    returned = {str(item_id): int(count) for item_id, count in (leg.get("items") or {}).items()}
    return invoices.issue_credit_note(session, invoice, reason="return", ref=str(leg["id"]), now=now,
                                      returned=returned)


def credit_quote_change(session: Session, order: Order, *, reason: str, ref: str,
                        now: dt.datetime) -> CreditNote | None:
    """After an invoiced order lost lines (cancelled, part-cancelled, RTO): the credit note that takes the books
    down to the order's quote as it is now. None when it was never invoiced or nothing changed."""
    invoice = invoices.invoice_of(session, order.id)
    if invoice is None:
        return None
    remaining = {(line.kind, line.ref): (line.quantity, line.gross)
                 for line in gst.supply_lines(order.quote.get("breakup", []), {})}
    return invoices.issue_credit_note(session, invoice, reason=reason, ref=ref, now=now, remaining=remaining)

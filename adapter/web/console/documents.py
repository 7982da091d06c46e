"""Printable order documents in the console: the packing slip a member packs a parcel by, and the links to it and
to the buyer's invoice from the order page."""

from __future__ import annotations

from typing import Any

from flask import request, url_for

from adapter.errors import ConflictError
from adapter.money import invoices as tax
from adapter.orders import store as order_store
from adapter.orders.policy import order_policy
from adapter.orders.snapshots import invoice_token
from adapter.store.models import Cooperative, Order
from adapter.web import languages
from adapter.web.console.pages import bp, login_required, page, visible_order
from adapter.web.order_documents import (
    address_lines,
    buyer_name,
    buyer_note,
    delivery_end,
    location_lines,
    pickup_location,
    slip_lines,
)
from adapter.web.runtime import db, runtime
from catalog_sync.model import Profile
from catalog_sync.services.catalogue import profile_of


def _profile(cooperative: Cooperative) -> Profile | None:
    try:
        return profile_of(cooperative)
    except ConflictError:  # no profile yet: the slip still lists what to pack
        return None


@bp.get("/orders/<int:order_pk>/packing-slip")
@login_required
def packing_slip(order_pk: int) -> tuple[str, int]:
    """The packing slip: from, to, what to pack with a tick box per line, the buyer's note and the order id to
    write on the parcel; in the member's language, or ``?lang=`` for another (an unknown one is ignored)."""
    order = visible_order(order_pk)
    languages.speak(request.args.get("lang"))
    cooperative = db().get_one(Cooperative, order.cooperative_id)
    profile = _profile(cooperative)
    items = order_store.items_by_id(db(), cooperative.id, [str(line.get("item_id", "")) for line in order.lines])
    lines = slip_lines(order, items)
    end = delivery_end(order)
    contact, location = (part if isinstance(part := end.get(key), dict) else {} for key in ("contact", "location"))
    current = languages.current_language()
    return page("packing_slip.html", order=order, seller=profile.name if profile else cooperative.name,
                pickup=location_lines(pickup_location(profile, order)), buyer=buyer_name(order),
                address=address_lines(location.get("address")), phone=str(contact.get("phone") or ""),
                lines=lines, pieces=sum(line.quantity for line in lines), note=buyer_note(order),
                others=[lang for lang in languages.available_languages() if lang.code != current])


def document_links(order: Order) -> dict[str, Any]:
    """The order page's Documents block: the packing slip in each language; when invoice links are signed (a
    signing key is configured: adapter.orders.policy), the buyer's invoice link, and once the tax invoice is
    issued its number, PDF, credit notes, and whether it lacks HSN codes or GST rates."""
    slips = [(language, url_for("console.packing_slip", order_pk=order.id, lang=language.code))
             for language in languages.available_languages()]
    secret = order_policy(runtime().settings).invoice_secret
    if not secret:
        return {"slips": slips, "invoice": None, "issued": None, "pdf": None, "notes": [], "incomplete": False}
    token = invoice_token(order.id, secret)
    issued = tax.invoice_of(db(), order.id)
    notes = [(note, url_for("invoices.credit_note", order_pk=order.id, token=token, note_id=note.id),
              url_for("invoices.credit_note_pdf", order_pk=order.id, token=token, note_id=note.id))
             for note in (tax.credit_notes_of(db(), issued.id) if issued is not None else [])]
    return {"slips": slips, "invoice": url_for("invoices.invoice", order_pk=order.id, token=token), "issued": issued,
            "pdf": url_for("invoices.invoice_pdf", order_pk=order.id, token=token) if issued else None,
            "notes": notes, "incomplete": issued is not None and not issued.document.get("complete", True)}


@bp.context_processor
def _documents() -> dict[str, Any]:
    return {"document_links": document_links}

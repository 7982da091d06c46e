"""Tax invoices and credit notes as frozen documents: everything rule 46 (invoice) and rule 53 (credit note) of the
CGST Rules 2017 ask to be shown, computed once at issue and stored as JSON, so later catalogue or profile edits
never change an issued document. Pure: the caller passes the number, the time, the parties and the lines.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from adapter.money import gst

__all__ = ["Buyer", "Seller", "address_lines", "credit_note_document", "document_lines", "invoice_document",
           "place_of_supply"]


def _text(value: Any) -> str:
    return str(value).strip() if value not in (None, "") else ""


def address_lines(address: Any) -> tuple[str, ...]:
    """An ONDC address as printed: house, building, street and locality each on a line, then ``city, state PIN``
    (none for what is not an address)."""
    if not isinstance(address, Mapping):
        return ()
    lines = [_text(address.get(key)) for key in ("name", "building", "street", "locality")]
    place = ", ".join(part for part in (_text(address.get("city")), _text(address.get("state"))) if part)
    last = " ".join(part for part in (place, _text(address.get("area_code"))) if part)
    return tuple(line for line in (*lines, last) if line)


@dataclass(frozen=True, slots=True)
class Seller:
    """The supplier as the invoice names it."""

    legal_name: str
    name: str
    gstin: str
    pan: str
    address: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Buyer:
    """The recipient (a consumer: no GSTIN) and the state the goods are delivered to, as the buyer app wrote it."""

    name: str
    address: tuple[str, ...]
    delivery_address: tuple[str, ...] = ()
    delivery_state: str = ""
    billing_state: str = ""


def place_of_supply(buyer: Buyer, supplier_state: str) -> tuple[str, bool]:
    """Where the goods are delivered (IGST Act s.10(1)(a)): the delivery address's state, else the billing address's;
    when neither names a state we know, the supplier's own, marked as assumed (True)."""
    for text in (buyer.delivery_state, buyer.billing_state):
        code = gst.state_code(text)
        if code is not None:
            return code, False
    return supplier_state, True


def _state(code: str) -> dict[str, str]:
    return {"code": code, "name": gst.STATES.get(code, "")}


def _body(lines: Sequence[gst.TaxLine]) -> dict[str, Any]:
    return {"lines": [line.to_dict() for line in lines], "totals": gst.totals(lines).to_dict(),
            "complete": all(line.hsn and line.rate is not None for line in lines)}


def invoice_document(*, number: str, issued_at: dt.datetime, order_id: str, seller: Seller, buyer: Buyer,
                     breakup: Sequence[Mapping[str, Any]], rates: Mapping[str, tuple[str, Decimal | None]]
                     ) -> dict[str, Any]:
    """A tax invoice for a quote's breakup (prices GST included); ``rates``: each item's (HSN, rate in percent).

    ``complete`` is False when a line lacks its HSN or rate: the invoice still totals the quote, and says what is
    missing."""
    supplier = gst.gstin_state(seller.gstin) or ""
    pos, assumed = place_of_supply(buyer, supplier)
    lines = gst.split(gst.supply_lines(breakup, rates), supplier_state=supplier, place_of_supply=pos)
    return {"kind": "invoice", "number": number, "issued_at": issued_at.isoformat(), "order_id": order_id,
            "seller": {"legal_name": seller.legal_name, "name": seller.name, "gstin": seller.gstin, "pan": seller.pan,
                       "address": list(seller.address), "state": _state(supplier)},
            "buyer": {"name": buyer.name, "address": list(buyer.address),
                      "delivery_address": list(buyer.delivery_address)},
            "place_of_supply": {**_state(pos), "assumed": assumed}, "intra_state": pos == supplier,
            "second_tax": gst.second_tax(supplier), "reverse_charge": False, **_body(lines)}


def document_lines(document: Mapping[str, Any]) -> list[gst.TaxLine]:
    """A stored document's lines."""
    return [gst.TaxLine.from_dict(line) for line in document.get("lines", [])]


def credit_note_document(*, number: str, issued_at: dt.datetime, invoice: Mapping[str, Any],
                         earlier: Iterable[Mapping[str, Any]], reason: str, ref: str,
                         returned: Mapping[str, int] | None = None,
                         remaining: Mapping[gst.LineKey, tuple[int | None, Decimal]] | None = None
                         ) -> dict[str, Any] | None:
    """A credit note against ``invoice`` (after the ``earlier`` ones): for ``returned`` items ({item id: count}),
    or down to ``remaining`` ({line key: (quantity, gross)}; {} for a cancellation: everything). None when
    nothing is to be credited."""
    books = gst.booked(document_lines(invoice), (document_lines(note) for note in earlier))
    target = gst.after_return(books, returned) if returned is not None else dict(remaining or {})
    lines = gst.credit(books, target, intra_state=bool(invoice["intra_state"]))
    if not lines:
        return None
    parties = {key: invoice[key] for key in ("seller", "buyer", "place_of_supply", "intra_state", "second_tax",
                                             "reverse_charge", "order_id")}
    return {"kind": "credit_note", "number": number, "issued_at": issued_at.isoformat(), **parties,
            "invoice_number": invoice["number"], "invoice_date": invoice["issued_at"], "reason": reason, "ref": ref,
            **_body(lines)}

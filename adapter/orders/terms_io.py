"""Delivery terms to and from the JSON a cooperative's settings are stored as."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from adapter.orders.delivery_terms import DeliveryTerms
from catalog_sync.fields import plain_amount


class TermsError(ValueError):
    """Delivery settings we cannot use; the message names the field."""


def _amount(data: dict[str, Any], name: str, default: Decimal | None) -> Decimal | None:
    value = data.get(name)
    if value is None:
        return default
    amount = plain_amount(value)  # what GET gives back is then what was meant (no 1E+5)
    if amount is None:
        raise TermsError(f"{name} must be an amount in rupees, 0 or more, like 50 or 49.50")
    return amount


def terms_from_json(data: dict[str, Any] | None) -> DeliveryTerms:
    """DeliveryTerms from stored settings (None gives the defaults); TermsError names a bad field."""
    if not data:
        return DeliveryTerms()
    slabs = []
    for n, slab in enumerate(data.get("slabs") or []):
        if not isinstance(slab, dict):
            raise TermsError(f"slabs[{n}] must be an object with up_to and fee")
        up_to, fee = _amount(slab, "up_to", None), _amount(slab, "fee", None)
        if up_to is None or fee is None:
            raise TermsError(f"slabs[{n}] needs up_to and fee")
        slabs.append((up_to, fee))
    try:
        return DeliveryTerms(
            flat_fee=_amount(data, "flat_fee", Decimal(0)) or Decimal(0),
            slabs=tuple(slabs), free_above=_amount(data, "free_above", None),
            packing_fee=_amount(data, "packing_fee", Decimal(0)) or Decimal(0),
            transit_hyperlocal=str(data.get("transit_hyperlocal", "PT2H")),
            transit_intercity=str(data.get("transit_intercity", "P3D")),
            category=str(data.get("category", "Standard Delivery")),
        )
    except ValueError as error:
        raise TermsError(str(error)) from error


def terms_to_json(terms: DeliveryTerms) -> dict[str, Any]:
    """The stored form of delivery terms."""
    return {"flat_fee": str(terms.flat_fee), "slabs": [{"up_to": str(u), "fee": str(f)} for u, f in terms.slabs],
            "free_above": None if terms.free_above is None else str(terms.free_above),
            "packing_fee": str(terms.packing_fee), "transit_hyperlocal": terms.transit_hyperlocal,
            "transit_intercity": terms.transit_intercity, "category": terms.category}

"""An order as stored, independent of any database: what the on_* message builders read (``messages.py``).

The store maps its rows to these frozen dataclasses; the builders never see a DB object. Buyer-sent objects
(``billing``, ``payment``) are kept as the buyer sent them, because ONDC wants them echoed byte for byte
(PROTOCOL.md §3 on_init: same billing created_at/updated_at).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

__all__ = [
    "Address",
    "BppTerms",
    "Cancellation",
    "Contact",
    "FulfilmentType",
    "FulfilmentView",
    "OrderItemView",
    "OrderView",
    "Settlement",
    "Stop",
]

FulfilmentType = Literal["Delivery", "Cancel", "RTO", "Return"]


def _require_aware(name: str, moment: datetime | None) -> None:
    if moment is not None and moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")


@dataclass(frozen=True, slots=True)
class Address:
    """A postal address (ONDC ``address``); ``name`` is the house or door, ``area_code`` the PIN code."""

    name: str
    building: str
    locality: str
    city: str
    state: str
    country: str
    area_code: str


@dataclass(frozen=True, slots=True)
class Contact:
    """A phone number and e-mail address."""

    phone: str
    email: str


@dataclass(frozen=True, slots=True)
class Stop:
    """One end of a fulfilment: the seller's store (start) or the buyer's drop-off (end).

    ``timestamp`` is when the goods actually left (start) or arrived (end); callers set it from Order-picked-up
    and at Order-delivered (``states.timestamps_required``). ``time_range`` is the promised window.
    ``gps`` may be None only for a stop that carries nothing but a time (an RTO leg's start).
    """

    location_id: str | None = None
    name: str | None = None
    gps: str | None = None
    address: Address | None = None
    contact: Contact | None = None
    person_name: str | None = None
    time_range: tuple[datetime, datetime] | None = None
    timestamp: datetime | None = None
    instructions: dict[str, Any] | None = None  # ONDC descriptor, e.g. PCC/DCC codes when Packed

    def __post_init__(self) -> None:
        _require_aware("Stop.timestamp", self.timestamp)
        if self.time_range is not None:
            start, end = self.time_range
            _require_aware("Stop.time_range", start)
            _require_aware("Stop.time_range", end)
            if end < start:
                raise ValueError("Stop.time_range ends before it starts")


@dataclass(frozen=True, slots=True)
class FulfilmentView:
    """A fulfilment: the forward Delivery, or a Cancel, RTO or Return leg added later (PROTOCOL.md §4)."""

    id: str
    type: FulfilmentType
    state: str
    tracking: bool = False
    tat: str | None = None
    category: str | None = None
    provider_name: str | None = None
    start: Stop | None = None
    end: Stop | None = None
    tags: list[dict[str, Any]] = field(default_factory=list)
    state_updated_at: datetime | None = None  # when the fulfilment reached its state


@dataclass(frozen=True, slots=True)
class OrderItemView:
    """One ``items[]`` line: an item, its count and the fulfilment it belongs to."""

    item_id: str
    quantity: int
    fulfillment_id: str
    location_id: str | None = None
    parent_item_id: str | None = None

    def __post_init__(self) -> None:
        if self.quantity < 0:
            raise ValueError(f"negative quantity for item {self.item_id!r}")


@dataclass(frozen=True, slots=True)
class Settlement:
    """Where the buyer app pays the seller: a UPI address, or a bank account for NEFT/RTGS."""

    kind: Literal["upi", "neft", "rtgs"]
    upi_address: str | None = None
    account_no: str | None = None
    ifsc: str | None = None
    bank_name: str | None = None
    branch: str | None = None
    beneficiary: str | None = None

    def __post_init__(self) -> None:
        if self.kind == "upi" and not self.upi_address:
            raise ValueError("a UPI settlement needs upi_address")
        if self.kind in ("neft", "rtgs") and not (self.account_no and self.ifsc):
            raise ValueError(f"a {self.kind} settlement needs account_no and ifsc")


@dataclass(frozen=True, slots=True)
class BppTerms:
    """The seller's terms (``tags[bpp_terms]``): network participant type, GSTIN and PAN."""

    np_type: Literal["ISN", "MSN"]
    gstin: str
    pan: str


@dataclass(frozen=True, slots=True)
class Cancellation:
    """Who cancelled (a subscriber id), with which reason code, and when."""

    reason_id: str
    initiated_by: str
    cancelled_at: datetime

    def __post_init__(self) -> None:
        _require_aware("Cancellation.cancelled_at", self.cancelled_at)


@dataclass(frozen=True, slots=True)
class OrderView:
    """An order as stored. ``quote`` is ``Quote.to_ondc()``; ``billing`` and ``payment`` are the buyer's objects
    (payment with our settlement details merged in); ``documents`` are ``{url, label}`` objects (the invoice).
    """

    order_id: str
    state: str
    provider_id: str
    provider_location_id: str
    items: list[OrderItemView]
    billing: dict[str, Any]
    fulfillments: list[FulfilmentView]
    quote: dict[str, Any]
    payment: dict[str, Any]
    bpp_terms: BppTerms
    created_at: datetime
    updated_at: datetime
    cancellation: Cancellation | None = None
    documents: list[dict[str, Any]] = field(default_factory=list)
    # The buyer app's own created_at text from /confirm, echoed as order.created_at when there is one.
    created_at_echo: str | None = None
    # The buyer app's bap_terms tag from /confirm, echoed after our bpp_terms.
    bap_terms: dict[str, Any] | None = None
    # The provider's creds as on_search sends them (GI, ODOP ...), repeated in every order message.
    provider_creds: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        _require_aware("OrderView.created_at", self.created_at)
        _require_aware("OrderView.updated_at", self.updated_at)
        if self.updated_at < self.created_at:
            raise ValueError("OrderView.updated_at is before created_at")
        known = {f.id for f in self.fulfillments}
        for item in self.items:
            if item.fulfillment_id not in known:
                raise ValueError(f"item {item.item_id!r} names unknown fulfilment {item.fulfillment_id!r}")

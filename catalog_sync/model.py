"""Frozen dataclasses for a cooperative's catalogue: ``Profile``, ``Item`` and ``Catalogue``.

Every class has ``to_dict()`` (JSON-safe: Decimals become strings, tuples become lists) and a
``from_dict()`` classmethod, and ``from_dict(x.to_dict()) == x``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, fields
from decimal import Decimal
from typing import Any, ClassVar, Literal, Self

import orjson

from catalog_sync.errors import CatalogueError

__all__ = [
    "Box",
    "Catalogue",
    "CatalogueError",
    "ConsumerCare",
    "Item",
    "Location",
    "Opening",
    "Profile",
    "Serviceability",
    "Settlement",
    "Shipping",
    "item_hash",
]

ServiceabilityKind = Literal["pan_india", "pincodes", "radius"]
SettlementKind = Literal["bank", "upi"]


class _Record:
    """Shared to_dict/from_dict for flat dataclasses of str, int, bool, Decimal and tuples of str."""

    __slots__ = ()
    _decimals: ClassVar[frozenset[str]] = frozenset()
    _tuples: ClassVar[frozenset[str]] = frozenset()

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-safe dict (Decimals as strings, tuples as lists)."""
        out: dict[str, Any] = {}
        for f in fields(self):  # type: ignore[arg-type]
            value = getattr(self, f.name)
            if isinstance(value, Decimal):
                out[f.name] = str(value)
            elif isinstance(value, tuple):
                out[f.name] = list(value)
            else:
                out[f.name] = value
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        """Build an instance from ``to_dict()`` output."""
        kwargs: dict[str, Any] = {}
        for f in fields(cls):  # type: ignore[arg-type]
            if f.name not in data:
                continue
            value = data[f.name]
            if f.name in cls._decimals and value is not None:
                value = Decimal(str(value))
            elif f.name in cls._tuples:
                value = tuple(value)
            kwargs[f.name] = value
        return cls(**kwargs)


@dataclass(frozen=True, slots=True)
class Location(_Record):
    """A workshop, store or warehouse that items ship from."""

    id: str
    street: str
    locality: str
    city: str
    state: str
    area_code: str
    gps: str
    city_code: str
    name: str = ""


@dataclass(frozen=True, slots=True)
class ConsumerCare(_Record):
    """Who buyers contact about an item."""

    name: str
    email: str
    phone: str

    def as_ondc(self) -> str:
        """Return the ``name,email,phone`` string of ``@ondc/org/contact_details_consumer_care``."""
        return f"{self.name},{self.email},{self.phone}"


@dataclass(frozen=True, slots=True)
class Serviceability(_Record):
    """Where the cooperative delivers: all of India, a list of pincodes (ranges allowed) or a radius."""

    kind: ServiceabilityKind = "pan_india"
    pincodes: tuple[str, ...] = ()
    radius_km: Decimal | None = None

    _decimals: ClassVar[frozenset[str]] = frozenset({"radius_km"})
    _tuples: ClassVar[frozenset[str]] = frozenset({"pincodes"})


@dataclass(frozen=True, slots=True)
class Opening(_Record):
    """Opening days (1 = Monday .. 7 = Sunday), hours as HHMM and holidays as YYYY-MM-DD.

    The hours govern dispatch and self-pickup. ``take_orders`` says when buyers may order: ``always`` (the
    default: a courier-shipped craft is bought in the evening too) or ``when_open`` (only in opening hours, for a
    shop that hands goods over at once). No orders are taken on a holiday or during a closure either way.
    """

    days: tuple[int, ...] = (1, 2, 3, 4, 5, 6)
    open_time: str = "0900"
    close_time: str = "1800"
    holidays: tuple[str, ...] = ()
    take_orders: str = "always"
    # A temporary closure (a festival, winter when the roads close): no orders and no dispatch from
    # ``closed_from`` (blank: already closed) to ``closed_until`` inclusive, YYYY-MM-DD on the IST calendar.
    closed_from: str = ""
    closed_until: str = ""
    closed_note: str = ""

    _tuples: ClassVar[frozenset[str]] = frozenset({"days", "holidays"})

    def closed_on(self, day: str) -> bool:
        """Whether ``day`` (YYYY-MM-DD) is a holiday or within the closure."""
        if day in self.holidays:
            return True
        return bool(self.closed_until) and (self.closed_from or day) <= day <= self.closed_until

    def in_closure(self, day: str) -> bool:
        """Whether ``day`` (YYYY-MM-DD) is within the temporary closure (holidays aside)."""
        return bool(self.closed_until) and (self.closed_from or day) <= day <= self.closed_until


@dataclass(frozen=True, slots=True)
class Settlement(_Record):
    """Where sale money is paid: a bank account (NEFT/RTGS) or a UPI address."""

    kind: SettlementKind
    account_no: str = ""
    ifsc: str = ""
    bank_name: str = ""
    branch: str = ""
    beneficiary: str = ""
    upi_address: str = ""


@dataclass(frozen=True, slots=True)
class Credential(_Record):
    """A registration that vouches for the cooperative's goods, sent to buyer apps as the provider's ``creds``
    (ONDC RET 1.2.5): a GI authorised-user certificate, an ODOP listing, a handloom or craft mark.

    ``kind`` is the descriptor code (GI, ODOP ...); ``verify_url`` is where a buyer app (or a buyer) checks it;
    outside ``valid_from`` .. ``valid_until`` (YYYY-MM-DD, either may be blank) it is not sent.
    """

    id: str
    kind: str
    name: str
    short_desc: str
    url: str = ""
    verify_url: str = ""
    valid_from: str = ""
    valid_until: str = ""

    def valid_on(self, day: str) -> bool:
        """Whether the credential holds on ``day`` (YYYY-MM-DD)."""
        return (not self.valid_from or self.valid_from <= day) and (not self.valid_until or day <= self.valid_until)


@dataclass(frozen=True, slots=True)
class Shipping(_Record):
    """How the cooperative's parcels travel (docs/logistics.md).

    ``manual``: the cooperative books its own courier and the delivery charge comes from its slabs. ``network``:
    couriers on ONDC logistics are asked for quotes at select and the one ``policy`` picks (``cheapest`` or
    ``fastest``, among the ``preferred`` couriers' quotes when any of them answers) sets the charge; the slabs
    are the fallback when none answers in time. ``book_on``: the courier is booked when the order is ``accepted``
    (not ready to ship until it is packed) or only when it is ``packed``.
    """

    mode: Literal["manual", "network"] = "manual"
    policy: Literal["cheapest", "fastest"] = "cheapest"
    preferred: tuple[str, ...] = ()
    book_on: Literal["accepted", "packed"] = "accepted"

    _tuples: ClassVar[frozenset[str]] = frozenset({"preferred"})


@dataclass(frozen=True, slots=True)
class Box(_Record):
    """A shipping box's outside size in centimetres."""

    length_cm: Decimal
    breadth_cm: Decimal
    height_cm: Decimal

    _decimals: ClassVar[frozenset[str]] = frozenset({"length_cm", "breadth_cm", "height_cm"})


@dataclass(frozen=True, slots=True)
class Profile:
    """A cooperative: one ONDC provider with one or more locations."""

    slug: str
    name: str
    legal_name: str
    gstin: str
    pan: str
    locations: tuple[Location, ...]
    consumer_care: ConsumerCare
    settlement: Settlement
    domains: tuple[str, ...]
    symbol: str
    short_desc: str
    long_desc: str
    images: tuple[str, ...] = ()
    fssai_license_no: str | None = None
    serviceability: Serviceability = field(default_factory=Serviceability)
    opening: Opening = field(default_factory=Opening)
    min_order_value: Decimal | None = None
    np_type: Literal["ISN", "MSN"] = "ISN"
    fulfillment_types: tuple[str, ...] = ("Delivery",)
    credentials: tuple[Credential, ...] = ()
    # The series prefix of the cooperative's tax invoice numbers ("" = from the slug: adapter.money.gst).
    invoice_prefix: str = ""
    # What the cooperative keeps of what its artisans' items earned (adapter.money.payouts), in percent.
    cooperative_share_percent: Decimal = Decimal(0)
    # What packing adds to every parcel (grams) and the box used when items give no size (adapter.logistics.parcel).
    packaging_weight_g: int = 0
    default_box: Box | None = None
    shipping: Shipping = field(default_factory=Shipping)

    def location(self, location_id: str) -> Location | None:
        """Return the location with this id, or None."""
        for loc in self.locations:
            if loc.id == location_id:
                return loc
        return None

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-safe dict."""
        return {
            "slug": self.slug,
            "name": self.name,
            "legal_name": self.legal_name,
            "gstin": self.gstin,
            "pan": self.pan,
            "locations": [loc.to_dict() for loc in self.locations],
            "consumer_care": self.consumer_care.to_dict(),
            "settlement": self.settlement.to_dict(),
            "domains": list(self.domains),
            "symbol": self.symbol,
            "short_desc": self.short_desc,
            "long_desc": self.long_desc,
            "images": list(self.images),
            "fssai_license_no": self.fssai_license_no,
            "serviceability": self.serviceability.to_dict(),
            "opening": self.opening.to_dict(),
            "min_order_value": None if self.min_order_value is None else str(self.min_order_value),
            "np_type": self.np_type,
            "fulfillment_types": list(self.fulfillment_types),
            "credentials": [c.to_dict() for c in self.credentials],
            **({"invoice_prefix": self.invoice_prefix} if self.invoice_prefix else {}),
            "cooperative_share_percent": f"{self.cooperative_share_percent:f}",
            # Only when set, so profiles stored before them read back equal.
            **({"packaging_weight_g": self.packaging_weight_g} if self.packaging_weight_g else {}),
            **({"default_box": self.default_box.to_dict()} if self.default_box else {}),
            **({"shipping": self.shipping.to_dict()} if self.shipping != Shipping() else {}),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Profile:
        """Build a Profile from ``to_dict()`` output (use ``profile.load_profile`` for user input)."""
        mov = data.get("min_order_value")
        return cls(
            slug=data["slug"],
            name=data["name"],
            legal_name=data["legal_name"],
            gstin=data["gstin"],
            pan=data["pan"],
            locations=tuple(Location.from_dict(loc) for loc in data["locations"]),
            consumer_care=ConsumerCare.from_dict(data["consumer_care"]),
            settlement=Settlement.from_dict(data["settlement"]),
            domains=tuple(data["domains"]),
            symbol=data["symbol"],
            short_desc=data["short_desc"],
            long_desc=data["long_desc"],
            images=tuple(data.get("images", ())),
            fssai_license_no=data.get("fssai_license_no"),
            serviceability=Serviceability.from_dict(data.get("serviceability", {})),
            opening=Opening.from_dict(data.get("opening", {})),
            min_order_value=None if mov is None else Decimal(str(mov)),
            np_type=data.get("np_type", "ISN"),
            fulfillment_types=tuple(data.get("fulfillment_types", ("Delivery",))),
            credentials=tuple(Credential.from_dict(c) for c in data.get("credentials", ())),
            invoice_prefix=data.get("invoice_prefix", ""),
            cooperative_share_percent=Decimal(str(data.get("cooperative_share_percent", "0"))),
            packaging_weight_g=int(data.get("packaging_weight_g", 0)),
            default_box=Box.from_dict(data["default_box"]) if data.get("default_box") else None,
            shipping=Shipping.from_dict(data.get("shipping") or {}),
        )


@dataclass(frozen=True, slots=True)
class Item(_Record):
    """One sellable item (one variant of a variant group is one item).

    Blank strings mean "not given"; the mapping fills documented defaults from the profile
    (brand, manufacturer name and address, location) so that a profile edit does not change item hashes.
    """

    id: str
    name: str
    category_id: str
    domain: str
    price: Decimal
    mrp: Decimal
    stock: int
    images: tuple[str, ...]
    parent_item_id: str | None = None
    variant_attributes: tuple[str, ...] = ()
    short_desc: str = ""
    long_desc: str = ""
    max_per_order: int = 10
    unit: str = "unit"
    net_quantity: Decimal = Decimal(1)
    code_type: str = ""
    code: str = ""
    brand: str = ""
    colour: str = ""
    colour_name: str = ""
    material: str = ""
    size: str = ""
    gender: str = ""
    fabric: str = ""
    pattern: str = ""
    size_chart: str = ""
    returnable: bool = False
    return_window: str = "P0D"
    seller_pickup_return: bool = False
    cancellable: bool = True
    time_to_ship: str = "P2D"
    cod: bool = False
    manufacturer_name: str = ""
    manufacturer_address: str = ""
    common_name: str = ""
    month_year_of_manufacture: str = "NA"
    country_of_origin: str = "IND"
    fssai_license_no: str = ""
    veg_nonveg: str = ""
    nutritional_info: str = ""
    additives_info: str = ""
    prescription_required: bool | None = None
    gi_tag: str = ""
    district: str = ""
    artisan: str = ""
    craft: str = ""
    # For GST tax invoices (adapter.money): the HSN code and the rate in percent; not sent to buyer apps.
    hsn: str = ""
    gst_rate: Decimal | None = None
    # The packed item for courier quotes (adapter.logistics.parcel): grams and centimetres; not sent to buyer apps.
    weight_g: int | None = None
    length_cm: Decimal | None = None
    breadth_cm: Decimal | None = None
    height_cm: Decimal | None = None
    enabled: bool = True
    location_id: str = ""
    # A single hand-made piece: stock 0 or 1, one per order, never listed again by an upload once sold.
    one_of_a_kind: bool = False

    _decimals: ClassVar[frozenset[str]] = frozenset({"price", "mrp", "net_quantity", "gst_rate", "length_cm",
                                                     "breadth_cm", "height_cm"})
    # Optional fields left out of to_dict when unset, so items stored before them keep their hash.
    _omitted_when_unset: ClassVar[tuple[str, ...]] = ("gst_rate", "weight_g", "length_cm", "breadth_cm", "height_cm")
    _tuples: ClassVar[frozenset[str]] = frozenset({"images", "variant_attributes"})

    def __post_init__(self) -> None:
        if self.one_of_a_kind and self.max_per_order != 1:
            object.__setattr__(self, "max_per_order", 1)

    def to_dict(self) -> dict[str, Any]:
        """As ``_Record.to_dict``; ``one_of_a_kind``, ``hsn``, ``gst_rate`` and the parcel fields only when set, so
        items stored before them keep their hash."""
        out = _Record.to_dict(self)
        if not self.one_of_a_kind:
            out.pop("one_of_a_kind")
        if not self.hsn:
            out.pop("hsn")
        for name in self._omitted_when_unset:
            if out[name] is None:
                out.pop(name)
        return out

    def attribute(self, name: str) -> str:
        """Return a variant attribute's value (``net_quantity`` is rendered with its unit)."""
        if name == "net_quantity":
            return f"{self.net_quantity:f} {self.unit}"
        value = getattr(self, name)
        return value if isinstance(value, str) else str(value)


@dataclass(frozen=True, slots=True)
class Catalogue:
    """A cooperative's profile and all of its items."""

    profile: Profile
    items: tuple[Item, ...]

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-safe dict."""
        return {"profile": self.profile.to_dict(), "items": [i.to_dict() for i in self.items]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Catalogue:
        """Build a Catalogue from ``to_dict()`` output."""
        return cls(
            profile=Profile.from_dict(data["profile"]),
            items=tuple(Item.from_dict(i) for i in data["items"]),
        )


def item_hash(item: Item) -> str:
    """Return the sha256 hex digest of the item's canonical JSON (sorted keys, compact)."""
    return hashlib.sha256(orjson.dumps(item.to_dict(), option=orjson.OPT_SORT_KEYS)).hexdigest()

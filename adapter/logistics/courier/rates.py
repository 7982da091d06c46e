"""The test courier's rate card: price and TAT from distance (haversine) and chargeable weight. Pure.

Chargeable weight is the larger of the actual weight and the volumetric weight (L x B x H in cm / 5000),
billed in slabs of 500 g. docs/logistics.md, "The test courier", prints the same card.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

__all__ = [
    "CATEGORIES",
    "GST_RATE",
    "HYPERLOCAL_MAX_KM",
    "SERVICES",
    "Parcel",
    "Quote",
    "Service",
    "chargeable_kg",
    "distance_km",
    "parse_gps",
    "quote",
]

EARTH_RADIUS_KM = 6371.0088
VOLUMETRIC_DIVISOR = 5000  # cm^3 per kg, the usual courier divisor
SLAB_KG = Decimal("0.5")
GST_RATE = Decimal("0.18")  # courier services: 18% GST on the delivery charge
HYPERLOCAL_MAX_KM = Decimal("50")  # ONDC:LOG10 is within a city; farther drops are not serviceable

_GPS = re.compile(r"^\s*([-+]?\d{1,2}(?:\.\d+)?)\s*,\s*([-+]?\d{1,3}(?:\.\d+)?)\s*$")
_PAISE = Decimal("0.01")


@dataclass(frozen=True)
class Service:
    """One delivery category on the card: a base price for the first slab, per km, per further slab."""

    category: str  # the LOG category id, e.g. "Standard Delivery"
    item_id: str
    name: str
    base: Decimal
    per_km: Decimal
    per_slab: Decimal
    # (up to km, TAT) bands, nearest first; the last band has no upper limit.
    tat: tuple[tuple[Decimal | None, str], ...]

    def tat_for(self, km: Decimal) -> str:
        """The ISO 8601 duration promised for this distance."""
        for limit, duration in self.tat:
            if limit is None or km <= limit:
                return duration
        raise AssertionError("the last TAT band has no limit")


SERVICES = (
    Service("Standard Delivery", "STD", "Standard delivery", Decimal("40"), Decimal("0.40"), Decimal("15"),
            ((Decimal("50"), "P1D"), (Decimal("500"), "P3D"), (Decimal("1500"), "P5D"), (None, "P7D"))),
    Service("Express Delivery", "EXP", "Express delivery", Decimal("70"), Decimal("0.60"), Decimal("25"),
            ((Decimal("50"), "PT4H"), (Decimal("500"), "P1D"), (Decimal("1500"), "P2D"), (None, "P3D"))),
)
CATEGORIES = {service.category: service for service in SERVICES}


@dataclass(frozen=True)
class Parcel:
    """What is shipped: actual weight in kg and outer dimensions in cm (0 when unknown)."""

    weight_kg: Decimal
    length_cm: Decimal = Decimal(0)
    breadth_cm: Decimal = Decimal(0)
    height_cm: Decimal = Decimal(0)


@dataclass(frozen=True)
class Quote:
    """One service's price for one parcel and route: the charge before tax, the tax, and the TAT."""

    service: Service
    km: Decimal
    chargeable_kg: Decimal
    slabs: int
    delivery: Decimal
    tax: Decimal
    tat: str

    @property
    def total(self) -> Decimal:
        """What the logistics buyer pays: delivery charge plus GST."""
        return self.delivery + self.tax

    @property
    def rto(self) -> Decimal:
        """The return-to-origin charge before tax: the same as the forward charge."""
        return self.delivery

    @property
    def rto_tax(self) -> Decimal:
        """GST on the return-to-origin charge."""
        return self.tax


def parse_gps(value: str) -> tuple[float, float]:
    """"lat,lng" in degrees; ValueError when it is not a point on Earth."""
    match = _GPS.match(value or "")
    if match is None:
        raise ValueError(f"{value!r} is not 'latitude,longitude'")
    lat, lng = float(match.group(1)), float(match.group(2))
    if not (-90 <= lat <= 90 and -180 <= lng <= 180):
        raise ValueError(f"{value!r} is not a point on Earth")
    return lat, lng


def distance_km(start: tuple[float, float], end: tuple[float, float]) -> Decimal:
    """Great-circle (haversine) distance in km, to 0.1 km."""
    lat1, lng1, lat2, lng2 = map(math.radians, (*start, *end))
    a = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lng2 - lng1) / 2) ** 2
    km = 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))
    return Decimal(str(km)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def chargeable_kg(parcel: Parcel) -> Decimal:
    """The larger of the actual and the volumetric weight (L x B x H / 5000)."""
    volumetric = parcel.length_cm * parcel.breadth_cm * parcel.height_cm / VOLUMETRIC_DIVISOR
    return max(parcel.weight_kg, volumetric)


def quote(service: Service, parcel: Parcel, km: Decimal) -> Quote:
    """The price of ``service`` for ``parcel`` over ``km``: base + per km + per further 500 g slab, plus GST."""
    weight = chargeable_kg(parcel)
    slabs = max(1, math.ceil(weight / SLAB_KG))
    delivery = (service.base + service.per_km * km + service.per_slab * (slabs - 1)).quantize(
        _PAISE, rounding=ROUND_HALF_UP)
    tax = (delivery * GST_RATE).quantize(_PAISE, rounding=ROUND_HALF_UP)
    return Quote(service=service, km=km, chargeable_kg=weight, slabs=slabs, delivery=delivery, tax=tax,
                 tat=service.tat_for(km))

"""Delivery terms (fees, transit times), serviceability and opening hours: pure functions of their inputs."""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Literal

from adapter.orders.money import money
from catalog_sync.model import Profile
from catalog_sync.on_search_items import IST

__all__ = [
    "IST",
    "DeliveryTerms",
    "format_duration",
    "is_open",
    "is_serviceable",
    "longest",
    "next_open",
    "parse_duration",
    "routing",
    "takes_orders",
    "tat",
]

# India has no daylight saving time, so a fixed offset is exact (and needs no tz database).

# ONDC RET 1.2.5 validations FULFILLMENTS_ONDC_ORG_CATEGORY
CATEGORIES = frozenset(
    {"Standard Delivery", "Immediate Delivery", "Same Day Delivery", "Next Day Delivery", "Express Delivery"}
)
# PROTOCOL.md §3 on_select: "Immediate Delivery" only when O2D <= 2 h
_IMMEDIATE_MAX = timedelta(hours=2)

# Weeks, days, hours, minutes, seconds. Years and months have no fixed length, so they are refused.
# Up to 5 ASCII digits a part (99999 weeks is beyond any delivery promise and within timedelta's range).
_DURATION_RE = re.compile(r"^P(?:([0-9]{1,5})W)?(?:([0-9]{1,5})D)?(?:T(?:([0-9]{1,5})H)?(?:([0-9]{1,5})M)?"
                          r"(?:([0-9]{1,5})S)?)?$")


def parse_duration(text: str) -> timedelta:
    """Parse an ISO 8601 duration of weeks/days/hours/minutes/seconds (``P2D``, ``PT45M``, ``P1DT2H``)."""
    match = _DURATION_RE.match(text)
    if not match or text in ("P", "PT") or text.endswith("T"):
        raise ValueError(f"not an ISO 8601 duration of W/D/H/M/S: {text!r}")
    weeks, days, hours, minutes, seconds = (int(part) if part else 0 for part in match.groups())
    return timedelta(weeks=weeks, days=days, hours=hours, minutes=minutes, seconds=seconds)


def format_duration(value: timedelta) -> str:
    """Return the shortest ISO 8601 form: ``P4D``, ``PT2H45M``, ``P2DT2H``; zero is ``PT0S``."""
    if value < timedelta(0):
        raise ValueError("durations are not negative")
    hours, rest = divmod(value.seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    date_part = f"{value.days}D" if value.days else ""
    time_part = "".join(f"{n}{unit}" for n, unit in ((hours, "H"), (minutes, "M"), (seconds, "S")) if n)
    if not date_part and not time_part:
        return "PT0S"
    return "P" + date_part + (f"T{time_part}" if time_part else "")


def longest(durations: Iterable[str]) -> str:
    """Return the longest of these durations (``PT0S`` for none), normalised."""
    return format_duration(max((parse_duration(d) for d in durations), default=timedelta(0)))


def tat(max_time_to_ship: str, transit: str) -> str:
    """Return the order-to-delivery TAT: max(time_to_ship) + transit (PROTOCOL.md §3 on_select ``@ondc/org/TAT``)."""
    return format_duration(parse_duration(max_time_to_ship) + parse_duration(transit))


def routing(serviceability_kind: str) -> Literal["P2P", "P2H2P"]:
    """Return the delivery routing: ``P2P`` (hyperlocal) for a radius, ``P2H2P`` (intercity) otherwise."""
    return "P2P" if serviceability_kind == "radius" else "P2H2P"


@dataclass(frozen=True, slots=True)
class DeliveryTerms:
    """A seller's delivery charges and transit times.

    The delivery fee depends on the order value (the sum of item lines): orders of at least ``free_above``
    ship free; otherwise the first slab ``(up_to_order_value, fee)`` with ``order_value <= up_to`` applies;
    above every slab (or with no slabs) ``flat_fee`` applies. ``packing_fee`` and ``convenience_fee``
    are per order. Weight slabs are not offered: the catalogue has no shipping weight per item.
    """

    flat_fee: Decimal = Decimal(0)
    slabs: tuple[tuple[Decimal, Decimal], ...] = ()
    free_above: Decimal | None = None
    packing_fee: Decimal = Decimal(0)
    convenience_fee: Decimal = Decimal(0)
    transit_hyperlocal: str = "PT2H"
    transit_intercity: str = "P3D"
    category: str = "Standard Delivery"

    def __post_init__(self) -> None:
        amounts = [self.flat_fee, self.packing_fee, self.convenience_fee, *(f for _, f in self.slabs)]
        if self.free_above is not None:
            amounts.append(self.free_above)
        if any(a < 0 for a in amounts):
            raise ValueError("fees and thresholds must not be negative")
        limits = [up_to for up_to, _ in self.slabs]
        if any(b <= a for a, b in itertools.pairwise(limits)):
            raise ValueError("slabs must be in increasing order of up_to_order_value")
        parse_duration(self.transit_hyperlocal)
        parse_duration(self.transit_intercity)
        if self.category not in CATEGORIES:
            raise ValueError(f"unknown @ondc/org/category {self.category!r}")

    def fee(self, order_value: Decimal) -> Decimal:
        """Return the delivery fee for this order value, rounded to paise."""
        if self.free_above is not None and order_value >= self.free_above:
            return money(0)
        for up_to, slab_fee in self.slabs:
            if order_value <= up_to:
                return money(slab_fee)
        return money(self.flat_fee)

    def transit_for(self, serviceability_kind: str) -> str:
        """Return the shipping-to-delivery time for a serviceability kind (radius is hyperlocal)."""
        return self.transit_hyperlocal if routing(serviceability_kind) == "P2P" else self.transit_intercity

    def category_for(self, o2d: str) -> str:
        """Return ``@ondc/org/category``: the configured one, but never "Immediate Delivery" above 2 hours."""
        if self.category == "Immediate Delivery" and parse_duration(o2d) > _IMMEDIATE_MAX:
            return "Standard Delivery"
        return self.category


def _gps(text: str) -> tuple[float, float] | None:
    try:
        lat_text, lng_text = text.split(",")
        lat, lng = float(lat_text), float(lng_text)
    except ValueError:
        return None
    if not (-90 <= lat <= 90 and -180 <= lng <= 180):
        return None
    return lat, lng


def _distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle (haversine) distance on a 6371 km sphere."""
    lat1, lng1, lat2, lng2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lng2 - lng1) / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def _pincode_matches(pincode: str, entry: str) -> bool:
    low, _, high = entry.strip().partition("-")
    if not high:
        return pincode == low
    return low.isdigit() and high.isdigit() and int(low) <= int(pincode) <= int(high)


def is_serviceable(
    profile: Profile, end_area_code: str | None, end_gps: str | None, *, location_id: str | None = None
) -> bool:
    """Return whether the buyer's drop-off (pincode and/or "lat,lng") is inside the seller's serviceability.

    ``pan_india`` serves every valid pincode; ``pincodes`` matches the list (ranges like 176310-176320);
    ``radius`` measures from the given location (or any location) to ``end_gps``.
    """
    serv = profile.serviceability
    pincode = (end_area_code or "").strip()
    valid_pincode = len(pincode) == 6 and pincode.isdigit() and pincode[0] != "0"
    if serv.kind == "pan_india":
        return valid_pincode or _gps(end_gps or "") is not None
    if serv.kind == "pincodes":
        return valid_pincode and any(_pincode_matches(pincode, entry) for entry in serv.pincodes)
    if serv.kind == "radius":
        end = _gps(end_gps or "")
        if end is None or serv.radius_km is None:
            return False
        starts = [_gps(loc.gps) for loc in profile.locations if location_id is None or loc.id == location_id]
        radius = float(serv.radius_km)
        return any(start is not None and _distance_km(start, end) <= radius for start in starts)
    raise ValueError(f"unknown serviceability kind {serv.kind!r}")


def takes_orders(profile: Profile, now: datetime) -> bool:
    """Return whether the cooperative takes orders at ``now`` (aware): any time but a holiday or a closure, or
    only in opening hours when its profile says ``take_orders: when_open``."""
    if profile.opening.take_orders == "when_open":
        return is_open(profile, now)
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return not profile.opening.closed_on(now.astimezone(IST).date().isoformat())


def next_open(profile: Profile, now: datetime) -> datetime:
    """When the store can next dispatch: ``now`` while it is open, else when it next opens (IST calendar,
    holidays, closed days and a closure skipped, up to 14 days after; ``now`` if it does not open then)."""
    if is_open(profile, now):
        return now
    local = now.astimezone(IST)
    opens = _minutes(profile.opening.open_time)
    start = local.date()
    if profile.opening.in_closure(start.isoformat()):  # look from the day after the closure
        start = date.fromisoformat(profile.opening.closed_until) + timedelta(days=1)
    for offset in range(15):
        day = start + timedelta(days=offset)
        candidate = datetime(day.year, day.month, day.day, opens // 60, opens % 60, tzinfo=IST)
        if candidate > local and is_open(profile, candidate):
            return candidate.astimezone(now.tzinfo)
    return now


def is_open(profile: Profile, now: datetime) -> bool:
    """Return whether the store is open (dispatches, hands over) at ``now`` (aware), on the IST calendar and clock.

    Hours are half-open [open, close); a close of 2359 means end of day; close before open spans midnight;
    open == close means all day.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    local = now.astimezone(IST)
    opening = profile.opening
    if opening.closed_on(local.date().isoformat()) or local.isoweekday() not in opening.days:
        return False
    minute = local.hour * 60 + local.minute
    start = _minutes(opening.open_time)
    end = 24 * 60 if opening.close_time == "2359" else _minutes(opening.close_time)
    if start < end:
        return start <= minute < end
    if start == end:
        return True
    return minute >= start or minute < end


def _minutes(hhmm: str) -> int:
    if len(hhmm) != 4 or not hhmm.isdigit() or int(hhmm[:2]) > 23 or int(hhmm[2:]) > 59:
        raise ValueError(f"not an HHMM time: {hhmm!r}")
    return int(hhmm[:2]) * 60 + int(hhmm[2:])

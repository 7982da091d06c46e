"""The parcel of an order: its weight and outside size from the items' packed weights and sizes.

Rules (docs/logistics.md, "The parcel"):

* weight: the sum of each item's ``weight_g`` times its quantity, plus the cooperative's ``packaging_weight_g``;
* size: the largest box any one item needs, side by side: each item's sides are sorted longest first (a parcel can
  be turned), and the parcel takes the longest first side, the longest second and the longest third of the items
  and of the cooperative's ``default_box``. Items packed together are usually flat textiles or small bottles laid
  in the same box, so the largest box is the usual answer; a courier re-measures at pickup, and differences in
  weight are the courier's weight-difference flow (not built yet).

Without a weight for every item there is no parcel (None): a courier cannot quote a parcel of unknown weight,
and the delivery charge then comes from the slabs. Without any size (no item size and no default box) likewise.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from catalog_sync.model import Item, Profile

__all__ = ["Parcel", "parcel_of", "why_no_parcel"]


@dataclass(frozen=True, slots=True)
class Parcel:
    """One parcel: grams and centimetres (longest side first)."""

    weight_g: int
    length_cm: Decimal
    breadth_cm: Decimal
    height_cm: Decimal

    @property
    def weight_kg(self) -> Decimal:
        """The weight in kilograms, as LOG messages state it (grams / 1000, exact)."""
        return (Decimal(self.weight_g) / 1000).normalize()


def _sides(item: Item) -> tuple[Decimal, Decimal, Decimal] | None:
    if item.length_cm is None or item.breadth_cm is None or item.height_cm is None:
        return None
    first, second, third = sorted((item.length_cm, item.breadth_cm, item.height_cm), reverse=True)
    return first, second, third


def why_no_parcel(lines: Sequence[tuple[Item, int]], profile: Profile) -> str | None:
    """Why these lines make no parcel (an item without a weight, no size at all), or None when they make one."""
    shipped = [(item, quantity) for item, quantity in lines if quantity > 0]
    if not shipped:
        return "nothing to ship"
    missing = [item.id for item, _ in shipped if item.weight_g is None]
    if missing:
        return f"no weight_g for item(s) {', '.join(missing[:5])}"
    if profile.default_box is None and all(_sides(item) is None for item, _ in shipped):
        return "no item size and no default_box in the profile"
    return None


def parcel_of(lines: Sequence[tuple[Item, int]], profile: Profile) -> Parcel | None:
    """The parcel for (item, quantity) lines of one order, or None (see ``why_no_parcel``)."""
    if why_no_parcel(lines, profile) is not None:
        return None
    shipped = [(item, quantity) for item, quantity in lines if quantity > 0]
    weight = sum((item.weight_g or 0) * quantity for item, quantity in shipped) + profile.packaging_weight_g
    boxes = [sides for item, _ in shipped if (sides := _sides(item)) is not None]
    if profile.default_box is not None:
        box = profile.default_box
        first, second, third = sorted((box.length_cm, box.breadth_cm, box.height_cm), reverse=True)
        boxes.append((first, second, third))
    return Parcel(weight_g=weight, length_cm=max(b[0] for b in boxes), breadth_cm=max(b[1] for b in boxes),
                  height_cm=max(b[2] for b in boxes))

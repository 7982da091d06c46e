"""What the order core reads from a catalogue, as structural types.

``catalog_sync.model.Item`` and ``Profile`` satisfy these protocols. The order core cannot import
``catalog_sync`` (it sits in a higher layer, see ``setup.cfg`` [importlinter]), so it names only the
attributes it uses. Members are read-only properties because the model's dataclasses are frozen.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Protocol

__all__ = ["ItemLike", "LocationLike", "OpeningLike", "ProfileLike", "ServiceabilityLike"]


class ItemLike(Protocol):
    """A sellable item (``catalog_sync.model.Item``)."""

    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def price(self) -> Decimal: ...
    @property
    def stock(self) -> int: ...
    @property
    def max_per_order(self) -> int: ...
    @property
    def parent_item_id(self) -> str | None: ...
    @property
    def time_to_ship(self) -> str: ...
    @property
    def cancellable(self) -> bool: ...
    @property
    def returnable(self) -> bool: ...
    @property
    def return_window(self) -> str: ...
    @property
    def enabled(self) -> bool: ...
    @property
    def location_id(self) -> str: ...


class LocationLike(Protocol):
    """A provider location (``catalog_sync.model.Location``)."""

    @property
    def id(self) -> str: ...
    @property
    def gps(self) -> str: ...
    @property
    def area_code(self) -> str: ...


class ServiceabilityLike(Protocol):
    """Where the seller delivers (``catalog_sync.model.Serviceability``)."""

    @property
    def kind(self) -> str: ...
    @property
    def pincodes(self) -> tuple[str, ...]: ...
    @property
    def radius_km(self) -> Decimal | None: ...


class OpeningLike(Protocol):
    """Opening days (1 = Monday), HHMM times and YYYY-MM-DD holidays (``catalog_sync.model.Opening``)."""

    @property
    def days(self) -> tuple[int, ...]: ...
    @property
    def open_time(self) -> str: ...
    @property
    def close_time(self) -> str: ...
    @property
    def holidays(self) -> tuple[str, ...]: ...


class ProfileLike(Protocol):
    """A provider (``catalog_sync.model.Profile``)."""

    @property
    def locations(self) -> Sequence[LocationLike]: ...
    @property
    def serviceability(self) -> ServiceabilityLike: ...
    @property
    def opening(self) -> OpeningLike: ...
    @property
    def min_order_value(self) -> Decimal | None: ...

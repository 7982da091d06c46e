"""Catalogue services: import a file as a new version, load the current catalogue, edit items, render.

This is the bridge between the pure catalogue core and the store. It takes a session and never commits:
the caller owns the transaction.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy.orm import Session

from adapter.delivery.replies import preview_context
from adapter.errors import ConflictError, InvalidRequestError
from adapter.protocol.identity import SellerApp
from adapter.store import catalogue as store
from adapter.store.models import CatalogueItem, CatalogueVersion, Cooperative
from catalog_sync.diff import ChangeSet, diff_items, to_on_search_incremental
from catalog_sync.errors import ProfileError
from catalog_sync.ingest import parse_catalogue
from catalog_sync.model import Catalogue, Item, Profile, item_hash
from catalog_sync.on_search import BppInfo, to_on_search
from catalog_sync.profile import load_profile
from catalog_sync.report import ValidationReport
from catalog_sync.validate import validate_rows
from config import Settings


@dataclass(frozen=True)
class Limits:
    """Size limits for catalogue files."""

    max_bytes: int
    max_rows: int

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        """CATALOGUE_MAX_BYTES and CATALOGUE_MAX_ROWS."""
        return cls(max_bytes=settings.catalogue_max_bytes, max_rows=settings.catalogue_max_rows)


@dataclass(frozen=True)
class ImportResult:
    """What an import did: the version now current (None when rejected), whether it is new, and the report."""

    version: CatalogueVersion | None
    created: bool
    report: ValidationReport


def set_profile(cooperative: Cooperative, data: dict[str, Any]) -> Profile:
    """Validate a profile document and store it on the cooperative (ProfileError lists every problem)."""
    data = dict(data)
    data.setdefault("slug", cooperative.slug)
    if data["slug"] != cooperative.slug:
        raise ProfileError([("slug", f"must be {cooperative.slug!r}, the cooperative's slug")])
    profile = load_profile(data)
    cooperative.profile = profile.to_dict()
    return profile


def profile_of(cooperative: Cooperative) -> Profile:
    """The cooperative's stored profile, or ConflictError when none was set yet."""
    if not cooperative.profile:
        raise ConflictError(
            f"cooperative {cooperative.slug!r} has no profile yet: set it first "
            "(PUT /api/v1/cooperatives/{slug}/profile or `odop-adapter cooperative profile`)"
        )
    return Profile.from_dict(cooperative.profile)


def to_record(item: Item) -> store.ItemRecord:
    """The store's view of an item."""
    return store.ItemRecord(
        item_id=item.id, item_hash=item_hash(item), data=item.to_dict(), domain=item.domain, name=item.name,
        price=f"{item.price:f}", stock=item.stock, enabled=item.enabled,
    )


def validate_file(data: bytes, filename: str, limits: Limits, profile: Profile | None) -> ValidationReport:
    """Parse and validate a catalogue file (IngestError when the file cannot be read at all)."""
    rows = parse_catalogue(data, filename, max_bytes=limits.max_bytes, max_rows=limits.max_rows)
    return validate_rows(rows, profile)


def import_catalogue(
    session: Session, cooperative: Cooperative, data: bytes, filename: str, limits: Limits, *, source: str
) -> ImportResult:
    """Validate a file and, when it has no errors and differs from the latest version, store a new version."""
    report = validate_file(data, filename, limits, profile_of(cooperative))
    if not report.ok:
        return ImportResult(version=None, created=False, report=report)
    records = [to_record(item) for item in report.items]
    store.lock_catalogue(session, cooperative.id)  # another import of this cooperative waits here
    latest = store.latest_version(session, cooperative.id)
    if latest is not None and latest.content_hash == store.catalogue_hash(records):
        # The same items, perhaps in another order: the rows are where they are in this file now.
        if report.item_rows() and latest.item_rows != report.item_rows():
            latest.item_rows = report.item_rows()
        return ImportResult(version=latest, created=False, report=report)
    version = store.create_version(session, cooperative.id, records, source=source, filename=filename,
                                   item_rows=report.item_rows() or None)
    return ImportResult(version=version, created=True, report=report)


def current_catalogue(session: Session, cooperative: Cooperative) -> Catalogue:
    """The cooperative's profile and current items."""
    items = tuple(Item.from_dict(row.data) for row in store.current_items(session, cooperative.id))
    return Catalogue(profile=profile_of(cooperative), items=items)


def restrict_to_category(report: ValidationReport, category: str) -> ValidationReport:
    """The report, with an error for every row whose item is not in `category` (for `catalog validate --category`)."""
    from catalog_sync.report import RowError

    extra = tuple(
        RowError(row=0, column="category_id", value=item.category_id,
                 message=f"item {item.id!r} is in category {item.category_id!r}, not {category!r}")
        for item in report.items if item.category_id != category
    )
    if not extra:
        return report
    return ValidationReport(items=(), errors=report.errors + extra, warnings=report.warnings)


@dataclass(frozen=True)
class VersionContent:
    """The items of one catalogue version and their content hashes (which make diffs cheap)."""

    number: int
    items: tuple[Item, ...]
    hashes: dict[str, str]


def version_content(session: Session, cooperative: Cooperative, number: int) -> VersionContent:
    """One catalogue version's items (NotFoundError when there is no such version)."""
    version = store.get_version(session, cooperative.id, number)
    members = store.version_items(session, version.id)
    return VersionContent(
        number=number,
        items=tuple(Item.from_dict(data) for _, data in members.values()),
        hashes={item_id: item_hash for item_id, (item_hash, _) in members.items()},
    )


def _decimal(value: Any, field: str) -> Decimal:
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        number = Decimal("NaN")
    if not number.is_finite() or number <= 0 or number != number.quantize(Decimal("0.01")):
        raise InvalidRequestError(f"{field} must be a number like 450 or 450.50", details={"field": field})
    return number


def edit_item(
    session: Session, cooperative: Cooperative, item_id: str, changes: dict[str, Any]
) -> tuple[CatalogueItem, Item, Item]:
    """Change price, mrp, stock or enabled of one current item; returns the row and the old and new item."""
    row = store.get_item(session, cooperative.id, item_id)
    old = Item.from_dict(row.data)
    updates: dict[str, Any] = {}
    if "price" in changes:
        updates["price"] = _decimal(changes["price"], "price")
    if "mrp" in changes:
        updates["mrp"] = _decimal(changes["mrp"], "mrp")
    if "stock" in changes:
        stock = changes["stock"]
        if not isinstance(stock, int) or isinstance(stock, bool) or stock < 0:
            raise InvalidRequestError("stock must be a whole number, 0 or more", details={"field": "stock"})
        updates["stock"] = stock
    if "enabled" in changes:
        if not isinstance(changes["enabled"], bool):
            raise InvalidRequestError("enabled must be true or false", details={"field": "enabled"})
        updates["enabled"] = changes["enabled"]
    new = dataclasses.replace(old, **updates)
    if new.mrp < new.price:
        raise InvalidRequestError(
            f"mrp ({new.mrp:f}) is lower than price ({new.price:f}); mrp must be at least the price",
            details={"field": "price" if "price" in updates else "mrp"},
        )
    store.update_item(session, row, to_record(new))
    return row, old, new


def bpp_info(app: SellerApp, profile: Profile) -> BppInfo:
    """Our seller app's descriptor; an ISN cooperative's own branding stands in for the app's."""
    name = app.name
    return BppInfo(
        app=app, symbol=profile.symbol,
        short_desc=f"{name}: ONDC seller app for ODOP artisan cooperatives",
        long_desc=f"{name} lists products of One District One Product cooperatives on ONDC.",
        images=(profile.symbol,), np_type=profile.np_type,
    )


def primary_city(profile: Profile) -> str:
    """The city code of the first location, used in our context when no search names one."""
    return profile.locations[0].city_code


def render_full(
    catalogue: Catalogue, bpp: BppInfo, *, domain: str, transaction_id: str, message_id: str, now: dt.datetime,
    size_budget: int, city: str | None = None,
) -> list[dict[str, Any]]:
    """The full on_search message(s) for one domain."""
    context = preview_context(bpp.app, domain=domain, city=city or primary_city(catalogue.profile),
                              transaction_id=transaction_id, message_id=message_id, now=now)
    return to_on_search(catalogue, bpp=bpp, context=context, now=now, size_budget=size_budget)


def render_incremental(
    old: VersionContent, new: VersionContent, profile: Profile, bpp: BppInfo, *, domain: str,
    transaction_id: str, message_id: str, now: dt.datetime,
) -> tuple[ChangeSet, dict[str, Any] | None]:
    """The change set between two versions, and its incremental on_search for one domain (None when empty)."""
    changes = diff_items(old.items, new.items, old_hashes=old.hashes, new_hashes=new.hashes)
    catalogue = Catalogue(profile=profile, items=new.items)
    context = preview_context(bpp.app, domain=domain, city="*", transaction_id=transaction_id,
                              message_id=message_id, now=now)
    return changes, to_on_search_incremental(changes, catalogue, context=context, now=now)

"""Catalogue services: import a file as a new version, load the current catalogue, edit items, render.

This is the bridge between the pure catalogue core and the store. It takes a session and never commits:
the caller owns the transaction.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from adapter.delivery.replies import preview_context
from adapter.errors import ConflictError, InvalidRequestError
from adapter.protocol.identity import SellerApp
from adapter.store import catalogue as store
from adapter.store import stock as ledger
from adapter.store.models import CatalogueItem, CatalogueVersion, Cooperative
from catalog_sync.categories import template_examples
from catalog_sync.diff import ChangeSet, diff_items, to_on_search_incremental
from catalog_sync.errors import ProfileError
from catalog_sync.export import export_csv, export_xlsx
from catalog_sync.fields import MAX_COUNT, plain_amount
from catalog_sync.ingest import parse_catalogue
from catalog_sync.model import Catalogue, Item, Profile, item_hash
from catalog_sync.on_search import BppInfo, to_on_search
from catalog_sync.on_search_items import IST
from catalog_sync.plan import STALE, Current, Plan, plan_upload
from catalog_sync.profile import load_profile, profile_to_dict
from catalog_sync.report import ValidationReport
from catalog_sync.validate import stock_mark, validate_rows
from config import Settings

# The most units one item can list: what a sheet's stock column accepts.
MAX_STOCK = MAX_COUNT


@dataclass(frozen=True)
class Limits:
    """Size limits for catalogue files, and the share of the catalogue an upload may remove unconfirmed."""

    max_bytes: int
    max_rows: int
    removal_share: float = 0.2

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        """CATALOGUE_MAX_BYTES, CATALOGUE_MAX_ROWS and UPLOAD_CONFIRM_REMOVAL_SHARE."""
        return cls(max_bytes=settings.catalogue_max_bytes, max_rows=settings.catalogue_max_rows,
                   removal_share=settings.upload_confirm_removal_share)


@dataclass(frozen=True)
class ImportResult:
    """What an import did: the version now current (None when rejected or not applied), whether it is new,
    the report, and the plan (None when the file had errors). ``unconfirmed`` lists what the plan needs
    confirmed and the uploader did not confirm (then nothing was applied)."""

    version: CatalogueVersion | None
    created: bool
    report: ValidationReport
    plan: Plan | None = None
    unconfirmed: tuple[str, ...] = ()


def set_profile(cooperative: Cooperative, data: dict[str, Any]) -> Profile:
    """Validate a profile document and store it on the cooperative (ProfileError lists every problem)."""
    data = dict(data)
    data.setdefault("slug", cooperative.slug)
    if data["slug"] != cooperative.slug:
        raise ProfileError([("slug", f"must be {cooperative.slug!r}, the cooperative's slug")])
    profile = load_profile(data)
    cooperative.profile = profile.to_dict()
    return profile


def set_closure(cooperative: Cooperative, *, starts: str | None, until: str | None, note: str = "") -> Profile:
    """Close the shop from ``starts`` (None: now) to ``until`` inclusive (YYYY-MM-DD), or open it again (``until``
    None). ProfileError names a bad date. The store's new state reaches subscribers in the next sync."""
    data = profile_to_dict(profile_of(cooperative)) | {"slug": cooperative.slug}
    data["opening"] = dict(data["opening"], closed={"from": starts or None, "until": until, "note": note}
                           if until else None)
    return set_profile(cooperative, data)


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
    session: Session, cooperative: Cooperative, data: bytes, filename: str, limits: Limits, *, source: str,
    confirm: bool = False, counted_now: bool = False, dry_run: bool = False, expect_version: int | None = None,
) -> ImportResult:
    """Validate a file, plan what it changes (catalog_sync.plan) and, unless ``dry_run``, apply the plan: a new
    version, current items with stock from the ledger, counts recorded. A plan that removes more than the
    allowed share or is an unchanged template is applied only with ``confirm``; ``counted_now`` takes every
    stock figure as counted at this moment. ``expect_version``: the version a preview was made against; when
    the catalogue has moved on since, nothing is applied and the fresh plan is returned to be confirmed."""
    report = validate_file(data, filename, limits, profile_of(cooperative))
    if not report.ok:
        return ImportResult(version=None, created=False, report=report)
    return apply_items(session, cooperative, report, limits, source=source, filename=filename, confirm=confirm,
                       counted_now=counted_now, dry_run=dry_run, expect_version=expect_version)


def apply_items(
    session: Session, cooperative: Cooperative, report: ValidationReport, limits: Limits, *, source: str,
    filename: str | None, confirm: bool = False, counted_now: bool = False, dry_run: bool = False,
    expect_version: int | None = None,
) -> ImportResult:
    """Plan and (unless ``dry_run`` or unconfirmed) apply a validated set of items; see ``import_catalogue``."""
    if not dry_run:
        # Another import of this cooperative waits here, and orders for its items wait until this commits, so
        # the plan's stock figures are still true when they are written.
        store.lock_catalogue(session, cooperative.id)
        store.lock_items(session, cooperative.id)
    latest = store.latest_version(session, cooperative.id)
    plan_current = current_for_plan(session, cooperative)
    plan = plan_for(session, cooperative, report.items, marks=report.marks, counted_now=counted_now,
                    removal_share=limits.removal_share, current=plan_current)
    plan = dataclasses.replace(plan, base_version=latest.number if latest else None)
    unconfirmed = () if confirm else plan.confirm
    if expect_version is not None and expect_version != plan.base_version:
        unconfirmed = (*unconfirmed, STALE)
    if dry_run or unconfirmed:
        return ImportResult(version=None, created=False, report=report, plan=plan, unconfirmed=unconfirmed)
    if latest is not None and not plan.changes_anything:
        # Nothing to change (the same items, or a downloaded file sent back): the rows are where they are now.
        if report.item_rows() and latest.item_rows != report.item_rows():
            latest.item_rows = report.item_rows()
        return ImportResult(version=latest, created=False, report=report, plan=plan)
    records = [to_record(item) for item in report.items]
    now_stock = {item_id: current.stock for item_id, current in plan_current.items()}
    # Most items list what their sheet says: their record is the version's; only the others are re-hashed.
    current = [record if plan.available[item.id] == item.stock
               else to_record(dataclasses.replace(item, stock=plan.available[item.id]))
               for item, record in zip(report.items, records, strict=True)]
    version = store.create_version(session, cooperative.id, records, source=source, filename=filename,
                                   item_rows=report.item_rows() or None, current=current)
    ledger.record_counts(session, cooperative.id, [
        ledger.Count(item_id, figure, plan.available[item_id], now_stock.get(item_id, 0))
        for item_id, figure in sorted(plan.counts.items())
    ], ref=f"version {version.number} ({source})")
    return ImportResult(version=version, created=True, report=report, plan=plan)


def current_for_plan(session: Session, cooperative: Cooperative) -> dict[str, Current]:
    """The current items as a plan starts from: content, stock, last count's figure."""
    return {item_id: Current(Item.from_dict(data), stock, figure)
            for item_id, data, stock, figure in store.current_states(session, cooperative.id)}


def plan_for(session: Session, cooperative: Cooperative, items: Sequence[Item], *, marks: dict[str, int],
             counted_now: bool, removal_share: float, current: dict[str, Current]) -> Plan:
    """What replacing the ``current`` items with ``items`` would change, with the items' ledger histories."""
    histories = ledger.histories(session, cooperative.id, [item.id for item in items])
    return plan_upload(current, items, histories, marks=marks, counted_now=counted_now,
                       removal_share=removal_share, template_rows=template_examples())


DOWNLOAD_FORMATS = ("csv", "xlsx")


def download(session: Session, cooperative: Cooperative, fmt: str, now: dt.datetime) -> tuple[bytes, str]:
    """The current catalogue as a file to edit and upload back (catalog_sync.export), and its file name."""
    if fmt not in DOWNLOAD_FORMATS:
        raise InvalidRequestError("format must be csv or xlsx", details={"format": fmt[:20]})
    rows = store.current_items(session, cooperative.id)
    items = [dataclasses.replace(Item.from_dict(row.data), stock=row.stock) for row in rows]
    local = now.astimezone(IST)
    # Each row's stock and its newest move are read together (one row, one statement): its stock_as_of.
    when = f"{local:%Y-%m-%d %H:%M} IST"
    marks = [stock_mark(row.last_move_id or 0, when) for row in rows]
    body = export_csv(items, stock_as_of=marks) if fmt == "csv" else export_xlsx(items, stock_as_of=marks)
    return body, f"{cooperative.slug}-catalogue-{local:%Y%m%d-%H%M}.{fmt}"


def restore_version(session: Session, cooperative: Cooperative, number: int, limits: Limits, *,
                    source: str = "undo") -> ImportResult:
    """Make version ``number``'s items current again, as a new version (the stock ledger keeps every sale)."""
    content = version_content(session, cooperative, number)
    report = ValidationReport(items=content.items, errors=())
    return apply_items(session, cooperative, report, limits, source=source, filename=f"version {number}",
                       confirm=True)


def undo_last(session: Session, cooperative: Cooperative, limits: Limits) -> ImportResult:
    """Restore the version before the latest one (ConflictError when there is none). A second undo goes back
    to where the first started: it restores the version before the (new) latest, which is the one undone."""
    store.lock_catalogue(session, cooperative.id)  # an upload committing meanwhile is not undone with it
    latest = store.latest_version(session, cooperative.id)
    if latest is None or latest.number < 2:
        raise ConflictError("there is no earlier catalogue version to go back to")
    return restore_version(session, cooperative, latest.number - 1, limits)


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
    amount = plain_amount(value)
    if amount is None or amount <= 0:
        raise InvalidRequestError(f"{field} must be a number like 450 or 450.50", details={"field": field})
    return amount


def edit_item(
    session: Session, cooperative: Cooperative, item_id: str, changes: dict[str, Any]
) -> tuple[CatalogueItem, Item, Item]:
    """Change price, mrp, stock or enabled of one current item; returns the row and the old and new item."""
    row = store.get_item(session, cooperative.id, item_id)
    store.lock_item(session, row)  # the stock an order may have just changed is the stock kept
    old = dataclasses.replace(Item.from_dict(row.data), stock=row.stock)
    updates: dict[str, Any] = {}
    if "price" in changes:
        updates["price"] = _decimal(changes["price"], "price")
    if "mrp" in changes:
        updates["mrp"] = _decimal(changes["mrp"], "mrp")
    if "stock" in changes:
        stock = changes["stock"]
        if not isinstance(stock, int) or isinstance(stock, bool) or not 0 <= stock <= MAX_STOCK:
            raise InvalidRequestError(f"stock must be a whole number from 0 to {MAX_STOCK:,}",
                                      details={"field": "stock"})
        updates["stock"] = stock
    if "enabled" in changes:
        if not isinstance(changes["enabled"], bool):
            raise InvalidRequestError("enabled must be true or false", details={"field": "enabled"})
        updates["enabled"] = changes["enabled"]
    new = dataclasses.replace(old, **updates)
    if new.one_of_a_kind and new.stock > 1:
        raise InvalidRequestError(f"a one-of-a-kind piece has stock 0 or 1, not {new.stock}",
                                  details={"field": "stock"})
    if new.mrp < new.price:
        raise InvalidRequestError(
            f"mrp ({new.mrp:f}) is lower than price ({new.price:f}); mrp must be at least the price",
            details={"field": "price" if "price" in updates else "mrp"},
        )
    store.update_item(session, row, to_record(new))
    if "stock" in updates:  # an edited stock figure is a count made now
        ledger.record_counts(session, cooperative.id, [ledger.Count(item_id, new.stock, new.stock, old.stock)],
                            ref="edit")
        session.refresh(row)
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

"""Change sets between two catalogue versions, and the incremental on_search push (PROTOCOL.md §3).

ONDC incremental refresh carries only item changes: no ``bpp/descriptor``, no ``bpp/fulfillments``,
never an empty catalogue. New providers, locations and variant groups need a full refresh.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from catalog_sync.model import Catalogue, Item
from catalog_sync.on_search import store_update
from catalog_sync.on_search_items import ItemRenderer, provider_id

__all__ = ["ChangeSet", "ItemChange", "apply_changes", "diff_items", "to_on_search_incremental"]

_PRICE_STOCK = frozenset({"price", "mrp", "stock"})
_FIELD_NAMES = tuple(f.name for f in fields(Item))


@dataclass(frozen=True, slots=True)
class ItemChange:
    """One item present in both versions whose content changed; ``fields`` names what changed."""

    old: Item
    new: Item
    fields: frozenset[str]

    @property
    def price_stock_only(self) -> bool:
        """True when only price, mrp and/or stock changed."""
        return self.fields <= _PRICE_STOCK

    @property
    def disabled(self) -> bool:
        """True when the item was switched from enabled to disabled."""
        return self.old.enabled and not self.new.enabled

    @property
    def re_enabled(self) -> bool:
        """True when the item was switched from disabled to enabled."""
        return not self.old.enabled and self.new.enabled


@dataclass(frozen=True, slots=True)
class ChangeSet:
    """Added items, changed items and removed items (old versions), each in input order."""

    added: tuple[Item, ...] = ()
    changed: tuple[ItemChange, ...] = ()
    removed: tuple[Item, ...] = ()
    needs_full_refresh: bool = False

    @property
    def is_empty(self) -> bool:
        """True when nothing changed."""
        return not (self.added or self.changed or self.removed)

    @property
    def price_stock_only(self) -> tuple[ItemChange, ...]:
        """The changes that touch only price, mrp or stock."""
        return tuple(c for c in self.changed if c.price_stock_only)

    @property
    def disabled(self) -> tuple[ItemChange, ...]:
        """The changes that switch an item off."""
        return tuple(c for c in self.changed if c.disabled)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-safe summary (ids only)."""
        return {
            "added": [i.id for i in self.added],
            "changed": [{"id": c.new.id, "fields": sorted(c.fields)} for c in self.changed],
            "removed": [i.id for i in self.removed],
            "price_stock_only": [c.new.id for c in self.price_stock_only],
            "disabled": [c.new.id for c in self.disabled],
            "needs_full_refresh": self.needs_full_refresh,
        }


def _changed_fields(old: Item, new: Item) -> frozenset[str]:
    return frozenset(name for name in _FIELD_NAMES if getattr(old, name) != getattr(new, name))


def _group_shape(items: Sequence[Item]) -> dict[str, tuple[str, tuple[str, ...]]]:
    return {i.parent_item_id: (i.category_id, i.variant_attributes) for i in items if i.parent_item_id}


def diff_items(
    old: Sequence[Item],
    new: Sequence[Item],
    *,
    old_hashes: Mapping[str, str] | None = None,
    new_hashes: Mapping[str, str] | None = None,
) -> ChangeSet:
    """Compare two versions by item id and classify every difference.

    ``old_hashes``/``new_hashes`` (item id -> ``item_hash``), when a version store already has them, let
    unchanged items be recognised by hash instead of by comparing every field.
    """
    old_by_id = {i.id: i for i in old}
    new_ids: set[str] = set()
    added: list[Item] = []
    changed: list[ItemChange] = []
    for item in new:
        new_ids.add(item.id)
        before = old_by_id.get(item.id)
        if before is None:
            added.append(item)
        elif before is item or (
            old_hashes is not None and new_hashes is not None and old_hashes[item.id] == new_hashes[item.id]
        ):
            continue
        elif before != item:
            changed.append(ItemChange(before, item, _changed_fields(before, item)))
    removed = tuple(i for i in old if i.id not in new_ids)
    touched = [*added, *(c.new for c in changed)]
    # Variant groups are declared in provider categories, which only a full refresh may change.
    old_groups = _group_shape(old) if any(i.parent_item_id for i in touched) else {}
    needs_full = any(
        i.parent_item_id and old_groups.get(i.parent_item_id) != (i.category_id, i.variant_attributes)
        for i in touched
    ) or any(c.old.location_id != c.new.location_id for c in changed)
    return ChangeSet(tuple(added), tuple(changed), removed, needs_full)


def apply_changes(old_items: Sequence[Item], changeset: ChangeSet) -> tuple[Item, ...]:
    """Apply a change set to the old items; ``apply_changes(a, diff_items(a, b))`` equals ``b`` by id."""
    gone = {i.id for i in changeset.removed}
    by_id = {i.id: i for i in old_items if i.id not in gone}
    for change in changeset.changed:
        by_id[change.new.id] = change.new
    for item in changeset.added:
        by_id[item.id] = item
    return tuple(by_id.values())


def to_on_search_incremental(
    changeset: ChangeSet, catalogue: Catalogue, *, context: dict[str, Any], now: datetime,
    store_changed: bool = False,
) -> dict[str, Any] | None:
    """Return the unsolicited incremental on_search for ``context["domain"]``, or None if nothing to send.
    ``store_changed``: the store closed or opened again since the last push (its provider time goes too).

    Costs O(changes): only the changed items are rendered, never the whole catalogue.
    """
    domain = context["domain"]
    # ONDC's review: an incremental push states stock only as in stock ("99") or not ("0").
    renderer = ItemRenderer(catalogue.profile, now=now, mask_stock=True)
    items: list[dict[str, Any]] = []
    for item in changeset.added:
        if item.domain == domain and item.enabled:
            items.append(renderer.render(item))
    for change in changeset.changed:
        old, new = change.old, change.new
        if new.domain == domain and new.enabled:
            items.append(renderer.render(new))
        elif old.domain == domain and old.enabled:
            # Disabled, or moved to another domain: buyers must stop showing it here.
            items.append(renderer.render(new if new.domain == domain else old, label="disable"))
    for item in changeset.removed:
        if item.domain == domain and item.enabled:
            items.append(renderer.render(item, label="disable"))
    if not items and not store_changed:
        return None
    pid = provider_id(catalogue.profile, context.get("bpp_id", ""))
    provider: dict[str, Any] = {"id": pid}
    if store_changed:
        provider |= store_update(catalogue.profile, renderer.timestamp)
    if items:
        provider["items"] = items
    return {
        "context": dict(context),
        "message": {"catalog": {"bpp/providers": [provider]}},
    }

"""What an upload would change, before anything changes: items added and removed, price and stock changes,
conflicts with sales, and whether the uploader must confirm (a mass removal, the unchanged template).

Stock is a ledger (adapter.store.stock, docs/stock.md): a sheet's stock figure is what was on the shelf when the
sheet was made, so the stock to list is the figure plus what orders moved since then. When was the sheet made?
- a file downloaded from the adapter says so in its ``stock_as_of`` column (the item's newest ledger move then);
- otherwise, when the figure is one a count of that item already said, the sheet is that count's sheet (the
  latest such count): stock is what that count left plus what orders moved since;
- otherwise the figure is new: it is taken as of the item's last count, and if orders moved stock since then
  the line is a conflict.
A count made after the file's time wins over the file (a conflict when they disagree). ``counted_now``: the
uploader has just counted the shelf, so every figure is taken as it is. A one-of-a-kind piece sold since its
last count is never listed again by an upload.

Pure: no database; the service layer passes the current items and their ledger histories.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

from catalog_sync.model import Item

__all__ = ["REMOVES_MANY", "STALE", "TEMPLATE", "Current", "HistoryLike", "ItemChange", "Plan", "StockLine",
           "confirm_reason", "plan_upload", "render_plan_text", "unconfirmed_reason"]

# Why an uploader must confirm before the upload is applied.
REMOVES_MANY = "removes_many"
TEMPLATE = "template"
# The catalogue changed between a preview and its confirmation: the fresh plan must be looked at again.
STALE = "stale"


class HistoryLike(Protocol):
    """An item's ledger, as adapter.store.stock.History gives it."""

    def net_since(self, move_id: int) -> int: ...

    def last_count_id(self) -> int: ...

    def has_move(self, move_id: int) -> bool: ...

    def count_said(self, figure: int) -> tuple[int, int] | None: ...



@dataclass(frozen=True)
class Current:
    """A current item: its content, the stock listed now, and the figure of its last count."""

    item: Item
    stock: int
    figure: int | None


@dataclass(frozen=True)
class StockLine:
    """One item whose stock the upload touches.

    ``basis``: new (a new item), download (the file's stock_as_of), same-count (a figure an earlier count said),
    recount (a new figure, as of the last count), counted-now (a new figure the uploader said is current).
    ``moved`` is what orders did to stock since the sheet's time (negative: sold).
    """

    item_id: str
    name: str
    now: int
    figure: int
    moved: int
    new: int
    basis: str
    conflict: bool = False
    one_of_a_kind_held: bool = False

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe."""
        return {"id": self.item_id, "name": self.name, "now": self.now, "sheet": self.figure,
                "sold_since": -self.moved, "new": self.new, "basis": self.basis, "conflict": self.conflict,
                "one_of_a_kind_held": self.one_of_a_kind_held}


@dataclass(frozen=True)
class ItemChange:
    """A price change (or another content change, with ``field`` naming it)."""

    item_id: str
    name: str
    field: str
    old: str
    new: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe."""
        return {"id": self.item_id, "name": self.name, "field": self.field, "old": self.old, "new": self.new}


@dataclass(frozen=True)
class Plan:
    """What applying the upload would do, and the stock each item would then have."""

    before: int
    after: int
    added: tuple[tuple[str, str], ...]
    removed: tuple[tuple[str, str], ...]
    prices: tuple[ItemChange, ...]
    edited: tuple[tuple[str, str], ...]
    stock: tuple[StockLine, ...]
    confirm: tuple[str, ...]
    # The stock to list for every item of the sheet, and the counts to record (item id -> figure).
    available: dict[str, int] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    counted_now: bool = False
    # The catalogue version the plan was made against (a confirmation applies only to that version).
    base_version: int | None = None

    @property
    def changes_anything(self) -> bool:
        """False when applying it would leave the current catalogue exactly as it is."""
        return bool(self.added or self.removed or self.prices or self.edited
                    or any(line.new != line.now for line in self.stock))

    @property
    def conflicts(self) -> tuple[StockLine, ...]:
        """Stock lines where sales since the sheet's time make its figure uncertain."""
        return tuple(line for line in self.stock if line.conflict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe, as the API and the upload jobs show it."""
        return {
            "items_before": self.before, "items_after": self.after,
            "added": [{"id": i, "name": n} for i, n in self.added],
            "removed": [{"id": i, "name": n} for i, n in self.removed],
            "price_changes": [c.to_dict() for c in self.prices],
            "edited": [{"id": i, "name": n} for i, n in self.edited],
            "stock_changes": [line.to_dict() for line in self.stock],
            "conflicts": len(self.conflicts),
            "needs_confirmation": list(self.confirm),
            "confirm_reason": confirm_reason(self),
            "counted_now": self.counted_now,
            "base_version": self.base_version,
            "changes_anything": self.changes_anything,
        }


def confirm_reason(plan: Plan) -> str:
    """Why ``plan`` needs a confirmation, in a sentence ("" when it needs none)."""
    parts = []
    if REMOVES_MANY in plan.confirm:
        parts.append(f"it would remove {len(plan.removed)} of the {plan.before} items on sale")
    if TEMPLATE in plan.confirm:
        parts.append("it is the unchanged template (only the example row)")
    return " and ".join(parts)


def unconfirmed_reason(plan: Plan, unconfirmed: Sequence[str]) -> str:
    """What is missing before ``plan`` can be applied, in a sentence."""
    parts = [confirm_reason(plan)] if set(unconfirmed) & {REMOVES_MANY, TEMPLATE} else []
    if STALE in unconfirmed:
        parts.append("the catalogue changed since the preview, so check the plan again")
    return "; ".join(p for p in parts if p)


def _money(value: Decimal) -> str:
    return f"{value:f}"


def _stock_line(item: Item, current: Current | None, history: HistoryLike | None, mark: int | None,
                counted_now: bool) -> StockLine:
    figure = item.stock
    if current is None and history is None:
        return StockLine(item.id, item.name, 0, figure, 0, figure, "new")
    # An item absent now but with a ledger (removed, then uploaded or restored again) keeps its sales too.
    now = current.stock if current is not None else 0
    last = history.last_count_id() if history is not None else 0
    # A one-of-a-kind piece sold since its last count (and not back) is with a buyer.
    held = item.one_of_a_kind and history is not None and history.net_since(last) < 0
    if history is None:  # an item no count ever recorded: the sheet is the count
        basis, moved, new, conflict = "recount", 0, figure, False
    elif counted_now:
        basis, moved, new, conflict = "counted-now", history.net_since(last), figure, False
    elif mark is not None and history.has_move(mark):
        basis, moved = "download", history.net_since(mark)
        new, conflict = figure + moved, False
        if last > mark:  # counted again after the download: that count wins over the file
            new, conflict = now, figure + moved != now
    elif (matched := history.count_said(figure)) is not None:
        count_id, again = matched
        basis, moved = "same-count", again - figure
        new, conflict = again, False
        if count_id != last:  # an older sheet: a later count said otherwise, and it wins
            new, conflict = now, again != now
    else:
        moved = history.net_since(last)
        basis, new, conflict = "recount", figure + moved, moved != 0
    if new < 0:
        conflict, new = True, 0
    if held:
        new = 0
    if item.one_of_a_kind:
        new = min(new, 1)
    return StockLine(item.id, item.name, now, figure, moved, new, basis, conflict, held)


def plan_upload(current: Mapping[str, Current], sheet: Sequence[Item], histories: Mapping[str, HistoryLike],
                *, marks: Mapping[str, int], counted_now: bool = False, removal_share: float = 0.2,
                template_rows: frozenset[tuple[str, str]] = frozenset()) -> Plan:
    """The plan for replacing the current items with the sheet's (see the module docstring).

    A confirmation is needed when more than ``removal_share`` of the current items would go, and when every
    row is a template's example row (``template_rows``: (id, name) pairs), so an unchanged template is caught.
    """
    ids = {item.id for item in sheet}
    added = tuple((i.id, i.name) for i in sheet if i.id not in current)
    removed = tuple((item_id, c.item.name) for item_id, c in sorted(current.items()) if item_id not in ids)
    prices: list[ItemChange] = []
    edited: list[tuple[str, str]] = []
    lines: list[StockLine] = []
    available: dict[str, int] = {}
    counts: dict[str, int] = {}
    for item in sheet:
        now = current.get(item.id)
        line = _stock_line(item, now, histories.get(item.id), marks.get(item.id), counted_now)
        available[item.id] = line.new
        if now is None or line.figure != now.figure or line.new != now.stock:
            counts[item.id] = line.figure
        if now is None:
            if line.basis != "new":
                lines.append(line)
            continue
        if line.new != line.now or line.conflict or line.one_of_a_kind_held:
            lines.append(line)
        old = now.item
        alike = dataclasses.replace(item, stock=old.stock)
        if old == alike:  # the same content (dataclass equality: cheap, no serialising)
            continue
        if old.price != item.price:
            prices.append(ItemChange(item.id, item.name, "price", _money(old.price), _money(item.price)))
        if old.mrp != item.mrp:
            prices.append(ItemChange(item.id, item.name, "mrp", _money(old.mrp), _money(item.mrp)))
        if dataclasses.replace(old, price=item.price, mrp=item.mrp) != alike:
            edited.append((item.id, item.name))
    confirm: list[str] = []
    if current and removed and len(removed) / len(current) > removal_share:
        confirm.append(REMOVES_MANY)
    if sheet and all((item.id, item.name) in template_rows for item in sheet):
        confirm.append(TEMPLATE)
    return Plan(before=len(current), after=len(sheet), added=added, removed=removed, prices=tuple(prices),
                edited=tuple(edited), stock=tuple(lines), confirm=tuple(confirm), available=available,
                counts=counts, counted_now=counted_now)


def render_plan_text(plan: Plan, *, limit: int = 20) -> str:
    """The plan for a terminal: counts, then up to ``limit`` lines of each kind of change."""
    out = [f"items: {plan.before} now, {plan.after} in the file"]

    def section(title: str, lines: list[str]) -> None:
        if lines:
            out.append(f"{title} ({len(lines)}):")
            out.extend(f"  {line}" for line in lines[:limit])
            if len(lines) > limit:
                out.append(f"  ... and {len(lines) - limit} more")

    section("added", [f"{i}  {n}" for i, n in plan.added])
    section("removed", [f"{i}  {n}" for i, n in plan.removed])
    section("price changes", [f"{c.item_id}  {c.field} {c.old} -> {c.new}" for c in plan.prices])
    section("other changes", [f"{i}  {n}" for i, n in plan.edited])
    section("stock", [
        f"{line.item_id}  {line.now} -> {line.new} (sheet {line.figure}, sold since {-line.moved})"
        + ("  CONFLICT: sold or counted again since the file's count" if line.conflict else "")
        + ("  one of a kind, held by a buyer" if line.one_of_a_kind_held else "")
        for line in plan.stock])
    if not plan.changes_anything:
        out.append("nothing would change")
    if plan.confirm:
        out.append(f"needs a confirmation: {confirm_reason(plan)}")
    return "\n".join(out)

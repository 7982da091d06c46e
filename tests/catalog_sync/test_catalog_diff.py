"""diff: change sets, apply, incremental on_search (golden) and the apply(diff) property."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from catalog_sync.diff import ChangeSet, apply_changes, diff_items, to_on_search_incremental
from catalog_sync.model import Catalogue, Item

Ctx = Callable[..., dict[str, Any]]


def _edited(catalogue: Catalogue) -> tuple[Item, ...]:
    """Price change, stock change, text change, disable, removal and an addition."""
    out = []
    for item in catalogue.items:
        if item.id == "T16-1":
            out.append(dataclasses.replace(item, price=Decimal("1100"), stock=2))
        elif item.id == "T16-2":
            out.append(dataclasses.replace(item, long_desc="Now with a care card"))
        elif item.id == "T16-3":
            out.append(dataclasses.replace(item, enabled=False))
        elif item.id == "T12-CAP":
            continue
        else:
            out.append(item)
    out.append(
        dataclasses.replace(catalogue.items[0], id="T16-NEW", parent_item_id=None, variant_attributes=())
    )
    return tuple(out)


def test_classification(catalogue: Catalogue) -> None:
    changes = diff_items(catalogue.items, _edited(catalogue))
    assert [i.id for i in changes.added] == ["T16-NEW"]
    assert [i.id for i in changes.removed] == ["T12-CAP"]
    assert {c.new.id: sorted(c.fields) for c in changes.changed} == {
        "T16-1": ["price", "stock"],
        "T16-2": ["long_desc"],
        "T16-3": ["enabled"],
    }
    assert [c.new.id for c in changes.price_stock_only] == ["T16-1"]
    assert [c.new.id for c in changes.disabled] == ["T16-3"]
    assert not changes.needs_full_refresh
    assert changes.to_dict()["disabled"] == ["T16-3"]


def test_empty_diff_sends_nothing(catalogue: Catalogue, context: Ctx, now: datetime) -> None:
    changes = diff_items(catalogue.items, catalogue.items)
    assert changes.is_empty
    assert to_on_search_incremental(changes, catalogue, context=context(city="*"), now=now) is None


def test_changes_in_another_domain_send_nothing(catalogue: Catalogue, context: Ctx, now: datetime) -> None:
    changes = diff_items(catalogue.items, _edited(catalogue))
    assert (
        to_on_search_incremental(changes, catalogue, context=context("ONDC:RET10", city="*"), now=now) is None
    )


def test_golden_incremental(
    catalogue: Catalogue, context: Ctx, now: datetime, golden: Callable[[str, Any], None]
) -> None:
    new = _edited(catalogue)
    changes = diff_items(catalogue.items, new)
    for domain in ("ONDC:RET16", "ONDC:RET12"):
        body = to_on_search_incremental(
            changes, Catalogue(catalogue.profile, new), context=context(domain, city="*"), now=now
        )
        assert body is not None
        catalog = body["message"]["catalog"]
        assert set(catalog) == {"bpp/providers"}  # no bpp/descriptor, no bpp/fulfillments
        golden(f"on_search_incremental_{domain.split(':')[1]}", body)


def test_moving_an_item_to_another_domain_disables_it_here(
    catalogue: Catalogue, make_item: Callable[..., Item], context: Ctx, now: datetime
) -> None:
    old = make_item()
    new = make_item(
        category_id="Stoles and Scarves", domain="ONDC:RET12", gender="female", size="M", fabric="wool"
    )
    changes = diff_items([old], [new])
    here = to_on_search_incremental(changes, catalogue, context=context("ONDC:RET16", city="*"), now=now)
    there = to_on_search_incremental(changes, catalogue, context=context("ONDC:RET12", city="*"), now=now)
    assert here is not None
    assert there is not None
    assert here["message"]["catalog"]["bpp/providers"][0]["items"][0]["time"]["label"] == "disable"
    assert there["message"]["catalog"]["bpp/providers"][0]["items"][0]["time"]["label"] == "enable"


def test_new_variant_group_needs_a_full_refresh(make_item: Callable[..., Item]) -> None:
    old = [make_item(id="A", parent_item_id="G", variant_attributes=("size",), size="S")]
    same_group = [*old, make_item(id="B", parent_item_id="G", variant_attributes=("size",), size="M")]
    assert not diff_items(old, same_group).needs_full_refresh
    new_group = [*old, make_item(id="C", parent_item_id="H", variant_attributes=("size",), size="M")]
    assert diff_items(old, new_group).needs_full_refresh


def test_incremental_is_o_changes(catalogue: Catalogue, context: Ctx, now: datetime) -> None:
    """The renderer must not look at the catalogue's items: give it a catalogue whose items explode."""

    class Exploding(tuple):  # type: ignore[type-arg]
        def __iter__(self) -> Any:
            raise AssertionError("walked the whole catalogue")

    changes = diff_items(catalogue.items, _edited(catalogue))
    huge = Catalogue(catalogue.profile, Exploding(catalogue.items))
    assert to_on_search_incremental(changes, huge, context=context(city="*"), now=now) is not None


# --- property: apply(diff(A, B), A) == B ----------------------------------------------------------

_ids = st.sampled_from([f"I{n}" for n in range(12)])
_items = st.builds(
    lambda id_, price, stock, name, enabled: Item(
        id=id_,
        name=name,
        category_id="Home Decor",
        domain="ONDC:RET16",
        price=Decimal(price),
        mrp=Decimal(price),
        stock=stock,
        images=("https://test.odop-adapter.example/i.jpg",),
        colour="#000000",
        enabled=enabled,
    ),
    _ids,
    st.integers(1, 5),
    st.integers(0, 3),
    st.sampled_from(["a", "b"]),
    st.booleans(),
)
_versions = st.lists(_items, max_size=12, unique_by=lambda i: i.id)


@settings(max_examples=300, deadline=None, database=None)
@given(_versions, _versions)
def test_apply_diff_round_trips(a: list[Item], b: list[Item]) -> None:
    changes = diff_items(a, b)
    assert {i.id: i for i in apply_changes(a, changes)} == {i.id: i for i in b}
    assert changes.is_empty == ({i.id: i for i in a} == {i.id: i for i in b})
    for change in changes.changed:
        assert change.fields
        assert all(getattr(change.old, f) != getattr(change.new, f) for f in change.fields)


def test_apply_of_an_empty_changeset_is_identity(catalogue: Catalogue) -> None:
    assert apply_changes(catalogue.items, ChangeSet()) == catalogue.items

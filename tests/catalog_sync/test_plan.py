"""The upload plan: which stock a sheet's figure means, given the ledger, and when an upload must be confirmed."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

from adapter.store.stock import History
from catalog_sync.categories import template_examples
from catalog_sync.model import Item
from catalog_sync.plan import REMOVES_MANY, TEMPLATE, Current, plan_upload, render_plan_text


def item(item_id: str, stock: int, **changes: object) -> Item:
    base = Item(id=item_id, name=f"Rumal {item_id}", category_id="Home Decor", domain="ONDC:RET16",
                price=Decimal(1200), mrp=Decimal(1500), stock=stock, images=("https://x.example/a.jpg",))
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def current(*items: tuple[Item, int, int]) -> dict[str, Current]:
    return {i.id: Current(i, now, figure) for i, now, figure in items}


# Ledger: count #1 said 5 and left 5; order #2 took 2; so 3 are on sale.
SOLD_TWO = History(counts=((1, 5, 5),), orders=((2, -2),))


def test_the_same_figure_again_keeps_the_sales_made_since() -> None:
    plan = plan_upload(current((item("A", 3), 3, 5)), [item("A", 5)], {"A": SOLD_TWO}, marks={})
    assert plan.available == {"A": 3}
    assert plan.stock == ()
    assert plan.counts == {}
    assert not plan.changes_anything


def test_an_older_sheet_never_undoes_a_later_count() -> None:
    # #1 said 5, #2 sold 2, #3 recounted 10, #4 sold 1: the old sheet saying 5 would mean 2, but #3 is newer.
    history = History(counts=((1, 5, 5), (3, 10, 10)), orders=((2, -2), (4, -1)))
    plan = plan_upload(current((item("A", 9), 9, 10)), [item("A", 5)], {"A": history}, marks={})
    assert plan.available == {"A": 9}
    (line,) = plan.stock
    assert (line.basis, line.figure, line.new, line.conflict) == ("same-count", 5, 9, True)
    # The same figure as the last count is that sheet again: nothing to change.
    again = plan_upload(current((item("A", 9), 9, 10)), [item("A", 10)], {"A": history}, marks={})
    assert again.available == {"A": 9}
    assert again.stock == ()


def test_counted_now_takes_every_figure_as_it_is() -> None:
    # Restocked to 5 after the 5 counted in January were sold: the same figure, but a new count.
    sold_out = History(counts=((1, 5, 5),), orders=((2, -5),))
    rows = current((item("A", 0), 0, 5))
    assert plan_upload(rows, [item("A", 5)], {"A": sold_out}, marks={}).available == {"A": 0}
    plan = plan_upload(rows, [item("A", 5)], {"A": sold_out}, marks={}, counted_now=True)
    assert plan.available == {"A": 5}
    assert plan.counted_now


def test_a_downloaded_file_is_as_of_its_ledger_mark() -> None:
    # Downloaded after #2 (3 on sale); then #5 sold one more. The file still says 3.
    history = History(counts=((1, 5, 5),), orders=((2, -2), (5, -1)))
    plan = plan_upload(current((item("A", 2), 2, 5)), [item("A", 3)], {"A": history}, marks={"A": 2})
    assert plan.available == {"A": 2}
    assert plan.stock == ()  # stock stays; only the count's figure is recorded
    assert plan.counts == {"A": 3}
    # A count after the download wins over the file; a mark that is not one of the item's moves is ignored.
    recounted = History(counts=((1, 5, 5), (6, 50, 50)), orders=((2, -2),))
    stale = plan_upload(current((item("A", 50), 50, 50)), [item("A", 3)], {"A": recounted}, marks={"A": 2})
    assert stale.available == {"A": 50}
    assert stale.conflicts
    forged = plan_upload(current((item("A", 2), 2, 5)), [item("A", 3)], {"A": history}, marks={"A": 10**15})
    assert forged.stock[0].basis == "recount"


def test_a_new_figure_after_sales_is_a_conflict_read_safely_unless_counted_now() -> None:
    rows = current((item("A", 3), 3, 5))
    plan = plan_upload(rows, [item("A", 8)], {"A": SOLD_TWO}, marks={})
    (line,) = plan.stock
    assert (line.basis, line.new, line.conflict, -line.moved) == ("recount", 6, True, 2)
    assert plan.conflicts == (line,)
    now = plan_upload(rows, [item("A", 8)], {"A": SOLD_TWO}, marks={}, counted_now=True)
    assert now.available == {"A": 8}
    assert not now.conflicts
    oversold = plan_upload(rows, [item("A", 1)], {"A": SOLD_TWO}, marks={})
    assert oversold.available == {"A": 0}
    assert oversold.conflicts


def test_a_one_of_a_kind_piece_a_buyer_holds_is_never_listed_again() -> None:
    piece = item("W", 1, one_of_a_kind=True)
    held = History(counts=((1, 1, 1),), orders=((2, -1),))
    relisted = History(counts=((1, 1, 1), (3, 1, 1)), orders=((2, -1),))  # a new piece, counted by an edit
    plan = plan_upload(current((piece, 1, 1)), [piece], {"W": relisted}, marks={})
    assert plan.available == {"W": 1}
    for counted_now in (False, True):
        plan = plan_upload(current((dataclasses.replace(piece, stock=0), 0, 1)), [piece], {"W": held}, marks={},
                           counted_now=counted_now)
        assert plan.available == {"W": 0}
    returned = History(counts=((1, 1, 1),), orders=((2, -1), (3, 1)))
    plan = plan_upload(current((piece, 1, 1)), [piece], {"W": returned}, marks={})
    assert plan.available == {"W": 1}
    assert piece.max_per_order == 1


def test_an_item_removed_and_uploaded_again_keeps_its_sales() -> None:
    plan = plan_upload({}, [item("A", 5)], {"A": SOLD_TWO}, marks={})
    assert plan.available == {"A": 3}
    assert plan.added == (("A", "Rumal A"),)


def test_removing_more_than_the_share_or_the_template_needs_a_confirmation() -> None:
    rows = current(*((item(x, 1), 1, 1) for x in "ABCDE"))
    histories = {x: History(((1, 1, 1),), ()) for x in "ABCDE"}
    one_gone = plan_upload(rows, [item(x, 1) for x in "ABCD"], histories, marks={})
    assert one_gone.confirm == ()  # 1 of 5 is not more than 20%
    two_gone = plan_upload(rows, [item(x, 1) for x in "ABC"], histories, marks={})
    assert two_gone.confirm == (REMOVES_MANY,)
    assert "remove 2 of the 5 items" in render_plan_text(two_gone)
    ((example_id, example_name),) = template_examples()
    template = plan_upload(rows, [item(example_id, 5, name=example_name)], histories, marks={},
                           template_rows=template_examples())
    assert template.confirm == (REMOVES_MANY, TEMPLATE)
    first = plan_upload({}, [item(example_id, 5, name=example_name)], {}, marks={}, template_rows=template_examples())
    assert first.confirm == (TEMPLATE,)


def test_price_and_content_changes_are_listed_apart_from_stock() -> None:
    rows = current((item("A", 3), 3, 5))
    plan = plan_upload(rows, [item("A", 5, price=Decimal(1250), long_desc="new words")], {"A": SOLD_TWO}, marks={})
    assert [(c.field, c.old, c.new) for c in plan.prices] == [("price", "1200", "1250")]
    assert plan.edited == (("A", "Rumal A"),)
    assert plan.available == {"A": 3}

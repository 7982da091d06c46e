"""categories: category -> domain, columns and templates."""

from __future__ import annotations

import csv
import io

import pytest

from catalog_sync.categories import CATEGORIES, columns_for, domain_for, template_csv
from catalog_sync.errors import UnknownCategoryError
from catalog_sync.ingest import parse_catalogue
from catalog_sync.validate import validate_rows


def test_domains_follow_protocol_section_8() -> None:
    assert domain_for("Home Decor") == "ONDC:RET16"
    assert domain_for("Home Furnishing - Bedding and Linen") == "ONDC:RET16"
    assert {
        domain_for(c) for c in ("Dupattas & Shawls", "Stoles and Scarves", "Mufflers", "Caps & Hats")
    } == {"ONDC:RET12"}
    assert domain_for("Masala & Seasoning") == "ONDC:RET10"
    assert domain_for("Skin Care - Oils and Serums") == "ONDC:RET13"
    assert domain_for("Ayurvedic") == "ONDC:RET19"


def test_unknown_category_lists_the_valid_ones() -> None:
    with pytest.raises(UnknownCategoryError) as info:
        columns_for("Decor")
    assert "category 'Decor' is not an ONDC category; use one of: Home Decor," in str(info.value)
    assert info.value.valid == tuple(CATEGORIES)


def _required(category: str) -> set[str]:
    return {c.name for c in columns_for(category) if c.required}


def test_columns_per_domain() -> None:
    common = {"id", "name", "category_id", "price", "stock", "images"}
    assert _required("Home Decor") == common | {"colour"}
    assert _required("Dupattas & Shawls") == common | {"gender", "colour", "size", "fabric"}
    assert _required("Tea and Coffee") == common | {
        "unit",
        "net_quantity",
        "fssai_license_no",
        "veg_nonveg",
        "nutritional_info",
    }
    assert _required("Ayurvedic") == common | {"prescription_required"}
    assert "fssai_license_no" not in {c.name for c in columns_for("Home Decor")}
    assert "gender" not in {c.name for c in columns_for("Tea and Coffee")}
    for category in CATEGORIES:
        names = [c.name for c in columns_for(category)]
        assert len(names) == len(set(names)), category
        assert all(c.help for c in columns_for(category))


@pytest.mark.parametrize("category", list(CATEGORIES))
def test_template_example_row_is_itself_valid(category: str) -> None:
    text = template_csv(category)
    header, example = list(csv.reader(io.StringIO(text)))
    assert header == [c.name for c in columns_for(category)]
    assert example[header.index("category_id")] == category
    rows = parse_catalogue(text.encode(), "template.csv")
    # Templates show a variant group code without siblings; drop it so the example stands alone.
    for raw in rows:
        raw.values["parent_item_id"] = raw.values["variant_attributes"] = ""
    report = validate_rows(rows)
    assert report.ok, report.errors

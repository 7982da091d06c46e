"""validate.validate_rows: one good and one bad case per rule, all errors reported, no partial import."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from decimal import Decimal

import pytest

from catalog_sync.ingest import EXTRA_CELLS, RawRow
from catalog_sync.model import Profile
from catalog_sync.validate import RowError, ValidationReport, render_report_text, validate_rows
from tests.catalog_sync.hindi import to_hindi

Row = Callable[..., RawRow]


def only_error(report: ValidationReport) -> RowError:
    assert not report.ok
    assert report.items == ()
    assert len(report.errors) == 1, report.errors
    return report.errors[0]


def test_good_row_gives_an_item_with_defaults(row: Row) -> None:
    report = validate_rows([row()])
    assert report.ok
    (item,) = report.items
    assert item.domain == "ONDC:RET16"
    assert item.price == Decimal("4500")
    assert item.mrp == Decimal("5000")
    assert (item.max_per_order, item.unit, item.net_quantity) == (10, "unit", Decimal(1))
    assert (item.returnable, item.return_window, item.cancellable, item.time_to_ship) == (
        False,
        "P0D",
        True,
        "P2D",
    )
    assert item.enabled is True


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("price", "45o", "price must be a number like 450 or 450.50"),
        ("price", "-450", "price must be a number like 450 or 450.50"),
        ("price", "450.505", "price must be a number like 450 or 450.50"),
        ("price", "0", "price must be more than 0"),
        ("price", "450,50", "price must be a number like 450 or 450.50"),
        ("mrp", "4000", "mrp (4000) is lower than price (4500)"),
        ("stock", "-1", "stock must be a whole number 0 or more"),
        ("stock", "2.5", "stock must be a whole number 0 or more"),
        ("max_per_order", "0", "max_per_order must be at least 1"),
        ("id", "CR 001", "may only use letters, digits, - and _"),
        ("id", "X" * 37, "at most 36 characters"),
        ("category_id", "Decor", "category 'Decor' is not an ONDC category; use one of: Home Decor,"),
        ("images", "http://test.odop-adapter.example/a.jpg", "images must be https:// links"),
        ("images", "https://[cdn.test.odop-adapter.example/a.jpg", "images must be https:// links"),
        ("images", "https://example.org/a.jpg", "placeholder"),
        ("images", "https://via.placeholder.com/300", "placeholder"),
        ("images", 'https://cdn.test.odop-adapter.example/a.jpg"onerror="x', "a character a link cannot have"),
        ("long_desc", "Hand <b>embroidered</b> rumal", "contains the HTML tag <b>; buyer apps show plain text"),
        ("name", "Rumal <script>alert(1)</script>", "contains the HTML tag <script>"),
        ("colour", "red", "colour must be a hex colour code like #8B0000"),
        ("returnable", "maybe", "returnable must be yes or no"),
        ("return_window", "a week or so", "return_window must be a time like 7 days"),
        ("time_to_ship", "soon", "time_to_ship must be a time like 7 days"),
        ("unit", "bundle", "unit 'bundle' is not allowed; use one of:"),
        ("net_quantity", "0", "net_quantity must be more than 0"),
        ("name", '=HYPERLINK("x")', "name starts with '=' which spreadsheets treat as a formula"),
        (
            "long_desc",
            "+cmd|' /C calc'!A0",
            "long_desc starts with '+' which spreadsheets treat as a formula",
        ),
        ("short_desc", "-2+3", "short_desc starts with '-' which spreadsheets treat as a formula"),
        ("brand", "@SUM(A1)", "brand starts with '@' which spreadsheets treat as a formula"),
        ("name", "x" * 201, "keep it to 200"),
        ("month_year_of_manufacture", "13/2030", "month/year like 03/2025"),
        ("country_of_origin", "India", "3-letter country code"),
        ("enabled", "sometimes", "enabled must be yes or no"),
        ("variant_attributes", "size", "only used together with parent_item_id"),
    ],
)
def test_bad_cell_is_reported_in_plain_language(row: Row, column: str, value: str, message: str) -> None:
    err = only_error(validate_rows([row(**{column: value})]))
    assert err.row == 2
    assert err.column == column
    assert message in err.message
    assert err.value == value


@pytest.mark.parametrize(
    ("column", "value", "field", "expected"),
    [
        ("price", "₹4,500", "price", Decimal("4500")),
        ("mrp", "Rs. 1,20,000.50", "mrp", Decimal("120000.50")),
        ("mrp", "", "mrp", Decimal("4500")),
        ("stock", "0", "stock", 0),
        ("stock", "7.0", "stock", 7),
        ("seller_pickup_return", "हाँ", "seller_pickup_return", True),
        ("cod", "नहीं", "cod", False),
        ("cod", "1", "cod", True),
        ("cancellable", "FALSE", "cancellable", False),
        ("time_to_ship", "48 hours", "time_to_ship", "PT48H"),
        ("time_to_ship", "p3d", "time_to_ship", "P3D"),
        ("time_to_ship", "1 week", "time_to_ship", "P1W"),
        ("time_to_ship", "7 दिन", "time_to_ship", "P7D"),
        ("time_to_ship", "30 min", "time_to_ship", "PT30M"),
        ("unit", "KG", "unit", "kilogram"),
        ("unit", "ml", "unit", "millilitre"),
        ("net_quantity", "0.50", "net_quantity", Decimal("0.5")),
        ("net_quantity", "250", "net_quantity", Decimal(250)),
        ("colour", "#8b0000", "colour", "#8B0000"),
        (
            "images",
            "https://a.example/1.jpg | https://a.example/2.jpg",
            "images",
            ("https://a.example/1.jpg", "https://a.example/2.jpg"),
        ),
        ("category_id", "home  decor", "category_id", "Home Decor"),
        ("month_year_of_manufacture", "3/2030", "month_year_of_manufacture", "03/2030"),
        ("country_of_origin", "ind", "country_of_origin", "IND"),
        ("enabled", "no", "enabled", False),
        ("short_desc", "Rs 450 only - a bargain", "short_desc", "Rs 450 only - a bargain"),
    ],
)
def test_friendly_values_are_understood(
    row: Row, column: str, value: str, field: str, expected: object
) -> None:
    report = validate_rows([row(**{column: value})])
    assert report.ok, report.errors
    assert getattr(report.items[0], field) == expected


def test_required_columns(row: Row) -> None:
    report = validate_rows([row(name="", price=None, images="")])
    assert not report.ok
    assert {(e.column, e.message) for e in report.errors} == {
        ("name", "name is required and is empty"),
        ("price", "price is required and is empty"),
        ("images", "images is required and is empty"),
    }


def test_category_specific_required_columns(row: Row) -> None:
    fashion = row(category_id="Dupattas & Shawls", colour="#B22222")
    report = validate_rows([fashion])
    assert {e.message for e in report.errors} == {
        "gender is required for Dupattas & Shawls items",
        "size is required for Dupattas & Shawls items",
        "fabric is required for Dupattas & Shawls items",
    }
    ok = validate_rows(
        [row(category_id="Dupattas & Shawls", gender="women", size="Free Size", fabric="wool")]
    )
    assert ok.ok
    assert ok.items[0].gender == "female"
    assert only_error(validate_rows([row(colour=None)])).message == "colour is required for Home Decor items"


def test_food_needs_fssai_veg_and_nutrition(row: Row, profile: Profile) -> None:
    food = {"category_id": "Tea and Coffee", "colour": None, "unit": "g", "net_quantity": "100"}
    report = validate_rows([row(**food)])
    assert {e.column for e in report.errors} == {"fssai_license_no", "veg_nonveg", "nutritional_info"}
    good = row(**food, veg_nonveg="veg", nutritional_info="Energy 2 kcal", fssai_license_no="10000000000001")
    assert validate_rows([good]).ok
    assert (
        "14-digit"
        in only_error(
            validate_rows([row(**food, veg_nonveg="veg", nutritional_info="x", fssai_license_no="12345")])
        ).message
    )
    # The profile's licence is used when the row leaves it blank.
    with_profile = validate_rows([row(**food, veg_nonveg="veg", nutritional_info="x")], profile)
    assert with_profile.ok
    assert with_profile.items[0].fssai_license_no == profile.fssai_license_no
    assert (
        "unit is required"
        in only_error(
            validate_rows([row(**{**food, "unit": None}, veg_nonveg="veg", nutritional_info="x")], profile)
        ).message
    )


def test_ayurvedic_needs_prescription_flag(row: Row) -> None:
    err = only_error(validate_rows([row(category_id="Ayurvedic", colour=None)]))
    assert err.message == "prescription_required is required for Ayurvedic items"
    assert validate_rows([row(category_id="Ayurvedic", colour=None, prescription_required="no")]).ok


def test_returnable_needs_a_window(row: Row) -> None:
    err = only_error(validate_rows([row(returnable="yes")]))
    assert (err.column, err.message) == (
        "return_window",
        "return_window is needed when returnable is yes, e.g. 7 days",
    )
    assert validate_rows([row(returnable="yes", return_window="7 days")]).items[0].return_window == "P7D"


@pytest.mark.parametrize(
    ("code_type", "code", "ok"),
    [
        ("hsn", "58109100", True),
        ("hsn", "5810", True),
        ("hsn", "58109", False),
        ("ean", "8901234567890", True),
        ("ean", "8901234567891", False),
        ("gtin", "08901234567897", False),
        ("upc", "036000291452", True),
        ("isbn", "978014300723X", False),
        ("other", "CR/2030/01", True),
    ],
)
def test_product_codes(row: Row, code_type: str, code: str, ok: bool) -> None:
    report = validate_rows([row(code_type=code_type, code=code)])
    assert report.ok is ok, report.errors
    if not ok:
        assert only_error(report).column == "code"


def test_code_and_code_type_go_together(row: Row) -> None:
    assert only_error(validate_rows([row(code_type="hsn")])).message == "code is needed when code_type is hsn"
    err = only_error(validate_rows([row(code="58109100")]))
    assert (err.column, err.message) == (
        "code_type",
        "code_type is needed when code is given (hsn, ean, gtin, isbn, upc or other)",
    )


def test_every_error_in_the_file_is_reported_and_no_items_are_returned(row: Row) -> None:
    rows = [
        row(2),
        row(3, id="CR-002", price="abc", stock="-3"),
        row(4, id="CR-003"),
        row(5, id="CR-004", mrp="1"),
    ]
    report = validate_rows(rows)
    assert report.items == ()
    assert [(e.row, e.column) for e in report.errors] == [(3, "price"), (3, "stock"), (5, "mrp")]


def test_duplicate_ids(row: Row) -> None:
    err = only_error(validate_rows([row(2), row(3, name="Another")]))
    assert (err.row, err.column, err.message) == (
        3,
        "id",
        "id 'CR-001' is also used on row 2; every item needs its own id",
    )


def test_unknown_columns_are_warnings_with_a_hint(row: Row) -> None:
    report = validate_rows([row(prce="10", favourite_colour="blue", code_type="ean", code="8901234567890")])
    assert report.ok
    assert [(w.row, w.column) for w in report.warnings] == [(1, "prce"), (1, "favourite_colour")]
    assert "did you mean 'price'?" in report.warnings[0].message


@pytest.mark.parametrize(("overrides", "expected"), [
    ({}, "ean"),  # no code at all
    ({"code_type": "hsn", "code": "58109100"}, "ean"),  # an HSN is not what Home & Kitchen needs
    ({"category_id": "Dupattas & Shawls", "gender": "female", "fabric": "wool", "code_type": "ean",
      "code": "8901234567890", "size": "Free Size", "size_chart": "https://x.odop.test/chart.png"}, "hsn"),
])
def test_items_without_the_code_their_domain_needs_get_a_warning_not_an_error(
    row: Row, overrides: dict[str, str], expected: str
) -> None:
    report = validate_rows([row(**overrides)])
    assert report.ok, report.errors  # the item can still be imported
    (warning,) = report.warnings
    assert (warning.row, warning.column) == (2, "code_type")
    assert f"should have code_type {expected} and code" in warning.message
    hindi = to_hindi(warning.message)
    assert hindi != warning.message
    assert f"code_type में {expected}" in hindi


def test_the_right_code_gives_no_warning(row: Row) -> None:
    assert validate_rows([row(code_type="ean", code="8901234567890")]).warnings == ()


def test_extra_cells_beyond_the_header_are_errors(row: Row) -> None:
    err = only_error(validate_rows([row(**{EXTRA_CELLS: "oops"})]))
    assert "more cells than the header" in err.message


# --- variant groups -------------------------------------------------------------------------------


def variant(row: Row, n: int, **kw: str) -> RawRow:
    values = {"id": f"V-{n}", "parent_item_id": "GRP", "variant_attributes": "size", "size": f"S{n}", **kw}
    return row(n, **values)


def test_consistent_variant_group(row: Row) -> None:
    report = validate_rows([variant(row, 2), variant(row, 3), variant(row, 4, variant_attributes="Size")])
    assert report.ok, report.errors
    assert {i.parent_item_id for i in report.items} == {"GRP"}


def test_variant_group_rules(row: Row) -> None:
    rows = [
        variant(row, 2),
        variant(row, 3, category_id="Home Furnishing - Bedding and Linen"),
        variant(row, 4, variant_attributes="colour"),
        variant(row, 5, size="S2"),
        variant(row, 6, size=""),
    ]
    messages = {(e.row, e.column): e.message for e in validate_rows(rows).errors}
    assert "must have the same category_id" in messages[(3, "category_id")]
    assert "must vary by the same columns" in messages[(4, "variant_attributes")]
    assert "has the same size as row 2" in messages[(5, "size")]
    assert messages[(6, "size")] == "size is required because variant group 'GRP' varies by size"


def test_variant_group_code_must_not_be_an_item_id(row: Row) -> None:
    rows = [row(2, id="GRP"), variant(row, 3)]
    assert "is also an item id" in only_error(validate_rows(rows)).message


def test_variant_needs_attributes_and_known_names(row: Row) -> None:
    assert "variant_attributes is needed" in only_error(validate_rows([row(parent_item_id="G")])).message
    assert (
        "'flavour' is not allowed"
        in only_error(validate_rows([row(parent_item_id="G", variant_attributes="flavour")])).message
    )


# --- checks against the profile -------------------------------------------------------------------


def test_location_defaults_to_the_only_location(row: Row, profile: Profile) -> None:
    assert validate_rows([row()], profile).items[0].location_id == "main"
    err = only_error(validate_rows([row(location_id="elsewhere")], profile))
    assert err.message == "location_id 'elsewhere' is not one of the profile's locations: main"


def test_location_is_required_with_several_locations(row: Row, profile: Profile) -> None:
    second = dataclasses.replace(profile.locations[0], id="store2")
    two = dataclasses.replace(profile, locations=(*profile.locations, second))
    assert (
        "the profile has several locations: main, store2" in only_error(validate_rows([row()], two)).message
    )
    assert validate_rows([row(location_id="store2")], two).items[0].location_id == "store2"


def test_category_domain_must_be_in_the_profile(row: Row, profile: Profile) -> None:
    err = only_error(validate_rows([row(category_id="Hair Oils, Care, and Styling", colour=None)], profile))
    assert "belongs to ONDC:RET13" in err.message


# --- reports --------------------------------------------------------------------------------------


def test_report_to_dict_and_text(row: Row) -> None:
    report = validate_rows([row(price="45o"), row(3, id="B", prce="1")])
    data = report.to_dict()
    assert data["ok"] is False
    assert data["error_count"] == 1
    assert data["errors"] == [
        {"row": 2, "column": "price", "value": "45o", "message": "price must be a number like 450 or 450.50"}
    ]
    text = render_report_text(report)
    assert "Found 1 problem(s) in 1 row(s)" in text
    assert "row 2, column price: price must be a number like 450 or 450.50 (you wrote '45o')" in text
    assert "did you mean 'price'?" in text
    ok = validate_rows([row()])
    assert render_report_text(ok).startswith("OK: 1 item(s)")
    assert ok.to_dict()["item_count"] == 1


def test_report_text_is_capped(row: Row) -> None:
    report = validate_rows([row(n, id=f"I{n}", price="x") for n in range(2, 12)])
    text = render_report_text(report, limit=3)
    assert "... and 7 more" in text


def test_fashion_values_follow_ondc_lists_and_shawls_need_a_size_chart(row: Row) -> None:
    shawl = {"category_id": "Dupattas & Shawls", "gender": "female", "size": "Free Size", "code_type": "hsn",
             "code": "62142010"}
    report = validate_rows([row(**shawl, fabric="Wool", material="wool and velvet")])
    assert report.ok
    assert [(w.column, w.value) for w in report.warnings] == [("material", "wool and velvet"), ("size_chart", "")]
    assert all(to_hindi(w.message) != w.message for w in report.warnings)
    (item,) = report.items
    assert item.fabric == "wool"  # sent in the list's spelling
    fine = validate_rows([row(**shawl, fabric="pashmina", material="wool",
                              size_chart="https://demo.odop-adapter.example/images/chart.png")])
    assert fine.warnings == ()
    bad_link = validate_rows([row(**shawl, fabric="wool", size_chart="http://x.odop.test/chart.png")])
    assert [e.column for e in bad_link.errors] == ["size_chart"]


def test_a_category_the_review_rejects_gets_a_warning_naming_the_one_that_passes() -> None:
    rows = [RawRow(2, {"id": "OIL-1", "name": "Apricot oil", "category_id": "Oil & Ghee", "price": "380",
                       "stock": "3", "images": "https://demo.example/oil.jpg", "unit": "ml", "net_quantity": "250",
                       "veg_nonveg": "veg", "nutritional_info": "Energy 900 kcal", "code_type": "ean",
                       "code": "8907657000013", "fssai_license_no": "10012345000123",
                       "short_desc": "Oil", "long_desc": "Cold-pressed oil", "returnable": "no",
                       "cancellable": "yes", "time_to_ship": "2 days", "month_year_of_manufacture": "02/2030"})]
    report = validate_rows(rows)
    assert report.errors == ()
    assert len(report.items) == 1  # sold as is: only a warning
    (warning,) = [w for w in report.warnings if w.column == "category_id"]
    assert "Cooking and Baking Needs" in warning.message
    assert "Cooking and Baking Needs" in to_hindi(warning.message)
    assert "जाँच" in to_hindi(warning.message)

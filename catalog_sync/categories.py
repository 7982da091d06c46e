"""ONDC categories used by ODOP cooperatives, their domains, and the spreadsheet columns each needs.

Category ids are the ONDC 1.2 taxonomy strings (PROTOCOL.md §8), e.g. ``"Home Decor"``.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from catalog_sync.errors import UnknownCategoryError

__all__ = [
    "ALL_COLUMNS",
    "CATEGORIES",
    "DOMAIN_NAMES",
    "EXPECTED_CODE",
    "FOOD_DOMAINS",
    "REVIEW_REJECTS",
    "STOCK_AS_OF",
    "Column",
    "columns_for",
    "domain_for",
    "template_csv",
    "template_examples",
]

# ONDC 1.2.x category_id -> domain (PROTOCOL.md §8).
CATEGORIES: dict[str, str] = {
    "Home Decor": "ONDC:RET16",
    "Home Furnishing - Bedding and Linen": "ONDC:RET16",
    "Dupattas & Shawls": "ONDC:RET12",
    "Stoles and Scarves": "ONDC:RET12",
    "Mufflers": "ONDC:RET12",
    "Caps & Hats": "ONDC:RET12",
    "Tea and Coffee": "ONDC:RET10",
    "Masala & Seasoning": "ONDC:RET10",
    "Sauces, Spreads and Dips": "ONDC:RET10",
    "Oil & Ghee": "ONDC:RET10",
    "Cooking and Baking Needs": "ONDC:RET10",
    "Fruit Juices and Fruit Drinks": "ONDC:RET10",
    "Hair Oils, Care, and Styling": "ONDC:RET13",
    "Skin Care - Oils and Serums": "ONDC:RET13",
    "Nutrition and Fitness Supplements": "ONDC:RET19",
    "Ayurvedic": "ONDC:RET19",
}

DOMAIN_NAMES: dict[str, str] = {
    "ONDC:RET10": "Grocery",
    "ONDC:RET12": "Fashion",
    "ONDC:RET13": "Beauty & Personal Care",
    "ONDC:RET16": "Home & Kitchen",
    "ONDC:RET19": "Health & Wellness",
}

FOOD_DOMAINS = frozenset({"ONDC:RET10"})

# The product code ONDC's review expects in an item's descriptor.code, by domain (its log-validation-utility:
# 1:EAN for grocery, beauty, home and pet supplies; 4:HSN for fashion; 3:GTIN for electronics and appliances).
EXPECTED_CODE: dict[str, str] = {
    "ONDC:RET10": "ean", "ONDC:RET13": "ean", "ONDC:RET16": "ean", "ONDC:RET18": "ean",
    "ONDC:RET12": "hsn", "ONDC:RET14": "gtin", "ONDC:RET15": "gtin",
}


# Categories ONDC's taxonomy has that the review's validator rejects, and what to use meanwhile
# (docs/certification.md): its RET10 table spells "Oil & Ghee" as "Falseil & Ghee".
REVIEW_REJECTS: dict[str, str] = {"Oil & Ghee": "Cooking and Baking Needs"}


@dataclass(frozen=True, slots=True)
class Column:
    """One spreadsheet column: its name, whether it is required, plain-language help and an example."""

    name: str
    required: bool
    help: str
    example: str


def _col(name: str, required: bool, help_text: str, example: str) -> Column:
    return Column(name, required, help_text, example)


_COMMON: tuple[Column, ...] = (
    _col(
        "id",
        True,
        "Your own code for this item. Letters, digits, - and _ only, at most 36 characters. "
        "Never reuse a code for a different item.",
        "CR-001",
    ),
    _col("name", True, "The item's name as buyers will see it.", "Chamba Rumal - Krishna Raas"),
    _col(
        "category_id", True, "The ONDC category, written exactly as in the list of categories.", "Home Decor"
    ),
    _col(
        "price", True, "Selling price in rupees, including GST. Digits only, with at most 2 decimals.", "4500"
    ),
    _col(
        "mrp",
        False,
        "Maximum retail price in rupees. Leave blank if it is the same as price. "
        "It can never be lower than price.",
        "5000",
    ),
    _col("stock", True, "How many you have ready to sell now. 0 means out of stock.", "5"),
    _col(
        "images",
        True,
        "One or more https:// image links, separated by commas. The first is the main photo.",
        "https://demo.odop-adapter.example/images/cr-001.jpg",
    ),
    _col(
        "short_desc",
        False,
        "One line about the item. Leave blank to use the name.",
        "Hand-embroidered silk rumal, 45 x 45 cm",
    ),
    _col(
        "long_desc",
        False,
        "A longer description: how it is made, care instructions.",
        "Double-sided dorukha embroidery on hand-spun silk by Chamba artisans.",
    ),
    _col(
        "brand",
        False,
        "Brand shown to buyers. Leave blank to use the cooperative's name.",
        "Chamba Kala Sangh",
    ),
    _col("max_per_order", False, "Most units one buyer can order at once (at least 1). Default 10.", "2"),
    _col(
        "unit",
        False,
        "What one item is measured in: unit, dozen, gram, kilogram, tonne, litre or millilitre "
        "(g, kg, ml, l, piece are understood). Default unit.",
        "unit",
    ),
    _col(
        "net_quantity",
        False,
        "How much of that unit is in one pack, e.g. 250 for a 250 gram pack. Default 1.",
        "1",
    ),
    _col("code_type", False, "The kind of product code: hsn, ean, gtin, isbn, upc or other.", "hsn"),
    _col("code", False, "The product code itself (HSN has 4, 6 or 8 digits; EAN has 8 or 13).", "58109100"),
    _col("returnable", False, "Can the buyer return it? yes or no. Default no.", "yes"),
    _col(
        "return_window",
        False,
        "How long the buyer has to return it, e.g. 7 days or P7D. Needed when returnable is yes.",
        "7 days",
    ),
    _col("seller_pickup_return", False, "Will you collect returns yourself? yes or no. Default no.", "no"),
    _col("cancellable", False, "Can the buyer cancel before dispatch? yes or no. Default yes.", "yes"),
    _col(
        "time_to_ship",
        False,
        "How long you need to pack and hand it over, e.g. 2 days, 48 hours or P2D. Default 2 days.",
        "3 days",
    ),
    _col("cod", False, "Cash on delivery allowed? yes or no. Default no.", "no"),
    _col(
        "manufacturer_name",
        False,
        "Who made or packed it (Legal Metrology). Blank = the cooperative.",
        "Chamba Kala Sangh",
    ),
    _col(
        "manufacturer_address",
        False,
        "Address of the maker or packer. Blank = the cooperative's first location.",
        "Chowgan, Chamba, Himachal Pradesh 176310",
    ),
    _col(
        "common_name", False, "Common or generic name of the product. Blank = the category.", "Wall hanging"
    ),
    _col(
        "month_year_of_manufacture",
        False,
        "Month and year it was made or packed, as MM/YYYY, or NA.",
        "03/2025",
    ),
    _col("country_of_origin", False, "Country where it was made, as a 3-letter code. Default IND.", "IND"),
    _col(
        "parent_item_id",
        False,
        "For variants only: the same group code on every size/colour of one product.",
        "CR-GRP-1",
    ),
    _col(
        "variant_attributes",
        False,
        "For variants only: which columns differ inside the group "
        "(size, colour, material, fabric, pattern or net_quantity), separated by commas.",
        "size",
    ),
    _col(
        "location_id",
        False,
        "Which of your locations it ships from (see the profile). Blank = the first.",
        "chamba-workshop",
    ),
    _col("enabled", False, "yes to list it, no to hide it from buyers. Default yes.", "yes"),
    _col("one_of_a_kind", False, "yes for a single hand-made piece: stock 0 or 1, one per order, and once "
         "sold never listed again by an upload. Default no.", "no"),
    _col(
        "gi_tag",
        False,
        "Geographical Indication registration of the product, if you are an authorised user.",
        "",
    ),
    _col("district", False, "ODOP district the product comes from.", "Chamba"),
    _col("artisan", False, "Name of the artisan or group who made it.", "Lalita Devi"),
    _col("craft", False, "Name of the craft.", "Chamba Rumal embroidery"),
    _col("hsn", False, "HSN code for GST invoices: 4, 6 or 8 digits, as in your GST records. Blank = the code "
         "when code_type is hsn.", "63049239"),
    _col("gst_rate", False, "GST rate in percent for tax invoices: 0, 0.25, 3, 5, 12, 18 or 28.", "5"),
    _col("weight_g", False, "Shipping weight of one packed item in grams (whole number). Needed for live courier "
         "quotes.", "150"),
    _col("length_cm", False, "Packed length of one item in centimetres.", "30"),
    _col("breadth_cm", False, "Packed breadth of one item in centimetres.", "25"),
    _col("height_cm", False, "Packed height of one item in centimetres.", "2"),
)

_COLOUR = _col("colour", True, "Main colour as a hex code starting with #.", "#8B0000")
_COLOUR_NAME = _col("colour_name", False, "Main colour in words.", "maroon")
_MATERIAL = _col("material", False, "Main material.", "silk")
_PATTERN = _col("pattern", False, "Pattern, e.g. embroidered, woven, printed, solid.", "embroidered")

_HOME = (  # ONDC's Home & Kitchen categories have no pattern attribute
    _COLOUR,
    _COLOUR_NAME,
    _MATERIAL,
    _col("size", False, "Size in words or cm.", "45 x 45 cm"),
)
_FASHION = (
    _col(
        "gender",
        True,
        "Who it is for: male, female, unisex, boy or girl (men/women are understood).",
        "female",
    ),
    _COLOUR,
    _COLOUR_NAME,
    _col("size", True, "Size, e.g. Free Size, S, M, L or 200 x 100 cm.", "Free Size"),
    _col("fabric", True, "Fabric, from ONDC's list, e.g. wool, pashmina, cotton, silk.", "wool"),
    _col("size_chart", False, "An https:// link to the size chart image. ONDC needs it for shawls, stoles and "
         "mufflers.", "https://demo.odop-adapter.example/images/size-chart-shawl.png"),
    _col("material", False, "Main material, from ONDC's list, e.g. wool, velvet, cotton. Needed for caps and hats.",
         "wool"),
    _PATTERN,
)
_FOOD = (
    _col(
        "fssai_license_no",
        True,
        "14-digit FSSAI licence number of the brand owner. Blank = the one in the profile.",
        "10012345000123",
    ),
    _col("veg_nonveg", True, "veg, non_veg or egg.", "veg"),
    _col(
        "nutritional_info",
        True,
        "Nutrition facts as printed on the pack.",
        "Energy 2 kcal per 100 ml; Protein 0 g",
    ),
    _col("additives_info", False, "Food additives as printed on the pack, or none.", "none"),
)
_BEAUTY = (_col("size", False, "Pack size in words.", "100 ml"),)
_HEALTH = (
    _col(
        "prescription_required",
        False,
        "Does the buyer need a prescription? yes or no. Required for Ayurvedic medicines.",
        "no",
    ),
    _col("fssai_license_no", False, "14-digit FSSAI licence number, for supplements that need one.", ""),
)

_BY_DOMAIN: dict[str, tuple[Column, ...]] = {
    "ONDC:RET16": _HOME,
    "ONDC:RET12": _FASHION,
    "ONDC:RET10": _FOOD,
    "ONDC:RET13": _BEAUTY,
    "ONDC:RET19": _HEALTH,
}

# Written by a catalogue download (catalog_sync.export): where the file's stock figures stand in the stock ledger.
STOCK_AS_OF = "stock_as_of"
ALL_COLUMNS: frozenset[str] = frozenset(
    {STOCK_AS_OF, *(c.name for cols in (_COMMON, *_BY_DOMAIN.values()) for c in cols)})


def domain_for(category: str) -> str:
    """Return the ONDC domain of a category id, or raise UnknownCategoryError."""
    try:
        return CATEGORIES[category]
    except KeyError:
        raise UnknownCategoryError(category, CATEGORIES) from None


def columns_for(category: str) -> list[Column]:
    """Return exactly the columns an item of this category uses (common columns first)."""
    domain = domain_for(category)
    extra = list(_BY_DOMAIN[domain])
    if category == "Ayurvedic":
        extra = [
            Column(c.name, True, c.help, c.example) if c.name == "prescription_required" else c for c in extra
        ]
    if domain in FOOD_DOMAINS:
        # Food is sold by weight or volume: unit and net_quantity become required.
        common = [
            Column(c.name, True, c.help, "gram" if c.name == "unit" else "250")
            if c.name in {"unit", "net_quantity"}
            else c
            for c in _COMMON
        ]
    else:
        common = list(_COMMON)
    return common + extra


def template_examples() -> frozenset[tuple[str, str]]:
    """The (id, name) of the example row every template carries: a file of only these is an unchanged template."""
    example = {c.name: c.example for c in _COMMON}
    return frozenset({(example["id"], example["name"])})


def template_csv(category: str) -> str:
    """Return a CSV template (header row plus one example row) for this category."""
    cols = columns_for(category)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow([c.name for c in cols])
    writer.writerow([category if c.name == "category_id" else c.example for c in cols])
    return buf.getvalue()

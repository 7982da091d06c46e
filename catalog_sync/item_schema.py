"""The marshmallow schema for one catalogue row, with plain-language messages (used by ``validate``)."""

from __future__ import annotations

import difflib
import re
from decimal import Decimal
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, validates_schema

from catalog_sync import fields as f
from catalog_sync.categories import CATEGORIES

__all__ = ["CODE_TYPES", "GENDERS", "GST_RATES", "UNITS", "VARIANT_ATTRIBUTES", "VEG", "ItemRowSchema"]

UNITS = {
    "unit": "unit",
    "units": "unit",
    "piece": "unit",
    "pieces": "unit",
    "pc": "unit",
    "pcs": "unit",
    "nos": "unit",
    "dozen": "dozen",
    "gram": "gram",
    "grams": "gram",
    "g": "gram",
    "gm": "gram",
    "gms": "gram",
    "kilogram": "kilogram",
    "kilograms": "kilogram",
    "kg": "kilogram",
    "kgs": "kilogram",
    "tonne": "tonne",
    "litre": "litre",
    "litres": "litre",
    "liter": "litre",
    "l": "litre",
    "ltr": "litre",
    "millilitre": "millilitre",
    "millilitres": "millilitre",
    "milliliter": "millilitre",
    "ml": "millilitre",
}
GENDERS = {
    "male": "male",
    "men": "male",
    "man": "male",
    "female": "female",
    "women": "female",
    "woman": "female",
    "unisex": "unisex",
    "boy": "boy",
    "boys": "boy",
    "girl": "girl",
    "girls": "girl",
}
VEG = {
    "veg": "veg",
    "vegetarian": "veg",
    "non_veg": "non_veg",
    "non-veg": "non_veg",
    "nonveg": "non_veg",
    "non veg": "non_veg",
    "egg": "egg",
}
CODE_TYPES = {"ean": "ean", "isbn": "isbn", "gtin": "gtin", "hsn": "hsn", "upc": "upc", "other": "other"}
VARIANT_ATTRIBUTES = {
    "size": "size",
    "colour": "colour",
    "color": "colour",
    "material": "material",
    "fabric": "fabric",
    "pattern": "pattern",
    "net_quantity": "net_quantity",
}
# The GST rates of goods in percent (the same as adapter.money.gst.RATES, which invoices split by).
GST_RATES: tuple[Decimal, ...] = tuple(Decimal(rate) for rate in ("0", "0.25", "3", "5", "12", "18", "28"))
_CODE_RULES: dict[str, tuple[re.Pattern[str], str]] = {
    "hsn": (re.compile(r"^(\d{4}|\d{6}|\d{8})$"), "an HSN code has 4, 6 or 8 digits"),
    "ean": (re.compile(r"^(\d{8}|\d{13})$"), "an EAN has 8 or 13 digits"),
    "gtin": (re.compile(r"^(\d{8}|\d{12}|\d{13}|\d{14})$"), "a GTIN has 8, 12, 13 or 14 digits"),
    "upc": (re.compile(r"^\d{12}$"), "a UPC has 12 digits"),
    "isbn": (re.compile(r"^(\d{9}[\dX]|\d{13})$"), "an ISBN has 10 or 13 characters"),
    "other": (re.compile(r"^[A-Za-z0-9._/-]{1,30}$"), "use letters and digits only"),
}


def _gs1_ok(digits: str) -> bool:
    body, check = digits[:-1], int(digits[-1])
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10 == check


class _CategoryField(f.Choice):
    def parse(self, value: str) -> str:
        if value in CATEGORIES:
            return value
        for name in CATEGORIES:  # be forgiving about case and spacing
            if re.sub(r"\s+", " ", value).lower() == name.lower():
                return name
        close = difflib.get_close_matches(value, list(CATEGORIES), n=1, cutoff=0.5)
        hint = f" Did you mean '{close[0]}'?" if close else ""
        raise self.fail(
            f"category '{value}' is not an ONDC category; use one of: {', '.join(CATEGORIES)}.{hint}"
        )


class _VariantAttributes(f.CellField):
    def parse(self, value: str) -> tuple[str, ...]:
        names: list[str] = []
        for part in (p.strip().lower() for p in re.split(r"[,;|]", value)):
            if not part:
                continue
            canonical = VARIANT_ATTRIBUTES.get(part)
            if canonical is None:
                raise self.fail(
                    f"variant_attributes '{part}' is not allowed; use one or more of: "
                    f"{', '.join(sorted(set(VARIANT_ATTRIBUTES.values())))}"
                )
            if canonical not in names:
                names.append(canonical)
        return tuple(names)


class _Hsn(f.CellField):
    def parse(self, value: str) -> str:
        if not re.fullmatch(r"\d{4}|\d{6}|\d{8}", value):
            raise self.fail(f"hsn '{value}' is not an HSN code: write the 4, 6 or 8-digit HSN code from your GST "
                            "records, digits only, e.g. 6304")
        return value


class _GstRate(f.CellField):
    def parse(self, value: str) -> Decimal:
        text = value.removesuffix("%").strip()
        if re.fullmatch(r"\d{1,2}(\.\d{1,2})?", text):
            for rate in GST_RATES:
                if Decimal(text) == rate:
                    return rate
        raise self.fail(f"gst_rate '{value}' is not a GST rate: write one of "
                        f"{', '.join(str(r) for r in GST_RATES)} (the percent, e.g. 5 for 5%)")


# A parcel heavier than 100 kg or longer than 5 m is freight, not a courier parcel.
MAX_WEIGHT_G = 100_000
MAX_SIDE_CM = Decimal(500)


class _Centimetres(f.CellField):
    """A packed side in centimetres: more than 0, at most MAX_SIDE_CM, at most one decimal place."""

    def parse(self, value: str) -> Decimal:
        text = value.lower().removesuffix("cm").strip()
        if not re.fullmatch(r"\d{1,3}(\.\d)?", text):
            raise self.fail(f"{self.name} must be a size in centimetres like 30 or 12.5")
        size = Decimal(text)
        if size <= 0:
            raise self.fail(f"{self.name} must be more than 0")
        if size > MAX_SIDE_CM:
            raise self.fail(f"{self.name} must be at most {MAX_SIDE_CM}")
        return size.normalize() if size != size.to_integral_value() else Decimal(int(size))


class _MonthYear(f.Text):
    def parse(self, value: str) -> str:
        if value.upper() == "NA":
            return "NA"
        m = re.fullmatch(r"(\d{1,2})[/-](\d{4})", value)
        if not m or not 1 <= int(m.group(1)) <= 12:
            raise self.fail(f"{self.name} must be month/year like 03/2025, or NA")
        return f"{int(m.group(1)):02d}/{m.group(2)}"


class _Fssai(f.Text):
    def parse(self, value: str) -> str:
        if not re.fullmatch(r"\d{14}", value):
            raise self.fail(f"{self.name} must be the 14-digit FSSAI licence number")
        return value


class _Country(f.Text):
    def parse(self, value: str) -> str:
        if not re.fullmatch(r"[A-Za-z]{3}", value):
            raise self.fail(f"{self.name} must be a 3-letter country code like IND")
        return value.upper()


def _text(max_len: int = 200) -> f.Text:
    return f.Text(load_default="", max_len=max_len)


class ItemRowSchema(Schema):
    """One spreadsheet row -> the keyword arguments of ``Item`` (without ``domain``)."""

    class Meta:
        unknown = EXCLUDE

    id = f.Identifier(required=True)
    name = f.Text(required=True, max_len=200)
    category_id = _CategoryField({}, required=True)
    price = f.Money(required=True)
    mrp = f.Money(load_default=None)
    stock = f.Count(required=True)
    images = f.UrlList(required=True)
    short_desc = _text(500)
    long_desc = _text(5000)
    brand = _text(100)
    max_per_order = f.Count(minimum=1, maximum=10_000, load_default=10)
    unit = f.Choice(UNITS, load_default="unit")
    net_quantity = f.Quantity(load_default=Decimal(1))
    code_type = f.Choice(CODE_TYPES, load_default="")
    code = _text(30)
    colour = f.HexColour(load_default="")
    colour_name = _text(50)
    material = _text(100)
    size = _text(50)
    gender = f.Choice(GENDERS, load_default="")
    fabric = _text(100)
    pattern = _text(50)
    size_chart = f.Url(load_default="")
    returnable = f.YesNo(load_default=False)
    return_window = f.Duration(load_default=None)
    seller_pickup_return = f.YesNo(load_default=False)
    cancellable = f.YesNo(load_default=True)
    time_to_ship = f.Duration(load_default="P2D")
    cod = f.YesNo(load_default=False)
    manufacturer_name = _text(200)
    manufacturer_address = _text(500)
    common_name = _text(200)
    month_year_of_manufacture = _MonthYear(load_default="NA")
    country_of_origin = _Country(load_default="IND")
    fssai_license_no = _Fssai(load_default="")
    veg_nonveg = f.Choice(VEG, load_default="")
    nutritional_info = _text(1000)
    additives_info = _text(500)
    prescription_required = f.YesNo(load_default=None)
    parent_item_id = f.Identifier(load_default=None)
    variant_attributes = _VariantAttributes(load_default=())
    location_id = f.Identifier(load_default="")
    enabled = f.YesNo(load_default=True)
    one_of_a_kind = f.YesNo(load_default=False)
    gi_tag = _text(200)
    district = _text(100)
    artisan = _text(200)
    craft = _text(200)
    hsn = _Hsn(load_default="")
    gst_rate = _GstRate(load_default=None)
    weight_g = f.Count(minimum=1, maximum=MAX_WEIGHT_G, load_default=None)
    length_cm = _Centimetres(load_default=None)
    breadth_cm = _Centimetres(load_default=None)
    height_cm = _Centimetres(load_default=None)

    @validates_schema(skip_on_field_errors=False, pass_original=True)
    def _cross_field(self, data: dict[str, Any], original: dict[str, Any], **kwargs: Any) -> None:
        errors: dict[str, list[str]] = {}
        price, mrp = data.get("price"), data.get("mrp")
        if price is not None and mrp is not None and mrp < price:
            errors["mrp"] = [f"mrp ({mrp}) is lower than price ({price})"]
        if data.get("returnable") and data.get("return_window") is None:
            errors["return_window"] = ["return_window is needed when returnable is yes, e.g. 7 days"]
        code_type, code = data.get("code_type", ""), data.get("code", "")
        if code and not code_type:
            errors["code_type"] = [
                "code_type is needed when code is given (hsn, ean, gtin, isbn, upc or other)"
            ]
        elif code_type and not code:
            errors["code"] = [f"code is needed when code_type is {code_type}"]
        elif code_type and code:
            pattern, hint = _CODE_RULES[code_type]
            if not pattern.match(code):
                errors["code"] = [f"code '{code}' is not a valid {code_type.upper()}: {hint}"]
            elif code_type in {"ean", "gtin", "upc"} and not _gs1_ok(code):
                errors["code"] = [f"code '{code}' has a wrong check digit for an {code_type.upper()}"]
        if data.get("one_of_a_kind") and data.get("stock") is not None and data["stock"] > 1:
            errors["stock"] = [f"a one-of-a-kind piece has stock 0 or 1, not {data['stock']}"]
        sides = [name for name in ("length_cm", "breadth_cm", "height_cm") if original.get(name) not in (None, "")]
        if sides and len(sides) < 3:
            missing = next(name for name in ("length_cm", "breadth_cm", "height_cm") if name not in sides)
            errors.setdefault(missing, [f"{missing} is needed too: give length_cm, breadth_cm and height_cm "
                                        "together, or none of them"])
        if data.get("variant_attributes") and not data.get("parent_item_id"):
            errors["variant_attributes"] = ["variant_attributes is only used together with parent_item_id"]
        if (
            data.get("parent_item_id")
            and not data.get("variant_attributes")
            and not original.get("variant_attributes")
        ):
            errors["variant_attributes"] = [
                "variant_attributes is needed for variants: say which column differs, e.g. size"
            ]
        if errors:
            raise ValidationError(errors)

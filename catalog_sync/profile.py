"""Load and check a cooperative profile (a dict read from YAML or JSON) into a ``Profile``."""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields, validate, validates_schema

from catalog_sync import fields as f
from catalog_sync.categories import DOMAIN_NAMES
from catalog_sync.errors import ProfileError
from catalog_sync.item_schema import MAX_SIDE_CM, MAX_WEIGHT_G
from catalog_sync.model import (
    Box,
    ConsumerCare,
    Credential,
    Location,
    Opening,
    Profile,
    Serviceability,
    Settlement,
    Shipping,
)

__all__ = ["DaysField", "ProfileSchema", "gstin_check_char", "load_profile", "profile_to_dict"]

_GST_CHARS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_GSTIN_RE = re.compile(r"^\d{2}[A-Z]{5}\d{4}[A-Z][1-9A-Z]Z[0-9A-Z]$")
_PAN_RE = re.compile(r"^[A-Z]{5}\d{4}[A-Z]$")
# Rule 46(b) allows 16 characters: PREFIX/26-27/ and at least five digits of serial (CN names credit notes).
_PREFIX_RE = re.compile(r"^(?!CN$)[A-Z0-9]{1,4}$")
# ONDC validator (validations.yaml LOCATIONS_GPS): at least 4 decimals on both numbers.
_GPS_RE = re.compile(r"^[-+]?([1-8]?\d|90)\.\d{4,},\s*[-+]?(180|1[0-7]\d|[1-9]?\d)\.\d{4,}$")
_PINCODE_RE = re.compile(r"^[1-9]\d{5}$")
_EMAIL_RE = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")
_SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,35}$")
_IFSC_RE = re.compile(r"^[A-Z]{4}0[A-Z0-9]{6}$")
_UPI_RE = re.compile(r"^[A-Za-z0-9._-]{2,256}@[A-Za-z]{2,64}$")
_FULFILMENT_TYPES = ("Delivery", "Self-Pickup", "Buyer-Delivery")
_HTTPS_RE = re.compile(r"^https://[A-Za-z0-9.-]+\.[A-Za-z]{2,}(:\d{1,5})?(/[^\s\"'<>\\`{}^]*)?$")
MAX_CREDENTIALS = 10


def gstin_check_char(first14: str) -> str:
    """Return the GSTIN check character for its first 14 characters (mod-36 checksum)."""
    total = 0
    for i, char in enumerate(first14):
        product = _GST_CHARS.index(char) * (2 if i % 2 else 1)
        total += product // 36 + product % 36
    return _GST_CHARS[(36 - total % 36) % 36]


# The states' and union territories' GST codes a GSTIN starts with (25 and 28 are no longer issued). The same list
# is adapter.money.gst.STATES's keys; a test keeps them equal (catalog_sync cannot import adapter.money).
GST_STATE_CODES = frozenset({*(f"{n:02d}" for n in range(1, 39) if n not in (25, 28)), "97"})

class _Pattern(f.Text):
    def __init__(self, pattern: re.Pattern[str], hint: str, *, upper: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.pattern, self.hint, self.upper = pattern, hint, upper

    def parse(self, value: str) -> str:
        value = super().parse(value)
        if self.upper:
            value = value.upper()
        if not self.pattern.match(value):
            raise self.fail(f"{self.name} '{value}' is not valid: {self.hint}")
        return value


class _Https(_Pattern):
    """An optional https link: blank means none."""

    def __init__(self, hint: str, **kwargs: Any) -> None:
        super().__init__(_HTTPS_RE, hint, load_default="", allow_none=True, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any) -> Any:
        return "" if value is None or not str(value).strip() else super()._deserialize(value, attr, data, **kwargs)


class _Phone(f.Text):
    def parse(self, value: str) -> str:
        digits = re.sub(r"[\s()-]", "", value).removeprefix("+91")
        if len(digits) == 11 and digits.startswith("0"):
            digits = digits[1:]
        if not re.fullmatch(r"\d{10}", digits):
            raise self.fail(f"{self.name} must be a 10-digit phone number like 9876543210")
        return digits


class _CityCode(f.Text):
    def parse(self, value: str) -> str:
        code = value if value.startswith("std:") else f"std:{value}"
        if not re.fullmatch(r"std:0\d{1,5}", code):
            raise self.fail(f"{self.name} must be the STD code of the city like std:01899")
        return code


class _HHMM(f.Text):
    def parse(self, value: str) -> str:
        m = re.fullmatch(r"([01]\d|2[0-3]):?([0-5]\d)", value)
        if not m:
            raise self.fail(f"{self.name} must be a time like 09:00 or 1830")
        return m.group(1) + m.group(2)


class DaysField(fields.Field[tuple[int, ...]]):
    def _deserialize(
        self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any
    ) -> tuple[int, ...]:
        days: set[int] = set()
        parts = value if isinstance(value, list) else re.split(r"\s*,\s*", str(value).strip())
        for part in parts:
            m = re.fullmatch(r"([1-7])(?:\s*-\s*([1-7]))?", str(part).strip())
            if not m:
                raise ValidationError("days must be numbers 1 (Monday) to 7 (Sunday), like 1-6 or 1,2,3")
            start, end = int(m.group(1)), int(m.group(2) or m.group(1))
            days.update(range(start, end + 1))
        if not days:
            raise ValidationError("days must list at least one day")
        return tuple(sorted(days))


class _LocationSchema(Schema):
    class Meta:
        unknown = RAISE

    id = f.Identifier(required=True)
    name = f.Text(load_default="", max_len=100)
    street = f.Text(required=True)
    locality = f.Text(required=True)
    city = f.Text(required=True)
    state = f.Text(required=True)
    area_code = _Pattern(_PINCODE_RE, "use the 6-digit pincode", required=True)
    gps = _Pattern(
        _GPS_RE, "write 'latitude,longitude' with at least 4 decimals, like 32.5534,76.1258", required=True
    )
    city_code = _CityCode(required=True)


class _CareSchema(Schema):
    name = f.Text(required=True, max_len=100)
    email = _Pattern(_EMAIL_RE, "use an address like care@coop.in", required=True)
    phone = _Phone(required=True)


class _ServiceabilitySchema(Schema):
    type = f.Choice(
        {"pan_india": "pan_india", "pan-india": "pan_india", "pincodes": "pincodes", "radius": "radius"},
        required=True,
    )
    pincodes = fields.List(fields.String(), load_default=list)
    radius_km = f.Quantity(load_default=None)

    @validates_schema(skip_on_field_errors=True)
    def _check(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data["type"] == "pincodes":
            bad = [p for p in data["pincodes"] if not re.fullmatch(r"[1-9]\d{5}(-[1-9]\d{5})?", p.strip())]
            if not data["pincodes"] or bad:
                raise ValidationError("list 6-digit pincodes or ranges like 176310-176320", "pincodes")
        if data["type"] == "radius" and data["radius_km"] is None:
            raise ValidationError("radius_km is needed when type is radius", "radius_km")


class _ClosureSchema(Schema):
    class Meta:
        unknown = RAISE

    # "from" is a keyword, so the field is named by data_key.
    starts = fields.Date(data_key="from", load_default=None, allow_none=True)
    until = fields.Date(required=True)
    note = f.Text(max_len=200, load_default="")

    @validates_schema(skip_on_field_errors=True)
    def _check(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("starts") and data["until"] < data["starts"]:
            raise ValidationError("until must be on or after from", "until")


class _OpeningSchema(Schema):
    days = DaysField(load_default=(1, 2, 3, 4, 5, 6))
    open = _HHMM(load_default="0900")
    close = _HHMM(load_default="1800")
    holidays = fields.List(fields.Date(), load_default=list)
    take_orders = f.Choice({"always": "always", "when_open": "when_open", "when-open": "when_open"},
                           load_default="always")
    closed = fields.Nested(_ClosureSchema, load_default=None, allow_none=True)


class _CredentialSchema(Schema):
    class Meta:
        unknown = RAISE

    id = f.Text(required=True, max_len=64, validate=validate.Length(min=1, error="id must not be empty"))
    type = _Pattern(re.compile(r"^[A-Za-z][A-Za-z0-9 _-]{0,31}$"),
                    "use a short code such as GI, ODOP or Handloom Mark", required=True)
    name = f.Text(required=True, max_len=100, validate=validate.Length(min=1, error="name must not be empty"))
    short_desc = f.Text(required=True, max_len=300,
                        validate=validate.Length(min=1, error="short_desc must not be empty"))
    url = _Https("use an https:// link to the certificate or badge")
    verify_url = _Https("use an https:// link where the registration can be checked")
    valid_from = fields.Date(load_default=None, allow_none=True)
    valid_until = fields.Date(load_default=None, allow_none=True)

    @validates_schema(skip_on_field_errors=False)
    def _check(self, data: dict[str, Any], **kwargs: Any) -> None:
        start, end = data.get("valid_from"), data.get("valid_until")
        if start and end and end < start:
            raise ValidationError("valid_until is before valid_from", "valid_until")


class _BoxSchema(Schema):
    class Meta:
        unknown = RAISE

    length_cm = f.Quantity(required=True)
    breadth_cm = f.Quantity(required=True)
    height_cm = f.Quantity(required=True)

    @validates_schema(skip_on_field_errors=True)
    def _check(self, data: dict[str, Any], **kwargs: Any) -> None:
        for name, size in data.items():
            if size > MAX_SIDE_CM:
                raise ValidationError(f"{name} must be at most {MAX_SIDE_CM} centimetres", name)


class _ShippingSchema(Schema):
    class Meta:
        unknown = RAISE

    mode = f.Choice({"manual": "manual", "network": "network"}, load_default="manual")
    policy = f.Choice({"cheapest": "cheapest", "fastest": "fastest"}, load_default="cheapest")
    preferred = fields.List(
        _Pattern(re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,254}$"),
                 "name a courier by its ONDC subscriber id or provider id, e.g. courier.example.com"),
        load_default=list, validate=validate.Length(max=20, error="list at most {max} preferred couriers"))
    book_on = f.Choice({"accepted": "accepted", "packed": "packed"}, load_default="accepted")


class _BankSchema(Schema):
    account_no = _Pattern(re.compile(r"^\d{9,18}$"), "use 9 to 18 digits", required=True)
    ifsc = _Pattern(_IFSC_RE, "an IFSC looks like SBIN0001234", upper=True, required=True)
    bank_name = f.Text(required=True, max_len=100)
    branch = f.Text(required=True, max_len=100)
    beneficiary = f.Text(required=True, max_len=100)


class _SettlementSchema(Schema):
    bank = fields.Nested(_BankSchema, load_default=None)
    upi = _Pattern(_UPI_RE, "a UPI address looks like coop@sbi", load_default=None)

    @validates_schema(skip_on_field_errors=True)
    def _one(self, data: dict[str, Any], **kwargs: Any) -> None:
        if (data["bank"] is None) == (data["upi"] is None):
            raise ValidationError("give either bank details or a upi address (exactly one)")


class ProfileSchema(Schema):
    """A cooperative's profile: who sells, from where, to where, when, and where the money goes."""

    class Meta:
        unknown = EXCLUDE

    slug = _Pattern(_SLUG_RE, "use lowercase letters, digits and -, at most 36 characters", required=True)
    name = f.Text(required=True, max_len=100)
    legal_name = f.Text(required=True, max_len=200)
    gstin = _Pattern(_GSTIN_RE, "a GSTIN has 15 characters like 02ABCDE1234F1Z5", upper=True, required=True)
    pan = _Pattern(_PAN_RE, "a PAN looks like ABCDE1234F", upper=True, required=True)
    fssai_license_no = _Pattern(
        re.compile(r"^\d{14}$"), "use the 14-digit FSSAI licence number", load_default=None
    )
    np_type = f.Choice({"isn": "ISN", "msn": "MSN"}, load_default="ISN")
    invoice_prefix = _Pattern(_PREFIX_RE, "use 1 to 4 capital letters or digits, e.g. CHR (CN is for credit notes)",
                              upper=True, load_default="")
    domains = fields.List(
        f.Choice(
            {
                **{d.lower(): d for d in DOMAIN_NAMES},
                **{d.lower().removeprefix("ondc:"): d for d in DOMAIN_NAMES},
            }
        ),
        required=True,
        validate=validate.Length(min=1, error="list at least one domain, e.g. [ONDC:RET16]"),
    )
    symbol = f.UrlList(max_items=1, required=True)
    images = fields.List(fields.String(), load_default=list)
    short_desc = f.Text(required=True, max_len=500)
    long_desc = f.Text(required=True, max_len=5000)
    min_order_value = f.Money(load_default=None)
    fulfillment_types = fields.List(
        f.Choice({t.lower(): t for t in _FULFILMENT_TYPES}), load_default=lambda: ["Delivery"]
    )
    consumer_care = fields.Nested(_CareSchema, required=True)
    locations = fields.List(fields.Nested(_LocationSchema), required=True,
                            validate=validate.Length(min=1, error="give at least one location (where goods ship from)"))
    serviceability = fields.Nested(_ServiceabilitySchema, load_default=lambda: {"type": "pan_india"})
    opening = fields.Nested(_OpeningSchema, load_default=lambda: _OpeningSchema().load({}))
    settlement = fields.Nested(_SettlementSchema, required=True)
    credentials = fields.List(fields.Nested(_CredentialSchema), load_default=list,
                              validate=validate.Length(max=MAX_CREDENTIALS, error="at most {max} credentials"))
    cooperative_share_percent = f.Percent(load_default=Decimal(0), metadata={"default": "0"})
    packaging_weight_g = f.Count(maximum=MAX_WEIGHT_G, load_default=0)
    default_box = fields.Nested(_BoxSchema, load_default=None, allow_none=True)
    shipping = fields.Nested(_ShippingSchema, load_default=lambda: _ShippingSchema().load({}))

    @validates_schema(skip_on_field_errors=False, pass_original=True)
    def _check(self, data: dict[str, Any], original: dict[str, Any], **kwargs: Any) -> None:
        errors: dict[str, str] = {}
        gstin, pan = data.get("gstin"), data.get("pan")
        if gstin and gstin[:2] not in GST_STATE_CODES:
            errors["gstin"] = f"gstin '{gstin}' starts with {gstin[:2]}, which is no state's GST code (01 to 38, 97)"
        elif gstin and gstin_check_char(gstin[:14]) != gstin[14]:
            errors["gstin"] = (
                f"gstin '{gstin}' has a wrong check character; "
                f"it should end in {gstin_check_char(gstin[:14])}"
            )
        elif gstin and pan and gstin[2:12] != pan:
            errors["pan"] = f"pan '{pan}' does not match the PAN inside the GSTIN ({gstin[2:12]})"
        # A location that failed its own checks may have no id here: it is reported under its own path.
        ids = [loc["id"] for loc in data.get("locations") or [] if isinstance(loc, dict) and loc.get("id")]
        if len(set(ids)) != len(ids):
            errors["locations"] = "every location needs its own id"
        for url in data.get("images", []):
            if (msg := f.check_image_url(url, "images")) is not None:
                errors["images"] = msg
        cred_ids = [c["id"] for c in data.get("credentials") or [] if isinstance(c, dict) and c.get("id")]
        if len(set(cred_ids)) != len(cred_ids):
            errors["credentials"] = "every credential needs its own id"
        if "ONDC:RET10" in data.get("domains", []) and not original.get("fssai_license_no"):
            errors["fssai_license_no"] = "fssai_license_no is required to sell food (ONDC:RET10)"
        if errors:
            raise ValidationError(dict(errors))


def _paths(messages: Any, prefix: str = "") -> list[tuple[str, str]]:
    if isinstance(messages, dict):
        out: list[tuple[str, str]] = []
        for key, value in messages.items():
            name = prefix if key == "_schema" else f"{prefix}.{key}" if prefix else str(key)
            out.extend(_paths(value, name))
        return out
    if isinstance(messages, list):
        return [pair for m in messages for pair in _paths(m, prefix)]
    text = str(messages)
    if text == "Missing data for required field.":
        text = "this field is required"
    elif text == "Unknown field.":
        text = "this field is not known; check its spelling"
    return [(prefix or "(profile)", text)]


def load_profile(data: dict[str, Any]) -> Profile:
    """Check a profile dict and return a Profile; raise ProfileError listing every (field path, message)."""
    if not isinstance(data, dict):
        raise ProfileError([("(profile)", "the profile must be a mapping of field names to values")])
    try:
        d: dict[str, Any] = ProfileSchema().load(data)
    except ValidationError as exc:
        raise ProfileError(_paths(exc.messages)) from None
    settlement = d["settlement"]
    serv = d["serviceability"]
    opening = d["opening"]
    return Profile(
        slug=d["slug"],
        name=d["name"],
        legal_name=d["legal_name"],
        gstin=d["gstin"],
        pan=d["pan"],
        fssai_license_no=d["fssai_license_no"],
        np_type=d["np_type"],
        domains=tuple(dict.fromkeys(d["domains"])),
        symbol=d["symbol"][0],
        images=tuple(d["images"]) or (d["symbol"][0],),
        short_desc=d["short_desc"],
        long_desc=d["long_desc"],
        min_order_value=d["min_order_value"],
        fulfillment_types=tuple(dict.fromkeys(d["fulfillment_types"])),
        consumer_care=ConsumerCare(**d["consumer_care"]),
        locations=tuple(Location(**loc) for loc in d["locations"]),
        serviceability=Serviceability(
            kind=serv["type"],
            pincodes=tuple(p.strip() for p in serv["pincodes"]) if serv["type"] == "pincodes" else (),
            radius_km=serv["radius_km"] if serv["type"] == "radius" else None,
        ),
        opening=Opening(
            days=opening["days"],
            open_time=opening["open"],
            close_time=opening["close"],
            holidays=tuple(h.isoformat() for h in opening["holidays"]),
            take_orders=opening["take_orders"],
            **_closure(opening["closed"]),
        ),
        settlement=Settlement(kind="upi", upi_address=settlement["upi"])
        if settlement["upi"]
        else Settlement(kind="bank", **settlement["bank"]),
        credentials=tuple(
            Credential(id=c["id"], kind=c["type"], name=c["name"], short_desc=c["short_desc"], url=c["url"],
                       verify_url=c["verify_url"],
                       valid_from=c["valid_from"].isoformat() if c["valid_from"] else "",
                       valid_until=c["valid_until"].isoformat() if c["valid_until"] else "")
            for c in d["credentials"]),
        invoice_prefix=d["invoice_prefix"],
        cooperative_share_percent=d["cooperative_share_percent"],
        packaging_weight_g=d["packaging_weight_g"],
        default_box=Box(**d["default_box"]) if d["default_box"] else None,
        shipping=Shipping(mode=d["shipping"]["mode"], policy=d["shipping"]["policy"],
                          preferred=tuple(dict.fromkeys(d["shipping"]["preferred"])),
                          book_on=d["shipping"]["book_on"]),
    )


def profile_to_dict(profile: Profile) -> dict[str, Any]:
    """Return the profile in the input format that ``load_profile`` reads (round-trips)."""
    serv = profile.serviceability
    s = profile.settlement
    return {
        "slug": profile.slug,
        "name": profile.name,
        "legal_name": profile.legal_name,
        "gstin": profile.gstin,
        "pan": profile.pan,
        "fssai_license_no": profile.fssai_license_no,
        "np_type": profile.np_type,
        "domains": list(profile.domains),
        "symbol": profile.symbol,
        "images": list(profile.images),
        "short_desc": profile.short_desc,
        "long_desc": profile.long_desc,
        "min_order_value": None if profile.min_order_value is None else str(profile.min_order_value),
        "fulfillment_types": list(profile.fulfillment_types),
        "consumer_care": profile.consumer_care.to_dict(),
        "locations": [loc.to_dict() for loc in profile.locations],
        "serviceability": {
            "type": serv.kind,
            "pincodes": list(serv.pincodes),
            "radius_km": None if serv.radius_km is None else str(serv.radius_km),
        },
        "opening": {
            "days": list(profile.opening.days),
            "open": profile.opening.open_time,
            "close": profile.opening.close_time,
            "holidays": list(profile.opening.holidays),
            "take_orders": profile.opening.take_orders,
            "closed": {"from": profile.opening.closed_from or None, "until": profile.opening.closed_until,
                       "note": profile.opening.closed_note} if profile.opening.closed_until else None,
        },
        "settlement": {"upi": s.upi_address}
        if s.kind == "upi"
        else {
            "bank": {
                "account_no": s.account_no,
                "ifsc": s.ifsc,
                "bank_name": s.bank_name,
                "branch": s.branch,
                "beneficiary": s.beneficiary,
            }
        },
        **({"invoice_prefix": profile.invoice_prefix} if profile.invoice_prefix else {}),
        **({"packaging_weight_g": profile.packaging_weight_g} if profile.packaging_weight_g else {}),
        **({"default_box": {k: str(v) for k, v in profile.default_box.to_dict().items()}}
           if profile.default_box else {}),
        **({"shipping": profile.shipping.to_dict()} if profile.shipping != Shipping() else {}),
        "credentials": [
            {"id": c.id, "type": c.kind, "name": c.name, "short_desc": c.short_desc, "url": c.url,
             "verify_url": c.verify_url, "valid_from": c.valid_from or None, "valid_until": c.valid_until or None}
            for c in profile.credentials
        ],
        "cooperative_share_percent": f"{profile.cooperative_share_percent:f}",
    }


def _closure(closed: dict[str, Any] | None) -> dict[str, str]:
    if not closed:
        return {}
    return {"closed_from": closed["starts"].isoformat() if closed.get("starts") else "",
            "closed_until": closed["until"].isoformat(), "closed_note": closed.get("note", "")}

"""Building blocks for the inbound message schemas: fields with plain error texts, validators, shared objects."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate
from marshmallow.types import ErrorMessages

# Where ONDC's examples or certification rules (RET16 1.2.5 validations) and its OpenAPI disagree, we accept both:
# - fulfilment type: OpenAPI Delivery|Pickup|Delivery and Pickup; examples/validations Self-Pickup, Buyer-Delivery;
#   update also carries Return and Cancel (OpenAPI update allows only Delivery|Return).
# - buyer_app_finder_fee_type: OpenAPI Percent|Amount; examples and validations send percent|amount.
# - settlement_type: OpenAPI neft|rtgs|upi; the part-cancel settlement example and validations add netbanking.
# - title_type: OpenAPI lacks offer (validations) and discount_f/tax_f (enums/quote-title-types.yaml).
# - update_target: OpenAPI says comma-separated; validations allow one of four values; we accept a list of those.
# - quantity.count: OpenAPI minimum 0; an ordered item needs at least 1 (0 only in quote lines and updates).
FORWARD_FULFILLMENT_TYPES = (
    "Delivery",
    "Self-Pickup",
    "Buyer-Delivery",
    "Delivery and Self-Pickup",
    "Pickup",
    "Delivery and Pickup",
    "Reverse QC",
)
UPDATE_FULFILLMENT_TYPES = (*FORWARD_FULFILLMENT_TYPES, "Return", "Cancel")
FINDER_FEE_TYPES = ("percent", "amount", "Percent", "Amount")
PAYMENT_TYPES = ("ON-ORDER", "ON-FULFILLMENT", "POST-FULFILLMENT")
COLLECTED_BY = ("BAP", "BPP")
PAYMENT_STATUSES = ("PAID", "NOT-PAID")
TL_METHODS = ("http/get", "http/post", "payto", "upi")
SETTLEMENT_BASES = ("shipment", "delivery", "return_window_expiry")
SETTLEMENT_COUNTERPARTIES = ("buyer", "buyer-app", "seller-app", "logistics-provider")
SETTLEMENT_PHASES = ("sale-amount", "withholding-amount", "refund")
SETTLEMENT_TYPES = ("upi", "neft", "rtgs", "netbanking")
TITLE_TYPES = ("item", "delivery", "packing", "tax", "misc", "discount", "discount_f", "tax_f", "offer")
CONFIRM_ORDER_STATES = ("Created", "Accepted")
UPDATE_TARGETS = ("item", "billing", "fulfillment", "payment")

_RFC3339 = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})\Z")
_DURATION = re.compile(
    r"P(?=[0-9]|T)([0-9]+Y)?([0-9]+M)?([0-9]+W)?([0-9]+D)?(T(?=[0-9])([0-9]+H)?([0-9]+M)?([0-9]+(\.[0-9]+)?S)?)?\Z"
)
_DECIMAL = r"[+-]?([0-9]*[.])?[0-9]+\Z"
_GPS = r"[-+]?([1-8]?[0-9](\.[0-9]+)?|90(\.0+)?),\s*[-+]?(180(\.0+)?|((1[0-7][0-9])|([1-9]?[0-9]))(\.[0-9]+)?)\Z"

_BASE_MESSAGES: ErrorMessages = {
    "required": "is required",
    "null": "must not be null",
    "validator_failed": "is not valid",
}


class Text(fields.String):
    """A JSON string."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(error_messages={**_BASE_MESSAGES, "invalid": "must be a string"}, **kwargs)


class Count(fields.Integer):
    """A JSON integer (never a float, string or boolean)."""

    def __init__(self, **kwargs: Any) -> None:
        messages: ErrorMessages = {**_BASE_MESSAGES, "invalid": "must be an integer", "too_large": "is too large"}
        super().__init__(strict=True, error_messages=messages, **kwargs)


class Flag(fields.Boolean):
    """A JSON boolean."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(error_messages={**_BASE_MESSAGES, "invalid": "must be true or false"}, **kwargs)


class ListOf(fields.List[Any]):
    """A JSON array."""

    def __init__(self, inner: fields.Field[Any], **kwargs: Any) -> None:
        super().__init__(inner, error_messages={**_BASE_MESSAGES, "invalid": "must be a list"}, **kwargs)


class Obj(fields.Nested):
    """A nested JSON object."""

    def __init__(self, schema: type[Schema], **kwargs: Any) -> None:
        super().__init__(schema, error_messages={**_BASE_MESSAGES, "type": "must be an object"}, **kwargs)


class Anything(fields.Raw):
    """Any JSON value, checked only by its validators."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(error_messages=_BASE_MESSAGES, **kwargs)


class Open(Schema):
    """Base of every schema: unknown keys are ignored, never rejected (Beckn objects are open)."""

    # marshmallow merges this class attribute into each instance's messages, so it must live on the class.
    error_messages: dict[str, str] = {"type": "must be an object"}  # noqa: RUF012

    class Meta:
        unknown = EXCLUDE


def check_timestamp(value: str) -> None:
    """Reject anything but an RFC 3339 date-time with a timezone."""
    if _RFC3339.match(value) is None:
        raise ValidationError("must be an RFC 3339 timestamp with a timezone, e.g. 2024-06-23T00:16:46.000Z")
    try:
        dt.datetime.fromisoformat(value)
    except ValueError as error:
        raise ValidationError("is not a real date and time") from error


def check_duration(value: str) -> None:
    """Reject anything but an ISO 8601 duration."""
    if _DURATION.match(value) is None:
        raise ValidationError("must be an ISO 8601 duration, e.g. PT30S")


def comma_list_of(choices: Iterable[str]) -> Callable[[str], None]:
    """A validator for comma-separated values that must each be one of `choices`."""
    allowed = tuple(choices)

    def check(value: str) -> None:
        if not all(part.strip() in allowed for part in value.split(",")):
            raise ValidationError("must be one or more (comma-separated) of: " + ", ".join(allowed))

    return check


def text(*, required: bool = False, check: Callable[[Any], Any] | None = None) -> Text:
    """A string field, optionally checked."""
    return Text(required=required, validate=check)


def no_nul(value: str) -> None:
    """Refuse a NUL character: PostgreSQL cannot store it in text, so such an id could never be kept."""
    if "\x00" in value:
        raise ValidationError("must not contain a NUL character")


def ident(*, required: bool = True, key: str | None = None) -> Text:
    """An id: a non-empty string of at most 128 characters, without NUL."""
    check = validate.And(validate.Length(min=1, max=128, error="must be 1 to 128 characters long"), no_nul)
    return Text(required=required, validate=check, data_key=key)


def one_of(choices: Iterable[str], *, required: bool = False, key: str | None = None) -> Text:
    """A string restricted to `choices`."""
    check = validate.OneOf(tuple(choices), error="must be one of: {choices}")
    return Text(required=required, validate=check, data_key=key)


def timestamp(*, required: bool = False) -> Text:
    """An RFC 3339 timestamp string."""
    return Text(required=required, validate=check_timestamp)


def duration(*, required: bool = False, key: str | None = None) -> Text:
    """An ISO 8601 duration string."""
    return Text(required=required, validate=check_duration, data_key=key)


def decimal(*, required: bool = False, key: str | None = None) -> Text:
    """A decimal number sent as a string, as ONDC sends every amount."""
    check = validate.Regexp(_DECIMAL, error='must be a decimal number in a string, e.g. "10.00"')
    return Text(required=required, validate=check, data_key=key)


def gps(*, required: bool = False) -> Text:
    """A "lat,lng" string."""
    check = validate.Regexp(_GPS, error='must be "latitude,longitude", e.g. "12.97,77.59"')
    return Text(required=required, validate=check)


def count(*, minimum: int, required: bool = True) -> Count:
    """A JSON integer of at least `minimum`."""
    return Count(required=required, validate=validate.Range(min=minimum, error="must be at least {min}"))


def obj(schema: type[Schema], *, required: bool = False, key: str | None = None) -> Obj:
    """A nested object."""
    return Obj(schema, required=required, data_key=key)


def list_of(schema: type[Schema], *, required: bool = False, non_empty: bool = False, key: str | None = None) -> ListOf:
    """A list of nested objects, optionally non-empty."""
    check = validate.Length(min=1, error="must not be empty") if non_empty else None
    return ListOf(Obj(schema), required=required, validate=check, data_key=key)


class TagSchema(Open):
    """One {code, value} tag."""

    code = ident()
    value = text()


class TagGroupSchema(Open):
    """A tag group: {code, list[{code, value}]}."""

    code = ident()
    list = list_of(TagSchema)


def tags() -> ListOf:
    """An optional list of tag groups."""
    return list_of(TagGroupSchema)


class IdSchema(Open):
    """An object that only needs an id."""

    id = ident()


class AreaCodeSchema(Open):
    """An address reduced to its pincode."""

    area_code = text()


class PriceSchema(Open):
    """A price: currency and a decimal string value."""

    currency = text(required=True)
    value = decimal(required=True)


class AddressSchema(Open):
    """A postal address."""

    name = text()
    building = text()
    street = text()
    locality = text()
    city = text()
    state = text()
    country = text()
    area_code = text()


class ContactSchema(Open):
    """Phone and email."""

    phone = text()
    email = text()


class PersonSchema(Open):
    """A person's name."""

    name = text()


class DescriptorSchema(Open):
    """The descriptor fields a buyer may send us."""

    name = text()
    code = text()
    short_desc = text()
    long_desc = text()
    tags = tags()

"""The `message` schemas of search and of the post-order actions (select, init and confirm: messages_orders)."""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError, validate, validates_schema

from adapter.protocol.messages_base import (
    FINDER_FEE_TYPES,
    FORWARD_FULFILLMENT_TYPES,
    UPDATE_FULFILLMENT_TYPES,
    UPDATE_TARGETS,
    Anything,
    AreaCodeSchema,
    DescriptorSchema,
    ListOf,
    Obj,
    Open,
    comma_list_of,
    count,
    decimal,
    gps,
    ident,
    list_of,
    obj,
    one_of,
    tags,
    text,
    timestamp,
)
from adapter.protocol.messages_orders import BillingSchema, FulfillmentEndSchema, PaymentSchema

# --- search ---------------------------------------------------------------------------------------------


class IntentLocationSchema(Open):
    """Where the buyer wants delivery."""

    gps = gps()
    address = obj(AreaCodeSchema)


class IntentEndSchema(Open):
    """The end of the wanted fulfilment."""

    location = obj(IntentLocationSchema)


class IntentFulfillmentSchema(Open):
    """The wanted fulfilment type and end location."""

    type = one_of(FORWARD_FULFILLMENT_TYPES)
    end = obj(IntentEndSchema)


class ItemDescriptorNameSchema(Open):
    """The item name searched for."""

    name = text()


class IntentItemSchema(Open):
    """An item searched for by name."""

    descriptor = obj(ItemDescriptorNameSchema)


class CategorySchema(Open):
    """A category searched for."""

    id = text()


class FinderFeeSchema(Open):
    """The buyer app's finder fee."""

    fee_type = one_of(FINDER_FEE_TYPES, required=True, key="@ondc/org/buyer_app_finder_fee_type")
    fee_amount = decimal(required=True, key="@ondc/org/buyer_app_finder_fee_amount")


class IntentSchema(Open):
    """A search intent (full catalogue, by item or category, or incremental via tags)."""

    fulfillment = obj(IntentFulfillmentSchema)
    category = obj(CategorySchema)
    item = obj(IntentItemSchema)
    payment = obj(FinderFeeSchema)
    tags = tags()


class SearchMessage(Open):
    """search: message.intent."""

    intent = obj(IntentSchema, required=True)


# --- post-order: status, track, cancel, update ----------------------------------------------------------


class OrderIdMessage(Open):
    """status and track: message.order_id."""

    order_id = ident()


class CancelMessage(Open):
    """cancel: order and reason, with a descriptor for force cancel or a return cancel."""

    order_id = ident()
    cancellation_reason_id = ident()
    descriptor = obj(DescriptorSchema)


class UpdateQuantitySchema(Open):
    """An updated quantity (may be 0)."""

    count = count(minimum=0)


class UpdateItemSchema(Open):
    """An item named in an update."""

    id = ident()
    quantity = obj(UpdateQuantitySchema)
    tags = tags()


class InstructionsSchema(Open):
    """New delivery instructions."""

    short_desc = text()
    long_desc = text()


class UpdateEndSchema(FulfillmentEndSchema):
    """A changed fulfilment end (address, contact or instructions)."""

    instructions = obj(InstructionsSchema)


class UpdateFulfillmentSchema(Open):
    """A fulfilment in an update: a return request, a cancel settlement or a delivery change."""

    id = ident(required=False)
    type = one_of(UPDATE_FULFILLMENT_TYPES)
    end = obj(UpdateEndSchema)
    tags = tags()


class UpdateOrderSchema(Open):
    """The part of the order being updated."""

    id = ident()
    items = list_of(UpdateItemSchema)
    fulfillments = list_of(UpdateFulfillmentSchema)
    payment = obj(PaymentSchema)
    billing = obj(BillingSchema)


class UpdateMessage(Open):
    """update: update_target and the order."""

    update_target = text(required=True, check=comma_list_of(UPDATE_TARGETS))
    order = obj(UpdateOrderSchema, required=True)


# --- rating, support, issue -----------------------------------------------------------------------------


def check_rating_value(value: Any) -> None:
    """Accept 1-5 as a JSON number or a numeric string (1.2.0 says number; buyer apps send both)."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValidationError("must be a number from 1 to 5")
    try:
        number = float(value)
    except ValueError as error:
        raise ValidationError("must be a number from 1 to 5") from error
    if not 1 <= number <= 5:
        raise ValidationError("must be a number from 1 to 5")


class RatingSchema(Open):
    """One rating (1.2.0 Rating)."""

    rating_category = text(required=True)
    id = ident()
    value = Anything(required=True, validate=check_rating_value)


class RatingMessage(Open):
    """rating: one Rating as the message (1.2.0 OpenAPI) or a `ratings` list (1.2.0 examples)."""

    rating_category = text()
    id = ident(required=False)
    value = Anything(validate=check_rating_value)
    ratings = list_of(RatingSchema, non_empty=True)

    @validates_schema
    def check_shape(self, data: dict[str, Any], **kwargs: Any) -> None:
        """Require either a ratings list or a single rating's id and value."""
        if "ratings" not in data and ("id" not in data or "value" not in data):
            raise ValidationError("must carry a ratings list or a rating's id and value")


class SupportMessage(Open):
    """support: message.ref_id (the order id)."""

    ref_id = ident()


class IssueSchema(Open):
    """An IGM 1.0 or 2.0 issue: both carry an id; the rest differs by version and is read by the IGM flow."""

    id = ident()
    status = text()
    created_at = timestamp()
    updated_at = timestamp()


class IssueMessage(Open):
    """issue: message.issue."""

    issue = obj(IssueSchema, required=True)


class RejectionErrorSchema(Open):
    """One reason a buyer app rejected a catalogue: its ONDC code (90xxx provider, 91xxx item, 92xxx seller app),
    the kind, the JSON path of what was rejected and the buyer app's words."""

    code = text(required=True, check=validate.Regexp(r"[0-9]{5}\Z", error="must be a 5-digit ONDC code"))
    type = text()
    path = text(check=validate.Length(max=2000, error="must be at most {max} characters long"))
    message = text(check=validate.Length(max=2000, error="must be at most {max} characters long"))


class CatalogRejectionBody(Open):
    """catalog_rejection: no message, an ``errors`` list beside the context (at most 1,000 reasons)."""

    errors = ListOf(Obj(RejectionErrorSchema), required=True,
                    validate=validate.Length(min=1, max=1000, error="must hold 1 to {max} rejection reasons"))

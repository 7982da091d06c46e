"""The order-building messages a buyer app sends: select, init and confirm (PROTOCOL.md §3)."""

from __future__ import annotations

from adapter.protocol.messages_base import (
    COLLECTED_BY,
    CONFIRM_ORDER_STATES,
    FINDER_FEE_TYPES,
    FORWARD_FULFILLMENT_TYPES,
    PAYMENT_STATUSES,
    PAYMENT_TYPES,
    SETTLEMENT_BASES,
    SETTLEMENT_COUNTERPARTIES,
    SETTLEMENT_PHASES,
    SETTLEMENT_TYPES,
    TITLE_TYPES,
    TL_METHODS,
    AddressSchema,
    AreaCodeSchema,
    ContactSchema,
    Flag,
    IdSchema,
    Open,
    PersonSchema,
    PriceSchema,
    count,
    decimal,
    duration,
    gps,
    ident,
    list_of,
    obj,
    one_of,
    tags,
    text,
    timestamp,
)

# --- orders: select, init, confirm ----------------------------------------------------------------------


class ProviderSchema(Open):
    """The provider and (at most one) location ordered from."""

    id = ident()
    locations = list_of(IdSchema)


class SelectProviderSchema(ProviderSchema):
    """select must name the provider location."""

    locations = list_of(IdSchema, required=True, non_empty=True)


class QuantitySchema(Open):
    """An ordered quantity: a JSON integer of at least 1."""

    count = count(minimum=1)


class ItemTagsSchema(Open):
    """An item descriptor carrying customisation tags."""

    tags = tags()


class OrderItemSchema(Open):
    """An ordered item (or customisation)."""

    id = ident()
    quantity = obj(QuantitySchema, required=True)
    location_id = text()
    fulfillment_id = text()
    parent_item_id = text()
    descriptor = obj(ItemTagsSchema)
    tags = tags()


class SelectLocationSchema(Open):
    """A delivery location for a quote: gps and pincode."""

    gps = gps(required=True)
    address = obj(AreaCodeSchema, required=True)


class SelectEndSchema(Open):
    """The end of a fulfilment being quoted."""

    location = obj(SelectLocationSchema, required=True)


class SelectFulfillmentSchema(Open):
    """A fulfilment to quote: where it ends."""

    end = obj(SelectEndSchema, required=True)
    type = one_of(FORWARD_FULFILLMENT_TYPES)


class OfferSchema(Open):
    """An offer the buyer applies."""

    id = ident()
    tags = tags()


class PaymentTypeSchema(Open):
    """A payment reduced to its type."""

    type = one_of(PAYMENT_TYPES)


class SelectOrderSchema(Open):
    """select: the cart to quote."""

    provider = obj(SelectProviderSchema, required=True)
    items = list_of(OrderItemSchema, required=True, non_empty=True)
    fulfillments = list_of(SelectFulfillmentSchema, required=True, non_empty=True)
    offers = list_of(OfferSchema)
    payment = obj(PaymentTypeSchema)
    tags = tags()


class SelectMessage(Open):
    """select: message.order."""

    order = obj(SelectOrderSchema, required=True)


class BillingSchema(Open):
    """Who is billed."""

    name = text(required=True)
    address = obj(AddressSchema, required=True)
    phone = text(required=True)
    email = text()
    tax_number = text()
    created_at = timestamp()
    updated_at = timestamp()


class FulfillmentLocationSchema(Open):
    """A fulfilment location."""

    gps = gps()
    address = obj(AddressSchema)


class FulfillmentEndSchema(Open):
    """Where and to whom a fulfilment is delivered."""

    location = obj(FulfillmentLocationSchema)
    contact = obj(ContactSchema)
    person = obj(PersonSchema)


class OrderFulfillmentSchema(Open):
    """A fulfilment of an order being initialised or confirmed."""

    id = ident()
    type = one_of(FORWARD_FULFILLMENT_TYPES, required=True)
    end = obj(FulfillmentEndSchema)
    tracking = Flag()
    tat = duration(key="@ondc/org/TAT")
    tags = tags()


class SettlementSchema(Open):
    """One settlement instruction."""

    settlement_counterparty = one_of(SETTLEMENT_COUNTERPARTIES)
    settlement_phase = one_of(SETTLEMENT_PHASES)
    settlement_type = one_of(SETTLEMENT_TYPES)
    settlement_amount = decimal()
    settlement_timestamp = timestamp()


class PaymentParamsSchema(Open):
    """What was paid."""

    currency = text(required=True)
    amount = decimal()
    transaction_id = text()


class PaymentSchema(Open):
    """A payment in init, confirm or update."""

    type = one_of(PAYMENT_TYPES)
    collected_by = one_of(COLLECTED_BY)
    status = one_of(PAYMENT_STATUSES)
    tl_method = one_of(TL_METHODS)
    uri = text()
    params = obj(PaymentParamsSchema)
    fee_type = one_of(FINDER_FEE_TYPES, key="@ondc/org/buyer_app_finder_fee_type")
    fee_amount = decimal(key="@ondc/org/buyer_app_finder_fee_amount")
    withholding_amount = decimal(key="@ondc/org/withholding_amount")
    settlement_basis = one_of(SETTLEMENT_BASES, key="@ondc/org/settlement_basis")
    settlement_window = duration(key="@ondc/org/settlement_window")
    settlement_details = list_of(SettlementSchema, key="@ondc/org/settlement_details")
    tags = tags()


class ConfirmPaymentSchema(PaymentSchema):
    """confirm must say how the order is paid."""

    type = one_of(PAYMENT_TYPES, required=True)


class InitOrderSchema(Open):
    """init: billing, delivery and the cart."""

    provider = obj(ProviderSchema, required=True)
    items = list_of(OrderItemSchema, required=True, non_empty=True)
    billing = obj(BillingSchema, required=True)
    fulfillments = list_of(OrderFulfillmentSchema, required=True, non_empty=True)
    payment = obj(PaymentSchema)
    tags = tags()


class InitMessage(Open):
    """init: message.order."""

    order = obj(InitOrderSchema, required=True)


class BreakupQuantitySchema(Open):
    """A quoted quantity (0 once cancelled)."""

    count = count(minimum=0)


class BreakupItemSchema(Open):
    """The item echoed in a breakup line."""

    price = obj(PriceSchema)


class BreakupSchema(Open):
    """One quote line."""

    item_id = ident(key="@ondc/org/item_id")
    item_quantity = obj(BreakupQuantitySchema, key="@ondc/org/item_quantity")
    title_type = one_of(TITLE_TYPES, required=True, key="@ondc/org/title_type")
    title = text()
    price = obj(PriceSchema, required=True)
    item = obj(BreakupItemSchema)


class QuoteSchema(Open):
    """The quote the buyer accepted."""

    price = obj(PriceSchema, required=True)
    breakup = list_of(BreakupSchema, required=True)
    ttl = duration()


class ConfirmOrderSchema(Open):
    """confirm: the order as the buyer accepts it."""

    id = ident()
    state = one_of(CONFIRM_ORDER_STATES, required=True)
    provider = obj(ProviderSchema, required=True)
    items = list_of(OrderItemSchema, required=True, non_empty=True)
    billing = obj(BillingSchema, required=True)
    fulfillments = list_of(OrderFulfillmentSchema, required=True, non_empty=True)
    quote = obj(QuoteSchema, required=True)
    payment = obj(ConfirmPaymentSchema, required=True)
    created_at = timestamp()
    updated_at = timestamp()
    tags = tags()


class ConfirmMessage(Open):
    """confirm: message.order."""

    order = obj(ConfirmOrderSchema, required=True)

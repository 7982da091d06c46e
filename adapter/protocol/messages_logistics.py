"""Schema checks of the logistics callbacks couriers send us, where we are the BAP (ONDC:LOG10/LOG11 1.2.5).

Only what we read is checked, so a courier's catalogue with fields we do not use still gets its ACK: the
catalogue's providers and their items, fulfilments and categories as lists of objects, and an item's price.
What a quote needs beyond that (an INR price, a TAT) is read leniently by ``adapter.logistics.quotes``.
"""

from __future__ import annotations

from marshmallow import Schema

from adapter.protocol.messages_base import Open, PriceSchema, list_of, obj, text

__all__ = ["LOG_CALLBACK_MESSAGES", "OnOrderMessage", "OnSearchMessage", "OnTrackMessage"]


class _ItemSchema(Open):
    id = text(required=True)
    price = obj(PriceSchema)


class _ProviderSchema(Open):
    id = text()
    items = list_of(_ItemSchema)
    fulfillments = list_of(Open)
    categories = list_of(Open)


class _CatalogSchema(Open):
    providers = list_of(_ProviderSchema, key="bpp/providers")


class OnSearchMessage(Open):
    """LOG on_search: message.catalog (absent in an error answer, which carries ``error`` beside the message)."""

    catalog = obj(_CatalogSchema)


class _OrderSchema(Open):
    id = text()
    fulfillments = list_of(Open)


class OnOrderMessage(Open):
    """LOG on_init/on_confirm/on_status/on_cancel/on_update: message.order (read leniently by
    ``adapter.logistics.booking.read_order``)."""

    order = obj(_OrderSchema)


class OnTrackMessage(Open):
    """LOG on_track: message.tracking (its url is what /track hands the buyer)."""

    tracking = obj(Open)


LOG_CALLBACK_MESSAGES: dict[str, type[Schema]] = {
    "on_search": OnSearchMessage, "on_init": OnOrderMessage, "on_confirm": OnOrderMessage,
    "on_status": OnOrderMessage, "on_cancel": OnOrderMessage, "on_update": OnOrderMessage,
    "on_track": OnTrackMessage}

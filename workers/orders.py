"""Order settings for the flows, built from the service settings."""

from __future__ import annotations

from adapter.orders.delivery_terms import DeliveryTerms
from catalog_sync.order_flows import OrderPolicy
from config import Settings


def order_policy(settings: Settings) -> OrderPolicy:
    """Who we are in order callbacks, whether orders are accepted at once, and the delivery terms."""
    return OrderPolicy(bpp_id=settings.subscriber_id, bpp_uri=settings.bpp_uri,
                       auto_accept=settings.order_auto_accept, terms=DeliveryTerms(),
                       window_seconds=settings.unsolicited_delivery_window)

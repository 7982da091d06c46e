"""Order settings for the flows, built from the service settings."""

from __future__ import annotations

import hashlib

from adapter.orders.delivery_terms import DeliveryTerms
from catalog_sync.order_flows import OrderPolicy
from config import Settings


def order_policy(settings: Settings) -> OrderPolicy:
    """Who we are in order callbacks, whether orders are accepted at once, and the delivery terms."""
    # Invoice links are signed with a secret derived from our signing key, so they can't be guessed; without a
    # key there are no invoice links at all (OrderPolicy.public_url stays empty).
    key = settings.signing_private_key
    secret = hashlib.sha256(b"odop-invoice:" + key.encode()).hexdigest() if key else ""
    return OrderPolicy(bpp_id=settings.subscriber_id, bpp_uri=settings.bpp_uri,
                       auto_accept=settings.order_auto_accept, terms=DeliveryTerms(),
                       window_seconds=settings.unsolicited_delivery_window,
                       public_url=settings.subscriber_url if secret else "", invoice_secret=secret)

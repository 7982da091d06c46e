"""The order policy: who we are in order callbacks and the service-wide order settings, built from settings."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from adapter.logistics.couriers import CourierNetwork
from adapter.money.ledger import Rates
from adapter.orders.delivery_terms import DeliveryTerms
from adapter.protocol.identity import SellerApp
from config import Settings


@dataclass(frozen=True)
class OrderPolicy:
    """Our side of every order callback."""

    app: SellerApp
    auto_accept: bool
    terms: DeliveryTerms
    public_url: str = ""
    invoice_secret: str = ""
    rates: Rates = field(default_factory=Rates)  # the taxes settlements are figured with (adapter.money)
    couriers: CourierNetwork = field(default_factory=CourierNetwork)  # where live courier quotes come from

    @property
    def bpp_id(self) -> str:
        """Our subscriber id (the seller app's ONDC id)."""
        return self.app.bpp_id


def order_policy(settings: Settings) -> OrderPolicy:
    """Who we are in order callbacks, whether orders are accepted at once, and the delivery terms."""
    # Invoice links are signed with a secret derived from our signing key, so they can't be guessed; without a
    # key there are no invoice links at all (OrderPolicy.public_url stays empty).
    key = settings.signing_private_key
    secret = hashlib.sha256(b"odop-invoice:" + key.encode()).hexdigest() if key else ""
    return OrderPolicy(app=SellerApp.from_settings(settings), auto_accept=settings.order_auto_accept,
                       terms=DeliveryTerms(), public_url=settings.subscriber_url if secret else "",
                       invoice_secret=secret, rates=Rates.from_settings(settings),
                       couriers=CourierNetwork.from_settings(settings))

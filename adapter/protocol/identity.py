"""Who we are on the network: one record built from settings once, used by every message we send."""

from __future__ import annotations

from dataclasses import dataclass

from config import Settings


@dataclass(frozen=True)
class SellerApp:
    """Our seller network participant (BPP): ids, name, and the limits of what we send."""

    bpp_id: str
    bpp_uri: str
    name: str
    size_budget: int  # bytes one on_search may take; bigger catalogues are paginated
    window_seconds: int  # how long unsolicited callbacks are retried before they are dead-lettered
    # The operator's own GSTIN: an MSN (marketplace) seller app's tax_number in bpp_terms.
    gstin: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> SellerApp:
        """The record for these settings."""
        return cls(bpp_id=settings.subscriber_id, bpp_uri=settings.bpp_uri, name=settings.bpp_name,
                   size_budget=settings.on_search_max_bytes, window_seconds=settings.unsolicited_delivery_window,
                   gstin=settings.seller_app_gstin)

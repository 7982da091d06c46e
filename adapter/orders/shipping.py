"""Live courier quotes for a select: when to ask couriers, and what the quote then charges (docs/logistics.md).

A cooperative whose profile says ``shipping: {mode: network}`` has its delivery charge and TAT set by couriers on
ONDC logistics. The select is answered in two runs of the same request (see "The wait" in docs/logistics.md):

1. the first run checks the selection, sends the LOG search (``adapter.logistics.couriers.ask``) and leaves the
   request ``waiting``, to be run again after ``LOGISTICS_QUOTE_WAIT`` seconds;
2. the second run, started by that timer or sooner by the last courier's answer, takes the quote the cooperative's
   policy picks (or none: the slabs) and answers on_select.

No worker sits waiting in between. What was used is kept on the transaction's draft (``OrderDraft.shipping``), so
init and confirm quote the same charge and booking (not built yet) knows the courier.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from adapter.logistics import couriers
from adapter.logistics.parcel import parcel_of, why_no_parcel
from adapter.logistics.quotes import CourierQuote
from adapter.logistics.search import Drop, LogSearch, log_category, log_domain, payload_category
from adapter.orders.delivery_terms import DeliveryTerms
from adapter.orders.policy import OrderPolicy
from adapter.orders.quote import SelectionResult, ShippingCharge
from adapter.orders.results import FlowResult
from adapter.protocol.request import NetworkRequest
from adapter.store.models import LogisticsSearch, OrderDraft
from catalog_sync.model import Profile

__all__ = ["charge_of", "courier_search", "finish", "record", "start"]


def courier_search(profile: Profile, selection: SelectionResult, *, provider_id: str, retail_domain: str,
                   end_gps: str | None, end_area_code: str | None, terms: DeliveryTerms,
                   policy: OrderPolicy) -> LogSearch | str | None:
    """What to ask couriers for this selection; a reason to use the slabs instead; None for manual shipping
    (or nothing to deliver)."""
    if profile.shipping.mode != "network" or not selection.serviceable or selection.quote.item_total <= 0:
        return None
    if not policy.couriers.targets:
        return "no courier network is configured (LOGISTICS_GATEWAY_URL or LOGISTICS_COURIER_URLS)"
    lines = [(line.item, line.quantity) for line in selection.lines]
    parcel = parcel_of(lines, profile)
    if parcel is None:
        return why_no_parcel(lines, profile) or "no parcel"
    if not end_gps or not end_area_code:
        return "the buyer's drop-off has no GPS or no pincode"
    shipped = next(line.item for line in selection.lines if line.quantity > 0)
    pickup = profile.location(shipped.location_id) or profile.locations[0]
    domain = log_domain(selection.routing)
    return LogSearch(domain=domain, category=log_category(terms.category, domain), pickup=pickup,
                     drop=Drop(gps=end_gps, area_code=end_area_code), parcel=parcel,
                     declared_value=selection.quote.item_total, goods_category=payload_category(retail_domain),
                     provider_id=provider_id, provider_name=profile.name, opening=profile.opening)


def start(session: Session, request: NetworkRequest, search: LogSearch, policy: OrderPolicy, *,
          cooperative_id: int, now: dt.datetime) -> FlowResult:
    """Send the LOG search; the select waits (its request is run again once the wait is over)."""
    _, sent = couriers.ask(session, policy.app, policy.couriers, search, cooperative_id=cooperative_id,
                           inbound_id=request.inbound_id, retail_transaction_id=request.context.transaction_id,
                           now=now)
    return FlowResult(sent, waiting=True, reruns=[(request.inbound_id, policy.couriers.wait_seconds)])


def finish(session: Session, search: LogisticsSearch, profile: Profile,
           now: dt.datetime) -> tuple[ShippingCharge | None, dict[str, Any]]:
    """End a select's wait: the courier's charge (None: the slabs) and what the draft records of it."""
    chosen = couriers.close(session, search, policy=profile.shipping.policy, preferred=profile.shipping.preferred,
                            now=now)
    if chosen is None:
        return None, record(None, reason="no courier quoted within the wait") | {"search": couriers.describe(search)}
    return ShippingCharge(fee=chosen.price, transit=chosen.tat), record(chosen) | {"search": couriers.describe(search)}


def record(chosen: CourierQuote | None, *, reason: str = "") -> dict[str, Any]:
    """The draft's note of where the delivery charge came from."""
    if chosen is None:
        return {"source": "slabs", "reason": reason}
    return {"source": "courier", "courier": chosen.to_dict()}


def charge_of(draft: OrderDraft | None) -> ShippingCharge | None:
    """The courier's charge a select settled on for this transaction, for init and confirm to quote the same."""
    shipping = draft.shipping if draft is not None else None
    if not shipping or shipping.get("source") != "courier":
        return None
    courier = shipping["courier"]
    return ShippingCharge(fee=Decimal(str(courier["price"])), transit=str(courier["tat"]))


def on_search(session: Session, request: NetworkRequest, policy: OrderPolicy, now: dt.datetime) -> FlowResult:
    """A courier's LOG on_search: keep its quotes; when it was the last courier awaited, run the select now."""
    complete = couriers.record_answer(session, request, now)
    if complete is None or complete.inbound_id is None:
        return FlowResult()
    return FlowResult(reruns=[(complete.inbound_id, 0.0)])

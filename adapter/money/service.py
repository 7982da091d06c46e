"""Answering a buyer app's RSF 2.0 ``recon``: its figures kept against our ledger, our ``on_recon`` queued; and a
cooperative's artisan payouts for a period.

``answer_recon`` is called by the worker's dispatcher (adapter.orders.inbound) for a stored, ACKed recon; takes a
session and never commits. One ``on_recon`` answers the whole recon, through the one reply builder
(adapter.delivery.replies). ``artisan_payouts`` only reads.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy.orm import Session

from adapter.delivery.replies import ReplyTo, send_reply
from adapter.money import recon
from adapter.money import store as money_store
from adapter.money.ledger import Rates
from adapter.money.payouts import Period, Report, build_report
from adapter.protocol.identity import SellerApp
from adapter.protocol.request import NetworkRequest
from adapter.store.models import OutboxMessage

__all__ = ["answer_recon", "artisan_payouts"]


def answer_recon(session: Session, request: NetworkRequest, app: SellerApp, rates: Rates,
                 now: dt.datetime) -> OutboxMessage:
    """Compare the collector's figures with each order's ledger, keep them, and queue the on_recon."""
    claims = recon.claims_of(request.message)
    orders = money_store.find_orders(session, request.context.bap_id, [c.order_id for c in claims])
    answers, unknown, owners = [], [], set()
    for claim in claims:
        order = orders.get(claim.order_id)
        if order is None:
            unknown.append(claim.order_id)
            continue
        ledger = money_store.ledger_of(session, order, rates, now)
        answer, accord = recon.on_recon_order(claim, ledger, now)
        money_store.record_claim(session, order, claim, ledger.figures, accord=accord, request=request, now=now)
        answers.append(answer)
        owners.add(order.cooperative_id)
    error = recon.UnknownOrdersError(_unknown_text(unknown, request.context.bap_id)) if unknown else None
    # One cooperative's orders: the answer shows in its outbox; several, or none: the operator's.
    owner = owners.pop() if len(owners) == 1 else None
    return send_reply(session, app, ReplyTo.answering(request, echo_ttl=True), "on_recon", now,
                      message={"orders": answers}, error=error, cooperative_id=owner)


def _unknown_text(unknown: list[str], bap_id: str) -> str:
    named = ", ".join(unknown[:10]) + (f" and {len(unknown) - 10} more" if len(unknown) > 10 else "")
    return f"no order {named} from {bap_id}"


def artisan_payouts(session: Session, cooperative_id: int, period: Period, share_percent: Decimal, rates: Rates,
                    now: dt.datetime) -> Report:
    """What each artisan of the cooperative earned from the orders placed in ``period`` (docs/money.md)."""
    found = money_store.sales(session, cooperative_id=cooperative_id, start=period.start, end=period.end,
                              rates=rates, now=now)
    return build_report(found, period, share_percent)

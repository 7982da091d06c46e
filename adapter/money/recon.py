"""RSF 2.0 reconciliation, pure: a collector's figures per order against our ledger, and our ``on_recon``.

A buyer app that collected the buyer's payment (the collector) sends ``recon`` with, per order, its settlements:
amount (what it pays us), commission (its finder fee with GST), withholding_amount, tcs and tds. We, the receiver,
answer per order with ``recon_accord: true`` and its settlements (with their due date) when every figure agrees
with ours to the paisa, else ``recon_accord: false`` with our figures and each ``diff_value`` (the validator's
RSF_v2 on_recon schema). Several settlements of one order are compared as their totals, and a disagreement is
answered in one settlement carrying the first one's ids. Orders we do not know are left out of the answer and
named in its error (70030, "invalid order id").
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from adapter.errors import CallbackError
from adapter.money.ledger import ZERO, Figures, Ledger, money, rupees
from adapter.protocol.context import format_timestamp

__all__ = ["Claim", "UnknownOrdersError", "claims_of", "on_recon_order"]

OPEN_STATUSES = frozenset({"PENDING", "TO_BE_INITIATED"})


class UnknownOrdersError(CallbackError):
    """A recon named orders this seller app does not have from that buyer app (RSF 70030)."""

    code = "70030"
    default_message = "Invalid order_id"


@dataclass(frozen=True)
class Claim:
    """What the collector states for one order: the totals of its settlements, and the settlements as sent."""

    order_id: str
    figures: Figures
    settlements: tuple[dict[str, Any], ...]

    @property
    def status(self) -> str:
        """The first settlement's status (PENDING, SETTLED or TO_BE_INITIATED)."""
        return str(self.settlements[0].get("status", ""))

    @property
    def settlement_ref(self) -> str | None:
        """The collector's reference of a SETTLED settlement, if it gave one."""
        refs = [str(s["settlement_ref_no"]) for s in self.settlements if s.get("settlement_ref_no")]
        return refs[0] if refs else None


def _value(settlement: dict[str, Any], name: str) -> Decimal:
    return money(str((settlement.get(name) or {}).get("value", "0")))


def claims_of(message: dict[str, Any]) -> list[Claim]:
    """The collector's claim per order of a recon message (the webhook's schema has checked its shape)."""
    claims = []
    for order in message.get("orders") or []:
        settlements = tuple(s for s in order.get("settlements") or [] if isinstance(s, dict))
        totals = {name: sum((_value(s, name) for s in settlements), ZERO) for name in Figures.NAMES}
        claims.append(Claim(order_id=str(order["id"]), figures=Figures(**totals), settlements=settlements))
    return claims


def _price(value: Decimal, diff: Decimal | None = None) -> dict[str, str]:
    # RSF amounts are unsigned: a figure below zero (fees larger than the order) is written as its size.
    price = {"currency": "INR", "value": rupees(abs(value))}
    if diff is not None:
        price["diff_value"] = rupees(abs(diff))
    return price


def due_date(ledger: Ledger, now: dt.datetime) -> dt.datetime:
    """When the settlement falls due; before its basis event (delivery, say) the earliest it can: now + window."""
    return ledger.due_at if ledger.due_at is not None else now + ledger.terms.window


def on_recon_order(claim: Claim, ledger: Ledger, now: dt.datetime) -> tuple[dict[str, Any], bool]:
    """Our answer for one order of a recon, and whether we agree with every figure."""
    differences = ledger.figures.differences(claim.figures)
    stamp = format_timestamp(now)
    if not differences:
        settlements = []
        for sent in claim.settlements:
            answer: dict[str, Any] = {"id": sent["id"], "payment_id": sent["payment_id"], "status": sent["status"]}
            if sent.get("settlement_ref_no"):
                answer["settlement_ref_no"] = sent["settlement_ref_no"]
            if sent["status"] in OPEN_STATUSES:
                answer["due_date"] = format_timestamp(due_date(ledger, now))
            answer |= {name: _price(_value(sent, name)) for name in Figures.NAMES}
            settlements.append(answer | {"updated_at": stamp})
        return {"id": claim.order_id, "amount": _price(claim.figures.amount), "recon_accord": True,
                "settlements": settlements}, True
    first = claim.settlements[0]
    ours = ledger.figures.as_dict()
    theirs = claim.figures.as_dict()
    settlement: dict[str, Any] = {"id": first["id"], "payment_id": first["payment_id"], "status": first["status"]}
    if first.get("settlement_ref_no"):
        settlement["settlement_ref_no"] = first["settlement_ref_no"]
    settlement |= {name: _price(ours[name], theirs[name] - ours[name]) for name in Figures.NAMES}
    settlement["updated_at"] = stamp
    return {"id": claim.order_id, "amount": _price(ledger.expected), "recon_accord": False,
            "settlements": [settlement]}, False

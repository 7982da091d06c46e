"""Rupee amounts: Decimal, rounded half-up to paise, rendered as 2-decimal strings."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

__all__ = ["CURRENCY", "PAISA", "money", "money_text"]

CURRENCY = "INR"
PAISA = Decimal("0.01")


def money(value: Decimal | int) -> Decimal:
    """Round to 2 places, half up (333.335 -> 333.34)."""
    return Decimal(value).quantize(PAISA, rounding=ROUND_HALF_UP)


def money_text(value: Decimal | int) -> str:
    """Return the ONDC price string with exactly 2 decimals, e.g. "450.00" or "-2460.00"."""
    rounded = money(value)
    if rounded == 0:
        rounded = abs(rounded)  # never "-0.00"
    return f"{rounded:.2f}"

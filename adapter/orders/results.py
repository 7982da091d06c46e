"""What an order flow or a seller's move produced: the callbacks it queued and whose stock changed."""

from __future__ import annotations

from dataclasses import dataclass, field

from adapter.store.models import OutboxMessage

__all__ = ["FlowResult"]


@dataclass
class FlowResult:
    """What a flow queued, and which cooperatives' stock changed (they owe a catalogue push)."""

    outbox: list[OutboxMessage] = field(default_factory=list)
    stock_changed: set[int] = field(default_factory=set)

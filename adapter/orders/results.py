"""What an order flow or a seller's move produced: the callbacks it queued, whose stock changed, the alerts."""

from __future__ import annotations

from dataclasses import dataclass, field

from adapter.store.models import AlertMessage, OutboxMessage

__all__ = ["FlowResult"]


@dataclass
class FlowResult:
    """What a flow queued, which cooperatives' stock changed (they owe a catalogue push), and the alerts it
    wrote for cooperatives (adapter.alerts), sent after the commit."""

    outbox: list[OutboxMessage] = field(default_factory=list)
    stock_changed: set[int] = field(default_factory=set)
    alerts: list[AlertMessage] = field(default_factory=list)

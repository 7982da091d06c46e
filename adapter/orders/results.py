"""What an order flow or a seller's move produced: the callbacks it queued, whose stock changed, the alerts."""

from __future__ import annotations

from dataclasses import dataclass, field

from adapter.store.models import AlertMessage, OutboxMessage

__all__ = ["FlowResult"]


@dataclass
class FlowResult:
    """What a flow queued, which cooperatives' stock changed (they owe a catalogue push), and the alerts it
    wrote for cooperatives (adapter.alerts), sent after the commit.

    ``waiting``: the request is not answered yet (a select waiting for courier quotes, adapter.orders.shipping);
    ``reruns``: stored requests to run again after the commit, each after a delay in seconds.
    """

    outbox: list[OutboxMessage] = field(default_factory=list)
    stock_changed: set[int] = field(default_factory=set)
    alerts: list[AlertMessage] = field(default_factory=list)
    waiting: bool = False
    reruns: list[tuple[int, float]] = field(default_factory=list)

    def then(self, other: FlowResult) -> FlowResult:
        """This result followed by ``other`` (moves made one after another): their callbacks in order, every
        cooperative whose stock changed, every alert."""
        return FlowResult([*self.outbox, *other.outbox], self.stock_changed | other.stock_changed,
                          [*self.alerts, *other.alerts], self.waiting or other.waiting,
                          [*self.reruns, *other.reruns])

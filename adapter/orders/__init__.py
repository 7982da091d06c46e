"""Quotes, order and fulfilment state machines, stock reservations."""

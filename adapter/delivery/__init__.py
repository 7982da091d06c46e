"""The outbox, signed POSTs through the one HTTP client, and the retry policy."""

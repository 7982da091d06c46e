"""The outbox, the one reply builder (``replies``), signed POSTs through the one HTTP client, and retries."""

"""The test courier's callbacks on the wire: serialised once, signed with the courier's key, POSTed to the
logistics buyer's bap_uri through the project's one HTTP client, retried while the failure is transient."""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from typing import Any

import orjson

from adapter.delivery.http import HttpClient, TransportError
from adapter.delivery.urls import join_action_url
from adapter.logistics.courier.store import Store
from adapter.protocol.context import format_timestamp
from adapter.protocol.keys import SigningKey
from adapter.protocol.signing import sign_request

__all__ = ["Sender"]

log = logging.getLogger("adapter.logistics.courier")


class Sender:
    """Signs and sends callbacks, and logs each one (with its answer) in the courier's store."""

    def __init__(self, *, subscriber_id: str, key_id: str, key: SigningKey, store: Store, validity: int = 300,
                 timeout: float = 5.0, attempts: int = 3, pause: float = 0.5,
                 clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)) -> None:
        self.subscriber_id = subscriber_id
        self.key_id = key_id
        self._key = key
        self._store = store
        self._validity = validity
        self._timeout = timeout
        self._attempts = attempts
        self._pause = pause
        self._clock = clock

    def send(self, body: dict[str, Any], *, awb: str | None = None) -> int | None:
        """POST a callback to {bap_uri}/{action}; the HTTP status of the last try (None: no answer at all)."""
        context = body["context"]
        raw = orjson.dumps(body)  # these bytes are signed and sent
        url = join_action_url(context["bap_uri"], context["action"])
        status: int | None = None
        answer = ""
        for attempt in range(self._attempts):
            created = int(self._clock().timestamp())
            header = sign_request(raw, subscriber_id=self.subscriber_id, unique_key_id=self.key_id, key=self._key,
                                  created=created, expires=created + self._validity)
            try:
                with HttpClient(connect_timeout=self._timeout, read_timeout=self._timeout,
                                user_agent="odop-test-courier") as client:
                    result = client.post(url, raw, {"Authorization": header})
                status, answer = result.status_code, result.body.decode("utf-8", errors="replace")[:2000]
            except TransportError as error:
                status, answer = None, str(error)
            if status is not None and status < 500 and status != 429:
                break
            if attempt + 1 < self._attempts:
                time.sleep(self._pause * 2 ** attempt)
        log.info("courier sent %s to %s: %s", context["action"], url, status or answer)
        self._store.record_sent(at=format_timestamp(self._clock()), transaction_id=context["transaction_id"],
                                awb=awb, action=context["action"], url=url, body=body, status=status, answer=answer)
        return status

"""Queueing processing tasks off the request path: a per-process background thread publishes them."""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

from kombu.exceptions import OperationalError as BrokerError

from workers.task_names import PROCESS_INBOUND

log = logging.getLogger("adapter.web.publisher")


class Publisher:
    """Sends `odop.process_inbound` tasks from a daemon thread, so publishing never delays an ACK.

    While the broker is unreachable the thread keeps trying the same message, backing off from 0.2 s to 2 s, for
    up to ``retry_for`` seconds: a broker that pauses for a few seconds costs a delay, not an answer past the
    request's ttl. A message whose task is still not sent after that (or is lost with the process) stays
    `received` in the database and the beat sweeper queues it later: the database, not this queue, is the record.
    """

    def __init__(self, celery: Any, maxsize: int = 10_000, retry_for: float = 20.0,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.celery = celery
        self.retry_for, self._sleep = retry_for, sleep
        self.queue: queue.Queue[int] = queue.Queue(maxsize=maxsize)
        self._pid: int | None = None
        self._lock = threading.Lock()

    def submit(self, inbound_id: int) -> None:
        """Hand an inbound message to the publisher thread (dropped, for the sweeper, when the queue is full)."""
        self._ensure_thread()
        try:
            self.queue.put_nowait(inbound_id)
        except queue.Full:
            log.warning("publisher queue full; message %s left for the sweeper", inbound_id)

    def _ensure_thread(self) -> None:
        # Threads do not survive fork: start one per process (gunicorn workers fork after import).
        if self._pid == os.getpid():
            return
        with self._lock:
            if self._pid != os.getpid():
                threading.Thread(target=self._run, name="odop-publisher", daemon=True).start()
                self._pid = os.getpid()

    def _run(self) -> None:
        while True:
            self.publish(self.queue.get())

    def publish(self, inbound_id: int) -> bool:
        """Send one processing task, retrying while the broker is unreachable; False when left for the sweeper."""
        deadline = time.monotonic() + self.retry_for
        delay = 0.2
        while True:
            try:
                self.celery.send_task(PROCESS_INBOUND, args=[inbound_id], retry=False, ignore_result=True)
                return True
            except (BrokerError, OSError) as error:
                if time.monotonic() + delay > deadline:
                    log.warning("broker unavailable; message %s left for the sweeper", inbound_id,
                                extra={"error": f"{type(error).__name__}: {error}"[:200]})
                    return False
            self._sleep(delay)
            delay = min(delay * 2, 2.0)

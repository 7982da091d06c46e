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

from workers.task_names import PROCESS_INBOUND, PROCESS_INBOUND_MANY

log = logging.getLogger("adapter.web.publisher")


class Publisher:
    """Sends `odop.process_inbound` tasks from a daemon thread, so publishing never delays an ACK.

    Searches go out together as one `odop.process_inbound_many` task (at most ``batch_max``, waiting at most
    ``linger`` seconds for more after the first): under a burst, one broker message carries many searches, which
    keeps publishing off the ACK path's bill; a lone search waits 5 ms. The batch grows with the load: while a
    task is being sent the next searches gather, so a slow broker (a send costs 0.3 to 0.5 ms of CPU through
    Celery and either broker) is asked fewer times rather than falling behind. Orders and every other action go out
    at once, one task each.

    While the broker is unreachable the thread keeps trying the same message, backing off from 0.2 s to 2 s, for
    up to ``retry_for`` seconds: a broker that pauses for a few seconds costs a delay, not an answer past the
    request's ttl. A message whose task is still not sent after that (or is lost with the process) stays
    `received` in the database and the beat sweeper queues it later: the database, not this queue, is the record.
    """

    def __init__(self, celery: Any, maxsize: int = 10_000, retry_for: float = 20.0,
                 sleep: Callable[[float], None] = time.sleep, batch_max: int = 64, linger: float = 0.005) -> None:
        self.celery = celery
        self.retry_for, self._sleep = retry_for, sleep
        self.batch_max, self.linger = batch_max, linger
        self.queue: queue.Queue[tuple[int, bool]] = queue.Queue(maxsize=maxsize)
        self._pid: int | None = None
        self._lock = threading.Lock()

    def submit(self, inbound_id: int, *, batchable: bool = False) -> None:
        """Hand an inbound message to the publisher thread (dropped, for the sweeper, when the queue is full).

        ``batchable``: the message may share a task with others (searches).
        """
        self._ensure_thread()
        try:
            self.queue.put_nowait((inbound_id, batchable))
        except queue.Full:
            log.warning("publisher queue full; message %s left for the sweeper", inbound_id)

    def flush(self, retry_for: float = 2.0) -> int:
        """Send what is queued, from the calling thread (the process is exiting); the messages handed to the
        broker. What is left (the broker down) stays `received` for the sweeper."""
        waiting: list[tuple[int, bool]] = []
        while True:
            try:
                waiting.append(self.queue.get_nowait())
            except queue.Empty:
                break
        searches = [inbound_id for inbound_id, batchable in waiting if batchable]
        tasks = [[inbound_id] for inbound_id, batchable in waiting if not batchable]
        tasks += [searches[at:at + self.batch_max] for at in range(0, len(searches), self.batch_max)]
        return sum(len(ids) for ids in tasks if self.publish(ids, retry_for=retry_for))

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
            for ids in self.take():
                self.publish(ids)

    def take(self) -> list[list[int]]:
        """Wait for the next message, then for up to ``linger`` seconds more while searches come in: the tasks to
        send, orders first (each alone), then the searches together."""
        waiting = [self.queue.get()]
        deadline = time.monotonic() + self.linger
        while len(waiting) < self.batch_max:
            left = deadline - time.monotonic()
            try:
                waiting.append(self.queue.get(timeout=left) if left > 0 and waiting[-1][1]
                               else self.queue.get_nowait())
            except queue.Empty:
                break
        tasks = [[inbound_id] for inbound_id, batchable in waiting if not batchable]
        searches = [inbound_id for inbound_id, batchable in waiting if batchable]
        return [*tasks, searches] if searches else tasks

    def publish(self, inbound_ids: list[int], retry_for: float | None = None) -> bool:
        """Send one processing task, retrying while the broker is unreachable; False when left for the sweeper."""
        deadline = time.monotonic() + (self.retry_for if retry_for is None else retry_for)
        delay = 0.2
        task, args = (PROCESS_INBOUND, [inbound_ids[0]]) if len(inbound_ids) == 1 else (PROCESS_INBOUND_MANY,
                                                                                       [inbound_ids])
        while True:
            try:
                self.celery.send_task(task, args=args, retry=False, ignore_result=True)
                return True
            except (BrokerError, OSError) as error:
                if time.monotonic() + delay > deadline:
                    log.warning("broker unavailable; messages %s left for the sweeper", inbound_ids,
                                extra={"error": f"{type(error).__name__}: {error}"[:200]})
                    return False
            self._sleep(delay)
            delay = min(delay * 2, 2.0)

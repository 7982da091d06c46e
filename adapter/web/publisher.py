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
    keeps publishing off the ACK path's bill; a lone search waits 5 ms. The batch grows with the load: search
    tasks leave at most one per ``min_gap`` seconds (20 ms), so at 750 searches/s a process sends about 50 tasks
    of 15 rather than 190 of 4. Each send costs 0.3 to 0.5 ms of CPU (Celery and either broker), paid in this
    thread while it holds the GIL the ACKs need. The search buffer hands over each stored batch as one entry
    (`submit_searches`), so the thread is woken once per batch, not per search. Orders and every other action go
    out at once, one task each, and are never held back for a batch.

    While the broker is unreachable the thread keeps trying the same message, backing off from 0.2 s to 2 s, for
    up to ``retry_for`` seconds: a broker that pauses for a few seconds costs a delay, not an answer past the
    request's ttl. A message whose task is still not sent after that (or is lost with the process) stays
    `received` in the database and the beat sweeper queues it later: the database, not this queue, is the record.
    """

    def __init__(self, celery: Any, maxsize: int = 10_000, retry_for: float = 20.0,
                 sleep: Callable[[float], None] = time.sleep, batch_max: int = 64, linger: float = 0.005,
                 min_gap: float = 0.02) -> None:
        self.celery = celery
        self.retry_for, self._sleep = retry_for, sleep
        self.batch_max, self.linger, self.min_gap = batch_max, linger, min_gap
        # Each entry: inbound ids and whether they may share a task (searches); a search batch is one entry.
        self.queue: queue.Queue[tuple[list[int], bool]] = queue.Queue(maxsize=maxsize)
        self._last_searches = -min_gap  # when the last search task was taken (time.monotonic())
        self._pid: int | None = None
        self._lock = threading.Lock()

    def submit(self, inbound_id: int, *, batchable: bool = False) -> None:
        """Hand an inbound message to the publisher thread (dropped, for the sweeper, when the queue is full).

        ``batchable``: the message may share a task with others (searches).
        """
        self._put([inbound_id], batchable)

    def submit_searches(self, inbound_ids: list[int]) -> None:
        """Hand several searches to the publisher thread at once (one wake-up)."""
        if inbound_ids:
            self._put(inbound_ids, True)

    def _put(self, inbound_ids: list[int], batchable: bool) -> None:
        self._ensure_thread()
        try:
            self.queue.put_nowait((inbound_ids, batchable))
        except queue.Full:
            log.warning("publisher queue full; messages %s left for the sweeper", inbound_ids)

    def flush(self, retry_for: float = 2.0) -> int:
        """Send what is queued, from the calling thread (the process is exiting); the messages handed to the
        broker. What is left (the broker down) stays `received` for the sweeper."""
        waiting: list[tuple[list[int], bool]] = []
        while True:
            try:
                waiting.append(self.queue.get_nowait())
            except queue.Empty:
                break
        return sum(len(ids) for ids in self._tasks(waiting) if self.publish(ids, retry_for=retry_for))

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
        """Wait for the next message, then, while searches come in, until ``linger`` seconds have passed and
        ``min_gap`` since the last search task: the tasks to send, orders first (each alone), then the searches
        (``batch_max`` a task)."""
        waiting = [self.queue.get()]
        deadline = max(time.monotonic() + self.linger, self._last_searches + self.min_gap)
        taken = len(waiting[0][0])
        while taken < self.batch_max:
            left = deadline - time.monotonic()
            try:
                waiting.append(self.queue.get(timeout=left) if left > 0 and waiting[-1][1]
                               else self.queue.get_nowait())
            except queue.Empty:
                break
            taken += len(waiting[-1][0])
        tasks = self._tasks(waiting)
        if any(batchable for _, batchable in waiting):
            self._last_searches = time.monotonic()
        return tasks

    def _tasks(self, waiting: list[tuple[list[int], bool]]) -> list[list[int]]:
        tasks = [[inbound_id] for ids, batchable in waiting if not batchable for inbound_id in ids]
        searches = [inbound_id for ids, batchable in waiting if batchable for inbound_id in ids]
        return tasks + [searches[at:at + self.batch_max] for at in range(0, len(searches), self.batch_max)]

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

"""Plain searches stored a few milliseconds after their ACK, many per INSERT: a group commit.

A search is the one call whose ACK promises nothing a buyer app cannot get again by searching again, so it is
the one call whose row may be written after the ACK has gone out (docs/network.md, "The one durability trade").
The receiver (`adapter.protocol.receive`) checks the signature and the request as always, then hands the row of
a plain search (not a ``catalog_inc`` one) here instead of inserting it. A thread per process takes what has
gathered, waiting up to ``linger`` seconds after the first row, and stores it as one multi-row INSERT on the
relaxed pool (`InboundWriter.record_many`); then ``on_written`` publishes the new rows and counts the answers.

What it keeps:

* Dedupe: the INSERT skips a taken ``(bap_id, action, message_id)`` key, so a repeated search, whether the
  earlier one is in the table, in the same batch or in another process's batch, is stored and answered once.
* The database first: rows are taken only while the writer's last statement succeeded. While the database
  fails, searches are stored on the request path again, where an outage is a 503 NACK the buyer app retries.
* No silent loss: a batch the database refuses is retried with backoff for ``retry_for`` seconds (a batch that
  fails for a reason of its own is written row by row, so one bad row costs only itself); what still cannot be
  stored is logged at ERROR with its ids. A process that exits (gunicorn's ``worker_exit``, ``atexit``) first
  stores what it holds: `flush_all`.
* SQLite: each flush is one autocommit statement of at most ``batch_max`` rows, so the write lock is never held
  across the wait for rows, and other writers (the worker) wait no longer than for any other statement.

A row lost to a crash of the process (SIGKILL, out of memory) is one whose search gets no on_search; the buyer
app searches again. That is the trade, and the reason it is made for plain searches only.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable
from typing import Any

from sqlalchemy.exc import InterfaceError, OperationalError, SQLAlchemyError

from adapter.store.inbound import InboundWriter, Written

log = logging.getLogger("adapter.store.search_buffer")

Row = dict[str, Any]
OnWritten = Callable[[list[Row], list[Written]], None]

_LIVE: weakref.WeakSet[SearchBuffer] = weakref.WeakSet()
_START = threading.Lock()


class SearchBuffer:
    """Rows of ACKed searches, stored by a background thread (see the module's docstring)."""

    def __init__(self, writer: InboundWriter, on_written: OnWritten, *, linger: float = 0.005,
                 batch_max: int = 200, maxsize: int = 10_000, retry_for: float = 20.0,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.writer, self.on_written = writer, on_written
        self.linger, self.batch_max, self.maxsize = linger, batch_max, maxsize
        self.retry_for, self._sleep = retry_for, sleep
        self._pid: int | None = None
        self._thread: threading.Thread | None = None
        self._closed = False
        self._reset()
        _LIVE.add(self)

    def _reset(self) -> None:
        # Fresh locks and an empty buffer in a new process: a fork copies neither a thread nor its work.
        self._rows: deque[Row] = deque()
        self._ready = threading.Condition(threading.Lock())
        self._writing = threading.Lock()  # rows leave the buffer only under it, so `flush` sees them all

    def put(self, row: Row) -> bool:
        """Take a row to store soon; False when the caller must store it now (the database failing, the buffer
        full or closed, no thread to write it)."""
        if not self.writer.healthy or self._closed:
            return False
        if not self._running():
            return False
        with self._ready:
            if len(self._rows) >= self.maxsize:
                return False
            self._rows.append(row)
            if len(self._rows) == 1 or len(self._rows) >= self.batch_max:
                self._ready.notify()
        return True

    def pending(self) -> int:
        """Rows taken and not yet written."""
        return len(self._rows)

    def flush(self, retry_for: float | None = None) -> int:
        """Store every row taken so far, from the calling thread; the number of rows written (or given up)."""
        if self._pid != os.getpid():
            return 0  # nothing taken in this process
        done = 0
        with self._writing:
            while self._rows:
                batch = self._take()
                self._store(batch, self.retry_for if retry_for is None else retry_for)
                done += len(batch)
        return done

    def close(self, retry_for: float = 5.0) -> int:
        """Take no more rows, and store those held (with a short retry: the process is going away)."""
        self._closed = True
        with self._ready:
            self._ready.notify()
        return self.flush(retry_for)

    def _running(self) -> bool:
        if self._pid == os.getpid():
            return self._thread is not None and self._thread.is_alive()
        with _START:  # the first search in this process (gunicorn forks its workers after import)
            if self._pid != os.getpid():
                self._reset()
                self._thread = threading.Thread(target=self._run, name="odop-search-buffer", daemon=True)
                self._thread.start()
                self._pid = os.getpid()
        return True

    def _run(self) -> None:
        while not self._closed:
            with self._ready:
                while not self._rows and not self._closed:
                    self._ready.wait()
                deadline = time.monotonic() + self.linger
                while len(self._rows) < self.batch_max and not self._closed:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        break
                    self._ready.wait(left)
            with self._writing:
                if self._rows:
                    batch = self._take()
                    try:
                        self._store(batch, self.retry_for)
                    except Exception:  # the thread must outlive a bug; logged with the searches it concerns
                        log.exception("search buffer: a flush failed", extra={
                            "searches": [f"{row['bap_id']}|{row['message_id']}" for row in batch]})

    def _take(self) -> list[Row]:
        with self._ready:
            return [self._rows.popleft() for _ in range(min(self.batch_max, len(self._rows)))]

    def _store(self, batch: list[Row], retry_for: float) -> None:
        deadline, delay = time.monotonic() + retry_for, 0.2
        while True:
            try:
                written = self.writer.record_many(batch)
                break
            except (OperationalError, InterfaceError) as error:  # the database, not the rows: wait and retry
                if time.monotonic() + delay > deadline:
                    _lost(batch, "the database stayed unavailable", error)
                    return
                log.warning("search buffer: database unavailable; retrying %d searches", len(batch),
                            extra={"error": f"{type(error).__name__}"})
                self._sleep(delay)
                delay = min(delay * 2, 2.0)
            except SQLAlchemyError as error:  # something in the rows: each alone, so one costs only itself
                if len(batch) == 1:
                    _lost(batch, "the database refused the row", error)
                    return
                for row in batch:
                    self._store([row], retry_for)
                return
        try:
            self.on_written(batch, written)
        except Exception:  # stored is stored: a failed publish is the sweeper's to redo; logged
            log.exception("search buffer: stored, but handing the searches on failed (the sweeper queues them)")


def _lost(batch: list[Row], why: str, error: Exception) -> None:
    log.error("search buffer: %d ACKed searches could not be stored (%s); their buyer apps get no on_search",
              len(batch), why, extra={"error": f"{type(error).__name__}: {error}"[:300],
                                      "searches": [f"{row['bap_id']}|{row['message_id']}" for row in batch]})


def flush_all(retry_for: float = 5.0) -> int:
    """Store what every buffer of this process holds and close it (a worker exiting); rows written."""
    return sum(buffer.close(retry_for) for buffer in list(_LIVE))


atexit.register(flush_all)

"""Wrong keys cost time: after too many failed sign-ins or API keys from one address, it waits.

Counted per client address in a fixed window, in Redis when there is one (every web process shares the count)
and in this process otherwise (the embedded mode: each gunicorn worker counts on its own, so the limit is per
worker there). Only failures count, so a cooperative using its right key is never slowed down.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from redis.exceptions import RedisError

MAX_FAILURES = 10  # wrong keys from one address per window
WINDOW_SECONDS = 300
_MAX_TRACKED = 10_000  # addresses remembered in-process; the oldest are forgotten first


class FailureThrottle:
    """Counts failed authentications per address; ``retry_after`` says how long a blocked address must wait."""

    def __init__(self, redis: Any | None, *, limit: int = MAX_FAILURES, window: int = WINDOW_SECONDS,
                 clock: Callable[[], float] = time.time) -> None:
        self.redis, self.limit, self.window, self.clock = redis, limit, window, clock
        self._local: dict[str, tuple[int, float]] = {}
        self._lock = threading.Lock()

    def _bucket(self, address: str) -> str:
        return f"odop:authfail:{address}:{int(self.clock() // self.window)}"

    def retry_after(self, address: str) -> int | None:
        """Seconds until this address may try again, or None when it may try now."""
        if self._count(address) < self.limit:
            return None
        return max(1, int(self.window - self.clock() % self.window))

    def failed(self, address: str) -> None:
        """Count one failed attempt from this address."""
        bucket = self._bucket(address)
        if self.redis is not None:
            try:
                pipe = self.redis.pipeline()
                pipe.incr(bucket)
                pipe.expire(bucket, self.window)
                pipe.execute()
                return
            except RedisError:
                pass  # Redis down: count in this process rather than not at all
        with self._lock:
            count, _ = self._local.get(bucket, (0, 0.0))
            self._local[bucket] = (count + 1, self.clock())
            if len(self._local) > _MAX_TRACKED:
                for key, _ in sorted(self._local.items(), key=lambda kv: kv[1][1])[: len(self._local) // 2]:
                    del self._local[key]

    def _count(self, address: str) -> int:
        bucket = self._bucket(address)
        if self.redis is not None:
            try:
                return int(self.redis.get(bucket) or 0)
            except RedisError:
                pass
        with self._lock:
            return self._local.get(bucket, (0, 0.0))[0]

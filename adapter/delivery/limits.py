"""Per-buyer-app concurrency: at most ``limit`` POSTs in flight to one buyer app, across every worker.

With Redis, each buyer app has a sorted set of lease tokens scored by their expiry time (Redis server clock),
so a worker that dies mid-POST frees its slot when the lease runs out. Without Redis, the same semantics
hold inside one process.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import redis

__all__ = ["UNLIMITED_PREFIX", "BuyerLimiter"]

log = logging.getLogger(__name__)

KEY_PREFIX = "odop:delivery:slots:"
# A token handed out when Redis cannot be reached: delivery goes on unlimited (fail open) rather than stall.
UNLIMITED_PREFIX = "unlimited:"

# KEYS[1] slot set; ARGV: limit, lease ms, token. Expired leases are dropped first; all of it is atomic.
_ACQUIRE = """
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) * 1000 + math.floor(tonumber(now_parts[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[3])
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
  return 1
end
return 0
"""
# KEYS[1] slot set: how many leases are unexpired.
_COUNT = """
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) * 1000 + math.floor(tonumber(now_parts[2]) / 1000)
return redis.call('ZCOUNT', KEYS[1], '(' .. now, '+inf')
"""


class BuyerLimiter:
    """A counting semaphore per buyer app whose slots are expiring leases."""

    def __init__(
        self,
        redis_client: redis.Redis | None,
        limit: int,
        lease_seconds: int,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if limit < 1 or lease_seconds < 1:
            raise ValueError("limit and lease_seconds must be positive")
        self.limit = limit
        self.lease_seconds = lease_seconds
        self._redis = redis_client
        self._script: Any = redis_client.register_script(_ACQUIRE) if redis_client is not None else None
        self._count: Any = redis_client.register_script(_COUNT) if redis_client is not None else None
        self._clock = clock
        self._lock = threading.Lock()
        self._local: dict[str, dict[str, float]] = {}

    def acquire(self, bap_key: str) -> str | None:
        """A token for one slot of ``bap_key``, or None when all its slots are taken."""
        token = uuid.uuid4().hex
        if self._script is None:
            return self._acquire_local(bap_key, token)
        try:
            granted = self._script(keys=[KEY_PREFIX + bap_key], args=[self.limit, self.lease_seconds * 1000, token])
        except redis.RedisError as error:
            log.warning("buyer limiter unavailable, delivering unlimited", extra={"bap_key": bap_key,
                                                                                "error": str(error)})
            return UNLIMITED_PREFIX + token
        return token if int(granted) == 1 else None

    def release(self, bap_key: str, token: str) -> None:
        """Give the slot back; releasing an unknown or expired token does nothing."""
        if token.startswith(UNLIMITED_PREFIX):
            return
        if self._redis is None:
            with self._lock:
                self._local.get(bap_key, {}).pop(token, None)
            return
        try:
            self._redis.zrem(KEY_PREFIX + bap_key, token)
        except redis.RedisError as error:
            # The lease expires on its own; nothing else to do.
            log.warning("could not release buyer slot", extra={"bap_key": bap_key, "error": str(error)})

    def in_use(self, bap_key: str) -> int:
        """How many unexpired slots ``bap_key`` holds (for metrics and tests)."""
        if self._redis is None:
            with self._lock:
                return len(self._prune(bap_key))
        return int(self._count(keys=[KEY_PREFIX + bap_key]))

    def _prune(self, bap_key: str) -> dict[str, float]:
        now = self._clock()
        leases = {token: expiry for token, expiry in self._local.get(bap_key, {}).items() if expiry > now}
        if leases:
            self._local[bap_key] = leases
        else:
            self._local.pop(bap_key, None)
        return leases

    def _acquire_local(self, bap_key: str, token: str) -> str | None:
        with self._lock:
            leases = self._prune(bap_key)
            if len(leases) >= self.limit:
                return None
            leases[token] = self._clock() + self.lease_seconds
            self._local[bap_key] = leases
            return token

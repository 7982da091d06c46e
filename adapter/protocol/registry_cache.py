"""Byte caches for registry lookups: Redis (shared by every process) or an in-process dict.

A cache is an optimisation only: `RedisKeyCache` turns Redis errors into misses so that Redis being down
never breaks signature checks, and then leaves Redis alone for a cooldown so that an outage does not add a
connection timeout to every lookup. redis-py's default client retries a refused connection with backoff
(about 9 s per command in redis-py 7), so give it a fail-fast client: `make_cache_client(url)`.
Public names are re-exported from `adapter.protocol.registry`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Protocol

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

__all__ = ["KeyCache", "MemoryKeyCache", "RedisKeyCache", "make_cache_client"]

log = logging.getLogger(__name__)


class KeyCache(Protocol):
    """Bytes by key with a time to live in seconds."""

    def get(self, key: str) -> bytes | None:
        """The value stored under ``key``, or None if absent or expired."""
        ...

    def set(self, key: str, value: bytes, ttl: int) -> None:
        """Store ``value`` under ``key`` for ``ttl`` (> 0) seconds."""
        ...


class MemoryKeyCache:
    """A thread-safe in-process cache with expiry, for embedded mode without Redis."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic, max_entries: int = 10_000) -> None:
        self._clock = clock
        self._max_entries = max_entries
        self._items: dict[str, tuple[float, bytes]] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        """The value under ``key`` unless it has expired."""
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return None
            expires_at, value = item
            if self._clock() >= expires_at:
                del self._items[key]
                return None
            return value

    def set(self, key: str, value: bytes, ttl: int) -> None:
        """Store ``value`` for ``ttl`` seconds; ttl <= 0 stores nothing."""
        if ttl <= 0:
            return
        with self._lock:
            now = self._clock()
            if len(self._items) >= self._max_entries and key not in self._items:
                self._evict(now)
            self._items[key] = (now + ttl, value)

    def _evict(self, now: float) -> None:
        # Bound memory against lookups for many distinct (possibly bogus) subscriber ids.
        for key in [k for k, (expires_at, _) in self._items.items() if expires_at <= now]:
            del self._items[key]
        while len(self._items) >= self._max_entries:
            del self._items[next(iter(self._items))]


def make_cache_client(url: str, *, timeout: float = 0.5) -> redis.Redis:
    """A Redis client for the registry cache that fails fast (short timeouts, no retries) when Redis is down."""
    return redis.Redis.from_url(
        url, socket_connect_timeout=timeout, socket_timeout=timeout, retry=Retry(NoBackoff(), 0)
    )


class RedisKeyCache:
    """Registry cache in Redis under ``odop:registry:``; a Redis error is logged and treated as a miss.

    After an error Redis is not tried again for ``cooldown`` seconds (every call is a miss meanwhile).
    """

    PREFIX = "odop:registry:"

    def __init__(
        self, client: redis.Redis, *, cooldown: float = 10.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._client = client
        self._cooldown = cooldown
        self._clock = clock
        self._retry_at = 0.0
        self._failing = False

    def get(self, key: str) -> bytes | None:
        """The value under ``key``, or None on a miss or when Redis is unreachable."""
        if self._cooling_down():
            return None
        try:
            value = self._client.get(self.PREFIX + key)
        except redis.RedisError as error:
            self._report(error)
            return None
        self._recovered()
        if value is None:
            return None
        if isinstance(value, str):  # a client created with decode_responses=True
            return value.encode("utf-8")
        if isinstance(value, bytes):
            return value
        return None

    def set(self, key: str, value: bytes, ttl: int) -> None:
        """Store ``value`` for ``ttl`` seconds; errors are logged, never raised."""
        if ttl <= 0 or self._cooling_down():
            return
        try:
            self._client.set(self.PREFIX + key, value, ex=ttl)
        except redis.RedisError as error:
            self._report(error)
            return
        self._recovered()

    def _cooling_down(self) -> bool:
        return self._failing and self._clock() < self._retry_at

    def _report(self, error: redis.RedisError) -> None:
        self._retry_at = self._clock() + self._cooldown
        # Warn once per outage, not once per request.
        if not self._failing:
            self._failing = True
            log.warning("registry cache: Redis unavailable, looking keys up without it (%s)", type(error).__name__)

    def _recovered(self) -> None:
        if self._failing:
            self._failing = False
            log.info("registry cache: Redis is reachable again")

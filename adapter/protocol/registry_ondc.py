"""The ONDC registry client: signed `/v2.0/lookup` with caching, retries and bounded stale-if-error.

Cache records (JSON bytes under ``lookup:{subscriber_id}|{ukId}|{domain}``)::

    {"entry": {...lookup shape...}, "fresh_until": epoch, "stale_until": epoch}   found
    {"entry": null,                 "fresh_until": epoch, "stale_until": epoch}   not found (negative)

One record carries both the fresh and the stale copy: fresh for min(cache_ttl, seconds to valid_until),
then servable only when the registry cannot be reached, for stale_ttl more (and never past valid_until).
A "not found" answer replaces any earlier entry, so a revoked key is not served stale.
Public names are re-exported from `adapter.protocol.registry`.
"""

from __future__ import annotations

import json
import logging
import math
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import requests
from prometheus_client import Counter

from adapter.protocol.keys import SigningKey
from adapter.protocol.registry_cache import KeyCache
from adapter.protocol.registry_entry import RegistryEntry, RegistryEntryError, RegistryError, select_entry
from adapter.protocol.signing import sign_request

__all__ = ["REGISTRY_LOOKUPS", "REGISTRY_URLS", "OndcRegistry", "RegistryStats", "utcnow"]

log = logging.getLogger(__name__)

# PROTOCOL.md §9: registry environments.
REGISTRY_URLS = {
    "staging": "https://staging.registry.ondc.org",
    "preprod": "https://preprod.registry.ondc.org/ondc",
    "prod": "https://prod.registry.ondc.org",
}

REGISTRY_LOOKUPS = Counter(
    "odop_registry_lookups_total",
    "Registry lookups by outcome: hit (fresh cache), miss (asked the registry), stale (served a stale entry "
    "because the registry failed), negative (cached 'not found'), error (failed with nothing to serve).",
    ["outcome"],
)

_LOOKUP_PATH = "/v2.0/lookup"


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class RegistryStats:
    """Lookup outcomes counted by one `OndcRegistry` (each lookup counts exactly once)."""

    hits: int = 0
    misses: int = 0
    stale_serves: int = 0
    negative_hits: int = 0
    errors: int = 0


class _Failure(Exception):
    """One attempt failed; `retry` says whether another attempt may succeed."""

    def __init__(self, reason: str, *, retry: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry = retry


_OUTCOME_FIELDS = {
    "hit": "hits",
    "miss": "misses",
    "stale": "stale_serves",
    "negative": "negative_hits",
    "error": "errors",
}


class OndcRegistry:
    """Looks participants up in the ONDC registry (signed v2.0 lookup), caching answers in a `KeyCache`."""

    def __init__(
        self,
        *,
        base_url: str,
        subscriber_id: str,
        unique_key_id: str,
        signing_key: SigningKey,
        cache: KeyCache,
        session: requests.Session | None = None,
        connect_timeout: float,
        read_timeout: float,
        retries: int = 3,
        backoff: float = 0.2,
        clock: Callable[[], datetime] = utcnow,
        sleep: Callable[[float], None] = time.sleep,
        rng: Callable[[], float] = random.random,
        cache_ttl: int,
        stale_ttl: int,
        negative_ttl: int,
        signature_validity: int,
        local_ttl: float = 30.0,
        local_max: int = 4096,
    ) -> None:
        if retries < 0:
            raise ValueError("retries must not be negative")
        self.url = base_url.rstrip("/") + _LOOKUP_PATH
        self._subscriber_id = subscriber_id
        self._unique_key_id = unique_key_id
        self._signing_key = signing_key
        self._cache = cache
        self._session = session if session is not None else requests.Session()
        self._timeout = (connect_timeout, read_timeout)
        self._retries = retries
        self._backoff = backoff
        self._clock = clock
        self._sleep = sleep
        self._rng = rng
        self._cache_ttl = cache_ttl
        self._stale_ttl = stale_ttl
        self._negative_ttl = negative_ttl
        self._signature_validity = signature_validity
        self._counts = dict.fromkeys(_OUTCOME_FIELDS.values(), 0)
        self._lock = threading.Lock()
        # In front of the shared cache: what this process read lately, so an ACK does not wait on Redis. Bounded
        # (oldest dropped first) and short-lived (``local_ttl``, and never past the record's own freshness); the
        # entry's valid_until is checked on every use, as for a record from the shared cache.
        self._local: dict[str, tuple[float, _Record]] = {}
        self._local_ttl, self._local_max = local_ttl, local_max

    @property
    def stats(self) -> RegistryStats:
        """A snapshot of this client's lookup outcomes."""
        with self._lock:
            return RegistryStats(**self._counts)

    def lookup(
        self,
        subscriber_id: str,
        unique_key_id: str | None = None,
        *,
        domain: str | None = None,
        now: datetime | None = None,
    ) -> RegistryEntry | None:
        """The participant's entry valid at ``now``; None if the registry says there is none.

        Raises RegistryError when the registry cannot answer and no bounded-stale entry is cached.
        """
        now = now if now is not None else self._clock()
        if now.tzinfo is None or now.utcoffset() is None:
            raise ValueError("now must be timezone-aware")
        key = f"lookup:{subscriber_id}|{unique_key_id or ''}|{domain or ''}"
        epoch = now.timestamp()
        record = self._cached(key, epoch)
        if record is not None and epoch < record.fresh_until:
            if record.entry is None:
                self._count("negative")
                return None
            if record.entry.is_valid_at(now):
                self._count("hit")
                return record.entry
        try:
            entries, malformed = self._fetch(subscriber_id, unique_key_id, domain)
            entry = select_entry(entries, subscriber_id, unique_key_id, domain, now)
            if entry is None and malformed:
                # Unparseable is not "not found": do not negative-cache it.
                raise _Failure("the registry's entries are malformed", retry=False)
        except _Failure as failure:
            return self._serve_stale(record, now, subscriber_id, unique_key_id, failure.reason)
        self._store(key, entry, now)
        self._count("miss")
        return entry

    def _cached(self, key: str, epoch: float) -> _Record | None:
        """The record under ``key``: this process's copy while it lasts, else the shared cache's."""
        local = self._local.get(key)
        if local is not None and epoch < local[0]:
            return local[1]
        record = _read_record(self._cache.get(key))
        if record is not None:
            self._remember(key, record, epoch)
        return record

    def _remember(self, key: str, record: _Record, epoch: float) -> None:
        with self._lock:
            self._local.pop(key, None)
            while len(self._local) >= self._local_max:
                self._local.pop(next(iter(self._local)))
            self._local[key] = (min(record.fresh_until, epoch + self._local_ttl), record)

    def _serve_stale(
        self, record: _Record | None, now: datetime, subscriber_id: str, unique_key_id: str | None, reason: str
    ) -> RegistryEntry:
        if (
            record is not None
            and record.entry is not None
            and now.timestamp() < record.stale_until
            and record.entry.is_valid_at(now)
        ):
            log.warning(
                "registry lookup for %s|%s failed (%s); serving the cached entry fetched before, fresh until %s",
                subscriber_id, unique_key_id or "*", reason,
                datetime.fromtimestamp(record.fresh_until, UTC).isoformat(),
            )
            self._count("stale")
            return record.entry
        self._count("error")
        raise RegistryError(f"registry lookup for {subscriber_id}|{unique_key_id or '*'} failed: {reason}")

    def _store(self, key: str, entry: RegistryEntry | None, now: datetime) -> None:
        epoch = now.timestamp()
        if entry is None:
            ttl = self._negative_ttl
            stale_ttl = ttl
        else:
            until_invalid = (entry.valid_until - now).total_seconds()
            ttl = math.floor(min(self._cache_ttl, until_invalid))
            stale_ttl = math.floor(min(self._cache_ttl + self._stale_ttl, until_invalid))
        if stale_ttl <= 0:
            return
        payload = {
            "entry": None if entry is None else entry.to_lookup(),
            "fresh_until": epoch + ttl,
            "stale_until": epoch + stale_ttl,
        }
        self._cache.set(key, json.dumps(payload, separators=(",", ":")).encode("utf-8"), math.ceil(stale_ttl))
        self._remember(key, _Record(entry=entry, fresh_until=epoch + ttl, stale_until=epoch + stale_ttl), epoch)

    def _fetch(
        self, subscriber_id: str, unique_key_id: str | None, domain: str | None
    ) -> tuple[list[RegistryEntry], bool]:
        query: dict[str, str] = {"country": "IND", "subscriber_id": subscriber_id}
        if unique_key_id is not None:
            query["ukId"] = unique_key_id
        if domain is not None:
            query["domain"] = domain
        # Serialised once: these exact bytes are signed and sent (PROTOCOL.md §9).
        body = json.dumps(query, separators=(",", ":")).encode("utf-8")
        attempt = 0
        while True:
            try:
                return self._attempt(body, subscriber_id)
            except _Failure as failure:
                if not failure.retry or attempt >= self._retries:
                    raise
                # Exponential backoff with full jitter.
                self._sleep(self._rng() * self._backoff * (2**attempt))
                attempt += 1

    def _attempt(self, body: bytes, subscriber_id: str) -> tuple[list[RegistryEntry], bool]:
        created = int(self._clock().timestamp())
        headers = {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "Authorization": sign_request(
                body,
                subscriber_id=self._subscriber_id,
                unique_key_id=self._unique_key_id,
                key=self._signing_key,
                created=created,
                expires=created + self._signature_validity,
            ),
        }
        try:
            response = self._session.post(
                self.url, data=body, headers=headers, timeout=self._timeout, allow_redirects=False
            )
        except requests.Timeout:
            raise _Failure("timed out", retry=True) from None
        except requests.ConnectionError:
            raise _Failure("could not connect", retry=True) from None
        except requests.RequestException as error:
            raise _Failure(f"request failed ({type(error).__name__})", retry=False) from None
        status = response.status_code
        if status == 429 or status >= 500:
            raise _Failure(f"HTTP {status}", retry=True)
        if status != 200:
            raise _Failure(f"HTTP {status}{_nack_message(response)}", retry=False)
        return _parse_response(response, subscriber_id)

    def _count(self, outcome: str) -> None:
        REGISTRY_LOOKUPS.labels(outcome=outcome).inc()
        with self._lock:
            self._counts[_OUTCOME_FIELDS[outcome]] += 1


@dataclass(frozen=True)
class _Record:
    entry: RegistryEntry | None
    fresh_until: float
    stale_until: float


def _read_record(raw: bytes | None) -> _Record | None:
    if raw is None:
        return None
    try:
        data = json.loads(raw)
        entry = None if data["entry"] is None else RegistryEntry.from_lookup(data["entry"])
        return _Record(entry=entry, fresh_until=float(data["fresh_until"]), stale_until=float(data["stale_until"]))
    except (ValueError, KeyError, TypeError):
        log.warning("registry cache: ignoring an unreadable cache record")
        return None


def _nack_message(response: requests.Response) -> str:
    # The registry NACKs as {"message":{"ack":{"status":"NACK"}},"error":{"code","message"}}.
    try:
        error = response.json().get("error") or {}
        code, message = error.get("code"), error.get("message")
    except (ValueError, AttributeError):
        return ""
    if code is None and message is None:
        return ""
    return f": registry error {code}: {str(message)[:200]}"


def _parse_response(response: requests.Response, subscriber_id: str) -> tuple[list[RegistryEntry], bool]:
    """The well-formed entries of a lookup answer, and whether any were malformed."""
    try:
        data: Any = response.json()
    except ValueError:
        raise _Failure("response is not JSON", retry=False) from None
    if not isinstance(data, list):
        raise _Failure("response is not a JSON array of entries", retry=False)
    entries: list[RegistryEntry] = []
    problems: list[str] = []
    for index, item in enumerate(data):
        try:
            entries.append(RegistryEntry.from_lookup(item))
        except RegistryEntryError as error:
            problems.append(f"entry {index}: {error}")
    if problems:
        log.warning("registry lookup for %s: skipped malformed entries: %s", subscriber_id, "; ".join(problems))
    return entries, bool(problems)

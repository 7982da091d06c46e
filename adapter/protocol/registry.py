"""Participant registry: who a subscriber is and which key signs for them (PROTOCOL.md §9, docs/registry.md).

Two implementations of `Registry`:

* `StaticRegistry`: a JSON file of lookup-shaped entries (local runs, demos, tests);
* `OndcRegistry`: the ONDC registry's signed `/v2.0/lookup`, cached in Redis or in memory.

`make_registry(settings, redis_client=...)` picks one from the settings.

Errors::

    Exception
     ├── RegistryError            a lookup failed and there was nothing (not even stale) to serve
     ├── RegistryFileError        the static registry file is missing, unreadable or malformed
     ├── RegistryConfigError      the settings cannot make a registry (e.g. ondc mode without a signing key)
     └── ValueError
          └── RegistryEntryError  an entry is not in the lookup shape (names the field)
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from adapter.protocol.keys import KeyFormatError, SigningKey
from adapter.protocol.registry_cache import KeyCache, MemoryKeyCache, RedisKeyCache, make_cache_client
from adapter.protocol.registry_entry import (
    RegistryEntry,
    RegistryEntryError,
    RegistryError,
    format_timestamp,
    parse_timestamp,
    select_entry,
)
from adapter.protocol.registry_ondc import REGISTRY_LOOKUPS, REGISTRY_URLS, OndcRegistry, RegistryStats, utcnow

if TYPE_CHECKING:
    import redis

    from config import Settings

__all__ = [
    "REGISTRY_LOOKUPS",
    "REGISTRY_URLS",
    "KeyCache",
    "MemoryKeyCache",
    "OndcRegistry",
    "RedisKeyCache",
    "Registry",
    "RegistryConfigError",
    "RegistryEntry",
    "RegistryEntryError",
    "RegistryError",
    "RegistryFileError",
    "RegistryStats",
    "StaticRegistry",
    "format_timestamp",
    "make_cache_client",
    "make_registry",
    "parse_timestamp",
    "read_registry_file",
    "utcnow",
    "write_registry_file",
]


class RegistryFileError(Exception):
    """The static registry file cannot be used; the message names the file, and the entry index and field."""

    def __init__(self, path: Path, problem: str, *, index: int | None = None, field: str | None = None) -> None:
        where = str(path)
        if index is not None:
            where += f": entry {index}"
        if field is not None:
            where += f": field '{field}'"
        super().__init__(f"{where}: {problem}")
        self.path = path
        self.index = index
        self.field = field
        self.problem = problem


class RegistryConfigError(Exception):
    """The settings do not allow building the configured registry."""


class Registry(Protocol):
    """Looks up a network participant's registered key."""

    def lookup(
        self,
        subscriber_id: str,
        unique_key_id: str | None = None,
        *,
        domain: str | None = None,
        now: datetime | None = None,
    ) -> RegistryEntry | None:
        """The entry valid at ``now``; None when the subscriber/key does not exist or is not valid now."""
        ...


class StaticRegistry:
    """A fixed list of entries, e.g. loaded from the registry file in static mode."""

    def __init__(self, entries: Iterable[RegistryEntry] = ()) -> None:
        self._entries: list[RegistryEntry] = []
        for entry in entries:
            self.add(entry)

    @classmethod
    def from_file(cls, path: Path) -> StaticRegistry:
        """Load a JSON array of lookup-shaped entries; raise RegistryFileError naming the problem."""
        return cls(read_registry_file(path))

    @property
    def entries(self) -> tuple[RegistryEntry, ...]:
        """The entries, in file order."""
        return tuple(self._entries)

    def add(self, entry: RegistryEntry) -> None:
        """Add an entry, replacing one with the same subscriber_id, ukId and domain."""
        same = _identity(entry)
        self._entries = [e for e in self._entries if _identity(e) != same]
        self._entries.append(entry)

    def save(self, path: Path) -> None:
        """Write the entries to ``path`` in the registry file format."""
        write_registry_file(path, self._entries)

    def lookup(
        self,
        subscriber_id: str,
        unique_key_id: str | None = None,
        *,
        domain: str | None = None,
        now: datetime | None = None,
    ) -> RegistryEntry | None:
        """The matching entry valid at ``now`` (default: the current time)."""
        when = now if now is not None else datetime.now(UTC)
        return select_entry(self._entries, subscriber_id, unique_key_id, domain, when)


def _identity(entry: RegistryEntry) -> tuple[str, str, str]:
    return (entry.subscriber_id, entry.unique_key_id, entry.domain)


def read_registry_file(path: Path) -> list[RegistryEntry]:
    """Parse the registry file: a JSON array of lookup-shaped objects, no two for the same key and domain."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RegistryFileError(path, "file not found (REGISTRY_FILE; `odop-adapter up` writes one)") from None
    except (OSError, UnicodeDecodeError) as error:
        raise RegistryFileError(path, f"cannot read the file ({type(error).__name__})") from None
    try:
        data: Any = json.loads(text)
    except json.JSONDecodeError as error:
        raise RegistryFileError(path, f"not valid JSON (line {error.lineno}, column {error.colno})") from None
    if not isinstance(data, list):
        raise RegistryFileError(path, "expected a JSON array of registry entries")
    entries: list[RegistryEntry] = []
    seen: dict[tuple[str, str, str], int] = {}
    for index, item in enumerate(data):
        try:
            entry = RegistryEntry.from_lookup(item)
        except RegistryEntryError as error:
            raise RegistryFileError(path, error.problem, index=index, field=error.field) from None
        first = seen.setdefault(_identity(entry), index)
        if first != index:
            raise RegistryFileError(
                path, f"same subscriber_id, ukId and domain as entry {first}", index=index, field="ukId"
            )
        entries.append(entry)
    return entries


def write_registry_file(path: Path, entries: Iterable[RegistryEntry]) -> None:
    """Write entries as the registry file (JSON array, lookup shape), replacing the file atomically."""
    text = json.dumps([entry.to_lookup() for entry in entries], indent=2) + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def make_registry(settings: Settings, *, redis_client: redis.Redis | None) -> Registry:
    """The registry the settings ask for: the static file, or the ONDC registry with a Redis or memory cache.

    Build ``redis_client`` with `make_cache_client` so that a Redis outage fails fast.
    """
    if settings.registry_mode == "static":
        return StaticRegistry.from_file(settings.registry_file)
    if settings.registry_mode != "ondc":
        raise RegistryConfigError(f"REGISTRY_MODE={settings.registry_mode!r}: expected ondc or static")
    if not settings.signing_private_key:
        raise RegistryConfigError(
            "REGISTRY_MODE=ondc needs ONDC_SIGNING_PRIVATE_KEY: registry lookups are signed with our key"
        )
    try:
        signing_key = SigningKey.from_base64(settings.signing_private_key)
    except KeyFormatError as error:
        raise RegistryConfigError(f"ONDC_SIGNING_PRIVATE_KEY: {error}") from None
    base_url = REGISTRY_URLS.get(settings.registry_env)
    if base_url is None:
        raise RegistryConfigError(f"REGISTRY_ENV={settings.registry_env!r}: expected one of {sorted(REGISTRY_URLS)}")
    cache: KeyCache = RedisKeyCache(redis_client) if redis_client is not None else MemoryKeyCache()
    return OndcRegistry(
        base_url=base_url,
        subscriber_id=settings.subscriber_id,
        unique_key_id=settings.unique_key_id,
        signing_key=signing_key,
        cache=cache,
        connect_timeout=settings.callback_connect_timeout,
        read_timeout=settings.callback_read_timeout,
        cache_ttl=settings.registry_cache_ttl,
        stale_ttl=settings.registry_stale_ttl,
        negative_ttl=settings.registry_negative_ttl,
        signature_validity=settings.signature_validity,
        clock=utcnow,
    )

"""Registry: entry parsing, the static file, the ONDC lookup client (HTTP via `responses`) and the caches."""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import redis
import requests
import responses
from hypothesis import given
from hypothesis import strategies as st
from prometheus_client import REGISTRY as PROMETHEUS

from adapter.protocol.keys import SigningKey
from adapter.protocol.registry import (
    REGISTRY_URLS,
    KeyCache,
    MemoryKeyCache,
    OndcRegistry,
    RedisKeyCache,
    RegistryConfigError,
    RegistryEntry,
    RegistryEntryError,
    RegistryError,
    RegistryFileError,
    RegistryStats,
    StaticRegistry,
    make_cache_client,
    make_registry,
    write_registry_file,
)
from adapter.protocol.signing import parse_auth_header, verify_request
from config import load_settings

T0 = datetime(2025, 6, 1, 12, 0, 0, tzinfo=UTC)
BASE_URL = "https://registry.test"
LOOKUP_URL = BASE_URL + "/v2.0/lookup"
OUR_ID = "seller.example.org"
OUR_UK = "seller-key-1"
BUYER_ID = "buyer.example.org"
BUYER_UK = "buyer-key-1"
DOMAIN = "ONDC:RET16"

OUR_KEY = SigningKey.generate()
BUYER_KEY = SigningKey.generate()
ENC_PUBLIC = "MCowBQYDK2VuAyEA9CEWxnLJkmwW/67QR739BEam7bbd3NsffjDa5HANf0Q="


def lookup_item(**overrides: Any) -> dict[str, Any]:
    """One entry as the ONDC v2.0 lookup returns it (extra fields included)."""
    item: dict[str, Any] = {
        "subscriber_id": BUYER_ID,
        "subscriber_url": "https://buyer.example.org/ondc",
        "type": "buyerApp",
        "domain": DOMAIN,
        "city": "std:080",
        "country": "IND",
        "signing_public_key": BUYER_KEY.public_key_b64,
        "encr_public_key": ENC_PUBLIC,
        "valid_from": "2025-01-01T00:00:00.000Z",
        "valid_until": "2030-01-01T00:00:00.000Z",
        "status": "SUBSCRIBED",
        "created": "2024-12-01T10:00:00.000Z",
        "updated": "2024-12-01T10:00:00.000Z",
        "ukId": BUYER_UK,
        "br_id": "12345",
    }
    item.update(overrides)
    return item


def buyer_entry(**overrides: Any) -> RegistryEntry:
    return RegistryEntry.from_lookup(lookup_item(**overrides))


class Clock:
    """A settable UTC clock for the registry client."""

    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class RecordingCache(MemoryKeyCache):
    """A memory cache that also remembers the TTL of every `set`."""

    def __init__(self) -> None:
        super().__init__()
        self.ttls: dict[str, int] = {}

    def set(self, key: str, value: bytes, ttl: int) -> None:
        self.ttls[key] = ttl
        super().set(key, value, ttl)


def make_ondc(cache: KeyCache | None = None, clock: Clock | None = None, **overrides: Any) -> OndcRegistry:
    kwargs: dict[str, Any] = {
        "base_url": BASE_URL,
        "subscriber_id": OUR_ID,
        "unique_key_id": OUR_UK,
        "signing_key": OUR_KEY,
        "cache": cache if cache is not None else MemoryKeyCache(),
        "connect_timeout": 1.0,
        "read_timeout": 2.0,
        "clock": clock or Clock(),
        "sleep": overrides.pop("sleep", lambda _seconds: None),
        "rng": lambda: 0.5,
        "cache_ttl": 3600,
        "stale_ttl": 86400,
        "negative_ttl": 60,
        "signature_validity": 300,
    }
    kwargs.update(overrides)
    return OndcRegistry(**kwargs)


def metric(outcome: str) -> float:
    return PROMETHEUS.get_sample_value("odop_registry_lookups_total", {"outcome": outcome}) or 0.0


@pytest.fixture
def mocked() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def redis_client() -> Iterator[redis.Redis]:
    url = os.environ.get("TEST_REDIS_URL")
    if not url:
        pytest.fail("TEST_REDIS_URL is not set: run the suite with `make test` (scripts/run-tests.sh)")
    client = redis.Redis.from_url(url)
    yield client
    for key in client.scan_iter(match=RedisKeyCache.PREFIX + "*test-*"):
        client.delete(key)
    client.close()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


# --- RegistryEntry ---------------------------------------------------------------------------------


def test_from_lookup_parses_the_ondc_shape_with_z_timestamps() -> None:
    entry = RegistryEntry.from_lookup(lookup_item(valid_from="2025-01-01T00:00:00.123Z"))
    assert entry == RegistryEntry(
        subscriber_id=BUYER_ID,
        unique_key_id=BUYER_UK,
        signing_public_key=BUYER_KEY.public_key_b64,
        encr_public_key=ENC_PUBLIC,
        valid_from=datetime(2025, 1, 1, 0, 0, 0, 123000, tzinfo=UTC),
        valid_until=datetime(2030, 1, 1, tzinfo=UTC),
        type="buyerApp",
        domain=DOMAIN,
        city="std:080",
        subscriber_url="https://buyer.example.org/ondc",
    )
    assert entry.valid_from.tzinfo is UTC


def test_from_lookup_normalises_offsets_and_bare_timestamps_to_utc() -> None:
    entry = RegistryEntry.from_lookup(
        lookup_item(valid_from="2025-01-01T05:30:00+05:30", valid_until="2030-01-01T00:00:00")
    )
    assert entry.valid_from == datetime(2025, 1, 1, tzinfo=UTC)
    assert entry.valid_from.utcoffset() == timedelta(0)
    assert entry.valid_until == datetime(2030, 1, 1, tzinfo=UTC)


def test_from_lookup_accepts_the_older_unique_key_id_name() -> None:
    item = lookup_item()
    del item["ukId"]
    item["unique_key_id"] = "older-uk"
    assert RegistryEntry.from_lookup(item).unique_key_id == "older-uk"


def test_from_lookup_defaults_absent_optional_fields() -> None:
    item = lookup_item(city=None)
    del item["encr_public_key"]
    entry = RegistryEntry.from_lookup(item)
    assert (entry.city, entry.encr_public_key) == ("", "")


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"subscriber_id": None}, "subscriber_id"),
        ({"ukId": ""}, "ukId"),
        ({"signing_public_key": "not base64!"}, "signing_public_key"),
        ({"signing_public_key": "AAAA"}, "signing_public_key"),
        ({"valid_from": "yesterday"}, "valid_from"),
        ({"valid_until": 1767225600}, "valid_until"),
        ({"valid_until": "2024-01-01T00:00:00.000Z"}, "valid_until"),
        ({"domain": ["ONDC:RET16"]}, "domain"),
    ],
)
def test_from_lookup_names_the_bad_field(overrides: dict[str, Any], field: str) -> None:
    with pytest.raises(RegistryEntryError) as caught:
        RegistryEntry.from_lookup(lookup_item(**overrides))
    assert caught.value.field == field
    assert str(caught.value).startswith(field + ":")


def test_from_lookup_rejects_a_non_object() -> None:
    with pytest.raises(RegistryEntryError, match="expected a JSON object"):
        RegistryEntry.from_lookup(["not", "an", "object"])  # type: ignore[arg-type]


def test_is_valid_at_is_half_open_and_needs_an_aware_time() -> None:
    entry = buyer_entry()
    assert entry.is_valid_at(datetime(2025, 1, 1, tzinfo=UTC))
    assert entry.is_valid_at(datetime(2029, 12, 31, 23, 59, 59, tzinfo=UTC))
    assert not entry.is_valid_at(datetime(2030, 1, 1, tzinfo=UTC))
    assert not entry.is_valid_at(datetime(2024, 12, 31, 23, 59, 59, tzinfo=UTC))
    assert entry.is_valid_at(datetime(2025, 6, 1, 5, 30, tzinfo=timezone(timedelta(hours=5, minutes=30))))
    with pytest.raises(ValueError, match="timezone-aware"):
        entry.is_valid_at(datetime(2025, 6, 1))  # noqa: DTZ001 - checking that naive times are refused


def test_to_lookup_writes_registry_timestamps() -> None:
    data = buyer_entry().to_lookup()
    assert data["valid_from"] == "2025-01-01T00:00:00.000Z"
    assert data["ukId"] == BUYER_UK
    assert set(data) == {
        "subscriber_id", "ukId", "signing_public_key", "encr_public_key", "valid_from", "valid_until",
        "type", "domain", "city", "subscriber_url",
    }


@given(
    start=st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2090, 1, 1), timezones=st.just(UTC)  # noqa: DTZ001
    ),
    length=st.timedeltas(min_value=timedelta(microseconds=1), max_value=timedelta(days=3650)),
)
def test_to_lookup_round_trips(start: datetime, length: timedelta) -> None:
    entry = buyer_entry()
    entry = RegistryEntry(**{**entry.__dict__, "valid_from": start, "valid_until": start + length})
    assert RegistryEntry.from_lookup(entry.to_lookup()) == entry


# --- StaticRegistry and the registry file ------------------------------------------------------------


def test_static_registry_looks_up_by_key_domain_and_validity(tmp_path: Path) -> None:
    old = buyer_entry(ukId="old", valid_from="2024-01-01T00:00:00Z", valid_until="2025-03-01T00:00:00Z")
    new = buyer_entry(ukId="new", valid_from="2025-02-01T00:00:00Z", valid_until="2099-01-01T00:00:00Z")
    other_domain = buyer_entry(ukId="new", domain="ONDC:RET12")
    path = tmp_path / "registry.json"
    write_registry_file(path, [old, new, other_domain])
    registry = StaticRegistry.from_file(path)

    assert registry.lookup(BUYER_ID, "old", now=T0) is None  # expired
    assert registry.lookup(BUYER_ID, "old", now=datetime(2025, 1, 15, tzinfo=UTC)) == old
    assert registry.lookup(BUYER_ID, "new", domain="ONDC:RET12", now=T0) == other_domain
    assert registry.lookup(BUYER_ID, "new", domain="ONDC:RET10", now=T0) is None
    assert registry.lookup(BUYER_ID, now=T0) in (new, other_domain)
    assert registry.lookup("nobody.example.org", now=T0) is None
    assert registry.lookup(BUYER_ID, "new", domain=DOMAIN) == new  # `now` defaults to the current time
    assert registry.entries == (old, new, other_domain)


def test_static_registry_add_replaces_and_save_round_trips(tmp_path: Path) -> None:
    registry = StaticRegistry([buyer_entry()])
    replacement = buyer_entry(subscriber_url="https://new.example.org")
    registry.add(replacement)
    registry.add(buyer_entry(subscriber_id=OUR_ID, ukId=OUR_UK, type="sellerApp",
                             signing_public_key=OUR_KEY.public_key_b64))
    path = tmp_path / "nested" / "registry.json"
    registry.save(path)
    assert StaticRegistry.from_file(path).entries == registry.entries
    assert registry.entries[0].subscriber_url == "https://new.example.org"
    data = json.loads(path.read_text())
    assert isinstance(data, list)
    assert data[0]["ukId"] == BUYER_UK
    assert [p.name for p in path.parent.iterdir()] == ["registry.json"]  # no temp files left


def _write(path: Path, data: Any) -> Path:
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return path


@pytest.mark.parametrize(
    ("data", "index", "field", "message"),
    [
        ([lookup_item(), {k: v for k, v in lookup_item().items() if k != "signing_public_key"}],
         1, "signing_public_key", "entry 1: field 'signing_public_key': is missing"),
        ([lookup_item(valid_from="soon")], 0, "valid_from", "entry 0: field 'valid_from': expected an ISO 8601"),
        ([lookup_item(), "buyer"], 1, None, "entry 1: expected a JSON object"),
        ([lookup_item(), lookup_item()], 1, "ukId", "same subscriber_id, ukId and domain as entry 0"),
        ({"entries": []}, None, None, "expected a JSON array"),
        ("[{", None, None, "not valid JSON (line 1, column 3)"),
    ],
)
def test_bad_registry_file_names_file_index_and_field(
    tmp_path: Path, data: Any, index: int | None, field: str | None, message: str
) -> None:
    path = _write(tmp_path / "registry.json", data)
    with pytest.raises(RegistryFileError) as caught:
        StaticRegistry.from_file(path)
    assert str(caught.value).startswith(str(path) + ": ")
    assert message in str(caught.value)
    assert (caught.value.index, caught.value.field) == (index, field)


def test_missing_registry_file(tmp_path: Path) -> None:
    path = tmp_path / "absent.json"
    with pytest.raises(RegistryFileError, match=r"absent\.json: file not found"):
        StaticRegistry.from_file(path)


# --- OndcRegistry: the signed request ----------------------------------------------------------------


def test_lookup_sends_exactly_the_signed_bytes(mocked: responses.RequestsMock) -> None:
    mocked.post(LOOKUP_URL, json=[lookup_item()])
    registry = make_ondc()
    entry = registry.lookup(BUYER_ID, BUYER_UK, domain=DOMAIN)
    assert entry == buyer_entry()

    (call,) = mocked.calls
    request = call.request
    assert request.body == (
        b'{"country":"IND","subscriber_id":"buyer.example.org","ukId":"buyer-key-1","domain":"ONDC:RET16"}'
    )
    assert request.headers["Content-Type"] == "application/json"
    assert isinstance(request.body, bytes)
    created = int(T0.timestamp())
    auth = verify_request(
        request.body, request.headers["Authorization"], public_key_b64=OUR_KEY.public_key_b64, now=created
    )
    assert (auth.subscriber_id, auth.unique_key_id) == (OUR_ID, OUR_UK)
    assert (auth.created, auth.expires) == (created, created + 300)


def test_lookup_body_leaves_out_ukid_and_domain_when_not_given(mocked: responses.RequestsMock) -> None:
    mocked.post(LOOKUP_URL, json=[lookup_item()])
    make_ondc().lookup(BUYER_ID)
    body = mocked.calls[0].request.body
    assert body == b'{"country":"IND","subscriber_id":"buyer.example.org"}'


def test_registry_urls() -> None:
    assert REGISTRY_URLS == {
        "staging": "https://staging.registry.ondc.org",
        "preprod": "https://preprod.registry.ondc.org/ondc",
        "prod": "https://prod.registry.ondc.org",
    }
    registry = make_ondc(base_url=REGISTRY_URLS["preprod"] + "/")
    assert registry.url == "https://preprod.registry.ondc.org/ondc/v2.0/lookup"


# --- OndcRegistry: caching -----------------------------------------------------------------------------


def test_cache_hit_avoids_http_and_is_counted(mocked: responses.RequestsMock) -> None:
    mocked.post(LOOKUP_URL, json=[lookup_item()])
    hits, misses = metric("hit"), metric("miss")
    registry = make_ondc()
    first = registry.lookup(BUYER_ID, BUYER_UK)
    second = registry.lookup(BUYER_ID, BUYER_UK)
    assert first == second == buyer_entry()
    assert len(mocked.calls) == 1
    assert registry.stats == RegistryStats(hits=1, misses=1)
    assert (metric("hit") - hits, metric("miss") - misses) == (1, 1)


def test_cache_expires_after_cache_ttl(mocked: responses.RequestsMock) -> None:
    mocked.post(LOOKUP_URL, json=[lookup_item()])
    clock = Clock()
    registry = make_ondc(clock=clock, cache_ttl=600)
    registry.lookup(BUYER_ID, BUYER_UK)
    clock.advance(599)
    registry.lookup(BUYER_ID, BUYER_UK)
    assert len(mocked.calls) == 1
    clock.advance(1)
    registry.lookup(BUYER_ID, BUYER_UK)
    assert len(mocked.calls) == 2


def test_cache_ttl_is_capped_by_valid_until(mocked: responses.RequestsMock) -> None:
    valid_until = T0 + timedelta(seconds=100)
    renewed = lookup_item(ukId=BUYER_UK, valid_from="2025-06-01T12:01:00Z", valid_until="2031-01-01T00:00:00Z")
    mocked.post(LOOKUP_URL, json=[lookup_item(valid_until=valid_until.isoformat())])
    cache = RecordingCache()
    clock = Clock()
    registry = make_ondc(cache=cache, clock=clock, cache_ttl=3600, stale_ttl=86400)
    registry.lookup(BUYER_ID, BUYER_UK)
    assert list(cache.ttls.values()) == [100]  # not 3600 + 86400

    clock.advance(99)
    assert registry.lookup(BUYER_ID, BUYER_UK) is not None
    assert len(mocked.calls) == 1
    mocked.replace(responses.POST, LOOKUP_URL, json=[renewed])
    clock.advance(1)
    entry = registry.lookup(BUYER_ID, BUYER_UK)
    assert len(mocked.calls) == 2
    assert entry is not None
    assert entry.valid_until == datetime(2031, 1, 1, tzinfo=UTC)


def test_not_found_is_cached_for_negative_ttl(mocked: responses.RequestsMock) -> None:
    mocked.post(LOOKUP_URL, json=[])
    negatives = metric("negative")
    clock = Clock()
    registry = make_ondc(clock=clock, negative_ttl=60)
    assert registry.lookup("ghost.example.org", "k") is None
    clock.advance(59)
    assert registry.lookup("ghost.example.org", "k") is None
    assert len(mocked.calls) == 1
    assert registry.stats == RegistryStats(misses=1, negative_hits=1)
    assert metric("negative") - negatives == 1
    clock.advance(1)
    assert registry.lookup("ghost.example.org", "k") is None
    assert len(mocked.calls) == 2


def test_negative_ttl_zero_disables_negative_caching(mocked: responses.RequestsMock) -> None:
    mocked.post(LOOKUP_URL, json=[])
    registry = make_ondc(negative_ttl=0)
    registry.lookup("ghost.example.org")
    registry.lookup("ghost.example.org")
    assert len(mocked.calls) == 2


@pytest.mark.parametrize(
    "item",
    [
        lookup_item(ukId="someone-else"),
        lookup_item(subscriber_id="other.example.org"),
        lookup_item(valid_from="2025-07-01T00:00:00Z"),
        lookup_item(valid_until="2025-05-01T00:00:00Z"),
    ],
)
def test_entries_that_do_not_answer_the_query_mean_not_found(
    mocked: responses.RequestsMock, item: dict[str, Any]
) -> None:
    mocked.post(LOOKUP_URL, json=[item])
    assert make_ondc().lookup(BUYER_ID, BUYER_UK) is None


def test_latest_valid_key_wins_when_no_ukid_given(mocked: responses.RequestsMock) -> None:
    mocked.post(LOOKUP_URL, json=[
        lookup_item(ukId="k1", valid_from="2025-01-01T00:00:00Z"),
        lookup_item(ukId="k2", valid_from="2025-05-01T00:00:00Z"),
        lookup_item(ukId="k3", valid_from="2025-09-01T00:00:00Z"),  # not yet valid
    ])
    entry = make_ondc().lookup(BUYER_ID)
    assert entry is not None
    assert entry.unique_key_id == "k2"


def test_unreadable_cache_record_is_a_miss(mocked: responses.RequestsMock) -> None:
    mocked.post(LOOKUP_URL, json=[lookup_item()])
    cache = MemoryKeyCache()
    cache.set(f"lookup:{BUYER_ID}|{BUYER_UK}|", b"{not json", 60)
    assert make_ondc(cache=cache).lookup(BUYER_ID, BUYER_UK) == buyer_entry()
    assert len(mocked.calls) == 1


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        make_ondc().lookup(BUYER_ID, now=datetime(2025, 6, 1))  # noqa: DTZ001 - the point of the test


# --- OndcRegistry: retries -----------------------------------------------------------------------------


def test_500_then_200_is_retried_with_jittered_backoff(mocked: responses.RequestsMock) -> None:
    mocked.post(LOOKUP_URL, status=500)
    mocked.post(LOOKUP_URL, json=[lookup_item()])
    sleeps: list[float] = []
    registry = make_ondc(sleep=sleeps.append, backoff=0.2)
    assert registry.lookup(BUYER_ID, BUYER_UK) == buyer_entry()
    assert len(mocked.calls) == 2
    assert sleeps == [pytest.approx(0.5 * 0.2)]
    # Both attempts carry a valid signature over the same bytes.
    for call in mocked.calls:
        assert isinstance(call.request.body, bytes)
        verify_request(call.request.body, call.request.headers["Authorization"],
                       public_key_b64=OUR_KEY.public_key_b64, now=int(T0.timestamp()))


@pytest.mark.parametrize(
    "failure",
    [requests.exceptions.ConnectTimeout(), requests.exceptions.ReadTimeout(), requests.exceptions.ConnectionError()],
)
def test_timeouts_and_connection_errors_are_retried(
    mocked: responses.RequestsMock, failure: Exception
) -> None:
    mocked.post(LOOKUP_URL, body=failure)
    mocked.post(LOOKUP_URL, json=[lookup_item()])
    assert make_ondc().lookup(BUYER_ID, BUYER_UK) == buyer_entry()
    assert len(mocked.calls) == 2


def test_429_is_retried(mocked: responses.RequestsMock) -> None:
    mocked.post(LOOKUP_URL, status=429)
    mocked.post(LOOKUP_URL, json=[lookup_item()])
    assert make_ondc().lookup(BUYER_ID, BUYER_UK) == buyer_entry()
    assert len(mocked.calls) == 2


def test_retries_back_off_exponentially_then_give_up(mocked: responses.RequestsMock) -> None:
    mocked.post(LOOKUP_URL, status=503)
    sleeps: list[float] = []
    registry = make_ondc(sleep=sleeps.append, retries=3, backoff=0.2, rng=lambda: 1.0)
    with pytest.raises(RegistryError, match="HTTP 503"):
        registry.lookup(BUYER_ID, BUYER_UK)
    assert len(mocked.calls) == 4
    assert sleeps == [pytest.approx(0.2), pytest.approx(0.4), pytest.approx(0.8)]


@pytest.mark.parametrize("status", [400, 401, 404])
def test_4xx_is_not_retried(mocked: responses.RequestsMock, status: int) -> None:
    nack = {"message": {"ack": {"status": "NACK"}}, "error": {"code": "1020", "message": "The auth header not found"}}
    mocked.post(LOOKUP_URL, status=status, json=nack)
    sleeps: list[float] = []
    errors = metric("error")
    registry = make_ondc(sleep=sleeps.append)
    with pytest.raises(RegistryError) as caught:
        registry.lookup(BUYER_ID, BUYER_UK)
    assert len(mocked.calls) == 1
    assert sleeps == []
    assert f"HTTP {status}: registry error 1020: The auth header not found" in caught.value.reason
    assert registry.stats == RegistryStats(errors=1)
    assert metric("error") - errors == 1


@pytest.mark.parametrize("body", ["<html>gateway</html>", json.dumps({"entries": []}), json.dumps([{"ukId": "x"}])])
def test_malformed_answers_are_errors_not_negative(mocked: responses.RequestsMock, body: str) -> None:
    mocked.post(LOOKUP_URL, body=body, content_type="application/json")
    registry = make_ondc()
    with pytest.raises(RegistryError):
        registry.lookup(BUYER_ID, BUYER_UK)
    mocked.replace(responses.POST, LOOKUP_URL, json=[lookup_item()])
    assert registry.lookup(BUYER_ID, BUYER_UK) == buyer_entry()  # nothing negative was cached


def test_one_malformed_entry_does_not_hide_a_good_one(mocked: responses.RequestsMock) -> None:
    mocked.post(LOOKUP_URL, json=[{"subscriber_id": BUYER_ID}, lookup_item()])
    assert make_ondc().lookup(BUYER_ID, BUYER_UK) == buyer_entry()


# --- OndcRegistry: stale-if-error ------------------------------------------------------------------------


def test_all_failures_serve_the_stale_entry_and_warn_without_secrets(
    mocked: responses.RequestsMock, caplog: pytest.LogCaptureFixture
) -> None:
    mocked.post(LOOKUP_URL, json=[lookup_item()])
    clock = Clock()
    stale = metric("stale")
    registry = make_ondc(clock=clock, cache_ttl=600, stale_ttl=3600)
    registry.lookup(BUYER_ID, BUYER_UK)
    clock.advance(601)
    mocked.replace(responses.POST, LOOKUP_URL, status=503)
    with caplog.at_level(logging.WARNING, logger="adapter.protocol"):
        entry = registry.lookup(BUYER_ID, BUYER_UK)
    assert entry == buyer_entry()
    assert len(mocked.calls) == 1 + 4
    assert registry.stats == RegistryStats(misses=1, stale_serves=1)
    assert metric("stale") - stale == 1
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    text = warnings[0].getMessage()
    assert f"{BUYER_ID}|{BUYER_UK}" in text
    assert "HTTP 503" in text
    authorization = mocked.calls[-1].request.headers["Authorization"]
    signature = parse_auth_header(authorization).signature
    for secret in (OUR_KEY.private_key_b64(), OUR_KEY.seed_b64(), OUR_KEY.public_key_b64,
                   BUYER_KEY.public_key_b64, signature, "Signature keyId"):
        assert secret not in caplog.text


def test_stale_entry_is_bounded_by_stale_ttl(mocked: responses.RequestsMock) -> None:
    mocked.post(LOOKUP_URL, json=[lookup_item()])
    clock = Clock()
    registry = make_ondc(clock=clock, cache_ttl=600, stale_ttl=3600, retries=0)
    registry.lookup(BUYER_ID, BUYER_UK)
    mocked.replace(responses.POST, LOOKUP_URL, body=requests.exceptions.ConnectionError())
    clock.advance(600 + 3599)
    assert registry.lookup(BUYER_ID, BUYER_UK) == buyer_entry()
    clock.advance(1)
    with pytest.raises(RegistryError, match="could not connect"):
        registry.lookup(BUYER_ID, BUYER_UK)


def test_stale_entry_is_never_served_past_valid_until(mocked: responses.RequestsMock) -> None:
    valid_until = T0 + timedelta(seconds=1000)
    mocked.post(LOOKUP_URL, json=[lookup_item(valid_until=valid_until.isoformat())])
    clock = Clock()
    registry = make_ondc(clock=clock, cache_ttl=600, stale_ttl=86400, retries=0)
    registry.lookup(BUYER_ID, BUYER_UK)
    mocked.replace(responses.POST, LOOKUP_URL, status=502)
    clock.advance(999)
    assert registry.lookup(BUYER_ID, BUYER_UK) is not None
    clock.advance(1)
    with pytest.raises(RegistryError):
        registry.lookup(BUYER_ID, BUYER_UK)


def test_a_not_found_answer_replaces_the_stale_entry(mocked: responses.RequestsMock) -> None:
    mocked.post(LOOKUP_URL, json=[lookup_item()])
    clock = Clock()
    registry = make_ondc(clock=clock, cache_ttl=600, negative_ttl=60, retries=0)
    registry.lookup(BUYER_ID, BUYER_UK)
    clock.advance(600)
    mocked.replace(responses.POST, LOOKUP_URL, json=[])  # key revoked
    assert registry.lookup(BUYER_ID, BUYER_UK) is None
    clock.advance(60)
    mocked.replace(responses.POST, LOOKUP_URL, status=500)
    with pytest.raises(RegistryError):
        registry.lookup(BUYER_ID, BUYER_UK)


def test_all_failures_without_stale_raise_registry_error(mocked: responses.RequestsMock) -> None:
    mocked.post(LOOKUP_URL, body=requests.exceptions.ReadTimeout())
    registry = make_ondc(retries=2)
    with pytest.raises(RegistryError) as caught:
        registry.lookup(BUYER_ID, BUYER_UK)
    assert caught.value.reason == f"registry lookup for {BUYER_ID}|{BUYER_UK} failed: timed out"
    assert len(mocked.calls) == 3
    assert registry.stats == RegistryStats(errors=1)


# --- caches --------------------------------------------------------------------------------------------


def test_redis_down_is_a_miss_not_a_failure(mocked: responses.RequestsMock, caplog: pytest.LogCaptureFixture) -> None:
    mocked.post(LOOKUP_URL, json=[lookup_item()])
    client = make_cache_client(f"redis://127.0.0.1:{closed_port()}/0")
    registry = make_ondc(cache=RedisKeyCache(client, cooldown=0))
    with caplog.at_level(logging.WARNING, logger="adapter.protocol"):
        assert registry.lookup(BUYER_ID, BUYER_UK) == buyer_entry()
        assert registry.lookup(BUYER_ID, BUYER_UK) == buyer_entry()  # this process's copy: no registry call
        registry._local.clear()  # as in another process, which has no copy either
        assert registry.lookup(BUYER_ID, BUYER_UK) == buyer_entry()
    assert len(mocked.calls) == 2
    assert registry.stats == RegistryStats(misses=2, hits=1)
    redis_warnings = [r for r in caplog.records if "Redis unavailable" in r.getMessage()]
    assert len(redis_warnings) == 1  # once per outage, not per request
    client.close()


class CountingCache(MemoryKeyCache):
    """A memory cache standing in for the shared (Redis) one, counting its reads."""

    def __init__(self) -> None:
        super().__init__()
        self.reads = 0

    def get(self, key: str) -> bytes | None:
        self.reads += 1
        return super().get(key)


def test_a_key_is_read_from_this_process_until_its_local_time_is_up(mocked: responses.RequestsMock) -> None:
    mocked.post(LOOKUP_URL, json=[lookup_item()])
    shared, clock = CountingCache(), Clock()
    registry = make_ondc(cache=shared, clock=clock, local_ttl=30.0)
    first = registry.lookup(BUYER_ID, BUYER_UK)
    reads_after_fetch = shared.reads
    for _ in range(50):
        assert registry.lookup(BUYER_ID, BUYER_UK) == first
    assert shared.reads == reads_after_fetch  # 50 ACKs, no round trip to the shared cache
    clock.advance(31)
    assert registry.lookup(BUYER_ID, BUYER_UK) == first
    assert shared.reads == reads_after_fetch + 1  # the local copy ran out: read again from the shared cache
    assert len(mocked.calls) == 1


def test_a_local_copy_never_outlives_the_keys_valid_until(mocked: responses.RequestsMock) -> None:
    ends = (T0 + timedelta(seconds=10)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    mocked.post(LOOKUP_URL, json=[lookup_item(valid_until=ends)])
    clock = Clock()
    registry = make_ondc(clock=clock, local_ttl=3600.0)
    assert registry.lookup(BUYER_ID, BUYER_UK) is not None
    clock.advance(11)
    assert registry.lookup(BUYER_ID, BUYER_UK) is None  # expired: asked the registry again, which has no other
    assert len(mocked.calls) == 2


def test_the_local_copies_are_bounded(mocked: responses.RequestsMock) -> None:
    mocked.post(LOOKUP_URL, json=[])
    registry = make_ondc(local_max=8)
    for number in range(20):
        assert registry.lookup(f"buyer-{number}.example.org", BUYER_UK) is None
    assert len(registry._local) == 8
    assert f"lookup:buyer-19.example.org|{BUYER_UK}|" in registry._local  # the newest are kept


class DownRedis:
    """Stands in for a redis.Redis whose server is unreachable, counting the calls it gets."""

    def __init__(self) -> None:
        self.calls = 0

    def get(self, name: str) -> bytes | None:
        self.calls += 1
        raise redis.ConnectionError("Connection refused")

    def set(self, name: str, value: bytes, ex: int) -> None:
        self.calls += 1
        raise redis.TimeoutError("Timeout")


def test_redis_key_cache_leaves_a_down_redis_alone_for_the_cooldown() -> None:
    client = DownRedis()
    now = [0.0]
    cache = RedisKeyCache(client, cooldown=10, clock=lambda: now[0])  # type: ignore[arg-type]
    assert cache.get("k") is None
    cache.set("k", b"v", ttl=60)
    assert cache.get("k") is None
    assert client.calls == 1
    now[0] = 10.0
    cache.set("k", b"v", ttl=60)
    assert client.calls == 2


def test_redis_key_cache_against_real_redis(redis_client: redis.Redis) -> None:
    cache = RedisKeyCache(redis_client)
    key = f"test-{uuid.uuid4()}"
    assert cache.get(key) is None
    cache.set(key, b"\x00value", ttl=30)
    assert cache.get(key) == b"\x00value"
    assert redis_client.get(RedisKeyCache.PREFIX + key) == b"\x00value"
    ttl = redis_client.ttl(RedisKeyCache.PREFIX + key)
    assert isinstance(ttl, int)
    assert 0 < ttl <= 30
    cache.set(key + "-zero", b"x", ttl=0)
    assert redis_client.exists(RedisKeyCache.PREFIX + key + "-zero") == 0


def test_redis_cache_is_shared_between_registry_clients(
    mocked: responses.RequestsMock, redis_client: redis.Redis
) -> None:
    subscriber = f"test-{uuid.uuid4().hex[:12]}.example.org"
    mocked.post(LOOKUP_URL, json=[lookup_item(subscriber_id=subscriber)])
    first = make_ondc(cache=RedisKeyCache(redis_client))
    second = make_ondc(cache=RedisKeyCache(redis_client))
    entry = first.lookup(subscriber, BUYER_UK)
    assert entry is not None
    assert second.lookup(subscriber, BUYER_UK) == entry
    assert len(mocked.calls) == 1
    assert second.stats == RegistryStats(hits=1)
    for key in redis_client.scan_iter(match=RedisKeyCache.PREFIX + f"lookup:{subscriber}*"):
        redis_client.delete(key)


def test_make_cache_client_talks_to_redis(redis_client: redis.Redis) -> None:
    client = make_cache_client(os.environ["TEST_REDIS_URL"])
    cache = RedisKeyCache(client)
    key = f"test-{uuid.uuid4()}"
    cache.set(key, b"v", ttl=5)
    assert RedisKeyCache(redis_client).get(key) == b"v"
    client.close()


def test_memory_key_cache_expires() -> None:
    now = [100.0]
    cache = MemoryKeyCache(clock=lambda: now[0])
    cache.set("a", b"1", ttl=10)
    cache.set("b", b"2", ttl=0)
    assert cache.get("a") == b"1"
    assert cache.get("b") is None
    now[0] = 109.9
    assert cache.get("a") == b"1"
    now[0] = 110.0
    assert cache.get("a") is None


def test_memory_key_cache_is_bounded() -> None:
    cache = MemoryKeyCache(max_entries=3)
    for name in "abcd":
        cache.set(name, name.encode(), ttl=60)
    assert [cache.get(name) for name in "abcd"] == [None, b"b", b"c", b"d"]


def test_memory_key_cache_is_thread_safe() -> None:
    cache = MemoryKeyCache(max_entries=50)
    errors: list[BaseException] = []

    def work(worker: int) -> None:
        try:
            for i in range(2000):
                cache.set(f"{worker}-{i % 70}", str(i).encode(), ttl=60)
                cache.get(f"{(worker + 1) % 8}-{i % 70}")
        except BaseException as error:  # noqa: BLE001 - collected and asserted on below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert cache.get("0-69") in (b"1999", None)


# --- make_registry ---------------------------------------------------------------------------------------


def _settings(tmp_path: Path, **env: str) -> Any:
    return load_settings({"DATA_DIR": str(tmp_path), "ONDC_SUBSCRIBER_ID": OUR_ID,
                          "ONDC_UNIQUE_KEY_ID": OUR_UK, **env})


def test_make_registry_static_reads_the_registry_file(tmp_path: Path) -> None:
    write_registry_file(tmp_path / "registry.json", [buyer_entry()])
    registry = make_registry(_settings(tmp_path), redis_client=None)
    assert isinstance(registry, StaticRegistry)
    assert registry.lookup(BUYER_ID, BUYER_UK, now=T0) == buyer_entry()


def test_make_registry_static_without_file_fails_clearly(tmp_path: Path) -> None:
    with pytest.raises(RegistryFileError, match=r"registry\.json: file not found"):
        make_registry(_settings(tmp_path), redis_client=None)


def test_make_registry_ondc_needs_a_signing_key(tmp_path: Path) -> None:
    with pytest.raises(RegistryConfigError, match="ONDC_SIGNING_PRIVATE_KEY"):
        make_registry(_settings(tmp_path, REGISTRY_MODE="ondc"), redis_client=None)


def test_make_registry_ondc_uses_memory_cache_without_redis(tmp_path: Path) -> None:
    settings = _settings(tmp_path, REGISTRY_MODE="ondc", REGISTRY_ENV="prod",
                         ONDC_SIGNING_PRIVATE_KEY=OUR_KEY.private_key_b64())
    registry = make_registry(settings, redis_client=None)
    assert isinstance(registry, OndcRegistry)
    assert registry.url == "https://prod.registry.ondc.org/v2.0/lookup"
    with responses.RequestsMock() as mock:
        mock.post(registry.url, json=[lookup_item()])
        assert registry.lookup(BUYER_ID, BUYER_UK) == buyer_entry()
        assert registry.lookup(BUYER_ID, BUYER_UK) == buyer_entry()
        assert len(mock.calls) == 1
        auth = parse_auth_header(mock.calls[0].request.headers["Authorization"])
        assert (auth.subscriber_id, auth.unique_key_id) == (OUR_ID, OUR_UK)


def test_make_registry_ondc_caches_in_redis(tmp_path: Path, redis_client: redis.Redis) -> None:
    settings = _settings(tmp_path, REGISTRY_MODE="ondc", REGISTRY_ENV="staging",
                         ONDC_SIGNING_PRIVATE_KEY=OUR_KEY.seed_b64())
    registry = make_registry(settings, redis_client=redis_client)
    subscriber = f"test-{uuid.uuid4().hex[:12]}.example.org"
    with responses.RequestsMock() as mock:
        mock.post(REGISTRY_URLS["staging"] + "/v2.0/lookup", json=[lookup_item(subscriber_id=subscriber)])
        assert registry.lookup(subscriber, BUYER_UK) is not None
    key = RedisKeyCache.PREFIX + f"lookup:{subscriber}|{BUYER_UK}|"
    raw = redis_client.get(key)
    assert isinstance(raw, bytes)
    assert json.loads(raw)["entry"]["subscriber_id"] == subscriber
    redis_client.delete(key)

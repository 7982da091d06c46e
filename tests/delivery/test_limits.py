import os
import threading
import uuid
from collections.abc import Iterator

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from adapter.delivery.limits import KEY_PREFIX, UNLIMITED_PREFIX, BuyerLimiter
from tests.support.servers import free_port


@pytest.fixture
def redis_client() -> Iterator[redis.Redis]:
    url = os.environ.get("TEST_REDIS_URL")
    if not url:
        pytest.fail("TEST_REDIS_URL is not set: run the suite with `make test` (scripts/run-tests.sh)")
    client = redis.Redis.from_url(url)
    yield client
    for key in client.scan_iter(match=KEY_PREFIX + "test-*"):
        client.delete(key)
    client.close()


@pytest.fixture
def bap() -> str:
    return f"test-{uuid.uuid4().hex}.example"


def test_redis_slots_are_limited_per_buyer(redis_client: redis.Redis, bap: str) -> None:
    limiter = BuyerLimiter(redis_client, limit=2, lease_seconds=30)
    first, second = limiter.acquire(bap), limiter.acquire(bap)
    assert first is not None
    assert second is not None
    assert first != second
    assert limiter.acquire(bap) is None
    assert limiter.in_use(bap) == 2
    # Another buyer app has its own slots.
    other = limiter.acquire(bap + ".other")
    assert other is not None
    limiter.release(bap + ".other", other)

    limiter.release(bap, first)
    third = limiter.acquire(bap)
    assert third is not None
    assert limiter.in_use(bap) == 2
    limiter.release(bap, "unknown-token")  # harmless
    assert limiter.in_use(bap) == 2


def test_redis_slots_are_shared_between_workers(redis_client: redis.Redis, bap: str) -> None:
    worker_a = BuyerLimiter(redis_client, limit=1, lease_seconds=30)
    worker_b = BuyerLimiter(redis.Redis(connection_pool=redis_client.connection_pool), limit=1, lease_seconds=30)
    token = worker_a.acquire(bap)
    assert token is not None
    assert worker_b.acquire(bap) is None
    worker_a.release(bap, token)
    assert worker_b.acquire(bap) is not None


def test_a_crashed_workers_expired_lease_frees_its_slot(redis_client: redis.Redis, bap: str) -> None:
    limiter = BuyerLimiter(redis_client, limit=1, lease_seconds=30)
    # What a worker that died mid-POST leaves behind: a lease whose expiry (ms) has passed.
    redis_client.zadd(KEY_PREFIX + bap, {"dead-worker": 1})
    token = limiter.acquire(bap)
    assert token is not None
    assert redis_client.zscore(KEY_PREFIX + bap, "dead-worker") is None
    ttl_ms: int = redis_client.pttl(KEY_PREFIX + bap)  # type: ignore[assignment]  # sync client
    assert 0 < ttl_ms <= 30_000  # the whole set expires if nobody touches it again


def test_redis_down_fails_open(bap: str) -> None:
    client = redis.Redis(host="127.0.0.1", port=free_port(), socket_connect_timeout=0.2, socket_timeout=0.2,
                         retry=Retry(NoBackoff(), 0))
    limiter = BuyerLimiter(client, limit=1, lease_seconds=30)
    token = limiter.acquire(bap)
    assert token is not None
    assert token.startswith(UNLIMITED_PREFIX)
    limiter.release(bap, token)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_in_process_slots_are_limited_and_expire() -> None:
    clock = FakeClock()
    limiter = BuyerLimiter(None, limit=2, lease_seconds=10, clock=clock)
    first, second = limiter.acquire("a"), limiter.acquire("a")
    assert first is not None
    assert second is not None
    assert limiter.acquire("a") is None
    assert limiter.acquire("b") is not None
    limiter.release("a", first)
    assert limiter.acquire("a") is not None
    assert limiter.acquire("a") is None
    clock.now += 10.5  # every lease has run out
    assert limiter.in_use("a") == 0
    assert limiter.acquire("a") is not None


def test_in_process_limit_holds_under_threads() -> None:
    limiter = BuyerLimiter(None, limit=3, lease_seconds=60)
    tokens: list[str | None] = []
    start = threading.Barrier(20)

    def grab() -> None:
        start.wait()
        tokens.append(limiter.acquire("buyer"))

    threads = [threading.Thread(target=grab) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(token is not None for token in tokens) == 3
    assert limiter.in_use("buyer") == 3


def test_limits_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        BuyerLimiter(None, limit=0, lease_seconds=10)

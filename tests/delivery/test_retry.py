import json

import pytest

from adapter.delivery.http import HttpResult, TransportError
from adapter.delivery.retry import classify, next_delay, parse_ack

ACK = b'{"message":{"ack":{"status":"ACK"}}}'


def nack(code: object) -> bytes:
    return json.dumps({"message": {"ack": {"status": "NACK"}},
                       "error": {"type": "CORE-ERROR", "code": code, "message": "x"}}).encode()


def res(status: int, body: bytes = b"") -> HttpResult:
    return HttpResult(status_code=status, body=body, elapsed_ms=5)


@pytest.mark.parametrize(
    ("result", "outcome", "reason_part"),
    [
        (res(200, ACK), "sent", "ACK"),
        (res(202, b' {"message": {"ack": {"status": "ack"}}} '), "sent", "ACK"),
        (res(200, nack("23001")), "retry", "NACK 23001"),
        (res(200, nack(31001)), "retry", "NACK 31001"),
        (res(200, nack("20008")), "retry", "NACK 20008"),
        (res(200, nack("20009")), "dead", "NACK 20009"),
        (res(200, nack("20001")), "dead", "NACK 20001"),
        (res(200, nack("27501")), "dead", "NACK 27501"),
        (res(200, b'{"message":{"ack":{"status":"NACK"}}}'), "dead", "without an error code"),
        (res(200, b""), "sent", "warning: HTTP 200 without an ACK body"),
        (res(200, b"<html>ok</html>"), "sent", "warning"),
        (res(200, b'{"ok":true}'), "sent", "warning"),
        (res(500, b"boom"), "retry", "HTTP 500"),
        (res(503, nack("23001")), "retry", "HTTP 503 (NACK 23001)"),
        (res(502), "retry", "HTTP 502"),
        (res(429), "retry", "HTTP 429"),
        (res(408), "retry", "HTTP 408"),
        (res(400, nack("20006")), "dead", "HTTP 400 (NACK 20006)"),
        (res(401, nack("20001")), "dead", "rejected our signature"),
        (res(403), "dead", "HTTP 403"),
        (res(404), "dead", "HTTP 404"),
        (res(301), "dead", "redirects are not followed"),
    ],
)
def test_classify_responses(result: HttpResult, outcome: str, reason_part: str) -> None:
    got, reason = classify(result, None)
    assert got == outcome
    assert reason_part in reason


@pytest.mark.parametrize(
    ("kind", "outcome"), [("timeout", "retry"), ("connection", "retry"), ("other", "dead")]
)
def test_classify_transport_errors(kind: str, outcome: str) -> None:
    got, reason = classify(None, TransportError(kind, "details here"))  # type: ignore[arg-type]
    assert got == outcome
    assert "details here" in reason


def test_classify_needs_something() -> None:
    with pytest.raises(ValueError, match="result or an error"):
        classify(None, None)


def test_parse_ack_tolerates_junk() -> None:
    assert parse_ack(b"\xff\xfe") == (None, None)
    assert parse_ack(b"[]") == (None, None)
    assert parse_ack(b'{"message":"x","error":"y"}') == (None, None)
    assert parse_ack(nack(True)) == ("NACK", None)


def test_next_delay_grows_exponentially_up_to_the_cap() -> None:
    top = [next_delay(n, base=1.0, cap=60.0, rng=lambda: 1.0) for n in range(1, 10)]
    assert top == [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 60.0, 60.0]


def test_next_delay_is_full_jitter() -> None:
    assert next_delay(5, base=1.0, cap=60.0, rng=lambda: 0.0) == 0.0
    assert next_delay(5, base=1.0, cap=60.0, rng=lambda: 0.25) == 4.0


@pytest.mark.parametrize("attempt", [1, 2, 7, 50, 10_000])
@pytest.mark.parametrize("fraction", [0.0, 0.3, 0.999, 1.0])
def test_next_delay_bounds(attempt: int, fraction: float) -> None:
    delay = next_delay(attempt, base=0.5, cap=300.0, rng=lambda: fraction)
    assert 0.0 <= delay <= min(300.0, 0.5 * 2 ** min(attempt - 1, 64))


def test_next_delay_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="1-based"):
        next_delay(0, base=1, cap=2, rng=lambda: 0.5)
    with pytest.raises(ValueError, match="positive"):
        next_delay(1, base=0, cap=2, rng=lambda: 0.5)
    with pytest.raises(ValueError, match="rng"):
        next_delay(1, base=1, cap=2, rng=lambda: 1.5)

import datetime as dt
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import orjson
import pytest
import requests
import responses
from prometheus_client import REGISTRY
from sqlalchemy.orm import Session, sessionmaker

from adapter.delivery import outbox
from adapter.delivery.http import HttpClient
from adapter.delivery.limits import BuyerLimiter
from adapter.delivery.sender import DeliveryResult, Signer, deliver
from adapter.errors import ConflictError
from adapter.protocol.context import format_timestamp
from adapter.protocol.signing import SignatureExpiredError, verify_request
from adapter.store.db import transaction
from adapter.store.models import DeliveryAttempt, OutboxMessage
from tests.delivery.factories import ACK, T0, Clock, add_row, nack, signing_key

URL = "https://buyer.example/ondc/on_search"
PUBLIC = ["93.184.216.34"]


def public_dns(host: str) -> list[str]:
    return PUBLIC


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def signer() -> Signer:
    return Signer(subscriber_id="seller.example", unique_key_id="k1", key=signing_key(), validity=300)


@pytest.fixture
def http() -> Iterator[HttpClient]:
    with HttpClient(connect_timeout=1, read_timeout=2) as client:
        yield client


@pytest.fixture
def send(
    sessions: sessionmaker[Session], signer: Signer, http: HttpClient, clock: Clock
) -> Callable[..., DeliveryResult]:
    def run(outbox_id: int, **overrides: Any) -> DeliveryResult:
        options: dict[str, Any] = {
            "signer": signer, "http": http, "now": clock, "rng": lambda: 1.0, "base_delay": 1.0,
            "max_delay": 60.0, "allow_private": False, "require_https": True, "resolve": public_dns,
        } | overrides
        return deliver(sessions, outbox_id, **options)

    return run


def row(sessions: sessionmaker[Session], outbox_id: int) -> OutboxMessage:
    with sessions() as session:
        return session.get_one(OutboxMessage, outbox_id)


def attempts(sessions: sessionmaker[Session], outbox_id: int) -> list[DeliveryAttempt]:
    with sessions() as session:
        return outbox.list_attempts(session, outbox_id)


def counter(action: str, outcome: str) -> float:
    value = REGISTRY.get_sample_value("odop_callback_attempts_total", {"action": action, "outcome": outcome})
    return value or 0.0


@responses.activate
def test_ack_marks_the_row_sent(sessions: sessionmaker[Session], send: Callable[..., DeliveryResult],
                                clock: Clock) -> None:
    responses.post(URL, body=ACK)
    outbox_id = add_row(sessions, T0, action="on_confirm")
    before = counter("on_confirm", "sent")
    result = send(outbox_id)
    assert (result.outcome, result.status_code, result.next_attempt_at) == ("sent", 200, None)
    stored = row(sessions, outbox_id)
    assert (stored.status, stored.attempts, stored.last_status_code, stored.sent_at) == ("sent", 1, 200, T0)
    assert stored.last_error is None
    [attempt] = attempts(sessions, outbox_id)
    assert (attempt.outcome, attempt.status_code, attempt.error) == ("sent", 200, None)
    assert attempt.response_body == ACK.decode()
    assert counter("on_confirm", "sent") == before + 1
    # Done rows are left alone.
    assert send(outbox_id).outcome == "skipped"
    assert len(responses.calls) == 1


@responses.activate
def test_posts_the_exact_stored_bytes_with_a_verifiable_signature(
    sessions: sessionmaker[Session], send: Callable[..., DeliveryResult], signer: Signer
) -> None:
    responses.post(URL, body=ACK)
    outbox_id = add_row(sessions, T0)
    stored = row(sessions, outbox_id).body
    send(outbox_id)
    request = responses.calls[0].request
    assert request.body == stored
    header = request.headers["Authorization"]
    auth = verify_request(stored, header, public_key_b64=signer.key.public_key_b64, now=int(T0.timestamp()))
    assert (auth.subscriber_id, auth.unique_key_id) == ("seller.example", "k1")
    assert auth.expires - auth.created == 300


@responses.activate
def test_a_500_then_a_200_is_delivered_once_after_two_attempts(
    sessions: sessionmaker[Session], send: Callable[..., DeliveryResult], clock: Clock
) -> None:
    responses.post(URL, status=500, body=b"upstream broke")
    responses.post(URL, body=ACK)
    outbox_id = add_row(sessions, T0)

    first = send(outbox_id)
    assert first.outcome == "retry"
    assert first.status_code == 500
    assert first.next_attempt_at == T0 + dt.timedelta(seconds=1)  # attempt 1: base * 2^0 * rng(1.0)
    assert row(sessions, outbox_id).last_error == "HTTP 500"
    assert send(outbox_id).outcome == "skipped"  # not due yet

    clock.advance(1)
    assert send(outbox_id).outcome == "sent"
    assert send(outbox_id).outcome == "skipped"
    assert len(responses.calls) == 2
    stored = row(sessions, outbox_id)
    assert (stored.status, stored.attempts) == ("sent", 2)
    assert [a.outcome for a in attempts(sessions, outbox_id)] == ["retry", "sent"]
    assert [a.status_code for a in attempts(sessions, outbox_id)] == [500, 200]


@responses.activate
def test_a_timeout_is_retried(sessions: sessionmaker[Session], send: Callable[..., DeliveryResult],
                              clock: Clock) -> None:
    responses.post(URL, body=requests.ReadTimeout("read timed out"))
    responses.post(URL, body=ACK)
    outbox_id = add_row(sessions, T0)
    first = send(outbox_id)
    assert (first.outcome, first.status_code) == ("retry", None)
    assert "timeout" in first.reason
    [attempt] = attempts(sessions, outbox_id)
    assert attempt.status_code is None
    assert "timeout" in (attempt.error or "")
    clock.advance(2)
    assert send(outbox_id).outcome == "sent"


@responses.activate
def test_a_400_is_dead_lettered_with_the_reason(
    sessions: sessionmaker[Session], send: Callable[..., DeliveryResult], clock: Clock
) -> None:
    responses.post(URL, status=400, body=nack("20006"))
    outbox_id = add_row(sessions, T0)
    result = send(outbox_id)
    assert result.outcome == "dead"
    assert "HTTP 400" in result.reason
    assert "20006" in result.reason
    stored = row(sessions, outbox_id)
    assert (stored.status, stored.last_status_code) == ("dead", 400)
    assert stored.last_error == result.reason
    clock.advance(3600)
    assert send(outbox_id).outcome == "skipped"
    assert len(responses.calls) == 1


@responses.activate
def test_nothing_is_sent_after_the_deadline(sessions: sessionmaker[Session], send: Callable[..., DeliveryResult],
                                            clock: Clock) -> None:
    outbox_id = add_row(sessions, T0, deadline_at=T0 + dt.timedelta(seconds=30))
    clock.advance(31)
    result = send(outbox_id)
    assert (result.outcome, result.reason) == ("dead", "ttl expired before delivery")
    assert len(responses.calls) == 0
    stored = row(sessions, outbox_id)
    assert (stored.status, stored.attempts, stored.last_error) == ("dead", 0, "ttl expired before delivery")
    assert attempts(sessions, outbox_id) == []


@responses.activate
def test_a_retry_that_would_land_after_the_deadline_is_dead(
    sessions: sessionmaker[Session], send: Callable[..., DeliveryResult], clock: Clock
) -> None:
    responses.post(URL, status=503)
    outbox_id = add_row(sessions, T0, deadline_at=T0 + dt.timedelta(seconds=5))
    clock.advance(4.5)
    result = send(outbox_id)  # next try would be at +5.5s
    assert result.outcome == "dead"
    assert result.reason == "HTTP 503; deadline passed before the next try"
    assert row(sessions, outbox_id).status == "dead"


@responses.activate
def test_retries_stop_at_the_solicited_ttl(sessions: sessionmaker[Session],
                                           send: Callable[..., DeliveryResult], clock: Clock) -> None:
    responses.post(URL, status=502)
    outbox_id = add_row(sessions, T0)  # ttl PT30S
    outcomes = []
    for _ in range(20):
        result = send(outbox_id)
        outcomes.append(result.outcome)
        if result.next_attempt_at is None:
            break
        clock.now = result.next_attempt_at
    # rng=1.0: tries at 0, 1, 3, 7, 15; the next would be at 31 > 30.
    assert outcomes == ["retry", "retry", "retry", "retry", "dead"]
    assert len(responses.calls) == 5
    assert row(sessions, outbox_id).attempts == 5


@pytest.mark.parametrize(("code", "outcome"), [("23001", "retry"), ("31001", "retry"), ("20009", "dead"),
                                                ("27501", "dead")])
@responses.activate
def test_nacks_are_retried_only_for_transient_codes(
    sessions: sessionmaker[Session], send: Callable[..., DeliveryResult], code: str, outcome: str
) -> None:
    responses.post(URL, body=nack(code))
    outbox_id = add_row(sessions, T0)
    result = send(outbox_id)
    assert result.outcome == outcome
    assert code in result.reason
    assert row(sessions, outbox_id).status == ("pending" if outcome == "retry" else "dead")
    assert code in (row(sessions, outbox_id).last_error or "")


@responses.activate
def test_a_200_without_ack_body_counts_as_sent_with_a_warning(
    sessions: sessionmaker[Session], send: Callable[..., DeliveryResult]
) -> None:
    responses.post(URL, body=b"")
    outbox_id = add_row(sessions, T0)
    result = send(outbox_id)
    assert result.outcome == "sent"
    assert result.reason.startswith("warning:")
    assert row(sessions, outbox_id).last_error == result.reason
    assert attempts(sessions, outbox_id)[0].error == result.reason


@responses.activate
def test_replay_brings_a_dead_row_back_and_it_is_delivered(
    sessions: sessionmaker[Session], send: Callable[..., DeliveryResult], clock: Clock
) -> None:
    responses.post(URL, status=404)
    outbox_id = add_row(sessions, T0, action="on_status", solicited=False)  # a push: replayable an hour later
    assert send(outbox_id).outcome == "dead"
    clock.advance(3600)
    responses.replace(responses.POST, URL, body=ACK)
    with transaction(sessions) as session:
        outbox.replay(session, outbox_id, clock(), 600)
    result = send(outbox_id)
    assert result.outcome == "sent"
    stored = row(sessions, outbox_id)
    assert (stored.status, stored.attempts, stored.sent_at) == ("sent", 2, clock())
    assert [a.outcome for a in attempts(sessions, outbox_id)] == ["dead", "sent"]


@responses.activate
def test_a_claimed_row_is_not_sent_twice(sessions: sessionmaker[Session], send: Callable[..., DeliveryResult],
                                         clock: Clock) -> None:
    outbox_id = add_row(sessions, T0)
    during: list[DeliveryResult] = []

    def buyer(request: Any) -> tuple[int, dict[str, str], bytes]:
        # A duplicate task runs while the first POST is still in flight.
        during.append(send(outbox_id))
        return 200, {}, ACK

    responses.add_callback(responses.POST, URL, callback=buyer)
    assert send(outbox_id).outcome == "sent"
    assert [r.outcome for r in during] == ["skipped"]
    assert during[0].next_attempt_at is not None
    assert during[0].next_attempt_at > T0  # the lease
    assert len(responses.calls) == 1


@responses.activate
def test_an_expired_lease_is_picked_up_again(sessions: sessionmaker[Session],
                                             send: Callable[..., DeliveryResult], clock: Clock) -> None:
    outbox_id = add_row(sessions, T0, deadline_at=T0 + dt.timedelta(hours=1))
    # A worker claimed the row and died: the lease is in the future, then runs out.
    with transaction(sessions) as session:
        session.get_one(OutboxMessage, outbox_id).next_attempt_at = T0 + dt.timedelta(seconds=33)
    responses.post(URL, body=ACK)
    assert send(outbox_id).outcome == "skipped"
    with sessions() as session:
        assert outbox.due_ids(session, clock(), 10) == []
    clock.advance(33)
    with sessions() as session:
        assert outbox.due_ids(session, clock(), 10) == [outbox_id]
    assert send(outbox_id).outcome == "sent"


def test_concurrent_deliveries_of_one_row_post_once(
    sessions: sessionmaker[Session], send: Callable[..., DeliveryResult]
) -> None:
    outbox_id = add_row(sessions, T0)
    results: list[DeliveryResult] = []
    start = threading.Barrier(4)

    def slow_buyer(request: Any) -> tuple[int, dict[str, str], bytes]:
        time.sleep(0.2)  # keep the POST in flight while the other workers try to claim
        return 200, {}, ACK

    def worker() -> None:
        start.wait()
        results.append(send(outbox_id))

    with responses.RequestsMock() as mock:
        mock.add_callback(responses.POST, URL, callback=slow_buyer)
        threads = [threading.Thread(target=worker) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(mock.calls) == 1
    assert sorted(r.outcome for r in results) == ["sent", "skipped", "skipped", "skipped"]
    assert len(attempts(sessions, outbox_id)) == 1


@pytest.mark.parametrize(
    ("url", "options"),
    [
        ("https://10.0.0.7/on_search", {}),
        ("http://buyer.example/on_search", {}),
        ("https://buyer.example/on_search", {"resolve": lambda host: ["127.0.0.1"]}),
    ],
)
@responses.activate
def test_unsafe_urls_are_dead_lettered_without_a_post(
    sessions: sessionmaker[Session], send: Callable[..., DeliveryResult], url: str, options: dict[str, Any]
) -> None:
    outbox_id = add_row(sessions, T0, target_url=url)
    result = send(outbox_id, **options)
    assert result.outcome == "dead"
    assert result.reason.startswith("unsafe callback URL:")
    assert len(responses.calls) == 0
    assert row(sessions, outbox_id).status == "dead"


@responses.activate
def test_private_urls_are_allowed_when_configured(sessions: sessionmaker[Session],
                                                  send: Callable[..., DeliveryResult]) -> None:
    responses.post("http://127.0.0.1:8081/on_search", body=ACK)
    outbox_id = add_row(sessions, T0, target_url="http://127.0.0.1:8081/on_search")
    assert send(outbox_id, allow_private=True, require_https=False).outcome == "sent"


@responses.activate
def test_an_unresolvable_host_is_retried(sessions: sessionmaker[Session],
                                         send: Callable[..., DeliveryResult]) -> None:
    def no_dns(host: str) -> list[str]:
        raise OSError("temporary failure in name resolution")

    outbox_id = add_row(sessions, T0)
    result = send(outbox_id, resolve=no_dns)
    assert result.outcome == "retry"
    assert "does not resolve" in result.reason
    assert len(responses.calls) == 0


@responses.activate
def test_a_busy_buyer_app_is_retried_soon_without_counting_an_attempt(
    sessions: sessionmaker[Session], send: Callable[..., DeliveryResult], clock: Clock
) -> None:
    responses.post(URL, body=ACK)
    limiter = BuyerLimiter(None, limit=1, lease_seconds=60)
    held = limiter.acquire("buyer.example")
    assert held is not None
    outbox_id = add_row(sessions, T0)

    busy = send(outbox_id, limiter=limiter)
    assert (busy.outcome, busy.reason) == ("retry", "buyer app busy")
    assert busy.next_attempt_at is not None
    assert T0 < busy.next_attempt_at <= T0 + dt.timedelta(seconds=2)
    stored = row(sessions, outbox_id)
    assert (stored.attempts, stored.next_attempt_at) == (0, busy.next_attempt_at)
    assert attempts(sessions, outbox_id) == []
    assert len(responses.calls) == 0

    limiter.release("buyer.example", held)
    clock.now = busy.next_attempt_at
    assert send(outbox_id, limiter=limiter).outcome == "sent"
    assert limiter.in_use("buyer.example") == 0  # the slot is given back after the POST


def test_signer_header_verifies_and_expires_after_validity(signer: Signer) -> None:
    body = b'{"a": 1}'
    header = signer.authorization(body, T0)
    key = signer.key.public_key_b64
    assert verify_request(body, header, public_key_b64=key, now=int(T0.timestamp()) + 299)
    with pytest.raises(SignatureExpiredError):
        verify_request(body, header, public_key_b64=key, now=int(T0.timestamp()) + 400)


@responses.activate
def test_updates_of_one_transaction_are_delivered_in_order(
    sessions: sessionmaker[Session], send: Callable[..., DeliveryResult], clock: Clock
) -> None:
    responses.post("https://buyer.example/ondc/on_status", body=ACK)
    window = {"solicited": False, "deadline_at": T0 + dt.timedelta(hours=1), "action": "on_status",
              "target_url": "https://buyer.example/ondc/on_status", "transaction_id": "t-order"}
    hub = add_row(sessions, T0, **window, body=b'{"state": "At-destination-hub"}')
    out_for_delivery = add_row(sessions, T0, **window, body=b'{"state": "Out-for-delivery"}')
    other_transaction = add_row(sessions, T0, **(window | {"transaction_id": "t-other"}), body=b'{"state": "x"}')

    waiting = send(out_for_delivery)  # the later update's task ran first
    assert waiting.outcome == "retry"
    assert waiting.reason == "waiting for an earlier update of this transaction"
    assert row(sessions, out_for_delivery).attempts == 0  # nothing was posted
    assert send(other_transaction).outcome == "sent"  # other transactions are not held up
    assert send(hub).outcome == "sent"
    clock.advance(2)
    assert send(out_for_delivery).outcome == "sent"
    posted = [orjson.loads(call.request.body)["state"] for call in responses.calls]
    assert posted == ["x", "At-destination-hub", "Out-for-delivery"]


class WorkerKilled(BaseException):
    """Stands for the worker process dying: not an Exception, so nothing in deliver() records it."""


def post_then_die(received: list[bytes]) -> Callable[[Any], tuple[int, dict[str, str], bytes]]:
    def buyer(request: Any) -> tuple[int, dict[str, str], bytes]:
        received.append(request.body)  # the buyer app has the callback...
        raise WorkerKilled  # ...and the worker dies before it records the answer

    return buyer


@responses.activate
def test_a_post_lost_after_it_was_sent_is_dead_as_maybe_delivered_and_needs_force_to_replay(
    sessions: sessionmaker[Session], send: Callable[..., DeliveryResult], clock: Clock
) -> None:
    received: list[bytes] = []
    responses.add_callback(responses.POST, URL, callback=post_then_die(received))
    outbox_id = add_row(sessions, T0)  # deadline T0 + 30 s, the lease runs past it
    with pytest.raises(WorkerKilled):
        send(outbox_id)
    assert len(received) == 1
    assert row(sessions, outbox_id).in_flight_since == T0
    clock.advance(120)  # the lease ran out, and the deadline with it

    result = send(outbox_id)
    assert result.outcome == "dead"
    assert "may have it" in result.reason
    stored = row(sessions, outbox_id)
    assert (stored.status, stored.attempts, stored.maybe_delivered, stored.in_flight_since) == ("dead", 1, True, None)
    [lost] = attempts(sessions, outbox_id)
    assert (lost.outcome, lost.attempted_at) == ("unknown", T0)
    assert len(received) == 1

    with transaction(sessions) as session:
        assert outbox.dead_ids(session, clock()) == []  # "replay all" leaves it alone
        assert outbox.replay_dead(session, clock(), 600) == 0
        with pytest.raises(ConflictError, match="may already have reached"):
            outbox.replay(session, outbox_id, clock(), 600)
    assert row(sessions, outbox_id).status == "dead"
    with transaction(sessions) as session:
        outbox.replay(session, outbox_id, clock(), 600, force=True)
    responses.replace(responses.POST, URL, body=ACK)
    assert send(outbox_id).outcome == "sent"
    assert [a.outcome for a in attempts(sessions, outbox_id)] == ["unknown", "sent"]


@responses.activate
def test_a_post_lost_within_the_deadline_is_sent_again_and_the_lost_try_is_counted(
    sessions: sessionmaker[Session], send: Callable[..., DeliveryResult], clock: Clock
) -> None:
    received: list[bytes] = []
    responses.add_callback(responses.POST, URL, callback=post_then_die(received))
    outbox_id = add_row(sessions, T0, deadline_at=T0 + dt.timedelta(hours=1))
    with pytest.raises(WorkerKilled):
        send(outbox_id)
    clock.advance(120)
    responses.replace(responses.POST, URL, body=ACK)
    assert send(outbox_id).outcome == "sent"
    stored = row(sessions, outbox_id)
    assert (stored.status, stored.attempts, stored.maybe_delivered) == ("sent", 2, True)
    assert [a.outcome for a in attempts(sessions, outbox_id)] == ["unknown", "sent"]


@responses.activate
def test_a_row_that_never_left_is_dead_as_never_sent_and_replays_without_force(
    sessions: sessionmaker[Session], send: Callable[..., DeliveryResult], clock: Clock
) -> None:
    outbox_id = add_row(sessions, T0, action="on_status", solicited=False)  # a push: it never expires
    clock.advance(60)
    result = send(outbox_id)
    assert (result.outcome, result.reason) == ("dead", "ttl expired before delivery")
    assert row(sessions, outbox_id).maybe_delivered is False
    with transaction(sessions) as session:
        assert outbox.dead_ids(session, clock()) == [outbox_id]
        outbox.replay(session, outbox_id, clock(), 600)
    assert len(responses.calls) == 0


def test_a_row_being_sent_right_now_is_not_replayed(
    sessions: sessionmaker[Session], send: Callable[..., DeliveryResult], clock: Clock
) -> None:
    outbox_id = add_row(sessions, T0)
    conflicts: list[str] = []

    def buyer(request: Any) -> tuple[int, dict[str, str], bytes]:
        with transaction(sessions) as session:  # the operator clicks "replay" while the POST is in flight
            try:
                outbox.replay(session, outbox_id, clock(), 600)
            except ConflictError as error:
                conflicts.append(str(error))
        return 200, {}, ACK

    with responses.RequestsMock() as mock:
        mock.add_callback(responses.POST, URL, callback=buyer)
        assert send(outbox_id).outcome == "sent"
    assert len(conflicts) == 1
    assert "being sent right now" in conflicts[0]
    assert [a.outcome for a in attempts(sessions, outbox_id)] == ["sent"]


@responses.activate
def test_the_accepting_update_waits_for_the_on_confirm_but_not_for_other_answers(
    sessions: sessionmaker[Session], send: Callable[..., DeliveryResult], clock: Clock
) -> None:
    for action in ("on_confirm", "on_issue", "on_status"):
        responses.post(f"https://buyer.example/ondc/{action}", body=ACK)
    common = {"deadline_at": T0 + dt.timedelta(hours=1), "transaction_id": "t-confirm"}
    on_issue = add_row(sessions, T0, **common, solicited=True, action="on_issue",
                       target_url="https://buyer.example/ondc/on_issue", body=b'{"state": "issue"}')
    on_confirm = add_row(sessions, T0, **common, solicited=True, action="on_confirm",
                         target_url="https://buyer.example/ondc/on_confirm", body=b'{"state": "Created"}')
    accepted = add_row(sessions, T0, **common, solicited=False, action="on_status",
                       target_url="https://buyer.example/ondc/on_status", body=b'{"state": "Accepted"}')

    assert send(accepted).outcome == "retry"  # the on_confirm that created the order goes first
    assert send(on_confirm).outcome == "sent"
    clock.advance(2)
    assert send(accepted).outcome == "sent"  # an unanswered on_issue (another conversation) holds nothing up
    assert row(sessions, on_issue).status == "pending"
    posted = [orjson.loads(call.request.body)["state"] for call in responses.calls]
    assert posted == ["Created", "Accepted"]


@responses.activate
def test_an_on_confirm_replayed_long_after_holds_up_no_update(
    sessions: sessionmaker[Session], send: Callable[..., DeliveryResult], clock: Clock
) -> None:
    responses.post("https://buyer.example/ondc/on_status", body=ACK)
    common = {"deadline_at": T0 + dt.timedelta(hours=1), "transaction_id": "t-old-confirm"}
    add_row(sessions, T0 - dt.timedelta(hours=2), **common, solicited=True, action="on_confirm",
            target_url="https://buyer.example/ondc/on_confirm", body=b'{"state": "Created"}')  # replayed, pending
    packed = add_row(sessions, T0, **common, solicited=False, action="on_status",
                     target_url="https://buyer.example/ondc/on_status", body=b'{"state": "Packed"}')
    assert send(packed).outcome == "sent"


@responses.activate
def test_a_request_we_send_is_stamped_with_the_time_of_each_attempt(
    sessions: sessionmaker[Session], send: Callable[..., DeliveryResult], signer: Signer, clock: Clock
) -> None:
    """A LOG init retried after the courier's ttl would be refused as stale (65003) with its first timestamp:
    each attempt carries its own time, the message_id stays, and the bytes signed are the bytes stored. An
    answer (on_*) is sent exactly as stored."""
    url = "https://courier.example/log/init"
    responses.post(url, status=503)
    responses.post(url, body=ACK)
    body = orjson.dumps({"context": {"action": "init", "message_id": "m-9", "timestamp": "2020-01-01T00:00:00.000Z",
                                     "ttl": "PT30S"}, "message": {"order": {"id": "L-1"}}})
    outbox_id = add_row(sessions, T0, action="init", target_url=url, body=body, bap_id=None, solicited=False,
                        deadline_at=T0 + dt.timedelta(hours=1))
    assert send(outbox_id).outcome == "retry"
    clock.advance(120)
    assert send(outbox_id).outcome == "sent"
    stamps = []
    for call in responses.calls:
        posted = orjson.loads(call.request.body)
        stamps.append(posted["context"]["timestamp"])
        assert posted["context"]["message_id"] == "m-9"
        verify_request(call.request.body, call.request.headers["Authorization"],
                       public_key_b64=signer.key.public_key_b64, now=int(clock.now.timestamp()))
    assert stamps == [format_timestamp(T0), format_timestamp(T0 + dt.timedelta(seconds=120))]
    assert row(sessions, outbox_id).body == responses.calls[1].request.body


@responses.activate
def test_an_answer_is_not_restamped(sessions: sessionmaker[Session], send: Callable[..., DeliveryResult]) -> None:
    responses.post(URL, body=ACK)
    body = orjson.dumps({"context": {"action": "on_search", "timestamp": "2020-01-01T00:00:00.000Z"}, "message": {}})
    outbox_id = add_row(sessions, T0, body=body)
    send(outbox_id)
    assert responses.calls[0].request.body == body

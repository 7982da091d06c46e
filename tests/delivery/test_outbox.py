import datetime as dt

import pytest
from sqlalchemy.orm import Session, sessionmaker

from adapter.delivery import outbox
from adapter.errors import ConflictError, InvalidRequestError, NotFoundError
from adapter.store.db import transaction
from adapter.store.models import OutboxMessage
from tests.delivery.factories import T0, add_row, body_for


def set_status(sessions: sessionmaker[Session], outbox_id: int, status: str) -> None:
    with transaction(sessions) as session:
        session.get_one(OutboxMessage, outbox_id).status = status


def test_enqueue_stores_exact_bytes_and_is_due_at_once(sessions: sessionmaker[Session]) -> None:
    body = body_for("on_status")
    outbox_id = add_row(sessions, T0, body=body, action="on_status", solicited=False, cooperative_id=None)
    with sessions() as session:
        row = session.get_one(OutboxMessage, outbox_id)
        assert row.body == body
        assert (row.status, row.attempts, row.solicited) == ("pending", 0, False)
        assert row.next_attempt_at == T0
        assert row.deadline_at == T0 + dt.timedelta(seconds=30)
        assert outbox.due_ids(session, T0, 10) == [outbox_id]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"now": dt.datetime(2024, 1, 1)}, "timezone-aware"),  # noqa: DTZ001 - the naive value under test
        ({"deadline_at": dt.datetime(2024, 1, 1)}, "timezone-aware"),  # noqa: DTZ001
        ({"body": b""}, "bytes"),
        ({"body": "text"}, "bytes"),
    ],
)
def test_enqueue_rejects_bad_input(sessions: sessionmaker[Session], overrides: dict[str, object],
                                   message: str) -> None:
    with pytest.raises(ValueError, match=message):
        add_row(sessions, T0, **overrides)


def test_due_ids_only_pending_and_due_oldest_first(sessions: sessionmaker[Session]) -> None:
    later = add_row(sessions, T0 + dt.timedelta(seconds=5))
    first = add_row(sessions, T0)
    future = add_row(sessions, T0 + dt.timedelta(seconds=60))
    sent = add_row(sessions, T0)
    dead = add_row(sessions, T0)
    set_status(sessions, sent, "sent")
    set_status(sessions, dead, "dead")
    now = T0 + dt.timedelta(seconds=10)
    with sessions() as session:
        assert outbox.due_ids(session, now, 10) == [first, later]
        assert outbox.due_ids(session, now, 1) == [first]
        assert future not in outbox.due_ids(session, T0 + dt.timedelta(seconds=59), 10)
        assert future in outbox.due_ids(session, T0 + dt.timedelta(seconds=60), 10)


def test_replay_revives_a_dead_row_with_a_new_deadline(sessions: sessionmaker[Session]) -> None:
    outbox_id = add_row(sessions, T0, solicited=False)
    with transaction(sessions) as session:
        row = session.get_one(OutboxMessage, outbox_id)
        row.status, row.attempts, row.next_attempt_at = "dead", 4, T0 + dt.timedelta(hours=9)
    later = T0 + dt.timedelta(hours=2)
    with transaction(sessions) as session:
        row = outbox.replay(session, outbox_id, later, 600)
        assert (row.status, row.attempts) == ("pending", 4)
        assert row.next_attempt_at == later
        assert row.deadline_at == later + dt.timedelta(seconds=600)
    with sessions() as session:
        assert outbox.due_ids(session, later, 10) == [outbox_id]


def test_replay_refuses_missing_and_sent_rows(sessions: sessionmaker[Session]) -> None:
    outbox_id = add_row(sessions, T0)
    set_status(sessions, outbox_id, "sent")
    with transaction(sessions) as session:
        with pytest.raises(ConflictError, match="already delivered"):
            outbox.replay(session, outbox_id, T0, 60)
        with pytest.raises(NotFoundError):
            outbox.replay(session, outbox_id + 999, T0, 60)


def test_replay_dead_counts_and_filters_by_buyer(sessions: sessionmaker[Session]) -> None:
    a1 = add_row(sessions, T0, bap_id="a.example", solicited=False)
    a2 = add_row(sessions, T0, bap_id="a.example", solicited=False)
    b1 = add_row(sessions, T0, bap_id="b.example", solicited=False)
    alive = add_row(sessions, T0, bap_id="a.example")
    for outbox_id in (a1, a2, b1):
        set_status(sessions, outbox_id, "dead")
    later = T0 + dt.timedelta(hours=1)
    with transaction(sessions) as session:
        assert outbox.dead_ids(session, later) == [a1, a2, b1]
        assert outbox.dead_ids(session, later, bap_id="a.example") == [a1, a2]
        assert outbox.replay_dead(session, later, 300, bap_id="a.example") == 2
        assert outbox.dead_ids(session, later) == [b1]
    with sessions() as session:
        assert session.get_one(OutboxMessage, b1).status == "dead"
        assert session.get_one(OutboxMessage, a1).deadline_at == later + dt.timedelta(seconds=300)
        assert session.get_one(OutboxMessage, alive).deadline_at == T0 + dt.timedelta(seconds=30)
    with transaction(sessions) as session:
        assert outbox.replay_dead(session, later, 300) == 1
        assert outbox.replay_dead(session, later, 300) == 0


def test_list_messages_filters_and_pages(sessions: sessionmaker[Session]) -> None:
    ids = [add_row(sessions, T0, bap_id="a.example", transaction_id=f"t-{n % 2}") for n in range(5)]
    other = add_row(sessions, T0, bap_id="b.example")
    set_status(sessions, ids[0], "dead")
    with sessions() as session:
        assert [m.id for m in outbox.list_messages(session)] == [other, *reversed(ids)]
        assert [m.id for m in outbox.list_messages(session, status="dead")] == [ids[0]]
        assert [m.id for m in outbox.list_messages(session, bap_id="b.example")] == [other]
        assert [m.id for m in outbox.list_messages(session, bap_id="a.example", transaction_id="t-1")] == [
            ids[3], ids[1]]
        assert [m.id for m in outbox.list_messages(session, limit=2, offset=1)] == [ids[4], ids[3]]
        with pytest.raises(InvalidRequestError, match="status"):
            outbox.list_messages(session, status="lost")
        with pytest.raises(InvalidRequestError, match="limit"):
            outbox.list_messages(session, limit=0)


def test_depth_counts_every_status(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        assert outbox.depth(session) == {"pending": 0, "sent": 0, "dead": 0}
    ids = [add_row(sessions, T0) for _ in range(4)]
    set_status(sessions, ids[0], "dead")
    set_status(sessions, ids[1], "sent")
    with sessions() as session:
        assert outbox.depth(session) == {"pending": 2, "sent": 1, "dead": 1}


def test_an_answer_past_its_requests_ttl_is_not_replayed_unless_forced(sessions: sessionmaker[Session]) -> None:
    late = add_row(sessions, T0)  # an on_search answer: the buyer app waits until T0 + 30 s
    fresh = add_row(sessions, T0 + dt.timedelta(seconds=25))  # waited for until T0 + 55 s
    push = add_row(sessions, T0, action="on_status", solicited=False)  # news never expires
    for outbox_id in (late, fresh, push):
        set_status(sessions, outbox_id, "dead")
    now = T0 + dt.timedelta(seconds=40)
    with transaction(sessions) as session:
        assert outbox.expired(session.get_one(OutboxMessage, late), now)
        assert not outbox.expired(session.get_one(OutboxMessage, fresh), now)
        assert not outbox.expired(session.get_one(OutboxMessage, push), now)
        [group] = outbox.dead_groups(session, now)
        assert (group.count, group.replayable, group.expired) == (3, 2, 1)
        assert outbox.dead_ids(session, now) == [fresh, push]
        with pytest.raises(ConflictError, match="no longer waits") as refused:
            outbox.replay(session, late, now, 600)
        assert refused.value.details == {"expired": True}
        assert session.get_one(OutboxMessage, late).status == "dead"  # the refusal changed nothing
        assert outbox.replay_dead(session, now, 600) == 2
    with sessions() as session:
        # The answer keeps its request's deadline (the buyer app waits no longer); the push gets a new window.
        assert session.get_one(OutboxMessage, fresh).deadline_at == T0 + dt.timedelta(seconds=55)
        assert session.get_one(OutboxMessage, push).deadline_at == now + dt.timedelta(seconds=600)
        assert session.get_one(OutboxMessage, late).status == "dead"
    with transaction(sessions) as session:
        row = outbox.replay(session, late, now, 600, force=True)  # the operator insists
        assert (row.status, row.deadline_at) == ("pending", now + dt.timedelta(seconds=600))


def test_replaying_an_answer_within_its_ttl_keeps_the_requests_deadline(sessions: sessionmaker[Session]) -> None:
    outbox_id = add_row(sessions, T0)
    set_status(sessions, outbox_id, "dead")
    now = T0 + dt.timedelta(seconds=10)
    with transaction(sessions) as session:
        row = outbox.replay(session, outbox_id, now, 600)
        assert (row.status, row.next_attempt_at, row.deadline_at) == ("pending", now, T0 + dt.timedelta(seconds=30))

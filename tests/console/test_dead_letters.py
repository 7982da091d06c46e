"""The operator's dead letters, grouped by cooperative and buyer app, in plain words, replayed a group at a time."""

from __future__ import annotations

import datetime as dt

from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

from adapter.delivery import outbox
from adapter.store.db import transaction
from adapter.store.models import OutboxMessage, utcnow
from tests.conftest import ADMIN_KEY
from tests.console.support import csrf_of, make_coop_with_key, sign_in


def dead_letter(sessions: sessionmaker[Session], cooperative_id: int | None, bap_id: str, n: int,
                error: str = "HTTPConnectionPool(host='127.0.0.1', port=9): [Errno 111] Connection refused",
                *, maybe_delivered: bool = False) -> int:
    now = utcnow()
    with transaction(sessions) as session:
        row = outbox.enqueue(session, action="on_status", target_url=f"http://127.0.0.1:9/{bap_id}/on_status",
                             body=b'{"x":1}', transaction_id=f"t-{bap_id}-{n}", message_id=f"m-{bap_id}-{n}",
                             bap_id=bap_id, cooperative_id=cooperative_id, solicited=False,
                             deadline_at=now + dt.timedelta(minutes=5), now=now)
        row.status, row.attempts, row.last_error, row.maybe_delivered = "dead", 5, error, maybe_delivered
        return row.id


def statuses(sessions: sessionmaker[Session]) -> dict[str, list[str]]:
    with sessions() as session:
        found: dict[str, list[str]] = {}
        for row in session.query(OutboxMessage).order_by(OutboxMessage.id):
            found.setdefault(f"{row.cooperative_id}:{row.bap_id}", []).append(row.status)
        return found


def test_dead_letters_are_grouped_in_plain_words_and_replayed_a_group_at_a_time(
        web: FlaskClient, sessions: sessionmaker[Session]) -> None:
    chamba, _ = make_coop_with_key(sessions, "chamba-dl")
    kangra, _ = make_coop_with_key(sessions, "kangra-dl")
    dead_letter(sessions, chamba, "shop.example", 1)
    dead_letter(sessions, chamba, "shop.example", 2)
    dead_letter(sessions, chamba, "shop.example", 3, maybe_delivered=True)
    dead_letter(sessions, kangra, "shop.example", 4, error="timeout: read timed out")
    sign_in(web, ADMIN_KEY)
    page = web.get("/console/operator").get_data(as_text=True)
    cards = page.split('<li class="card">')[1:]
    assert len(cards) == 2  # one per cooperative and buyer app, the longest-failing first
    assert "Chamba Dl" in cards[0]
    assert "shop.example" in cards[0]
    assert "3 callbacks not delivered since" in cards[0]
    assert "IST" in cards[0]
    assert "The buyer app&#39;s server refused the connection" in cards[0]  # not the raw Python error
    assert "Errno" not in cards[0]
    assert "Send again" in cards[0]
    assert "Some may already have reached the buyer app" in cards[0]
    assert "1 callback not delivered since" in cards[1]
    assert "did not answer in time" in cards[1]

    form = {"csrf_token": csrf_of(web), "group": "1", "cooperative": str(chamba), "bap_id": "shop.example"}
    replayed = web.post("/console/operator/outbox/replay", data=form, follow_redirects=True)
    assert "Replayed 2 message(s)." in replayed.get_data(as_text=True)  # the one that may have arrived stays
    assert statuses(sessions) == {f"{chamba}:shop.example": ["pending", "pending", "dead"],
                                  f"{kangra}:shop.example": ["dead"]}

    web.post("/console/language", data={"lang": "hi", "csrf_token": csrf_of(web)})
    hindi = web.get("/console/operator").get_data(as_text=True)
    assert "जो संदेश नहीं पहुँचे" in hindi
    assert "1 संदेश" in hindi
    assert "से नहीं पहुँचा।" in hindi


def test_a_bad_group_is_refused(web: FlaskClient, sessions: sessionmaker[Session]) -> None:
    sign_in(web, ADMIN_KEY)
    response = web.post("/console/operator/outbox/replay",
                        data={"csrf_token": csrf_of(web), "group": "1", "cooperative": "x"})
    assert response.status_code == 400


def test_answers_past_their_ttl_are_shown_as_too_late_and_not_replayed(
        web: FlaskClient, sessions: sessionmaker[Session]) -> None:
    chamba, _ = make_coop_with_key(sessions, "chamba-late")
    push = dead_letter(sessions, chamba, "late.example", 1)
    now = utcnow()
    with transaction(sessions) as session:
        late = outbox.enqueue(session, action="on_select", target_url="http://127.0.0.1:9/late.example/on_select",
                              body=b'{"x":2}', transaction_id="t-late", message_id="m-late", bap_id="late.example",
                              cooperative_id=chamba, solicited=True, deadline_at=now - dt.timedelta(minutes=1),
                              now=now - dt.timedelta(minutes=2))
        late.status, late.last_error = "dead", "ttl expired before delivery"
        late_id = late.id
    sign_in(web, ADMIN_KEY)
    card = web.get("/console/operator").get_data(as_text=True).split('<li class="card">')[1]
    assert "2 callbacks not delivered since" in card
    assert "1 of them answered a request too late" in card
    listing = web.get("/console/operator/outbox?status=dead").get_data(as_text=True)
    row = listing.split(f'id="outbox-{late_id}"')[1].split("</tr>")[0]
    assert "Too late to send" in row
    assert "IST" in row
    assert "Replay" not in row  # no button for it
    assert f'aria-label="Replay #{push}"' in listing

    form = {"csrf_token": csrf_of(web), "group": "1", "cooperative": str(chamba), "bap_id": "late.example"}
    replayed = web.post("/console/operator/outbox/replay", data=form, follow_redirects=True)
    assert "Replayed 1 message(s)." in replayed.get_data(as_text=True)
    assert statuses(sessions) == {f"{chamba}:late.example": ["pending", "dead"]}
    refused = web.post(f"/console/operator/outbox/{late_id}/replay", data={"csrf_token": csrf_of(web)},
                       follow_redirects=True)
    assert "Not sent: this answer is too late" in refused.get_data(as_text=True)
    assert statuses(sessions) == {f"{chamba}:late.example": ["pending", "dead"]}

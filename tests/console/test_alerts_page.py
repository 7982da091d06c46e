"""The console's alerts page: the choice saved, bad input refused in the member's language, a test alert with
its outcome in words, the last alerts, and one cooperative never seeing another's."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from adapter.alerts import store as alert_store
from adapter.store.db import transaction
from adapter.store.models import AlertMessage, AlertSettings, utcnow
from tests.conftest import ADMIN_KEY
from tests.console.support import csrf_of, sign_in
from tests.support.receiver import Receiver, running_receiver


@pytest.fixture
def hook() -> Iterator[Receiver]:
    with running_receiver() as server:
        yield server


def saved(sessions: sessionmaker[Session], cooperative_id: int) -> AlertSettings | None:
    with sessions() as session:
        return session.get(AlertSettings, cooperative_id)


def post(web: FlaskClient, path: str, **form: object) -> object:
    return web.post(path, data={"csrf_token": csrf_of(web), **form})


def test_a_cooperative_chooses_a_webhook_and_sees_its_secret_once(
    web: FlaskClient, coops: dict[str, tuple[int, str]], sessions: sessionmaker[Session], hook: Receiver
) -> None:
    coop_id, key = coops["test-coop"]
    sign_in(web, key)
    page = web.get("/console/alerts")
    assert page.status_code == 200
    assert 'href="/console/alerts"' in page.get_data(as_text=True)  # in the menu
    answer = post(web, "/console/alerts", webhook_url=hook.url, kinds=["new_order", "issue_raised"], language="hi")
    html = answer.get_data(as_text=True)  # type: ignore[attr-defined]
    row = saved(sessions, coop_id)
    assert row is not None
    assert (row.webhook_url, row.kinds, row.language) == (hook.url, ["new_order", "issue_raised"], "hi")
    assert row.webhook_secret is not None
    assert row.webhook_secret in html  # shown in the answer that made it
    again = web.get("/console/alerts").get_data(as_text=True)
    assert row.webhook_secret not in again  # and never again
    # Saving again keeps the secret; asking for a new one replaces it.
    post(web, "/console/alerts", webhook_url=hook.url, kinds=["new_order"], language="en")
    kept = saved(sessions, coop_id)
    assert kept is not None
    assert kept.webhook_secret == row.webhook_secret
    post(web, "/console/alerts", webhook_url=hook.url, kinds=["new_order"], language="en", new_secret="on")
    renewed = saved(sessions, coop_id)
    assert renewed is not None
    assert renewed.webhook_secret not in (None, row.webhook_secret)

    # The test alert goes out now and the page says so in words; it is listed with its status.
    tested = post(web, "/console/alerts/test")
    assert tested.status_code == 303  # type: ignore[attr-defined]
    assert len(hook.posts()) == 1
    listing = web.get("/console/alerts").get_data(as_text=True)
    assert "the test alert was delivered" in listing
    assert 'data-status="sent"' in listing

    # A second press within the minute sends nothing and says when to try again.
    post(web, "/console/alerts/test")
    assert len(hook.posts()) == 1
    assert "A test alert was just sent: try again in" in web.get("/console/alerts").get_data(as_text=True)
    with transaction(sessions) as session:  # a minute and more goes by
        for alert in session.scalars(select(AlertMessage).where(AlertMessage.kind == "test")):
            alert.created_at -= dt.timedelta(minutes=2)

    hook.responses.append((500, b"oops"))
    post(web, "/console/alerts/test")
    failed = web.get("/console/alerts").get_data(as_text=True)
    assert "the test alert was not delivered" in failed
    assert "answered with error 500" in failed
    assert 'data-status="failed"' in failed


@pytest.mark.parametrize(("field", "value", "english"), [
    ("webhook_url", "http://127.0.0.1/hook\nX: y", "not a valid web address"),
    ("webhook_url", "ftp://example.org/hook", "must start with https://"),
    ("webhook_url", "https://" + "a" * 2100 + ".example", "too long"),
    ("email", "not an address", "does not look right"),
    ("email", "orders@coop.example", "not set up on this server"),  # no SMTP_HOST in the tests
])
def test_bad_input_is_refused_in_the_members_language_and_nothing_is_saved(
    web: FlaskClient, coops: dict[str, tuple[int, str]], sessions: sessionmaker[Session], field: str, value: str,
    english: str
) -> None:
    coop_id, key = coops["test-coop"]
    sign_in(web, key)
    answer = post(web, "/console/alerts", **{field: value, "kinds": ["new_order"]})
    assert answer.status_code == 422  # type: ignore[attr-defined]
    assert english in answer.get_data(as_text=True)  # type: ignore[attr-defined]
    assert saved(sessions, coop_id) is None
    post(web, "/console/language", lang="hi")
    hindi = post(web, "/console/alerts", **{field: value}).get_data(as_text=True)  # type: ignore[attr-defined]
    assert english not in hindi
    assert 'role="alert"' in hindi
    assert saved(sessions, coop_id) is None


def test_junk_in_the_form_is_not_a_500(web: FlaskClient, coops: dict[str, tuple[int, str]],
                                       sessions: sessionmaker[Session]) -> None:
    coop_id, key = coops["test-coop"]
    sign_in(web, key)
    answer = post(web, "/console/alerts", kinds=["everything", "new_order"], language="xx-klingon")
    assert answer.status_code == 303  # type: ignore[attr-defined]
    row = saved(sessions, coop_id)
    assert row is not None
    assert row.kinds == ["new_order"]
    assert row.language == "en"
    assert web.post("/console/alerts", data={"webhook_url": "https://x.example"}).status_code == 400  # no CSRF
    nothing = post(web, "/console/alerts/test")  # no channel chosen
    assert nothing.status_code == 303  # type: ignore[attr-defined]
    assert "Nothing to test" in web.get("/console/alerts").get_data(as_text=True)


def test_a_cooperative_sees_only_its_own_alerts(web: FlaskClient, coops: dict[str, tuple[int, str]],
                                                sessions: sessionmaker[Session]) -> None:
    mine, key = coops["test-coop"]
    theirs, _ = coops["other-coop"]
    with transaction(sessions) as session:
        alert_store.save_settings(session, theirs, webhook_url="https://hooks.other.example/x", email=None,
                                  kinds=["new_order"], language="en", now=utcnow())
        alert_store.record(session, theirs, "new_order", event_key="new_order:99", order_id="THEIR-ORDER-99",
                           order_pk=None, now=utcnow())
    sign_in(web, key)
    page = web.get("/console/alerts").get_data(as_text=True)
    assert "THEIR-ORDER-99" not in page
    assert "hooks.other.example" not in page
    assert web.get("/console/alerts?cooperative=other-coop").status_code == 404
    changed = post(web, "/console/alerts?cooperative=other-coop", webhook_url="https://evil.example/x")
    assert changed.status_code == 404  # type: ignore[attr-defined]
    assert post(web, "/console/alerts/test?cooperative=other-coop").status_code == 404  # type: ignore[attr-defined]
    row = saved(sessions, theirs)
    assert row is not None
    assert row.webhook_url == "https://hooks.other.example/x"
    assert saved(sessions, mine) is None


def test_the_operator_picks_a_cooperative(web: FlaskClient, coops: dict[str, tuple[int, str]]) -> None:
    sign_in(web, ADMIN_KEY)
    chooser = web.get("/console/alerts").get_data(as_text=True)
    assert 'name="cooperative"' in chooser
    assert "other-coop" in chooser
    page = web.get("/console/alerts?cooperative=other-coop")
    assert page.status_code == 200
    assert "Send a test alert" in page.get_data(as_text=True)


def test_the_api_reads_and_sets_the_same_settings(client: FlaskClient, coops: dict[str, tuple[int, str]],
                                                  admin_headers: dict[str, str]) -> None:
    _, key = coops["test-coop"]
    mine = {"Authorization": f"Bearer {key}"}
    url = "/api/v1/cooperatives/test-coop/alerts"
    empty = client.get(url, headers=mine)
    assert empty.status_code == 200
    assert empty.get_json() == {"webhook_url": None, "email": None, "kinds": [], "language": "en",
                                "webhook_secret_set": False, "options": {}}
    made = client.put(url, headers=mine, json={"webhook_url": "http://127.0.0.1:9/hook", "kinds": ["new_order"]})
    assert made.status_code == 200
    assert made.get_json()["webhook_secret"].startswith("whsec_")
    body = client.get(url, headers=mine).get_json()
    assert "webhook_secret" not in body
    assert body["webhook_secret_set"] is True
    assert client.put(url, headers=mine, json=body).status_code == 200  # what GET returns goes back unchanged
    assert client.get(url, headers=mine).get_json() == body
    bad = client.put(url, headers=mine, json={"webhook_url": "ftp://x.example", "email": "nope",
                                              "kinds": ["everything"]})
    assert bad.status_code == 422
    details = bad.get_json()["error"]["details"]
    assert set(details) == {"kinds"}  # the schema's errors come first; nothing else is looked at yet
    bad = client.put(url, headers=mine, json={"webhook_url": "ftp://x.example", "email": "nope",
                                              "options": {"pigeon": {"loft": "7"}}})
    assert set(bad.get_json()["error"]["details"]) == {"webhook_url", "email", "options"}
    assert client.get(url, headers=mine).get_json() == body  # unchanged
    assert client.get("/api/v1/cooperatives/other-coop/alerts", headers=mine).status_code == 404
    assert client.put("/api/v1/cooperatives/other-coop/alerts", headers=mine, json={}).status_code == 404
    assert client.get("/api/v1/cooperatives/other-coop/alerts", headers=admin_headers).status_code == 200

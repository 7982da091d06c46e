"""POST /ondc/search answered in front of Flask gives what the Flask view gives, byte for byte, and the searches
it hands to the buffer are stored, deduplicated and answered.

The NACK cases are those of tests/web/test_webhooks.py, sent once through the whole app (the fast path) and once
through Flask alone (``SearchPath.flask_app``, the view in adapter/web/network.py with the app's hooks).
"""

from __future__ import annotations

import datetime as dt
import http.client
import logging
import os
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import orjson
import pytest
from flask import Flask
from prometheus_client import REGISTRY
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.test import EnvironBuilder, run_wsgi_app

from adapter.store.models import InboundMessage, OutboxMessage
from adapter.web import create_app
from adapter.web.search_path import SearchPath
from config import Settings
from tests.support.network import Network, search_body
from tests.support.receiver import Receiver, running_receiver
from tests.support.sellers import make_seller
from tests.support.servers import free_port, start_web, stop_process, wait_until

Request = tuple[bytes, dict[str, str]]  # body, headers (Content-Type included)
JSON = {"Content-Type": "application/json"}


def signed(network: Network, body: bytes, **extra: str) -> Request:
    return body, JSON | {"Authorization": network.buyer.sign(body)} | extra


def _nack_cases() -> dict[str, Callable[[Network], Request]]:
    now = dt.datetime.now(dt.UTC)
    return {
        "tampered": lambda n: (search_body().replace(b'"PT30S"', b'"PT31S"'),
                               JSON | {"Authorization": n.buyer.sign(search_body())}),
        "expired": lambda n: (body := search_body(),
                              JSON | {"Authorization": n.buyer.sign(body, now - dt.timedelta(hours=2), validity=60)}),
        "not yet valid": lambda n: (body := search_body(),
                                    JSON | {"Authorization": n.buyer.sign(body, now + dt.timedelta(hours=1))}),
        "unknown key": lambda n: (body := search_body(),
                                  JSON | {"Authorization": n.buyer.sign(body).replace("buyer-key-1", "buyer-key-9")}),
        "wrong subscriber": lambda n: (body := search_body(), JSON | {"Authorization": n.gateway.sign(body)}),
        "missing": lambda n: (search_body(), JSON),
        "malformed": lambda n: (search_body(), JSON | {"Authorization": "Signature nonsense"}),
        "bad gateway signature": lambda n: signed(n, body := search_body(),
                                                  **{"X-Gateway-Authorization": n.gateway.sign(body + b" ")}),
        "core_version": lambda n: signed(n, search_body(core_version="1.1.0")),
        "bpp_id": lambda n: signed(n, search_body(bpp_id="someone.else")),
        "stale": lambda n: signed(n, search_body(timestamp="2020-01-01T00:00:00.000Z")),
        "bap_uri on another host": lambda n: signed(n, search_body(bap_uri="https://attacker.example/cb")),
        "bap_uri with no readable host": lambda n: signed(n, search_body(bap_uri="http://[zz]/cb")),
        "message schema": lambda n: signed(n, search_body(message={"intent": {"fulfillment": {"type": 5}}})),
        "not JSON": lambda n: signed(n, b"{not json"),
        "context not an object": lambda n: signed(n, b'{"context": 5}'),
        "empty body": lambda n: (b"", JSON | {"Authorization": "Signature x"}),
        "text/plain": lambda n: (body := search_body(),
                                 {"Content-Type": "text/plain", "Authorization": n.buyer.sign(body)}),
        "no Content-Type": lambda n: (body := search_body(), {"Authorization": n.buyer.sign(body)}),
        "NUL in an id": lambda n: signed(n, search_body(transaction_id="t-\u0000-1")),
        "overlong id, unsigned": lambda n: (search_body(message_id="x" * 300), JSON),
    }


NACK_CASES = _nack_cases()


def call(app: Any, body: bytes, headers: dict[str, str], *, path: str = "/ondc/search", method: str = "POST",
         environ: dict[str, Any] | None = None) -> tuple[str, list[tuple[str, str]], bytes]:
    builder = EnvironBuilder(path=path, method=method, data=body, headers=headers)
    env = builder.get_environ() | (environ or {})
    if "Content-Type" not in headers:
        env.pop("CONTENT_TYPE", None)
    iterable, status, answer = run_wsgi_app(app, env, buffered=True)
    return status, list(answer.items()), b"".join(iterable)


def count(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def newest(sessions: sessionmaker[Session]) -> dict[str, Any]:
    with sessions() as session:
        row = session.scalars(select(InboundMessage).order_by(InboundMessage.id.desc()).limit(1)).one()
    return {key: getattr(row, key) for key in ("status", "nack_code", "signature", "error", "response", "headers",
                                               "body", "bap_id", "message_id", "transaction_id", "domain", "action")}


def request_lines(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    lines = [r.__dict__ for r in caplog.records if r.name == "adapter.web" and r.getMessage() == "request"]
    return [{k: v for k, v in line.items() if k in ("method", "path", "status", "answer", "action", "bap_id",
                                                      "message_id", "transaction_id", "code", "error_path",
                                                      "reason", "ignored", "levelno")} for line in lines]


@pytest.fixture
def seller(sessions: sessionmaker[Session]) -> None:
    make_seller(sessions)


def both_paths(app: Flask, sessions: sessionmaker[Session], caplog: pytest.LogCaptureFixture, body: bytes,
               headers: dict[str, str], **options: Any) -> list[dict[str, Any]]:
    """The same request through the fast path and through Flask alone: what each answered, stored, counted, logged."""
    fast = app.wsgi_app
    assert isinstance(fast, SearchPath)
    seen = []
    for wsgi in (fast, fast.flask_app):
        caplog.clear()
        before = counts()
        status, answer, sent = call(wsgi, body, headers | {"X-Request-ID": "same-id-for-both"}, **options)
        after = counts()
        seen.append({"status": status, "headers": answer, "body": sent,
                     "counted": {key: after[key] - before[key] for key in before}, "log": request_lines(caplog)})
    return seen


def counts() -> dict[str, float]:
    """The NACKs counted by code, and the HTTP answers of the webhook route by status."""
    nacks = {code: count("odop_network_responses_total", action="search", status="NACK", code=code)
             for code in ("30000", "30016", "10001", "30022", "31001")}
    http = {status: count("odop_http_requests_total", endpoint="/ondc/<action>", method="POST", status=status)
            for status in ("400", "401", "413", "415", "503")}
    return nacks | {f"http {status}": value for status, value in http.items()}


@pytest.mark.parametrize("case", list(NACK_CASES))
def test_every_search_nack_is_the_one_flask_gives(
    app: Flask, network: Network, seller: None, sessions: sessionmaker[Session], caplog: pytest.LogCaptureFixture,
    case: str,
) -> None:
    body, headers = NACK_CASES[case](network)
    caplog.set_level(logging.INFO)
    fast, flask = both_paths(app, sessions, caplog, body, headers)
    stored = []
    with sessions() as session:
        for row in session.scalars(select(InboundMessage).order_by(InboundMessage.id)):
            stored.append((row.status, row.nack_code, row.signature, row.error, row.response, row.headers, row.body,
                           row.message_id, row.transaction_id))
    assert fast["status"].split()[0] in {"400", "401", "413", "415"}
    assert orjson.loads(fast["body"])["message"]["ack"]["status"] == "NACK"
    assert (fast["status"], fast["headers"], fast["body"]) == (flask["status"], flask["headers"], flask["body"])
    assert fast["counted"] == flask["counted"]
    assert sum(fast["counted"].values()) == 2  # one NACK by its code, one HTTP answer by its status
    assert fast["log"] == flask["log"]
    assert len(fast["log"]) == 1
    assert len(stored) == 2
    assert stored[0] == stored[1]  # the same NACK recorded the same way
    assert stored[0][0] == "nacked"


def test_an_oversized_body_is_the_same_413(app: Flask, sessions: sessionmaker[Session],
                                          caplog: pytest.LogCaptureFixture, settings: Settings) -> None:
    caplog.set_level(logging.INFO)
    body = b"x" * (settings.max_request_bytes + 1)
    fast, flask = both_paths(app, sessions, caplog, body, JSON)
    assert fast["status"] == "413 REQUEST ENTITY TOO LARGE"
    assert (fast["status"], fast["headers"], fast["body"], fast["log"]) == (
        flask["status"], flask["headers"], flask["body"], flask["log"])


def test_an_ack_has_the_same_bytes_and_headers(app: Flask, network: Network, seller: None,
                                               sessions: sessionmaker[Session]) -> None:
    fast = app.wsgi_app
    assert isinstance(fast, SearchPath)
    answers = [call(wsgi, *signed(network, search_body(), **{"X-Request-ID": "r-1"}))
               for wsgi in (fast, fast.flask_app)]
    assert answers[0] == answers[1]
    assert answers[0][0] == "200 OK"
    assert answers[0][2] == b'{"message":{"ack":{"status":"ACK"}}}'


def test_an_ack_is_logged_at_debug_on_both_paths(app: Flask, network: Network, seller: None,
                                                caplog: pytest.LogCaptureFixture) -> None:
    fast = app.wsgi_app
    assert isinstance(fast, SearchPath)
    levels = []
    for wsgi in (fast, fast.flask_app):
        caplog.clear()
        with caplog.at_level(logging.DEBUG, logger="adapter.web"):
            assert call(wsgi, *signed(network, search_body()))[0] == "200 OK"
        [line] = request_lines(caplog)
        levels.append((line["answer"], line["levelno"]))
    assert levels == [("ACK", logging.DEBUG), ("ACK", logging.DEBUG)]


def test_a_500_after_the_view_chose_debug_is_logged_at_info(
    settings: Settings, network: Network, seller: None, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from tests.conftest import app_under_test

    with app_under_test(replace(settings, search_group_commit_ms=0)) as app:  # stored at once, then queued
        app.testing = False

        def broken(*_args: Any, **_kwargs: Any) -> None:
            raise RuntimeError("a bug")

        monkeypatch.setattr(app.extensions["odop"].publisher, "submit", broken)
        fast = app.wsgi_app
        assert isinstance(fast, SearchPath)
        with caplog.at_level(logging.DEBUG, logger="adapter.web"):
            status, _headers, _body = call(fast.flask_app, *signed(network, search_body()))
    assert status == "500 INTERNAL SERVER ERROR"
    [line] = request_lines(caplog)
    assert (line["status"], line["levelno"]) == (500, logging.INFO)


def test_a_database_outage_is_the_same_503(settings: Settings, network: Network, tmp_path: Any,
                                           caplog: pytest.LogCaptureFixture) -> None:
    app = create_app(replace(settings, database_url=f"sqlite:///{tmp_path}/missing/dir/odop.sqlite3"))
    try:
        fast = app.wsgi_app
        assert isinstance(fast, SearchPath)
        request = signed(network, search_body(), **{"X-Request-ID": "r-2"})
        answers = [call(wsgi, *request) for wsgi in (fast, fast.flask_app)]
    finally:
        app.extensions["odop"].dispose()
    assert answers[0] == answers[1]
    assert answers[0][0] == "503 SERVICE UNAVAILABLE"
    assert ("Retry-After", "2") in answers[0][1]


def test_a_bug_is_the_apps_500(app: Flask, network: Network, seller: None, monkeypatch: pytest.MonkeyPatch) -> None:
    app.testing = False  # Flask's 500 page, not the test client's exception

    def broken(*_args: Any) -> Any:
        raise RuntimeError("a bug")

    monkeypatch.setattr(app.extensions["odop"].receiver, "receive", broken)
    fast = app.wsgi_app
    assert isinstance(fast, SearchPath)
    request = signed(network, search_body(), **{"X-Request-ID": "r-3"})
    answers = [call(wsgi, *request) for wsgi in (fast, fast.flask_app)]
    assert answers[0] == answers[1]
    assert answers[0][0] == "500 INTERNAL SERVER ERROR"
    assert orjson.loads(answers[0][2])["error"]["request_id"] == "r-3"


@pytest.mark.parametrize(("method", "path", "extra"), [
    ("GET", "/ondc/search", {}),  # 405 from Flask
    ("POST", "/ondc/search/", {}),  # not the path: Flask's redirect
    ("POST", "/ondc/select", {}),  # another action: the Flask view
    ("POST", "/ondc/search", {"CONTENT_LENGTH": "100"}),  # a body shorter than announced: werkzeug's 400
    ("POST", "/ondc/search", {"CONTENT_LENGTH": "", "HTTP_TRANSFER_ENCODING": "chunked"}),
])
def test_what_the_fast_path_leaves_to_flask_gets_flasks_answer(
    app: Flask, network: Network, seller: None, method: str, path: str, extra: dict[str, str]
) -> None:
    fast = app.wsgi_app
    assert isinstance(fast, SearchPath)
    body, headers = signed(network, b'{"context": 5}', **{"X-Request-ID": "r-4"})
    answers = [call(wsgi, body, headers, path=path, method=method, environ=extra) for wsgi in (fast, fast.flask_app)]
    assert answers[0] == answers[1]
    assert answers[0][0] != "200 OK"


# -- the buffer: stored after the ACK, once per key, answered -----------------------------------------------------


def warm(app: Flask, network: Network) -> None:
    """One search stored on the request path: the database has answered, so the buffer takes the next ones."""
    body = search_body()
    assert app.test_client().post("/ondc/search", data=body, content_type="application/json",
                                  headers={"Authorization": network.buyer.sign(body)}).status_code == 200
    assert app.extensions["odop"].receiver.writer.healthy


def rows(sessions: sessionmaker[Session], action: str = "search") -> list[InboundMessage]:
    with sessions() as session:
        return list(session.scalars(select(InboundMessage).where(InboundMessage.action == action)
                                    .order_by(InboundMessage.id)))


def test_buffered_searches_are_stored_after_the_ack_and_repeats_once(
    app: Flask, network: Network, seller: None, sessions: sessionmaker[Session], settings: Settings
) -> None:
    warm(app, network)
    buffer = app.extensions["odop"].searches
    buffer.linger = 3600.0  # its thread holds them until flushed: what is checked is the handing over
    client = app.test_client()
    first, second = search_body(), search_body(domain="ONDC:RET14")  # RET14: not served, ACKed and ignored
    before = {code: count("odop_network_responses_total", action="search", status="ACK", code=code)
              for code in ("", "ignored", "duplicate")}
    for body in (first, first, second):
        answer = client.post("/ondc/search", data=body, content_type="application/json",
                             headers={"Authorization": network.buyer.sign(body)})
        assert answer.get_data() == b'{"message":{"ack":{"status":"ACK"}}}'
    assert buffer.pending() == 3
    assert len(rows(sessions)) == 1  # the warm-up's: these wait in the buffer
    # Another process's buffer with the same search (a repeat landing on the other gunicorn worker).
    other = create_app(settings)
    try:
        warm(other, network)
        other.extensions["odop"].searches.linger = 3600.0
        other.test_client().post("/ondc/search", data=first, content_type="application/json",
                                 headers={"Authorization": network.buyer.sign(first)})
        assert other.extensions["odop"].searches.flush() == 1
    finally:
        other.extensions["odop"].dispose()
    assert buffer.flush() == 3
    stored = {row.message_id: row for row in rows(sessions)}
    ids = {body: orjson.loads(body)["context"]["message_id"] for body in (first, second)}
    assert len(rows(sessions)) == 4  # two warm-ups, first once, second once
    assert stored[ids[first]].body == first  # the exact bytes
    assert stored[ids[first]].headers["Authorization"].startswith("Signature keyId=")
    assert stored[ids[second]].status == "ignored"
    after = {code: count("odop_network_responses_total", action="search", status="ACK", code=code)
             for code in before}
    # The other app's warm-up and copy are new; this app's two copies of it are repeats; RET14 is ignored.
    assert {code: after[code] - before[code] for code in before} == {"": 2, "duplicate": 2, "ignored": 1}


def test_a_database_that_fails_gets_searches_stored_on_the_request_path_again(
    app: Flask, network: Network, seller: None, sessions: sessionmaker[Session]
) -> None:
    warm(app, network)
    writer = app.extensions["odop"].receiver.writer
    writer.healthy = False  # as after a statement that could not reach the database
    body = search_body()
    answer = app.test_client().post("/ondc/search", data=body, content_type="application/json",
                                    headers={"Authorization": network.buyer.sign(body)})
    assert answer.status_code == 200
    assert app.extensions["odop"].searches.pending() == 0
    assert orjson.loads(body)["context"]["message_id"] in {row.message_id for row in rows(sessions)}
    assert writer.healthy  # and the buffer takes the next one


def test_a_disposed_app_stores_what_its_buffer_holds(
    settings: Settings, network: Network, seller: None, sessions: sessionmaker[Session]
) -> None:
    app = create_app(settings)
    warm(app, network)
    app.extensions["odop"].searches.linger = 3600.0
    body = search_body()
    app.test_client().post("/ondc/search", data=body, content_type="application/json",
                           headers={"Authorization": network.buyer.sign(body)})
    assert len(rows(sessions)) == 1
    app.extensions["odop"].dispose()
    assert len(rows(sessions)) == 2
    assert app.extensions["odop"].searches.put({}) is False  # closed: a late search is stored by the caller


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as server:
        yield server


def test_buffered_searches_are_answered_once(
    app: Flask, worker: Any, network: Network, seller: None, receiver: Receiver, sessions: sessionmaker[Session]
) -> None:
    warm(app, network)
    client = app.test_client()
    bodies = [search_body(bap_uri=receiver.url) for _ in range(5)]
    for body in [*bodies, bodies[0], bodies[1]]:  # two repeats
        answer = client.post("/ondc/search", data=body, content_type="application/json",
                             headers={"Authorization": network.buyer.sign(body)})
        answer.close()
        assert answer.status_code == 200
    asked = {orjson.loads(body)["context"]["message_id"] for body in bodies}

    def answered() -> list[str]:
        return [orjson.loads(p.body)["context"]["message_id"] for p in receiver.posts("/on_search")]

    assert wait_until(lambda: asked <= set(answered()), timeout=60), "not every buffered search was answered"
    assert wait_until(lambda: {r.status for r in rows(sessions) if r.message_id in asked} == {"processed"},
                      timeout=30)
    with sessions() as session:
        outbox = session.scalar(select(func.count(OutboxMessage.id)).where(OutboxMessage.action == "on_search",
                                                                           OutboxMessage.message_id.in_(asked)))
    assert outbox == len(asked)  # one on_search each (one cooperative), repeats included
    assert sorted(m for m in answered() if m in asked) == sorted(asked)


def test_searches_a_web_worker_holds_are_stored_and_answered_when_it_is_stopped(
    test_env: dict[str, str], worker: Any, network: Network, seller: None, receiver: Receiver,
    sessions: sessionmaker[Session], tmp_path: Any
) -> None:
    # gunicorn as shipped (gunicorn_conf: worker_exit), with a buffer that would hold searches for a minute.
    port = free_port()
    web = start_web(dict(os.environ) | test_env | {"SEARCH_GROUP_COMMIT_MS": "60000"}, port, tmp_path / "web.log")
    try:
        bodies = [search_body(bap_uri=receiver.url) for _ in range(4)]
        for body in bodies:  # the first is stored on the request path (the worker's first write), the rest held
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request("POST", "/ondc/search", body=body, headers={
                "Content-Type": "application/json", "Authorization": network.buyer.sign(body)})
            answer = conn.getresponse()
            assert (answer.status, answer.read()) == (200, b'{"message":{"ack":{"status":"ACK"}}}')
            conn.close()
        asked = [orjson.loads(body)["context"]["message_id"] for body in bodies]
        assert [row.message_id for row in rows(sessions)] == asked[:1]  # three ACKed and held in the buffer
    finally:
        stop_process(web)  # SIGTERM: gunicorn stops its worker gracefully
    assert web.returncode == 0
    assert sorted(row.message_id for row in rows(sessions)) == sorted(asked)

    def answered() -> set[str]:
        return {orjson.loads(p.body)["context"]["message_id"] for p in receiver.posts("/on_search")}

    assert wait_until(lambda: set(asked) <= answered(), timeout=60), "a search held at shutdown was not answered"

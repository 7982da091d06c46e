"""The web console through Flask's test client, on the real database."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from adapter.store import catalogue as catalogue_store
from adapter.store.console_sessions import IDLE_LIFETIME
from adapter.store.db import transaction
from adapter.store.models import (
    CatalogueRejection,
    CatalogueVersion,
    ConsoleSession,
    InboundMessage,
    Order,
    OutboxMessage,
    Shipment,
    SyncJob,
)
from adapter.web import create_app
from config import Settings
from tests.conftest import ADMIN_KEY
from tests.console.support import (
    BAD_CSV,
    csrf_of,
    ensure_console,
    make_dead_letter,
    make_order,
    sign_in,
)
from tests.support.sellers import RET16_CSV
from tests.support.servers import wait_until


def text(response: object) -> str:
    return response.get_data(as_text=True)  # type: ignore[attr-defined,no-any-return]


def versions(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return session.scalar(select(func.count(CatalogueVersion.id))) or 0


def test_root_and_sign_in_redirects(web: FlaskClient) -> None:
    assert web.get("/").headers["Location"].endswith("/console")
    assert "/console/login" in web.get("/console").headers["Location"]
    page = web.get("/console/login")
    assert page.status_code == 200
    assert 'lang="en"' in text(page)
    assert 'href="#main"' in text(page)
    assert '<label for="api_key">' in text(page)


def test_wrong_key_is_refused(web: FlaskClient, coops: dict[str, tuple[int, str]]) -> None:
    response = web.post("/console/login", data={"api_key": "odop_nope", "csrf_token": csrf_of(web)})
    assert response.status_code == 401
    assert "not recognised" in text(response)
    assert web.get("/console/catalogue").status_code == 302


def test_sign_in_is_throttled_after_too_many_wrong_keys(web: FlaskClient, coops: dict[str, tuple[int, str]]) -> None:
    from adapter.web.throttle import MAX_FAILURES

    address = {"REMOTE_ADDR": f"198.51.100.{uuid.uuid4().hex[:8]}"}
    for _ in range(MAX_FAILURES):
        wrong = web.post("/console/login", data={"api_key": "odop_nope", "csrf_token": csrf_of(web)},
                         environ_overrides=address)
        assert wrong.status_code == 401
    blocked = web.post("/console/login", data={"api_key": coops["test-coop"][1], "csrf_token": csrf_of(web)},
                       environ_overrides=address)
    assert blocked.status_code == 429
    assert "Too many wrong keys" in text(blocked)


def test_session_cookie_flags(web: FlaskClient, coops: dict[str, tuple[int, str]]) -> None:
    response = web.post("/console/login", data={"api_key": coops["test-coop"][1], "csrf_token": csrf_of(web)})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # only when ENVIRONMENT=production


def test_sign_out_ends_the_session_everywhere_and_pages_are_not_cached(
    web: FlaskClient, app: Flask, sessions: sessionmaker[Session], coops: dict[str, tuple[int, str]]
) -> None:
    sign_in(web, coops["test-coop"][1])
    home = web.get("/console")
    assert home.status_code == 200
    assert home.headers["Cache-Control"] == "no-store"
    assert "frame-ancestors 'none'" in home.headers["Content-Security-Policy"]
    assert home.headers["X-Frame-Options"] == "DENY"
    copied = web.get_cookie("odop_console")
    assert copied is not None
    web.post("/console/logout", data={"csrf_token": csrf_of(web)})
    # The cookie as it was before sign-out, replayed from another browser: signed out.
    other = app.test_client()
    other.set_cookie("odop_console", copied.value)
    assert other.get("/console").status_code == 302


def test_idle_sessions_expire(web: FlaskClient, sessions: sessionmaker[Session],
                              coops: dict[str, tuple[int, str]]) -> None:
    sign_in(web, coops["test-coop"][1])
    assert web.get("/console").status_code == 200
    with transaction(sessions) as session:
        for row in session.scalars(select(ConsoleSession)):
            row.seen_at = row.seen_at - IDLE_LIFETIME - dt.timedelta(minutes=1)
    assert web.get("/console").status_code == 302
    with sessions() as session:
        assert session.scalars(select(ConsoleSession)).all() == []


def test_every_cooperative_page_renders(web: FlaskClient, sessions: sessionmaker[Session],
                                        coops: dict[str, tuple[int, str]]) -> None:
    coop_id, key = coops["test-coop"]
    pk = make_order(sessions, coop_id)
    sign_in(web, key)
    home = web.get("/console")
    assert home.status_code == 200
    assert 'id="count-items">' in text(home)
    pages = {"/console/catalogue": "Test Rumal Small", "/console/catalogue/items/T16-1": "Double-sided embroidery",
             "/console/syncs": "Start a sync", "/console/orders": "WEB-1", f"/console/orders/{pk}": "Mall Road"}
    assert 'id="order-transaction"' not in text(web.get(f"/console/orders/{pk}"))  # raw messages are the operator's
    for url, expected in pages.items():
        response = web.get(url)
        assert response.status_code == 200, url
        assert expected in text(response), url
    order_page = text(web.get(f"/console/orders/{pk}"))
    assert '<h2 id="buyer-h">Buyer</h2>' in order_page
    buyer = order_page.split('<h2 id="buyer-h">Buyer</h2>', 1)[1]
    assert buyer.split("</p>", 1)[0].strip().endswith("Asha Devi")  # the buyer's name, not the house number
    assert "<address>12<br>Mall Road<br>" in buyer
    template = web.get("/console/catalogue/template?category=Home+Decor")
    assert template.mimetype == "text/csv"
    assert template.get_data(as_text=True).startswith("id,")
    for url in ("/console/operator", "/console/operator/outbox", "/console/operator/transactions"):
        assert web.get(url).status_code == 404, url


def test_tenant_isolation(web: FlaskClient, sessions: sessionmaker[Session],
                          coops: dict[str, tuple[int, str]]) -> None:
    theirs = make_order(sessions, coops["test-coop"][0])
    sign_in(web, coops["other-coop"][1])
    token = csrf_of(web)
    web.post("/console/syncs", data={"csrf_token": token})
    assert web.get(f"/console/orders/{theirs}").status_code == 404
    assert "WEB-1" not in text(web.get("/console/orders"))
    assert web.get("/console/catalogue/items/T16-1?cooperative=test-coop").status_code == 404
    assert web.get("/console/catalogue?cooperative=test-coop").status_code == 404
    assert web.post("/console/catalogue/items/T16-1?cooperative=test-coop",
                    data={"csrf_token": token, "stock": "0"}).status_code == 404
    assert web.post(f"/console/orders/{theirs}/actions/accept", data={"csrf_token": token}).status_code == 404
    with sessions() as session:
        order = session.get(Order, theirs)
        assert order is not None
        assert order.state == "Created"
    # The other cooperative's sync jobs do not exist for them either.
    sign_in(web, coops["test-coop"][1])
    mine = web.post("/console/syncs", data={"csrf_token": csrf_of(web)}).headers["Location"]
    sign_in(web, coops["other-coop"][1])
    assert web.get(mine.split("?")[0]).status_code == 404


def test_post_without_csrf_is_400(web: FlaskClient, coops: dict[str, tuple[int, str]]) -> None:
    assert web.post("/console/login", data={"api_key": coops["test-coop"][1]}).status_code == 400
    sign_in(web, coops["test-coop"][1])
    assert web.post("/console/catalogue/items/T16-1", data={"stock": "1"}).status_code == 400
    assert web.post("/console/catalogue/items/T16-1", data={"stock": "1", "csrf_token": "forged"}).status_code == 400
    assert web.post("/console/syncs").status_code == 400
    assert web.post("/console/logout").status_code == 400


def test_hindi_from_accept_language_and_toggle(web: FlaskClient, coops: dict[str, tuple[int, str]]) -> None:
    hindi = web.get("/console/login", headers={"Accept-Language": "hi-IN,hi;q=0.9,en;q=0.5"})
    assert 'lang="hi"' in text(hindi)
    assert "एपीआई कुंजी" in text(hindi)
    assert 'lang="en"' in text(web.get("/console/login", headers={"Accept-Language": "en-GB"}))
    sign_in(web, coops["test-coop"][1])
    toggled = web.post("/console/language", data={"lang": "hi", "next": "/console/catalogue",
                                                  "csrf_token": csrf_of(web)})
    assert toggled.headers["Location"].endswith("/console/catalogue")
    page = web.get("/console/catalogue", headers={"Accept-Language": "en"})
    assert 'lang="hi"' in text(page)
    assert "कैटलॉग अपलोड करें" in text(page)
    web.post("/console/language", data={"lang": "en", "csrf_token": csrf_of(web)})
    assert "Upload a catalogue" in text(web.get("/console/catalogue", headers={"Accept-Language": "hi"}))


def test_bad_upload_shows_report_and_imports_nothing(web: FlaskClient, sessions: sessionmaker[Session],
                                                     coops: dict[str, tuple[int, str]]) -> None:
    sign_in(web, coops["test-coop"][1])
    before = versions(sessions)
    response = web.post("/console/catalogue/upload", content_type="multipart/form-data",
                        data={"csrf_token": csrf_of(web), "file": (io.BytesIO(BAD_CSV), "bad.csv")})
    assert response.status_code == 303  # the report has a page of its own
    report_url = response.headers["Location"]
    body = text(web.get(report_url))
    assert 'data-status="invalid"' in body
    assert "Nothing was imported" in body
    assert '<th scope="col">Row</th>' in body
    assert '<td data-label="Value">abc</td>' in body  # labelled: on a phone each problem is a card
    assert versions(sessions) == before
    # Switching to Hindi on that page keeps the report: the fix column is in Hindi.
    switched = web.post("/console/language", data={"lang": "hi", "next": report_url, "csrf_token": csrf_of(web)})
    assert switched.headers["Location"].endswith(report_url)
    hindi = text(web.get(report_url))
    assert "संख्या होनी चाहिए" in hindi
    assert '<td data-label="मान">abc</td>' in hindi
    web.post("/console/language", data={"lang": "en", "next": report_url, "csrf_token": csrf_of(web)})
    # A file that cannot be read at all gets a page too, with the reason.
    unreadable = web.post("/console/catalogue/upload", content_type="multipart/form-data",
                          data={"csrf_token": csrf_of(web), "file": (io.BytesIO(b"id,name\nA1,\xe9\n"), "c.csv")})
    assert "Windows-1252" in text(web.get(unreadable.headers["Location"]))


def test_good_upload_imports(web: FlaskClient, sessions: sessionmaker[Session],
                             coops: dict[str, tuple[int, str]]) -> None:
    sign_in(web, coops["test-coop"][1])
    before = versions(sessions)
    changed = RET16_CSV.replace(b"T16-1,Test Rumal Small,Home Decor,1200,", b"T16-1,Test Rumal Small,Home Decor,1250,")
    assert changed != RET16_CSV
    response = web.post("/console/catalogue/upload", content_type="multipart/form-data",
                        data={"csrf_token": csrf_of(web), "file": (io.BytesIO(changed), "items.csv")})
    assert response.status_code == 303
    preview_url = response.headers["Location"]
    preview = text(web.get(preview_url))  # nothing is imported before the member confirms
    assert versions(sessions) == before
    assert 'data-status="preview"' in preview
    assert "Price changes (1)" in preview
    assert "₹1,200 → ₹1,250" in preview
    hindi = text(web.get(preview_url, headers={"Accept-Language": "hi"}))
    assert "कीमत में बदलाव (1)" in hindi
    confirm = preview_url + "/confirm"
    assert web.post(confirm, data={"csrf_token": csrf_of(web)}).status_code == 303
    assert versions(sessions) == before + 1
    assert "Imported" in text(web.get(preview_url))
    with sessions() as session:
        assert catalogue_store.get_item(session, coops["test-coop"][0], "T16-1").price == "1250"
    # A file that removes most items asks for the tick; without it nothing happens; "Cancel" drops the file.
    header, first, *_ = RET16_CSV.decode().splitlines()
    short = web.post("/console/catalogue/upload", content_type="multipart/form-data",
                     data={"csrf_token": csrf_of(web), "file": (io.BytesIO(f"{header}\n{first}\n".encode()), "s.csv")})
    short_url = short.headers["Location"]
    warning = text(web.get(short_url))
    assert "This file would remove 2 of your 3 items from sale." in warning
    assert 'name="confirm" required' in warning
    web.post(short_url + "/confirm", data={"csrf_token": csrf_of(web)})  # the tick is missing
    assert 'data-status="preview"' in text(web.get(short_url))
    web.post(short_url + "/discard", data={"csrf_token": csrf_of(web)})
    assert 'data-status="discarded"' in text(web.get(short_url))
    assert versions(sessions) == before + 1
    # Undo goes back to the version before.
    assert web.post("/console/catalogue/undo", data={"csrf_token": csrf_of(web)}).status_code == 303
    with sessions() as session:
        assert catalogue_store.get_item(session, coops["test-coop"][0], "T16-1").price == "1200"
    download = web.get("/console/catalogue/download?format=csv")
    assert download.status_code == 200
    assert download.data.startswith("\ufeffid,".encode())


def test_stock_edit(web: FlaskClient, sessions: sessionmaker[Session], coops: dict[str, tuple[int, str]]) -> None:
    coop_id, key = coops["test-coop"]
    sign_in(web, key)
    response = web.post("/console/catalogue/items/T16-1",
                        data={"csrf_token": csrf_of(web), "price": "1200", "stock": "9", "enabled": "on"})
    assert response.status_code == 302
    with sessions() as session:
        row = catalogue_store.get_item(session, coop_id, "T16-1")
        assert (row.stock, row.enabled) == (9, True)
    web.post("/console/catalogue/items/T16-1", data={"csrf_token": csrf_of(web), "price": "1200", "stock": "9"})
    with sessions() as session:
        assert catalogue_store.get_item(session, coop_id, "T16-1").enabled is False
    # What people type: a price with lakh commas and a stock in Devanagari digits.
    typed = {"csrf_token": csrf_of(web), "price": "1,250", "stock": "\u0967\u0968", "enabled": "on"}  # 12
    web.post("/console/catalogue/items/T16-1", data=typed)
    with sessions() as session:
        row = catalogue_store.get_item(session, coop_id, "T16-1")
        assert (row.price, row.stock) == ("1250", 12)
    assert "₹1,250" in text(web.get("/console/catalogue"))
    bad = web.post("/console/catalogue/items/T16-1", data={"csrf_token": csrf_of(web), "stock": "-4"},
                   follow_redirects=True)
    assert "Stock must be a whole number" in text(bad)
    assert web.post("/console/catalogue/items/NOPE", data={"csrf_token": csrf_of(web), "stock": "1"}).status_code == 404


def test_order_actions_only_legal_ones_and_they_work(web: FlaskClient, sessions: sessionmaker[Session],
                                                     coops: dict[str, tuple[int, str]]) -> None:
    coop_id, key = coops["test-coop"]
    pk = make_order(sessions, coop_id)
    sign_in(web, key)
    page = text(web.get(f"/console/orders/{pk}"))
    assert 'data-action="accept"' in page
    assert 'data-action="reject"' in page
    assert 'data-action="ship"' not in page
    assert 'data-action="pack"' not in page
    illegal = web.post(f"/console/orders/{pk}/actions/deliver", data={"csrf_token": csrf_of(web)},
                       follow_redirects=True)
    assert "Could not" in text(illegal)
    accepted = web.post(f"/console/orders/{pk}/actions/accept", data={"csrf_token": csrf_of(web)},
                        follow_redirects=True)
    assert "Done: Accept" in text(accepted)
    assert 'data-action="pack"' in text(accepted)
    assert 'data-action="accept"' not in text(accepted)
    assert 'name="reason_id"' in text(accepted)  # cancel asks for a reason
    # Cancelling cannot be undone: it sits apart, after the tick "Yes, I am sure"; without the tick nothing happens.
    assert accepted_page_has_final_group(text(accepted))
    unsure = web.post(f"/console/orders/{pk}/actions/cancel", data={"csrf_token": csrf_of(web), "reason_id": "002"},
                      follow_redirects=True)
    assert "Nothing was done: tick" in text(unsure)
    with sessions() as session:
        assert session.get_one(Order, pk).state == "Accepted"
    web.post(f"/console/orders/{pk}/actions/cancel", data={"csrf_token": csrf_of(web), "reason_id": "002",
                                                           "sure": "on"})
    with sessions() as session:
        order = session.get(Order, pk)
        assert order is not None
        assert order.state == "Cancelled"
        assert (order.cancellation or {}).get("reason_id") == "002"
        assert session.scalar(select(func.count(OutboxMessage.id)).where(
            OutboxMessage.transaction_id == order.transaction_id)) == 2


def accepted_page_has_final_group(page: str) -> bool:
    """The final moves (cancel ...) come after the others, in their own group, each with its tick."""
    final = page.split('<div class="actions final">', 1)
    return (len(final) == 2 and 'data-action="cancel"' in final[1] and 'data-action="cancel"' not in final[0]
            and 'name="sure" required' in final[1] and 'data-action="pack"' in final[0])


def test_operator_sees_everything_and_replays_dead_letters(web: FlaskClient, sessions: sessionmaker[Session],
                                                           coops: dict[str, tuple[int, str]]) -> None:
    pk = make_order(sessions, coops["test-coop"][0])
    dead = make_dead_letter(sessions, coops["test-coop"][0])
    sign_in(web, ADMIN_KEY)
    assert web.get("/console").headers["Location"].endswith("/console/operator")
    overview = text(web.get("/console/operator"))
    assert "test-coop" in overview
    assert "other-coop" in overview
    # Every kind of dead letter counts for its cooperative (this one is an order update, not a catalogue push).
    assert re.search(r"test-coop</span></td>\s*<td>[^\n]*</td>\s*<td><a href=\"[^\"]*status=dead\">1</a>", overview)
    assert "No cooperative" not in overview
    assert "WEB-1" in text(web.get("/console/orders"))
    order_page = text(web.get(f"/console/orders/{pk}"))
    assert "Mall Road" in order_page
    link = re.search(r'id="order-transaction" href="([^"]+)"', order_page)  # the operator reaches its messages
    assert link is not None
    assert web.get(link.group(1).replace("&amp;", "&")).status_code == 200
    assert "Test Rumal Small" in text(web.get("/console/catalogue?cooperative=other-coop"))
    assert "Choose a cooperative" in text(web.get("/console/catalogue"))
    assert web.get("/console/catalogue?cooperative=nobody").status_code == 404
    with transaction(sessions) as session:  # a request a handler failed on, as the worker records it
        session.add(InboundMessage(bap_id="buyer.example", action="status", message_id="m-failed",
                                   transaction_id="t-failed", body=b"{}", headers={}, status="failed",
                                   error="TypeError: injected fault"))
    outbox_page = text(web.get("/console/operator/outbox"))
    assert f'id="outbox-{dead}"' in outbox_page
    # The recorded reason in words, with the text as recorded one click away.
    assert "The buyer app&#39;s server refused the connection: it may be down." in outbox_page
    assert "<code>connection refused</code>" in outbox_page
    assert "Failed requests" in outbox_page
    assert "TypeError: injected fault" in outbox_page
    assert "transaction_id=t-failed" in outbox_page
    timeline = text(web.get("/console/operator/transactions?transaction_id=t-dead"))
    assert "on_status" in timeline
    assert "connection refused" in timeline
    replayed = web.post(f"/console/operator/outbox/{dead}/replay", data={"csrf_token": csrf_of(web)},
                        follow_redirects=True)
    assert "Replayed 1 message" in text(replayed)
    with sessions() as session:
        row = session.get(OutboxMessage, dead)
        assert row is not None
        assert row.status == "pending"
    assert web.post("/console/operator/outbox/999999/replay", data={"csrf_token": csrf_of(web)}).status_code == 404
    assert web.post("/console/operator/outbox/replay", data={"csrf_token": csrf_of(web)}).status_code == 302


@pytest.fixture
def queued_web(settings: Settings, sessions: sessionmaker[Session]) -> Iterator[FlaskClient]:
    """A console whose every upload goes to a worker, as a file above UPLOAD_INLINE_MAX_BYTES does."""
    app = create_app(dataclasses.replace(settings, upload_inline_max_bytes=0))
    app.config.update(TESTING=True)
    yield ensure_console(app).test_client()
    app.extensions["odop"].dispose()


def test_a_large_upload_shows_a_page_that_refreshes_until_the_worker_is_done(
    queued_web: FlaskClient, sessions: sessionmaker[Session], coops: dict[str, tuple[int, str]], worker: Any
) -> None:
    sign_in(queued_web, coops["test-coop"][1])
    before = versions(sessions)
    response = queued_web.post("/console/catalogue/upload", content_type="multipart/form-data",
                               headers={"Accept-Language": "hi"},
                               data={"csrf_token": csrf_of(queued_web), "file": (io.BytesIO(BAD_CSV), "bad.csv")})
    assert response.status_code == 303
    page_url = response.headers["Location"]
    assert "/console/catalogue/uploads/" in page_url

    def finished() -> str | None:
        body = text(queued_web.get(page_url, headers={"Accept-Language": "hi"}))
        return None if 'http-equiv="refresh"' in body else body

    first = text(queued_web.get(page_url, headers={"Accept-Language": "hi"}))
    assert 'data-status="queued"' in first or 'data-status="running"' in first or finished() is not None
    assert wait_until(lambda: finished() is not None, timeout=60)
    report = finished()
    assert report is not None
    assert 'data-status="invalid"' in report
    assert "संख्या होनी चाहिए" in report  # the same report as an inline upload, in Hindi
    assert '<td data-label="मान">abc</td>' in report
    assert versions(sessions) == before

    changed = RET16_CSV.replace(b"T16-1,Test Rumal Small,Home Decor,1200,", b"T16-1,Test Rumal Small,Home Decor,1250,")
    good = queued_web.post("/console/catalogue/upload", content_type="multipart/form-data",
                           data={"csrf_token": csrf_of(queued_web), "file": (io.BytesIO(changed), "items.csv")})
    good_url = good.headers["Location"]
    assert wait_until(lambda: 'data-status="preview"' in text(queued_web.get(good_url)), timeout=60)
    assert versions(sessions) == before  # a worker checked it; the member confirms before it is imported
    confirmed = queued_web.post(good_url + "/confirm", data={"csrf_token": csrf_of(queued_web)})
    assert confirmed.status_code == 303
    assert wait_until(lambda: 'data-status="done"' in text(queued_web.get(good_url)), timeout=60)
    assert "Imported" in text(queued_web.get(good_url))
    assert versions(sessions) == before + 1
    # Another cooperative's member cannot open the page.
    other = ensure_console(queued_web.application).test_client()
    sign_in(other, coops["other-coop"][1])
    assert other.get(good_url).status_code == 404


def test_buyer_app_rejections_show_on_the_catalogue_page_in_hindi_and_can_be_marked_done(
        web: FlaskClient, sessions: sessionmaker[Session], coops: dict[str, tuple[int, str]]) -> None:
    coop_id, key = coops["test-coop"]
    other_id, _ = coops["other-coop"]
    with transaction(sessions) as session:
        mine = CatalogueRejection(cooperative_id=coop_id, bap_id="buyer.odop.test", transaction_id="t-1",
                                  code="91003", kind="ITEM-ERROR", message="No images found for T16-2",
                                  item_id="T16-2", row=3, column="images", version_number=1)
        shop = CatalogueRejection(cooperative_id=coop_id, bap_id="buyer.odop.test", transaction_id="t-1",
                                  code="90014", kind="PROVIDER-ERROR", column="profile.locations.gps")
        theirs = CatalogueRejection(cooperative_id=other_id, bap_id="buyer.odop.test", transaction_id="t-2",
                                    code="91001", kind="ITEM-ERROR", item_id="T16-1", row=2, column="price")
        session.add_all([mine, shop, theirs])
        session.flush()
        mine_id, theirs_id = mine.id, theirs.id
    sign_in(web, key)
    home = text(web.get("/console", headers={"Accept-Language": "en"}))
    assert re.search(r'id="count-rejections"><a href="[^"]*#rejections-h">2</a>', home)
    page = text(web.get("/console/catalogue", headers={"Accept-Language": "hi"}))
    assert "खरीदार ऐप ने अस्वीकार किया (2)" in page
    assert "<dt>दुकान की प्रोफ़ाइल में</dt><dd>locations.gps</dd>" in page  # a shop-level reason: no column
    assert "कोई फ़ोटो नहीं मिली" in page
    assert "images में फ़ोटो बदलें" in page
    assert "No images found for T16-2" in page  # the buyer app's own words, as sent
    # In IST, the month as Hindi shortens it (दिस॰), not in English.
    assert re.search(r"<time datetime=\"[^\"]+\">\d{1,2} [^\sA-Za-z\d]+ \d{4}, \d\d:\d\d IST</time>", page)
    assert "कीमत MRP से ज़्यादा" not in page  # another cooperative's rejection
    # Another cooperative's rejection cannot be dismissed from here; one's own can.
    assert web.post(f"/console/catalogue/rejections/{theirs_id}/dismiss",
                    data={"csrf_token": csrf_of(web)}).status_code == 404
    done = web.post(f"/console/catalogue/rejections/{mine_id}/dismiss", data={"csrf_token": csrf_of(web)})
    assert done.status_code == 302
    assert "Refused by buyer apps (1)" in text(web.get("/console/catalogue", headers={"Accept-Language": "en"}))
    with sessions() as session:
        assert session.get_one(CatalogueRejection, theirs_id).dismissed_at is None


def test_a_mistyped_console_address_gets_an_html_page_in_the_members_language(
    web: FlaskClient, coops: dict[str, tuple[int, str]]
) -> None:
    sign_in(web, coops["test-coop"][1])
    missing = web.get("/console/catalouge", headers={"Accept-Language": "hi"})
    assert missing.status_code == 404
    assert missing.mimetype == "text/html"
    assert 'lang="hi"' in text(missing)
    wrong_method = web.get("/console/catalogue/upload")  # a form's address opened directly
    assert wrong_method.status_code == 405
    assert wrong_method.mimetype == "text/html"
    api = web.get("/api/v1/nothing-here")
    assert api.status_code == 404
    assert api.json["error"]["code"] == "not_found"


def test_a_return_waiting_for_a_decision_shows_on_the_home_page_the_list_and_the_order(
    web: FlaskClient, sessions: sessionmaker[Session], coops: dict[str, tuple[int, str]]
) -> None:
    coop_id, key = coops["test-coop"]
    pk = make_order(sessions, coop_id, order_id="RET-1", state="Completed", fulfilment_state="Order-delivered")
    request = [{"code": "id", "value": "R1"}, {"code": "item_id", "value": "T16-1"},
               {"code": "item_quantity", "value": "1"}, {"code": "reason_id", "value": "003"},
               {"code": "reason_desc", "value": "The border came unstitched"},
               {"code": "images", "value": "https://buyer.example/r1.jpg,javascript:alert(1)"},
               {"code": "ttl_approval", "value": "PT24H"}]
    with transaction(sessions) as session:
        order = session.get_one(Order, pk)
        order.legs = [{"id": "R1", "type": "Return", "state": "Return_Initiated", "items": {"T16-1": 1},
                       "tags": [{"code": "return_request", "list": request}],
                       "created_at": "2030-01-01T10:00:00.000Z"}]
    sign_in(web, key)
    assert 'id="count-returns"' in text(web.get("/console"))
    assert "Return requested: decide" in text(web.get("/console/orders"))
    page = text(web.get(f"/console/orders/{pk}", headers={"Accept-Language": "en"}))
    returns = page.split('id="returns"', 1)[1].split("</section>", 1)[0]
    assert "003 \u2013 Product damaged or not usable" in returns
    assert "The border came unstitched" in returns
    assert '<img src="https://buyer.example/r1.jpg"' in returns
    assert "javascript:" not in returns  # only https links become photos
    assert "2 Jan 2030, 15:30 IST" in returns  # decide by: 24 h after the request, in IST
    hindi = text(web.get(f"/console/orders/{pk}", headers={"Accept-Language": "hi"}))
    assert "उत्पाद क्षतिग्रस्त या इस्तेमाल लायक नहीं" in hindi
    assert '<strong id="order-state" data-state="Completed">पूरा हुआ</strong>' in hindi  # states in Hindi too
    assert "वापसी का अनुरोध" in hindi


def test_a_finished_sync_says_in_words_what_it_sent_and_a_running_one_shows_no_empty_count(
    web: FlaskClient, sessions: sessionmaker[Session], coops: dict[str, tuple[int, str]]
) -> None:
    cooperative_id, key = coops["test-coop"]
    now = dt.datetime.now(dt.UTC)
    jobs = {"none": {"items": 40, "changed": 3, "pushed": 0, "subscribers": 0},
            "same": {"items": 40, "changed": 0, "pushed": 0, "subscribers": 2},
            "sent": {"items": 40, "changed": 3, "pushed": 2, "subscribers": 2}}
    with transaction(sessions) as session:
        ids = {}
        for name, counts in jobs.items():
            job = SyncJob(cooperative_id=cooperative_id, state="succeeded", counts=counts, step="done",
                          started_at=now, finished_at=now)
            session.add(job)
            session.flush()
            ids[name] = job.id
        running = SyncJob(cooperative_id=cooperative_id, state="running", step="comparing", started_at=now)
        session.add(running)
        session.flush()
        ids["running"] = running.id
    sign_in(web, key)
    page = text(web.get(f"/console/syncs/{ids['none']}"))
    assert "Nothing was sent: no buyer app has subscribed" in page
    assert "Checked 40 items: nothing changed" in text(web.get(f"/console/syncs/{ids['same']}"))
    sent = text(web.get(f"/console/syncs/{ids['sent']}"))
    assert "Sent 3 changed items (of 40) to 2 buyer apps, in 2 messages." in sent
    waiting = text(web.get(f"/console/syncs/{ids['running']}"))
    assert "0/0" not in waiting
    assert 'id="sync-summary"' not in waiting  # nothing to say until it is done
    assert re.search(r"<progress id=\"progress\">", waiting)  # an indeterminate bar, not a full one
    assert "0/0" not in text(web.get(f"/console/syncs/{ids['none']}"))  # done, nothing to count: no 0/0
    web.post("/console/language", data={"lang": "hi", "csrf_token": csrf_of(web)})
    in_hindi = text(web.get(f"/console/syncs/{ids['none']}"))
    assert "कुछ नहीं भेजा गया" in in_hindi
    assert ">पूरा हुआ</dd>" in in_hindi  # the state, in words
    assert "केवल बदलाव" in in_hindi  # the kind


def add_shipment(sessions: sessionmaker[Session], coop_id: int, order_pk: int, state: str, **fields: Any) -> None:
    """The order's shipment with the test courier, in ``state``."""
    with transaction(sessions) as session:
        session.add(Shipment(
            cooperative_id=coop_id, order_id=order_pk, fulfilment_id="F1", retail_transaction_id=f"t-{order_pk}",
            domain="ONDC:LOG11", bpp_id="courier.odop.local", bpp_uri="https://courier.odop.local/log",
            provider_id="P1", item_id="STD", transaction_id=f"log-t-{order_pk}", log_order_id=f"L-{order_pk}",
            state=state, **fields))


def test_a_booked_shipment_shows_on_the_order_page_in_both_languages_and_only_safe_links(
        web: FlaskClient, sessions: sessionmaker[Session], coops: dict[str, tuple[int, str]]) -> None:
    coop_id, key = coops["test-coop"]
    pk = make_order(sessions, coop_id, "SHIP-1", state="Accepted", fulfilment_state="Packed")
    add_shipment(sessions, coop_id, pk, "booked", courier_state="Agent-assigned", awb="12345678901234",
                 label_url="javascript:alert(1)", tracking_url="https://courier.odop.local/track/12345678901234",
                 pickup_slot={"start": "2030-01-05T04:30:00.000Z", "end": "2030-01-05T08:30:00.000Z"},
                 charges=[{"kind": "weight", "amount": "45.00", "tax": "8.10", "weight_kg": "1.6",
                           "proof": "javascript:alert(2)", "at": "2030-01-05T09:00:00.000Z"}])
    sign_in(web, key)
    page = text(web.get(f"/console/orders/{pk}"))
    section = page.split('id="shipment"', 1)[1].split("</section>", 1)[0]
    assert "Booked" in section
    assert "12345678901234" in section
    assert "5 Jan 2030, 10:00 IST \u2013 14:00 IST" in section  # the pick-up slot in IST
    assert 'id="shipment-tracking" href="https://courier.odop.local/track/12345678901234"' in section
    assert "javascript:" not in section  # a courier's link is shown only if it is a web address
    assert "Print the label" not in section
    assert "Extra charge from the courier for the weight: ₹45 + ₹8.10 tax · weighed 1.6 kg" in section
    assert "Photo of the scale" not in section  # not a web address
    hindi = text(web.get(f"/console/orders/{pk}", headers={"Accept-Language": "hi"}))
    hindi_section = hindi.split('id="shipment"', 1)[1].split("</section>", 1)[0]
    assert "बुक हो गया" in hindi_section
    assert "वज़न के लिए कूरियर का अतिरिक्त शुल्क: ₹45 + ₹8.10 कर · तौल 1.6 किलो" in hindi_section
    other = make_order(sessions, coop_id, "SHIP-2")
    assert 'id="shipment"' not in text(web.get(f"/console/orders/{other}"))  # manual shipping: no courier block


def test_a_failed_booking_says_what_to_do_in_hindi_and_book_again_refuses_without_a_quote(
        web: FlaskClient, sessions: sessionmaker[Session], coops: dict[str, tuple[int, str]]) -> None:
    coop_id, key = coops["test-coop"]
    pk = make_order(sessions, coop_id, "SHIP-3", state="Accepted", fulfilment_state="Pending")
    add_shipment(sessions, coop_id, pk, "failed",
                 error="the courier answered on_init with an error: 60004 Delivery Partners not available")
    sign_in(web, key)
    web.post("/console/language", data={"lang": "hi", "csrf_token": csrf_of(web)})
    page = text(web.get(f"/console/orders/{pk}"))
    section = page.split('id="shipment"', 1)[1].split("</section>", 1)[0]
    assert "कूरियर इसे बुक नहीं कर सका" in section
    assert "डिलीवरी के बटनों से ऑर्डर ख़ुद भेजें" in section
    assert "60004 Delivery Partners not available" in section  # the courier's words, folded away
    assert 'id="book-courier"' in section
    # This order's quote was not a courier's (no draft kept): nothing is booked, the shipment stays as it was.
    answer = web.post(f"/console/orders/{pk}/actions/book_courier", data={"csrf_token": csrf_of(web)},
                      follow_redirects=True)
    assert answer.status_code == 200
    assert "इस ऑर्डर के लिए कूरियर का भाव अब रखा नहीं है" in text(answer)  # why nothing was done, in Hindi
    with sessions() as session:
        (kept,) = session.scalars(select(Shipment).where(Shipment.order_id == pk)).all()
        assert kept.state == "failed"

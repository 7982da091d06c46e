"""The console in a real browser (Playwright + Debian's Chromium) against a real server and worker.

Saves screenshots of the main pages (360 px wide, as on a phone) to docs/screenshots/.
"""

from __future__ import annotations

import dataclasses
import re
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.serving import make_server

from config import Settings
from tests.conftest import ADMIN_KEY
from tests.console.support import BAD_CSV, ensure_console, make_coop_with_key, make_dead_letter, make_order
from tests.support.sellers import RET16_CSV
from tests.support.servers import ROOT, free_port

CHROMIUM = "/usr/bin/chromium"
SHOTS = ROOT / "docs" / "screenshots"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]

# `make test` (scripts/run-tests.sh) installs Debian's chromium; the playwright client comes with the dev extra.
from playwright import sync_api  # noqa: E402

if shutil.which(CHROMIUM) is None:
    pytest.fail("needs Debian's chromium at /usr/bin/chromium: run the suite with `make test`", pytrace=False)


@pytest.fixture
def server(settings: Settings, sessions: sessionmaker[Session]) -> Iterator[str]:
    """The app (console included) on a free port, in a thread; edits debounce for 1 s instead of 60."""
    from adapter.web import create_app

    app: Flask = ensure_console(create_app(dataclasses.replace(settings, sync_debounce_seconds=1)))
    app.config["CONSOLE_TODO_POLL_SECONDS"] = 1  # the title's to-do count asks every second, not every 30
    httpd = make_server("127.0.0.1", free_port(), app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    thread.join(timeout=10)
    app.extensions["odop"].dispose()


@pytest.fixture
def browser_page() -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(viewport={"width": 360, "height": 780}, locale="en-GB")
        page = context.new_page()
        page.set_default_timeout(20_000)
        yield page
        context.close()
        browser.close()


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def styled(page: Any) -> None:
    """Wait until console.css applies (it sets the body's margin to 0): a page that has just been parsed may not
    have its stylesheet yet, and measured bare, a table is as wide as its columns."""
    page.wait_for_function("getComputedStyle(document.body).marginTop === '0px'")


def fits_the_phone(page: Any) -> None:
    """Nothing on the page is wider than the 360 px screen: no sideways scrolling."""
    styled(page)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"{page.url} is {width} px wide"


def inside(locator: Any) -> None:
    """The element is drawn within the 360 px width."""
    styled(locator.page)
    box = locator.bounding_box()
    assert box is not None
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= 360, box


def nav(page: Any, name: str) -> None:
    """Follow a menu link; the Orders link's name may go on with its to-do count ("Orders, to do now: 2")."""
    link = re.compile(f"^{re.escape(name)}(\\W|$)")
    page.get_by_role("navigation").get_by_role("link", name=link).click()


def sign_in(page: Any, base: str, key: str) -> None:
    page.goto(f"{base}/console/login")
    page.get_by_label("API key").fill(key)
    page.get_by_role("button", name="Sign in").click()


def test_cooperative_journey(server: str, browser_page: Any, worker: Any, sessions: sessionmaker[Session],
                             tmp_path: Path) -> None:
    page, expect = browser_page, sync_api.expect
    coop_id, key = make_coop_with_key(sessions, "test-coop")
    pk = make_order(sessions, coop_id, "WEB-7")
    page.goto(f"{server}/console/login")
    shot(page, "login")
    sign_in(page, server, key)
    expect(page.locator("#count-items")).to_have_text("3")
    shot(page, "home")

    # A bad file: the report lists every problem and nothing is imported.
    nav(page, "Catalogue")
    bad = tmp_path / "bad.csv"
    bad.write_bytes(BAD_CSV)
    page.get_by_label("Catalogue file (CSV, XLSX or JSON)").set_input_files(str(bad))
    page.get_by_role("button", name="Upload", exact=True).click()
    expect(page.locator("#report")).to_contain_text("Nothing was imported")
    expect(page.locator("#report table tbody tr").first).to_be_visible()
    # On a phone each problem is a card: row, column, value and the fix together, all on screen.
    first_fix = page.locator("#report table tbody tr").first.locator("td").last
    expect(first_fix).to_be_visible()
    inside(first_fix)
    fits_the_phone(page)
    shot(page, "catalogue-upload-errors")
    page.get_by_role("link", name="Back to the catalogue").click()

    # A good file imports.
    good = tmp_path / "items.csv"
    good.write_bytes(RET16_CSV.replace(b"Test Rumal Small,Home Decor,1200,", b"Test Rumal Small,Home Decor,1300,"))
    page.get_by_label("Catalogue file (CSV, XLSX or JSON)").set_input_files(str(good))
    page.get_by_role("button", name="Upload", exact=True).click()
    expect(page.locator("#upload-status")).to_contain_text("Price changes (1)")
    shot(page, "catalogue-upload-preview")
    page.get_by_role("button", name="Apply these changes").click()
    expect(page.locator("#upload-status")).to_contain_text("Imported")
    page.get_by_role("link", name="Back to the catalogue").click()

    # Edit stock inline.
    item = page.locator("#item-T16-1")
    item.get_by_label("Stock").fill("17")
    item.get_by_role("button", name=re.compile("^Save")).click()
    expect(page.locator("#item-T16-1")).to_contain_text("Stock 17")
    shot(page, "catalogue")
    page.locator("#item-T16-1").get_by_role("link", name="Test Rumal Small").click()
    expect(page.locator("h1")).to_have_text("Test Rumal Small")
    shot(page, "item-preview")

    # Start a sync and watch it finish (the page refreshes itself while it runs).
    nav(page, "Syncs")
    page.get_by_role("button", name="Start a sync").click()
    expect(page.locator("progress")).to_be_visible()
    expect(page.locator("#job-state")).to_have_attribute("data-state", re.compile("succeeded|failed"),
                                                         timeout=60_000)
    expect(page.locator("#job-state")).to_have_attribute("data-state", "succeeded")
    expect(page.locator("#job-state")).to_have_text("Done")
    shot(page, "sync-job")

    # Accept the order and ship it, one legal step at a time.
    nav(page, "Orders")
    shot(page, "orders")
    page.locator("li.order-card", has_text="WEB-7").get_by_role("link", name="Asha Devi").click()
    expect(page.locator("[data-action=ship]")).to_have_count(0)
    for action in ("accept", "pack", "pick_up", "ship"):
        page.locator(f"button[data-action={action}]").click()
        expect(page.get_by_role("status").first).to_contain_text("Done:")
    expect(page.locator("#fulfilment-state")).to_have_attribute("data-state", "In-transit")
    expect(page.locator("#fulfilment-state")).to_have_text("In transit")  # in plain words
    expect(page.locator("#order-state")).to_have_attribute("data-state", "In-progress")
    expect(page.locator("#order-state")).to_have_text("On its way")
    shot(page, "order")
    assert page.url.endswith(f"/console/orders/{pk}")

    # Switch to Hindi; it sticks for the session.
    page.get_by_role("button", name=re.compile("हिन्दी")).click()
    expect(page.locator("html")).to_have_attribute("lang", "hi")
    nav(page, "सूची (कैटलॉग)")
    expect(page.locator("h1")).to_contain_text("सूची")
    shot(page, "catalogue-hindi")


def test_operator_replays_a_dead_letter(server: str, browser_page: Any, sessions: sessionmaker[Session]) -> None:
    page, expect = browser_page, sync_api.expect
    coop_id, _ = make_coop_with_key(sessions, "test-coop")
    make_order(sessions, coop_id, "WEB-8")
    dead = make_dead_letter(sessions, coop_id)
    sign_in(page, server, ADMIN_KEY)
    expect(page.locator("h1")).to_have_text("Operator")
    card = page.locator("li.card").first
    expect(card).to_contain_text("1 callback not delivered since")
    inside(card)
    fits_the_phone(page)
    shot(page, "operator")
    nav(page, "Outbox")
    row = page.locator(f"#outbox-{dead}")
    expect(row).to_contain_text("connection refused")
    inside(row.get_by_role("button", name=f"Replay #{dead}"))
    fits_the_phone(page)
    shot(page, "outbox")
    row.get_by_role("button", name=f"Replay #{dead}").click()
    expect(page.get_by_role("status").first).to_contain_text("Replayed 1 message")
    expect(page.locator(f"#outbox-{dead}")).to_have_count(0)
    nav(page, "Transactions")
    page.get_by_label("Transaction id").fill("t-dead")
    page.get_by_role("button", name="Search").click()
    expect(page.locator("table")).to_contain_text("on_status")
    fits_the_phone(page)
    shot(page, "transaction")
    page.set_viewport_size({"width": 1280, "height": 800})  # on a wide screen it is a table again
    assert page.evaluate("getComputedStyle(document.querySelector('table')).display") == "table"
    assert page.locator("thead").is_visible()


def test_packing_slip_on_the_phone_and_on_paper(server: str, browser_page: Any,
                                                sessions: sessionmaker[Session]) -> None:
    page, expect = browser_page, sync_api.expect
    coop_id, key = make_coop_with_key(sessions, "test-coop")
    pk = make_order(sessions, coop_id, "WEB-9")
    sign_in(page, server, key)
    page.goto(f"{server}/console/orders/{pk}")
    page.locator("#documents").get_by_role("link", name="Packing slip · English").click()
    expect(page.locator("h1")).to_have_text("Packing slip")
    # On screen: the script shows the Print button (and drops the hint); everything fits 360 px.
    button = page.get_by_role("button", name="Print", exact=True)
    expect(button).to_be_visible()
    expect(page.locator("#print-hint")).to_be_hidden()
    inside(button)
    assert button.bounding_box()["height"] >= 44
    tick = page.locator("#slip-items label.tick").first
    inside(tick)
    assert tick.bounding_box()["height"] >= 44
    tick.click()
    expect(page.get_by_role("checkbox", name="Packed: Test Rumal Small")).to_be_checked()
    inside(page.locator("#parcel-id"))
    fits_the_phone(page)
    shot(page, "packing-slip")
    # On paper: no header, menu or buttons, only the slip with the order id to write on the parcel.
    page.emulate_media(media="print")
    expect(page.get_by_role("navigation")).to_be_hidden()
    expect(page.locator("header.top")).to_be_hidden()
    expect(button).to_be_hidden()
    assert page.locator("button").evaluate_all("els => els.filter(e => e.offsetParent !== null).length") == 0
    expect(page.locator("#parcel-id")).to_contain_text("WEB-9")
    expect(page.locator("#slip-items")).to_contain_text("Test Rumal Small")
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(255, 255, 255)"
    assert page.evaluate("getComputedStyle(document.querySelector('#packing-slip')).color") == "rgb(0, 0, 0)"
    fits_the_phone(page)
    page.emulate_media(media="screen")
    expect(button).to_be_visible()
    # The Hindi slip is one link away, with Devanagari labels.
    page.get_by_role("link", name="हिन्दी").last.click()
    expect(page.locator("h1")).to_have_text("पैकिंग पर्ची")
    expect(page.get_by_role("button", name="प्रिंट करें")).to_be_visible()
    fits_the_phone(page)


def test_alerts_page_on_a_phone(server: str, browser_page: Any, sessions: sessionmaker[Session]) -> None:
    from tests.support.receiver import running_receiver

    page, expect = browser_page, sync_api.expect
    _, key = make_coop_with_key(sessions, "test-coop")
    sign_in(page, server, key)
    nav(page, "Alerts")
    with running_receiver() as hook:
        page.get_by_label("Webhook address").fill(hook.url)
        page.get_by_label("A new order").check()
        page.get_by_role("button", name="Save", exact=True).click()
        expect(page.locator("#secret-value")).to_contain_text("whsec_")
        fits_the_phone(page)
        page.get_by_role("button", name="Send a test alert").click()
        expect(page.get_by_role("status").first).to_contain_text("the test alert was delivered")
        assert len(hook.posts()) == 1
    expect(page.locator("td[data-status=sent]")).to_have_count(1)
    fits_the_phone(page)
    controls = "main button, main input:not([type=checkbox]):not([type=hidden]), main select, main fieldset label"
    for control in page.locator(controls).all():
        box = control.bounding_box()
        assert box is not None
        assert box["height"] >= 44, (control.evaluate("e => e.outerHTML")[:120], box)
    shot(page, "alerts")


def test_the_inbox_fits_a_phone_and_its_count_keeps_up_without_a_reload(
    server: str, browser_page: Any, sessions: sessionmaker[Session]
) -> None:
    page, expect = browser_page, sync_api.expect
    coop_id, key = make_coop_with_key(sessions, "test-coop")
    new = make_order(sessions, coop_id, "WEB-20")
    make_order(sessions, coop_id, "WEB-21", state="Accepted")
    make_order(sessions, coop_id, "WEB-22", state="In-progress", fulfilment_state="In-transit")
    sign_in(page, server, key)
    expect(page.locator("#count-todo")).to_have_text("2")  # the home page: 1 to accept, 1 to pack
    nav(page, "Orders")
    expect(page.locator("h1")).to_have_text("Orders")
    cards = page.locator("li.order-card")
    expect(cards).to_have_count(3)
    for index in range(3):
        inside(cards.nth(index))
        button = cards.nth(index).locator(".primary")
        inside(button)
        box = button.bounding_box()
        assert box is not None
        assert box["height"] >= 44, box
    fits_the_phone(page)
    expect(page).to_have_title(re.compile(r"^\(2\) Orders · "))
    expect(page.locator("#todo-n")).to_have_text("2")
    shot(page, "inbox")

    # A new order comes in: the title and the badge follow without a reload (the page keeps its marker).
    page.evaluate("window.stillTheSamePage = true")
    make_order(sessions, coop_id, "WEB-23")
    expect(page).to_have_title(re.compile(r"^\(3\) Orders · "), timeout=15_000)
    expect(page.locator("#todo-n")).to_have_text("3")
    assert page.evaluate("window.stillTheSamePage") is True

    # The card's one button accepts the order, and the member is back on the inbox.
    page.locator(f"#card-{new}").get_by_role("button", name="Accept").click()
    expect(page.get_by_role("status").first).to_contain_text("Done: Accept")
    expect(page.locator(f"#card-{new}")).to_have_attribute("data-group", "pack")
    expect(page).to_have_title(re.compile(r"^\(3\) Orders · "))  # still 3: one to accept, two to pack
    fits_the_phone(page)

    # Signed out (the cookie gone): the next poll gets 401 and the script asks no more.
    asked: list[int] = []
    page.on("request", lambda request: asked.append(1) if request.url.endswith("/console/todo.json") else None)
    with page.expect_response(lambda r: r.url.endswith("/console/todo.json") and r.status == 401, timeout=15_000):
        page.context.clear_cookies()
    before = len(asked)
    page.wait_for_timeout(3_000)  # three poll intervals
    assert len(asked) == before


def test_long_unbroken_names_addresses_and_links_fit_the_phone(
    server: str, browser_page: Any, sessions: sessionmaker[Session]
) -> None:
    """A long cooperative name, buyer address, return photo link or state asked for wraps instead of widening the
    page: buyer apps send what they like, and nothing in it has to have spaces."""
    from adapter.store.db import transaction
    from adapter.store.models import Cooperative, Order, utcnow

    page = browser_page
    long = "छ" * 3 + "x" * 100
    coop_id, key = make_coop_with_key(sessions, "test-coop")
    pk = make_order(sessions, coop_id, "ORD-" + long[:50], state="Completed", fulfilment_state="Order-delivered")
    with transaction(sessions) as session:
        session.get_one(Cooperative, coop_id).name = "Cooperative-" + long
        order = session.get_one(Order, pk)
        fulfilment = dict(order.fulfillments[0])
        fulfilment["end"] = {"location": {"address": {"name": "House-" + long, "street": "Street-" + long,
                                                      "city": "Shimla"}},
                             "contact": {"phone": "98000 00000"}, "person": {"name": "Buyer-" + long},
                             "instructions": {"long_desc": "Note-" + long}}
        order.fulfillments = [fulfilment]
        order.legs = [{"id": "R-" + long[:40], "type": "Return", "state": "Return_Initiated", "items": {"T16-1": 1},
                       "created_at": utcnow().isoformat(), "tags": [{"code": "return_request", "list": [
                           {"code": "reason_id", "value": "003"}, {"code": "reason_desc", "value": "Why-" + long},
                           {"code": "images", "value": f"https://img.buyer.example/{long}.jpg"}]}]}]
    sign_in(page, server, key)
    for path in ("/console", "/console/orders", f"/console/orders?state={long}", f"/console/orders/{pk}",
                 f"/console/orders/{pk}/packing-slip", "/console/alerts"):
        page.goto(server + path)
        fits_the_phone(page)


def test_the_tax_invoice_on_a_phone(server: str, browser_page: Any, sessions: sessionmaker[Session],
                                    settings: Settings) -> None:
    from adapter.orders import invoicing
    from adapter.orders.policy import order_policy
    from adapter.orders.snapshots import invoice_token
    from adapter.store.db import transaction
    from adapter.store.models import Cooperative, Order, utcnow

    page, expect = browser_page, sync_api.expect
    coop_id, _ = make_coop_with_key(sessions, "test-coop")
    pk = make_order(sessions, coop_id, "WEB-10", state="In-progress", fulfilment_state="Order-picked-up")
    with transaction(sessions) as session:
        invoicing.issue_invoice(session, session.get_one(Order, pk), session.get_one(Cooperative, coop_id),
                                utcnow())
    page.goto(f"{server}/invoices/{pk}/{invoice_token(pk, order_policy(settings).invoice_secret)}")
    expect(page.locator("h1")).to_have_text("Tax invoice")
    expect(page.locator("#tax-lines")).to_contain_text("Test Rumal Small")
    expect(page.locator("#incomplete")).to_be_visible()  # the test catalogue has no GST rates
    fits_the_phone(page)
    for link in (page.locator("#pdf-link"), page.get_by_role("link", name="हिन्दी")):
        inside(link)
        assert link.bounding_box()["height"] >= 44
    shot(page, "tax-invoice")
    page.get_by_role("link", name="हिन्दी").click()
    expect(page.locator("h1")).to_have_text("कर बीजक")
    fits_the_phone(page)
    shot(page, "tax-invoice-hi")
    page.emulate_media(media="print")
    expect(page.locator("#pdf-link")).to_be_hidden()
    expect(page.locator("#tax-lines")).to_contain_text("Test Rumal Small")

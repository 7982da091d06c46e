"""A member's day on a 360 px phone, in Hindi, in Chromium, against a real server and a real worker; then the operator.

The member signs in, uploads a sheet with mistakes, reads the report in Hindi, fixes it, sets up alerts, and waits.
The test buyer (signed requests over HTTP, not rows written into the database) places an order; the alert reaches
the cooperative's webhook and the page title counts it without a reload. The member accepts it from the inbox card,
takes it through the delivery steps with the big buttons, and the buyer app receives each on_status in order. The
buyer asks to return an item; the member reads the reason on the inbox card and approves it. One update the buyer
app refused becomes a dead letter, which the operator finds in plain words and sends again.

Every step asserts what a person sees: the text, the language, and that it is drawn inside the phone's screen.
The worker here runs with ORDER_AUTO_ACCEPT=false (a cooperative that accepts each order itself) on a task queue
of its own, so the session's worker does not take these tasks. Hindi screenshots go to docs/screenshots/*-hi.png.
"""

from __future__ import annotations

import dataclasses
import os
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
import requests
from flask import Flask
from flask_babel import gettext
from playwright import sync_api
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.serving import make_server

from adapter.store.models import Order
from adapter.web.console.i18n import action_label
from config import load_settings
from tests.conftest import ADMIN_KEY
from tests.console.support import BAD_CSV, ensure_console, make_coop_with_key
from tests.console.test_browser import browser_page, fits_the_phone, inside, shot, sign_in  # noqa: F401
from tests.integration.test_orders import Buyer
from tests.support.network import Network
from tests.support.receiver import Receiver, running_receiver
from tests.support.sellers import RET16_CSV
from tests.support.servers import free_port, start_worker, stop_process, wait_until, worker_answers

DEVANAGARI = re.compile(r"[\u0900-\u097F]")


@dataclasses.dataclass
class Served:
    url: str
    app: Flask

    def hi(self, message: str, **values: Any) -> str:
        """What the console says in Hindi for an English message."""
        with self.app.test_request_context(headers={"Accept-Language": "hi"}):
            return str(gettext(message, **values))

    def done(self, action: str) -> str:
        """The Hindi confirmation after an order action's button."""
        with self.app.test_request_context(headers={"Accept-Language": "hi"}):
            return str(gettext("Done: %(action)s.", action=action_label(action)))


@pytest.fixture
def env(test_env: dict[str, str]) -> dict[str, str]:
    """The test settings, with orders accepted by the member and a broker database no other worker reads."""
    base, _, db = test_env["REDIS_URL"].rpartition("/")
    return test_env | {"REDIS_URL": f"{base}/{(int(db) + 9) % 16}", "ORDER_AUTO_ACCEPT": "false"}


@pytest.fixture
def manual_worker(env: dict[str, str], tmp_path: Path) -> Iterator[None]:
    from workers.app import make_celery

    proc = start_worker(dict(os.environ) | env, tmp_path / "worker.log",
                        ["--hostname", f"journey-{os.getpid()}@%h"])
    celery = make_celery(load_settings(env))
    try:
        assert wait_until(lambda: worker_answers(celery), timeout=60, interval=0.5), \
            (tmp_path / "worker.log").read_text()[-3000:]
        yield
    finally:
        stop_process(proc)


@pytest.fixture
def served(env: dict[str, str], sessions: sessionmaker[Session]) -> Iterator[Served]:
    from adapter.web import create_app

    app: Flask = ensure_console(create_app(dataclasses.replace(load_settings(env), sync_debounce_seconds=1)))
    app.config["CONSOLE_TODO_POLL_SECONDS"] = 1
    httpd = make_server("127.0.0.1", free_port(), app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield Served(f"http://127.0.0.1:{httpd.server_port}", app)
    httpd.shutdown()
    thread.join(timeout=10)
    app.extensions["odop"].dispose()


class OverHttp:
    """The test buyer's client: its signed requests go to the running server over HTTP."""

    def __init__(self, base: str) -> None:
        self.base, self.http = base, requests.Session()

    def post(self, path: str, *, data: bytes, content_type: str, headers: dict[str, str]) -> requests.Response:
        return self.http.post(self.base + path, data=data, headers=headers | {"Content-Type": content_type},
                              timeout=30)


def fulfilment_states(receiver: Receiver) -> list[str]:
    """The delivery states the buyer app was told, in the order it heard them."""
    return [orjson.loads(p.body)["message"]["order"]["fulfillments"][0]["state"]["descriptor"]["code"]
            for p in receiver.posts("/on_status")]


def visible_inside(locator: Any) -> None:
    sync_api.expect(locator).to_be_visible()
    inside(locator)


def test_a_members_day_in_hindi_on_a_phone_then_the_operator(
        served: Served, manual_worker: None, browser_page: Any, network: Network,  # noqa: F811
        sessions: sessionmaker[Session], tmp_path: Path) -> None:
    page, expect, hi = browser_page, sync_api.expect, served.hi
    _, key = make_coop_with_key(sessions, "test-coop")

    # Sign in and switch to Hindi.
    sign_in(page, served.url, key)
    page.get_by_role("button", name=re.compile("हिन्दी")).click()
    expect(page.locator("html")).to_have_attribute("lang", "hi")
    expect(page.locator("h1")).to_be_visible()

    # Upload a sheet with mistakes: the report, in Hindi, fits the phone; every fix is readable in place.
    page.get_by_role("navigation").get_by_role("link", name=hi("Catalogue")).click()
    bad = tmp_path / "bad.csv"
    bad.write_bytes(BAD_CSV)
    page.locator("input[type=file]").set_input_files(str(bad))
    page.locator("form:has(input[type=file]) button[type=submit]").first.click()
    report = page.locator("#report")
    expect(report).to_contain_text(hi("%(count)s problem(s) found. Nothing was imported: fix them and upload the "
                                      "whole file again.", count=4))
    first_fix = page.locator("#report table tbody tr").first.locator("td").last
    visible_inside(first_fix)
    assert DEVANAGARI.search(first_fix.inner_text()), first_fix.inner_text()
    fits_the_phone(page)
    shot(page, "catalogue-upload-errors-hi")

    # Fix the sheet and upload it again: a preview, then applied.
    page.get_by_role("link", name=hi("Back to the catalogue")).click()
    good = tmp_path / "items.csv"
    good.write_bytes(RET16_CSV.replace(b"Test Rumal Small,Home Decor,1200,", b"Test Rumal Small,Home Decor,1300,"))
    page.locator("input[type=file]").set_input_files(str(good))
    page.locator("form:has(input[type=file]) button[type=submit]").first.click()
    page.get_by_role("button", name=hi("Apply these changes")).click()
    expect(page.locator("#upload-status")).to_contain_text(hi("Imported %(count)s item(s).", count=3))

    # Alerts to the cooperative's own server, in Hindi.
    with running_receiver() as hook, running_receiver() as buyer_app:
        page.get_by_role("navigation").get_by_role("link", name=hi("Alerts")).click()
        page.locator("#webhook_url").fill(hook.url + "/alert")
        for kind in ("new_order", "return_requested"):
            page.locator(f"input[name=kinds][value={kind}]").check()
        page.locator("#language").select_option("hi")
        page.locator("form:has(#webhook_url) button[type=submit]").click()
        expect(page.locator("#secret-value")).to_contain_text("whsec_")
        fits_the_phone(page)
        shot(page, "alerts-hi")

        # The inbox is empty; the member keeps it open.
        page.get_by_role("navigation").get_by_role("link", name=re.compile(hi("Orders"))).click()
        page.evaluate("window.stillTheSamePage = true")
        assert not page.title().startswith("(")

        # The test buyer places an order over the network.
        buyer = Buyer(OverHttp(served.url), network, buyer_app)  # type: ignore[arg-type]
        buyer.place("T16-1", 1, "DAY-1")
        with sessions() as session:
            order = session.scalars(select(Order).where(Order.order_id == "DAY-1")).one()
            assert order.state == "Created"  # waiting for the member
        pk = order.id

        # The alert reaches the webhook, in Hindi; the open page's title counts the order without a reload.
        assert wait_until(lambda: len(hook.posts("/alert")) >= 1, timeout=30)
        alert = orjson.loads(hook.posts("/alert")[0].body)
        assert (alert["kind"], alert["order_id"]) == ("new_order", "DAY-1")
        assert DEVANAGARI.search(alert["text"]), alert["text"]
        expect(page).to_have_title(re.compile(r"^\(1\) "), timeout=15_000)
        assert page.evaluate("window.stillTheSamePage") is True

        # The card: the buyer's name, what was bought, the total, one big button to accept.
        page.reload()
        card = page.locator(f"#card-{pk}")
        expect(card).to_contain_text("Asha Devi")
        expect(card).to_contain_text("Test Rumal Small")
        expect(card).to_contain_text("₹")
        accept = card.locator("button[data-action=accept]")
        expect(accept).to_contain_text(DEVANAGARI)
        visible_inside(accept)
        box = accept.bounding_box()
        assert box is not None
        assert box["height"] >= 44
        fits_the_phone(page)
        shot(page, "inbox-hi")
        accept.click()
        expect(page.get_by_role("status").first).to_contain_text(served.done("accept"))

        # The delivery steps as big buttons on the order page; the last update the buyer app refuses once.
        page.goto(f"{served.url}/console/orders/{pk}")
        taken: list[str] = []
        while "deliver" not in taken and len(taken) < 10:
            button = page.locator("ol.steps button.primary")
            visible_inside(button)
            step = str(button.get_attribute("data-action"))
            if step == "deliver":
                buyer_app.responses.append((400, b'{"message":{"ack":{"status":"NACK"}}}'))
            button.click()
            expect(page.get_by_role("status").first).to_contain_text(served.done(step))
            taken.append(step)
        assert (taken[0], taken[-1]) == ("pack", "deliver"), taken
        expect(page.locator("#fulfilment-state")).to_have_attribute("data-state", "Order-delivered")
        expect(page.locator("#fulfilment-state")).to_have_text(re.compile(DEVANAGARI.pattern))
        assert wait_until(lambda: len(fulfilment_states(buyer_app)) >= len(taken) + 1, timeout=60)
        told = fulfilment_states(buyer_app)
        refused = buyer_app.posts("/on_status")[-1].body  # the buyer app answered this one with 400
        assert (told[0], told[-1]) == ("Pending", "Order-delivered"), told  # accepted, ..., delivered (refused)
        assert told == list(dict.fromkeys(told)), told  # each state once, in the order of the steps
        fits_the_phone(page)
        expect(page.locator("#quote-h + div, section:has(#quote-h)").first).to_contain_text(
            hi("Delivery charges"))  # the quote's own lines in Hindi too
        shot(page, "order-hi")

        # The buyer asks to return an item: a second alert, and a card with the reason and the time left.
        returned = buyer.send("update", {"update_target": "item", "order": {"id": "DAY-1", "fulfillments": [{
            "type": "Return", "tags": [{"code": "return_request", "list": [
                {"code": "id", "value": "R1"}, {"code": "item_id", "value": "T16-1"},
                {"code": "item_quantity", "value": "1"}, {"code": "reason_id", "value": "003"},
                {"code": "reason_desc", "value": "torn at the corner"},
                {"code": "ttl_approval", "value": "PT24H"}]}]}]}})
        assert returned is not None
        assert "error" not in returned, returned
        assert wait_until(lambda: len(hook.posts("/alert")) >= 2, timeout=30)
        assert orjson.loads(hook.posts("/alert")[1].body)["kind"] == "return_requested"
        page.get_by_role("navigation").get_by_role("link", name=re.compile(hi("Orders"))).click()
        card = page.locator(f"#card-{pk}")
        expect(card).to_have_attribute("data-group", "returns")
        expect(card).to_contain_text("torn at the corner")
        visible_inside(card)
        card.get_by_role("link", name=hi("Decide")).click()
        page.locator("button[data-action=approve_return]").click()
        expect(page.get_by_role("status").first).to_contain_text(served.done("approve_return"))
        fits_the_phone(page)

        # The operator: the refused update is a dead letter in plain words, sent again from its card.
        page.context.clear_cookies()
        sign_in(page, served.url, ADMIN_KEY)
        page.get_by_role("button", name=re.compile("हिन्दी")).click()
        dead = page.locator("li.card", has_text="buyer.odop.test").first
        expect(dead).to_contain_text(DEVANAGARI)
        visible_inside(dead)
        fits_the_phone(page)
        shot(page, "operator-hi")
        dead.locator("button[type=submit]").click()
        expect(page.get_by_role("status").first).to_contain_text(DEVANAGARI)
        # The very bytes the buyer app refused reach it again, and this time it takes them.
        assert wait_until(lambda: [p.body for p in buyer_app.posts("/on_status")].count(refused) == 2, timeout=30)

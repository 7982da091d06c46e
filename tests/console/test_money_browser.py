"""The money and artisan payouts pages in a real browser at 360 px: they fit the phone, their controls are big enough,
in both languages."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from tests.console.support import make_coop_with_key, make_order
from tests.console.test_browser import (  # noqa: F401  (fixtures, used by name)
    browser_page,
    fits_the_phone,
    nav,
    server,
    shot,
    sign_in,
    sync_api,
)
from tests.money.test_money_pages import deliver
from tests.money.test_payouts_pages import sell

TAP_PX = 44


def big_enough(page: Any) -> None:
    for control in page.locator("main button, main a.button, main summary, main select, main h3 a").all():
        box = control.bounding_box()
        assert box is not None
        assert box["height"] >= TAP_PX, (control.evaluate("e => e.outerHTML")[:120], box)


def test_the_money_page_on_a_phone(server: str, browser_page: Any, sessions: sessionmaker[Session]) -> None:  # noqa: F811
    page, expect = browser_page, sync_api.expect
    coop_id, key = make_coop_with_key(sessions, "test-coop")
    deliver(sessions, make_order(sessions, coop_id, "LATE-1234567890-ABCDEFGH", state="Completed"), days_ago=4)
    deliver(sessions, make_order(sessions, coop_id, "PAID-1", state="Completed"), days_ago=4, paid="1100.00")
    make_order(sessions, coop_id, "NEW-1")
    sign_in(page, server, key)
    nav(page, "Money")
    expect(page.locator("h1")).to_contain_text("Money")
    cards = page.locator("li.money-card")
    expect(cards).to_have_count(3)
    expect(cards.first).to_have_attribute("data-state", "overdue")
    fits_the_phone(page)
    big_enough(page)
    cards.first.locator("summary").click()
    expect(cards.first.locator(".breakdown")).to_be_visible()
    fits_the_phone(page)
    shot(page, "money")
    page.locator("form[action$='/console/language'] button[value=hi]").click()
    page.wait_for_load_state()
    expect(page.locator("h1")).to_contain_text("पैसा")
    fits_the_phone(page)
    big_enough(page)
    page.locator("li.money-card h3 a").first.click()
    expect(page.locator("#money")).to_be_visible()
    fits_the_phone(page)


def test_the_artisan_payouts_on_a_phone(server: str, browser_page: Any,  # noqa: F811
                                        sessions: sessionmaker[Session]) -> None:
    page, expect = browser_page, sync_api.expect
    coop_id, key = make_coop_with_key(sessions, "test-coop")
    sell(sessions, coop_id, "MIX-1", {"T16-1": 2, "T16-2": 1}, paid="1000.00")
    sell(sessions, coop_id, "KEPT-1", {"T16-1": 1}, kept={"T16-1": "Lalita Devi Of A Rather Long Family Name"})
    sign_in(page, server, key)
    nav(page, "Money")
    page.locator("#money-artisans").click()
    expect(page.locator("h1")).to_contain_text("Artisan payouts")
    page.locator("#month").fill("2030-03")
    page.locator("#payouts-month button[type=submit]").click()
    rows = page.locator("#payouts-rows tbody tr")
    expect(rows).to_have_count(4)
    # Below 600 px each artisan is a card of labelled figures, not a table row to scroll sideways.
    assert rows.first.evaluate("tr => getComputedStyle(tr).display") == "block"
    fits_the_phone(page)
    big_enough(page)
    for link in page.locator("#payouts-rows a.lines").all():
        box = link.bounding_box()
        assert box is not None
        assert box["height"] >= TAP_PX
    shot(page, "artisan-payouts")
    page.locator("form[action$='/console/language'] button[value=hi]").click()
    page.wait_for_load_state()
    expect(page.locator("h1")).to_contain_text("कारीगरों का भुगतान")
    expect(rows).to_have_count(4)
    fits_the_phone(page)
    big_enough(page)

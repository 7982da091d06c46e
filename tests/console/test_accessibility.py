"""Accessibility audit of every console page in Chromium: axe-core finds no serious or critical violation, and every
button is a comfortable tap target on a 360 px phone, in English and in Hindi, for a member and for the operator.

The pages are found by following the console's own links from the home page, so a new page is audited as soon as a
link leads to it. Pages reached by a form (the upload report) are visited on the way.
"""

from __future__ import annotations

from collections import deque
from pathlib import Path
from typing import Any
from urllib.parse import urldefrag, urlsplit

from axe_playwright_python.base import AXE_SCRIPT
from sqlalchemy.orm import Session, sessionmaker

from tests.conftest import ADMIN_KEY
from tests.console.support import BAD_CSV, make_coop_with_key, make_dead_letter, make_order
from tests.console.test_browser import browser_page, server, sign_in  # noqa: F401 - fixtures shared with the journey

# What counts as "serious" is axe-core's own impact scale: minor < moderate < serious < critical.
SERIOUS = ("serious", "critical")
RULES = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]}}
TAP_PX = 44  # the smallest height of a button or a navigation link (WCAG 2.5.5, and Android/iOS guidance)
# Links that change state or leave the console: not pages to audit.
SKIP = ("/console/logout", "/console/language", "/download", ".csv", ".xlsx", ".json")
MAX_PAGES = 60


def violations(page: Any) -> list[str]:
    """axe-core's serious and critical findings on the page, one line each."""
    page.evaluate(AXE_SCRIPT)
    result = page.evaluate("options => axe.run(document, options)", RULES)
    return [f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
            for v in result["violations"] if v["impact"] in SERIOUS]


def small_targets(page: Any) -> list[str]:
    """Buttons and navigation links drawn less than 44 px high (hidden ones do not count)."""
    found = page.evaluate("""px => [...document.querySelectorAll(
            'button, input[type=submit], a.button, nav a, summary')]
        .filter(e => e.offsetParent !== null || getComputedStyle(e).position === 'fixed')
        .map(e => [e.tagName + ' ' + (e.innerText || e.value || e.getAttribute('aria-label') || '').trim().slice(0, 40),
                   e.getBoundingClientRect().height])
        .filter(([, h]) => h > 0 && h < px)
        .map(([name, h]) => name + ' ' + Math.round(h) + ' px')""", TAP_PX)
    return list(found)


def audit_site(page: Any, base: str, start: str, problems: dict[str, list[str]]) -> list[str]:
    """Visit every console page linked from ``start`` (same origin, GET), auditing each; return the paths seen."""
    seen: set[str] = set()
    queue = deque([start])
    while queue and len(seen) < MAX_PAGES:
        path = queue.popleft()
        if path in seen:
            continue
        seen.add(path)
        page.goto(base + path)
        found = violations(page) + small_targets(page)
        if found:
            problems[f"{page.evaluate('document.documentElement.lang')} {path}"] = found
        for href in page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)"):
            url = urlsplit(urldefrag(href)[0])
            if url.netloc != urlsplit(base).netloc or not url.path.startswith("/console"):
                continue
            target = url.path + (f"?{url.query}" if url.query else "")
            if not any(part in target for part in SKIP) and target not in seen:
                queue.append(target)
    return sorted(seen)


def upload_a_bad_file(page: Any, base: str, tmp_path: Path) -> None:
    page.goto(f"{base}/console/catalogue")
    bad = tmp_path / "bad.csv"
    bad.write_bytes(BAD_CSV)
    page.locator("input[type=file]").set_input_files(str(bad))
    page.locator("form:has(input[type=file]) button[type=submit]").first.click()
    page.locator("#report").wait_for()


def test_every_page_passes_axe_and_has_big_enough_targets(server: str, browser_page: Any,  # noqa: F811
                                                         sessions: sessionmaker[Session], tmp_path: Path) -> None:
    page = browser_page
    coop_id, key = make_coop_with_key(sessions, "test-coop")
    make_order(sessions, coop_id, "A11Y-1")
    make_order(sessions, coop_id, "A11Y-2", state="Accepted", fulfilment_state="Packed")
    make_dead_letter(sessions, coop_id)
    problems: dict[str, list[str]] = {}

    sign_in(page, server, key)
    for language in ("en", "hi"):
        page.goto(f"{server}/console")
        if language == "hi":
            page.locator("form[action$='/console/language'] button[value=hi]").click()
            page.wait_for_load_state()
            assert page.evaluate("document.documentElement.lang") == "hi"
        upload_a_bad_file(page, server, tmp_path)
        found = violations(page) + small_targets(page)
        if found:
            problems[f"{language} upload report"] = found
        member_pages = audit_site(page, server, "/console/", problems)
    assert any(p.startswith("/console/orders/") for p in member_pages), member_pages
    assert "/console/catalogue" in member_pages
    assert "/console/money/artisans" in member_pages  # linked from the money page

    page.context.clear_cookies()
    sign_in(page, server, ADMIN_KEY)
    operator_pages = audit_site(page, server, "/console/", problems)
    assert "/console/operator/outbox?status=dead" in operator_pages, operator_pages
    page.goto(f"{server}/console/operator/transactions?transaction_id=t-dead")
    found = violations(page) + small_targets(page)
    if found:
        problems["transaction"] = found
    page.goto(f"{server}/console/no-such-page")
    found = violations(page) + small_targets(page)
    if found:
        problems["error page"] = found

    assert not problems, "\n".join(f"{where}: {issue}" for where, issues in problems.items() for issue in issues)

"""Every console page, as a member and as the operator, has no English left in it in Hindi, and shows no raw codes
in English.

tests/web/test_translations.py checks that every gettext message has a Hindi translation. This walk checks what
it cannot see: words hard-coded in a template or in Python without gettext, raw state and protocol codes, errors
in English from deeper layers, ISO dates. It builds a realistic console (two cooperatives; orders new, on their
way, with a return request and coming back (RTO); a refused upload with its error report; sync jobs; a
dead-lettered callback; buyer app rejections; a shop closure), then GETs every GET route of the console found in
``app.url_map`` (a new route that this walk does not visit fails it) plus error pages and the flash messages of
refused and done actions.

What a page shows is its text outside <script>/<style>, and its title, aria-label, placeholder and alt
attributes and the value of <input type=submit|button|reset>. In Hindi, each Latin-script word of that fails,
except:

- words of the test data itself: cooperative names, item titles and descriptions, ids, SKUs, buyer names and
  addresses, file names and cells of the uploaded sheet, buyer app ids and URLs (collected from the data made
  here, not listed by hand), and ONDC's category names, which members write in the sheet's category_id column;
- URLs and e-mail addresses;
- ALLOWED: a few proper nouns and acronyms that Hindi interfaces keep in Latin letters;
- text inside an element whose ``lang`` says it is another language on purpose (the toggle's "English", a buyer
  app's own words);
- on the operator's own pages (under /console/operator), and inside a part of a page rendered for the operator
  only (``data-audience="operator"``, such as an order's raw network messages), text inside <code>: the
  protocol's action names, message ids and errors as recorded, which are the technical detail an operator
  searches logs for. The same text outside <code>, or elsewhere on a page a member can open, counts.

In both languages no page shows an ISO date or time (2030-01-05, 10:00:00Z): dates are for people (formats.py).
In English, the same walk fails on raw codes a member must not read: any word_with_underscores (``on_status``,
``Return_Initiated``) and the order, fulfilment and return states as coded (``Order-picked-up``), under the same
<code> rule for the operator's pages.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

from adapter.store import catalogue as catalogue_store
from adapter.store.db import transaction
from adapter.store.models import (
    CatalogueRejection,
    CatalogueUpload,
    Cooperative,
    DeliveryAttempt,
    InboundMessage,
    Order,
    OutboxMessage,
    SyncJob,
    utcnow,
)
from adapter.web.console.i18n import STATES
from catalog_sync.categories import CATEGORIES
from tests.conftest import ADMIN_KEY
from tests.console.support import (
    BAD_CSV,
    QUOTE,
    csrf_of,
    ensure_console,
    make_coop_with_key,
    make_dead_letter,
    make_order,
    sign_in,
)
from tests.support.sellers import RET16_CSV

# Latin words a Hindi page may keep: names and acronyms Hindi interfaces write in Latin letters. Keep it short.
ALLOWED = frozenset({
    "ODOP", "ONDC",  # the scheme's and the network's names
    "API",  # "API key": how members and docs name it
    "CSV", "XLSX", "JSON",  # file formats, as the files are named
    "MRP", "GSTIN", "PAN", "SKU", "HSN", "FSSAI", "UPI",  # Indian trade terms, always written so
    "IST",  # the time zone shown with every time
    "GST", "TCS", "TDS",  # the taxes on a settlement, as every Indian tax form names them
    "ACK", "NACK", "HTTPS", "DNS", "URL", "RTO", "GPS",  # network and protocol terms
    "KB", "MB", "JPEG", "PNG",  # file sizes and picture formats
    "SMS", "WhatsApp",  # as the services are called
    "Excel", "LibreOffice", "Unicode", "UTF-8", "UTF-16", "Windows-1252",  # programs and text encodings, as named
})
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:['_.-][A-Za-z0-9]+)*")
URL_OR_EMAIL = re.compile(r"https?://\S*|[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
ISO_DATE = re.compile(r"\b\d{4}-\d\d-\d\d\b|\b\d\d:\d\d:\d\d")
# A raw code in English: a word with an underscore, or an order state exactly as the protocol spells it.
CODED_STATES = frozenset(state for state in STATES if "-" in state or "_" in state)
VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"})
SHOWN_ATTRIBUTES = ("title", "aria-label", "placeholder", "alt")
# Routes that answer with a file or JSON, not a page: visited, not read (a sheet's column names stay English).
FILES = frozenset({"/console/catalogue/template", "/console/catalogue/download", "/console/todo.json",
                   "/console/money.csv", "/console/money/artisans.csv", "/console/money/artisans/lines.csv"})


@dataclass
class Chunk:
    """A piece of visible text, whether it is technical (inside <code>), and whether it is in a part of the page
    rendered for the operator only (data-audience="operator")."""

    text: str
    code: bool
    operator: bool = False


class Visible(HTMLParser):
    """The text a person sees or hears (screen readers read aria-label and alt) on a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[Chunk] = []
        self.page_lang = ""
        self.stack: list[tuple[str, bool, bool, bool, bool]] = []  # (tag, hidden, code, foreign, operator's part)

    def _state(self) -> tuple[bool, bool, bool, bool]:
        return self.stack[-1][1:] if self.stack else (False, False, False, False)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "html":
            self.page_lang = values.get("lang", "")
        hidden, code, foreign, operator = self._state()
        hidden = hidden or tag in ("script", "style")
        code = code or tag == "code"
        operator = operator or values.get("data-audience") == "operator"
        foreign = foreign or ("lang" in values and tag != "html" and values["lang"] != self.page_lang)
        if not (hidden or foreign):
            shown = [values[name] for name in SHOWN_ATTRIBUTES if values.get(name)]
            if tag == "input" and values.get("type") in ("submit", "button", "reset") and values.get("value"):
                shown.append(values["value"])
            self.chunks += [Chunk(text, code, operator) for text in shown]
        if tag not in VOID:
            self.stack.append((tag, hidden, code, foreign, operator))

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                return

    def handle_data(self, data: str) -> None:
        hidden, code, foreign, operator = self._state()
        if data.strip() and not (hidden or foreign):
            self.chunks.append(Chunk(data, code, operator))


def visible(html: str) -> list[Chunk]:
    parser = Visible()
    parser.feed(html)
    parser.close()
    return parser.chunks


@dataclass(frozen=True)
class Page:
    """A page as shown: the address it was rendered for, and its HTML."""

    path: str
    html: str

    @property
    def technical(self) -> bool:
        """The operator's own pages, whose <code> holds protocol names and errors as recorded."""
        return self.path.startswith("/console/operator")


@dataclass
class World:
    """What the walk visits, and the words that come from the data it made."""

    member_key: str
    cooperative_id: int
    sent_outbox: int
    rejection: int
    orders: dict[str, int]
    uploads: list[int]
    jobs: list[int]
    transactions: list[str]
    phrases: set[str] = field(default_factory=set)

    def phrase_pattern(self) -> re.Pattern[str]:
        """Every data phrase, longest first, so that "Test Rumal Small" goes before "Test"."""
        ordered = sorted((p for p in self.phrases if p.strip()), key=len, reverse=True)
        return re.compile(r"(?<![\w.-])(?:" + "|".join(re.escape(p) for p in ordered) + r")(?![\w-])")


def strings(value: Any) -> Iterator[str]:
    """Every text in a JSON-like value."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for inner in value.values():
            yield from strings(inner)
    elif isinstance(value, list | tuple):
        for inner in value:
            yield from strings(inner)


def reported(upload: CatalogueUpload) -> set[str]:
    """The columns and cells of the sheet an upload's error report shows back."""
    errors = (upload.report or {}).get("errors", [])
    return {str(e[key]) for e in errors for key in ("column", "value") if e.get(key) not in (None, "")}


def post(client: FlaskClient, url: str, **data: str) -> Page:
    """POST a form and follow the redirect: the page with its flash message."""
    response = client.post(url, data={"csrf_token": csrf_of(client), **data}, follow_redirects=True)
    assert response.status_code < 500, (url, response.status_code)
    return Page(response.request.path, response.get_data(as_text=True))


def leg_order(sessions: sessionmaker[Session], cooperative_id: int, order_id: str, state: str, fulfilment: str,
              leg: dict[str, Any]) -> int:
    pk = make_order(sessions, cooperative_id, order_id=order_id, state=state, fulfilment_state=fulfilment)
    with transaction(sessions) as session:
        session.get_one(Order, pk).legs = [leg]
    return pk


def build_world(app: Flask, sessions: sessionmaker[Session], member: FlaskClient) -> World:
    """Two cooperatives with catalogues, orders in many states, an upload with mistakes, syncs, a dead letter."""
    coop_id, key = make_coop_with_key(sessions, "test-coop")
    other_id, _ = make_coop_with_key(sessions, "other-coop")
    orders = {"new": make_order(sessions, coop_id, order_id="NEW-1"),
              "accepted": make_order(sessions, coop_id, order_id="ACC-1"),
              "moving": make_order(sessions, coop_id, order_id="SHIP-1", state="In-progress",
                                   fulfilment_state="Order-picked-up"),
              "theirs": make_order(sessions, other_id, order_id="OTHER-1", state="Accepted", fulfilment_state="Packed")}
    request = [{"code": "id", "value": "R1"}, {"code": "item_id", "value": "T16-1"},
               {"code": "item_quantity", "value": "1"}, {"code": "reason_id", "value": "003"},
               {"code": "reason_desc", "value": "The border came unstitched"},
               {"code": "images", "value": "https://buyer.example/r1.jpg"}, {"code": "ttl_approval", "value": "PT24H"}]
    orders["return"] = leg_order(sessions, coop_id, "RET-1", "Completed", "Order-delivered", {
        "id": "R1", "type": "Return", "state": "Return_Initiated", "items": {"T16-1": 1},
        "tags": [{"code": "return_request", "list": request}], "created_at": "2030-01-01T10:00:00.000Z"})
    orders["rto"] = leg_order(sessions, coop_id, "RTO-1", "Cancelled", "RTO-Initiated", {
        "id": "RTO1", "type": "RTO", "state": "RTO-Initiated", "items": {"T16-1": 1}, "tags": [],
        "created_at": "2030-01-01T10:00:00.000Z"})
    dead, sent = make_dead_letter(sessions, coop_id), make_dead_letter(sessions, other_id)
    now = utcnow()
    with transaction(sessions) as session:
        session.get_one(OutboxMessage, sent).status = "sent"  # delivered: replaying it is refused
        session.add(DeliveryAttempt(outbox_id=dead, attempted_at=now, outcome="dead", error="connection refused"))
        for order_id, status in (("NEW-1", "processed"), ("SHIP-1", "failed")):
            session.add(InboundMessage(bap_id="buyer.odop.test", action="status", message_id=f"m-{order_id}",
                                       transaction_id=f"t-{order_id}", body=b"{}", headers={}, status=status,
                                       signature="ok", error="TypeError: injected fault" if status == "failed"
                                       else None))
        photos = CatalogueRejection(cooperative_id=coop_id, bap_id="buyer.odop.test", transaction_id="t-1",
                                    code="91003", kind="ITEM-ERROR", message="No images found for T16-2",
                                    item_id="T16-2", row=3, column="images", version_number=1)
        session.add_all([
            photos,
            CatalogueRejection(cooperative_id=coop_id, bap_id="buyer.odop.test", transaction_id="t-1", code="90014",
                               kind="PROVIDER-ERROR", column="profile.locations.gps")])
        session.flush()
        rejection = photos.id
        jobs = []
        for state, step, extra in (
                ("succeeded", "done", {"counts": {"items": 3, "changed": 1, "pushed": 1, "subscribers": 1}}),
                ("failed", "importing", {"reason": "source has errors (1 problem(s)); the last good version stays live",
                                         "errors": [{"row": 2, "column": "price", "value": "abc",
                                                     "message": "price must be a number like 450 or 450.50"}]}),
                ("cancelled", "comparing", {"reason": "cancelled by an operator"}),
                ("running", "comparing", {"progress_done": 1, "progress_total": 3})):
            job = SyncJob(cooperative_id=coop_id, state=state, step=step, kind="incremental", started_at=now,
                          finished_at=now if state != "running" else None, **extra)
            session.add(job)
            session.flush()
            jobs.append(job.id)

    sign_in(member, key)
    uploads = []
    for data, name in ((BAD_CSV, "bad.csv"), (b"id,name\nA1,\xe9\n", "c.csv"),
                       (RET16_CSV.replace(b",1200,", b",1250,"), "items.csv")):
        response = member.post("/console/catalogue/upload", content_type="multipart/form-data",
                               data={"csrf_token": csrf_of(member), "file": (io.BytesIO(data), name)})
        assert response.status_code == 303, response.get_data(as_text=True)[:300]
        uploads.append(int(response.headers["Location"].split("/uploads/")[1].split("?")[0]))
    until = (dt.datetime.now(dt.UTC) + dt.timedelta(days=30)).date().isoformat()
    post(member, "/console/closure", closed_until=until, note="Diwali")

    world = World(member_key=key, cooperative_id=coop_id, sent_outbox=sent, rejection=rejection, orders=orders,
                  uploads=uploads, jobs=jobs, transactions=["t-NEW-1", "t-dead"])
    world.phrases |= {"bad.csv", "c.csv", "items.csv", "Diwali", "buyer.odop.test", "No images found for T16-2",
                      "t-dead", "m-dead", "http://127.0.0.1:9/buyer/on_status",
                      "profile.locations.gps", "locations.gps", "images"} | set(CATEGORIES)
    with sessions() as session:
        for cooperative in session.query(Cooperative):
            world.phrases |= {cooperative.name, cooperative.slug}
            world.phrases |= set(strings([cooperative.profile or {}]))  # legal name, pickup addresses
            for item in catalogue_store.current_items(session, cooperative.id):
                world.phrases |= {item.name, item.item_id, item.domain}
                world.phrases |= {str(item.data.get(name) or "")
                                  for name in ("name", "short_desc", "long_desc", "artisan")}
        for upload in session.query(CatalogueUpload):
            world.phrases |= reported(upload)
        for order in session.query(Order):
            world.phrases |= {order.order_id, order.bap_id, order.transaction_id}
            world.phrases |= set(strings([order.fulfillments, order.billing, order.legs]))
    world.phrases |= set(strings(QUOTE["breakup"]))
    return world


def get_urls(world: World, admin: bool) -> dict[str, list[str]]:
    """For each GET route of the console, the addresses that show it with the data of `world`."""
    scope = "?cooperative=test-coop" if admin else ""
    return {
        "/console": ["/console"],
        "/console/login": [],  # signed in, it sends home; the walk opens it signed out
        "/console/catalogue": ["/console/catalogue"] + ([f"/console/catalogue{scope}"] if admin else []),
        "/console/catalogue/template": ["/console/catalogue/template?category=Home+Decor"],
        "/console/catalogue/download": [f"/console/catalogue/download?format=csv{scope.replace('?', '&')}"],
        "/console/catalogue/uploads/<int:upload_id>": [f"/console/catalogue/uploads/{u}{scope}" for u in world.uploads],
        "/console/catalogue/items/<item_id>": [f"/console/catalogue/items/T16-1{scope}"],
        "/console/orders": ["/console/orders"],
        "/console/orders/<int:order_pk>": [f"/console/orders/{pk}" for name, pk in world.orders.items()
                                           if admin or name != "theirs"],
        "/console/orders/<int:order_pk>/packing-slip": [f"/console/orders/{pk}/packing-slip"
                                                        for name, pk in world.orders.items()
                                                        if admin or name != "theirs"],
        "/console/todo.json": ["/console/todo.json"],
        "/console/alerts": ["/console/alerts"] + ([f"/console/alerts{scope}"] if admin else []),
        "/console/money": ["/console/money"] + ([f"/console/money{scope}"] if admin else []),
        "/console/money.csv": ["/console/money.csv"],
        # The operator first picks a cooperative; the member's page shows this month's orders, artisan by artisan.
        "/console/money/artisans": ["/console/money/artisans"] + ([f"/console/money/artisans{scope}"] if admin else [])
        + [f"/console/money/artisans{scope}{'&' if admin else '?'}from=2020-01-01&to=2020-12-31"],
        "/console/money/artisans.csv": [f"/console/money/artisans.csv{scope}"],
        "/console/money/artisans/lines.csv": [f"/console/money/artisans/lines.csv{scope}"],
        "/console/syncs": ["/console/syncs"] + ([f"/console/syncs{scope}"] if admin else []),
        "/console/syncs/<int:job_id>": [f"/console/syncs/{job}{scope}" for job in world.jobs],
        "/console/operator": ["/console/operator"] if admin else [],
        "/console/operator/outbox": ["/console/operator/outbox", "/console/operator/outbox?status=pending"]
        if admin else [],
        "/console/operator/transactions": ["/console/operator/transactions"]
        + [f"/console/operator/transactions?transaction_id={t}" for t in world.transactions] if admin else [],
    }


def console_get_routes(app: Flask) -> set[str]:
    return {rule.rule for rule in app.url_map.iter_rules()
            if rule.endpoint.startswith("console.") and "GET" in (rule.methods or ())}


def walk(app: Flask, world: World, member: FlaskClient, operator: FlaskClient, anonymous: FlaskClient,
         ) -> dict[str, Page]:
    """Every page by a label: each GET route as member and operator, error pages, and flash messages."""
    pages: dict[str, Page] = {}
    visited: set[str] = set()
    for who, client, admin in (("member", member, False), ("operator", operator, True)):
        for rule, urls in get_urls(world, admin).items():
            if urls:
                visited.add(rule)
            for url in urls:
                response = client.get(url, follow_redirects=True)
                assert response.status_code == 200, (who, url, response.status_code)
                if rule in FILES:
                    assert response.mimetype != "text/html", url
                else:
                    pages[f"{who} {url}"] = Page(response.request.path, response.get_data(as_text=True))
    login = anonymous.get("/console/login")
    assert login.status_code == 200
    pages["signed out /console/login"] = Page("/console/login", login.get_data(as_text=True))
    visited.add("/console/login")
    missing = console_get_routes(app) - visited
    assert not missing, f"console routes this walk does not visit (add them to get_urls): {sorted(missing)}"

    errors = {"404 /console/nope": (member.get("/console/nope"), 404),
              "405 GET /console/catalogue/upload": (member.get("/console/catalogue/upload"), 405),
              "400 POST without a form token": (member.post("/console/syncs"), 400),
              "404 member /console/operator": (member.get("/console/operator"), 404),
              # From an address of its own: wrong keys count towards the sign-in throttle.
              "401 wrong key": (anonymous.post("/console/login", data={"api_key": "odop_nope",
                                                                       "csrf_token": csrf_of(anonymous)},
                                               environ_overrides={"REMOTE_ADDR": f"198.51.100.{uuid.uuid4().hex[:8]}"}),
                                401)}
    for label, (response, status) in errors.items():
        assert response.status_code == status, label
        pages[label] = Page(response.request.path, response.get_data(as_text=True))

    new, accepted, moving = (f"/console/orders/{world.orders[n]}/actions" for n in ("new", "accepted", "moving"))
    flashes = {
        "refused: deliver a new order": (member, f"{new}/deliver", {}),
        "refused: cancel without the tick": (member, f"{accepted}/cancel", {"reason_id": "002"}),
        "refused: RTO of an order not picked up": (member, f"{accepted}/initiate_rto",
                                                   {"reason_id": "013", "sure": "on"}),
        "refused: stock -4": (member, "/console/catalogue/items/T16-1", {"stock": "-4", "price": "1200"}),
        "refused: closure in the past": (member, "/console/closure", {"closed_until": "2001-01-01"}),
        "refused: closure ending before it starts": (member, "/console/closure",
                                                     {"closed_from": "2099-02-01", "closed_until": "2099-01-01"}),
        "done: accept": (member, f"{new}/accept", {}),
        "done: RTO": (member, f"{moving}/initiate_rto", {"reason_id": "013", "sure": "on"}),
        "done: saved": (member, "/console/catalogue/items/T16-1", {"stock": "5", "price": "1200", "enabled": "on"}),
        "done: sync started": (member, "/console/syncs", {}),
        "done: discarded": (member, f"/console/catalogue/uploads/{world.uploads[2]}/discard", {}),
        "done: undo": (member, "/console/catalogue/undo", {}),
        "done: refusal dismissed": (member, f"/console/catalogue/rejections/{world.rejection}/dismiss", {}),
        "refused: nothing left to undo": (operator, "/console/catalogue/undo?cooperative=other-coop", {}),
        "done: replay": (operator, "/console/operator/outbox/replay", {}),
    }
    for label, (client, url, data) in flashes.items():
        pages[label] = post(client, url, **data)
    # A delivered callback cannot be replayed: the refusal comes from the outbox.
    pages["refused: replay a delivered callback"] = post(operator,
                                                         f"/console/operator/outbox/{world.sent_outbox}/replay")
    return pages


def english_in(html: str, phrases: re.Pattern[str], technical_code: bool) -> list[str]:
    """The Latin words of a page that are neither data nor allowed."""
    found = []
    for chunk in visible(html):
        if chunk.code and (technical_code or chunk.operator):
            continue
        text = URL_OR_EMAIL.sub(" ", phrases.sub(" ", chunk.text))
        found += [word for word in LATIN_WORD.findall(text) if word not in ALLOWED]
        found += ISO_DATE.findall(chunk.text)
    return found


def raw_codes_in(html: str, phrases: re.Pattern[str], technical_code: bool) -> list[str]:
    """Codes a reader should never meet: word_with_underscores, order states as coded, ISO dates."""
    found = []
    for chunk in visible(html):
        if chunk.code and (technical_code or chunk.operator):
            continue
        text = URL_OR_EMAIL.sub(" ", phrases.sub(" ", chunk.text))
        found += [word for word in LATIN_WORD.findall(text) if "_" in word or word in CODED_STATES]
        found += ISO_DATE.findall(chunk.text)
    return found


def report(found: dict[str, Iterable[str]]) -> str:
    return "\n".join(f"{label}: {sorted(set(words))}" for label, words in sorted(found.items()) if words)


@pytest.fixture
def clients(app: Flask) -> tuple[FlaskClient, FlaskClient, FlaskClient]:
    ensure_console(app)
    return app.test_client(), app.test_client(), app.test_client()


def in_language(clients: Iterable[FlaskClient], code: str) -> None:
    for client in clients:
        client.post("/console/language", data={"lang": code, "csrf_token": csrf_of(client)})


def test_every_console_page_in_hindi_has_no_english_left(
    app: Flask, sessions: sessionmaker[Session], clients: tuple[FlaskClient, FlaskClient, FlaskClient]
) -> None:
    member, operator, anonymous = clients
    in_language(clients, "hi")
    world = build_world(app, sessions, member)
    sign_in(operator, ADMIN_KEY)
    pages = walk(app, world, member, operator, anonymous)
    assert all('<html lang="hi">' in page.html for page in pages.values())
    phrases = world.phrase_pattern()
    found = {label: english_in(page.html, phrases, page.technical) for label, page in pages.items()}
    assert not any(found.values()), "English left on Hindi pages:\n" + report(found)


def test_every_console_page_in_english_shows_no_raw_codes(
    app: Flask, sessions: sessionmaker[Session], clients: tuple[FlaskClient, FlaskClient, FlaskClient]
) -> None:
    member, operator, anonymous = clients
    in_language(clients, "en")
    world = build_world(app, sessions, member)
    sign_in(operator, ADMIN_KEY)
    pages = walk(app, world, member, operator, anonymous)
    assert all('<html lang="en">' in page.html for page in pages.values())
    phrases = world.phrase_pattern()
    found = {label: raw_codes_in(page.html, phrases, page.technical) for label, page in pages.items()}
    assert not any(found.values()), "Raw codes on English pages:\n" + report(found)


def test_the_check_finds_english_hard_coded_in_a_page_and_spares_data_and_code() -> None:
    page = ('<html lang="hi"><head><title>ऑर्डर</title><style>p{color:red}</style></head><body>'
            '<p>स्टॉक: Stock 4</p><button aria-label="Save T16-1">सहेजें</button><input type="submit" value="Go">'
            '<p>Test Rumal Small · ONDC · https://buyer.example/x.jpg · 2030-01-05</p>'
            '<code>on_status</code><dd lang="en">the buyer app said so</dd><img alt="Order-picked-up"></body></html>')
    phrases = re.compile("Test Rumal Small|T16-1")
    assert sorted(english_in(page, phrases, technical_code=True)) == ["2030-01-05", "Go", "Order-picked-up", "Save",
                                                                      "Stock"]
    assert "on_status" in english_in(page, phrases, technical_code=False)
    assert sorted(raw_codes_in(page, phrases, technical_code=False)) == ["2030-01-05", "Order-picked-up", "on_status"]
    operator_part = ('<html lang="hi"><body><details data-audience="operator"><code>on_status m-1</code> Received'
                     '</details><code>on_cancel</code></body></html>')
    assert english_in(operator_part, phrases, technical_code=False) == ["Received", "on_cancel"]

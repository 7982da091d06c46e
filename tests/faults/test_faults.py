"""The fault suite: each finding of the adversarial run, reproduced against real processes, with its figures.

Asserted everywhere: no 5xx on any input, every ACKed request gets exactly one callback, no order is lost or
duplicated, and one order's updates reach the buyer app in the order they happened. docs/operations.md lists
what an operator sees for each.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import signal
import sqlite3
import threading
import time
import uuid
import zipfile
from collections import Counter
from typing import Any

import orjson
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session, sessionmaker

from adapter.store import migrate
from adapter.store.db import make_engine, make_sessionmaker, transaction
from adapter.store.models import DeliveryAttempt, InboundMessage, Order, OutboxMessage
from tests.conftest import ADMIN_KEY
from tests.faults.conftest import Stack, signed_post
from tests.integration.test_orders import BILLING, Buyer
from tests.support.network import Network, search_body
from tests.support.receiver import Receiver
from tests.support.sellers import ALWAYS_OPEN, make_seller
from tests.support.servers import PostgresServer, descendants, wait_until
from workers.task_names import SWEEP
from workers.tasks import MAX_INBOUND_ATTEMPTS

ADMIN = {"Authorization": f"Bearer {ADMIN_KEY}"}


def callbacks(receiver: Receiver, action: str) -> list[dict[str, Any]]:
    return [orjson.loads(post.body) for post in receiver.posts(f"/{action}")]


def per_message(receiver: Receiver, action: str) -> Counter[str]:
    return Counter(body["context"]["message_id"] for body in callbacks(receiver, action))


def message_id_of(body: bytes) -> str:
    return str(orjson.loads(body)["context"]["message_id"])


# -- 1. poison messages while the broker is paused ---------------------------------------------------------------

# A database that refuses one transaction's answers stands in for a request the database always rejects (the
# finding: a bap_uri too long for its column). Its error callback (the body has "error") is let through.
_POISON_SQLITE = ("CREATE TRIGGER fault_poison BEFORE INSERT ON outbox WHEN NEW.transaction_id LIKE 'poison-%' "
                  "AND instr(CAST(NEW.body AS TEXT), '\"error\"') = 0 "
                  "BEGIN SELECT RAISE(ABORT, 'value too long for type character varying(2048)'); END")
_POISON_PG = ("""CREATE FUNCTION fault_poison() RETURNS trigger AS $$ BEGIN
  IF NEW.transaction_id LIKE 'poison-%' AND position('"error"' in convert_from(NEW.body, 'UTF8')) = 0 THEN
    RAISE EXCEPTION 'value too long for type character varying(2048)' USING ERRCODE = '22001';
  END IF; RETURN NEW; END $$ LANGUAGE plpgsql""",
              "CREATE TRIGGER fault_poison BEFORE INSERT ON outbox FOR EACH ROW EXECUTE FUNCTION fault_poison()")


def _poison(engine: Engine, on: bool) -> None:
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            if on:
                for statement in _POISON_PG:
                    conn.execute(text(statement))
            else:
                conn.execute(text("DROP TRIGGER IF EXISTS fault_poison ON outbox"))
                conn.execute(text("DROP FUNCTION IF EXISTS fault_poison()"))
        elif on:
            conn.execute(text(_POISON_SQLITE))
        else:
            conn.execute(text("DROP TRIGGER IF EXISTS fault_poison"))


def test_a_poison_flood_during_a_broker_pause_starves_no_good_request(
    stack: Stack, engine: Engine, network: Network, receiver: Receiver, sessions: sessionmaker[Session],
    fault_report: Any
) -> None:
    make_seller(sessions)
    client = stack.client()
    _poison(engine, True)
    try:
        stack.redis.stop()  # the broker pauses: every publish fails
        poison = [search_body(bap_uri=receiver.url, ttl="PT2M", transaction_id=f"poison-{uuid.uuid4()}")
                  for _ in range(20)]
        good = [search_body(bap_uri=receiver.url, ttl="PT2M") for _ in range(10)]
        # The poison arrives first, so it is the oldest work the sweeper finds.
        codes = [signed_post(client, network, "search", body)[0] for body in [*poison, *good]]
        assert codes == [200] * 30
        stack.redis.start()
        back = time.monotonic()
        stack.start_worker()
        with transaction(sessions) as session:  # past the sweeper's 30 s threshold, without waiting 30 s
            for row in session.scalars(select(InboundMessage)):
                row.received_at -= dt.timedelta(minutes=1)
        good_ids, poison_ids = {message_id_of(b) for b in good}, {message_id_of(b) for b in poison}
        answered_good: float | None = None

        def settled() -> bool:
            nonlocal answered_good
            stack.send(SWEEP)  # beat's job, every second here instead of every 15 s
            seen = per_message(receiver, "on_search")
            if answered_good is None and good_ids <= set(seen):
                answered_good = time.monotonic() - back
            return good_ids | poison_ids <= set(seen)

        assert wait_until(settled, timeout=120, interval=1.0), stack.log_tail()
        recovered = time.monotonic() - back
    finally:
        _poison(engine, False)
    time.sleep(1.5)  # room for a duplicate to show up
    counts = per_message(receiver, "on_search")
    assert all(counts[m] == 1 for m in good_ids | poison_ids), counts
    errors = {b["context"]["message_id"]: b.get("error", {}).get("code") for b in callbacks(receiver, "on_search")}
    assert all(errors[m] is None for m in good_ids)
    assert all(errors[m] == "31001" for m in poison_ids)
    with sessions() as session:
        rows = session.scalars(select(InboundMessage)).all()
    assert sorted((r.status, r.attempts) for r in rows if r.message_id in poison_ids) == [
        ("failed", MAX_INBOUND_ATTEMPTS)] * 20
    fault_report(sent=30, acked=codes.count(200), good_answered=len(good_ids), poison_answered_31001=len(poison_ids),
                 duplicates=sum(c - 1 for c in counts.values()), good_answered_after_s=answered_good,
                 all_settled_after_s=recovered)


# -- 2. hostile XLSX while searches arrive --------------------------------------------------------------------------

def _blank_row_bomb(rows: int) -> bytes:
    """A valid workbook: a header, one item, then `rows` rows of empty cells (tiny zipped, ~50 bytes each unpacked)."""
    head = (b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
            b'spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>id</t></is></c>'
            b'<c r="B1" t="inlineStr"><is><t>name</t></is></c></row><row r="2"><c r="A2" t="inlineStr"><is><t>A1'
            b'</t></is></c><c r="B2" t="inlineStr"><is><t>Rumal</t></is></c></row>')
    body = b"".join(b'<row r="%d"><c r="A%d" t="inlineStr"><is><t></t></is></c></row>' % (i, i)
                    for i in range(3, rows + 3))
    sheet = head + body + b"</sheetData></worksheet>"
    parts = {
        "[Content_Types].xml": b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
                               b'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-'
                               b'package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
                               b'<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
                               b'officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/'
                               b'sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.'
                               b'worksheet+xml"/></Types>',
        "_rels/.rels": b'<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
                       b'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
                       b'officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": b'<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
                           b'2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
                           b'<sheets><sheet name="Items" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": b'<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/'
                                      b'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.'
                                      b'openxmlformats.org/officeDocument/2006/relationships/worksheet" '
                                      b'Target="worksheets/sheet1.xml"/></Relationships>',
        "xl/worksheets/sheet1.xml": sheet,
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    return out.getvalue()


def test_a_hostile_xlsx_is_imported_by_a_worker_in_bounded_time_while_searches_are_acked(
    stack: Stack, network: Network, receiver: Receiver, sessions: sessionmaker[Session], fault_report: Any
) -> None:
    make_seller(sessions)
    stack.start_worker()
    bomb = _blank_row_bomb(1_000_000)
    unpacked = sum(i.file_size for i in zipfile.ZipFile(io.BytesIO(bomb)).infolist())
    client = stack.client()
    started = time.perf_counter()
    # Encoded here as bytes: werkzeug's test client would spool a body this large to a file it never closes.
    form = (b'--xyz\r\nContent-Disposition: form-data; name="file"; filename="catalogue.xlsx"\r\n'
            b"Content-Type: application/octet-stream\r\n\r\n" + bomb + b"\r\n--xyz--\r\n")
    response = client.post("/api/v1/cooperatives/test-coop/catalogue", headers=ADMIN, data=form,
                           content_type="multipart/form-data; boundary=xyz")
    taken = time.perf_counter() - started
    assert response.status_code == 202, response.get_json()
    location = response.headers["Location"]
    searches = [search_body(bap_uri=receiver.url) for _ in range(20)]
    answers = [signed_post(client, network, "search", body) for body in searches]
    assert [status for status, _, _ in answers] == [200] * 20

    def finished() -> dict[str, Any] | None:
        job: dict[str, Any] = client.get(location, headers=ADMIN).get_json()["upload"]
        return job if job["status"] not in ("queued", "running") else None

    assert wait_until(lambda: finished() is not None, timeout=120), stack.log_tail()
    ended = time.perf_counter() - started
    job = finished()
    assert job is not None
    assert job["status"] == "invalid"
    assert "blank ones count too" in job["error"]
    ids = {message_id_of(b) for b in searches}
    assert wait_until(lambda: ids <= set(per_message(receiver, "on_search")), timeout=60)
    fault_report(file_bytes=len(bomb), unpacked_bytes=unpacked, upload_answered_202_after_s=taken,
                 import_refused_after_s=ended, searches_sent=20, searches_acked=20,
                 max_ack_s=max(elapsed for _, _, elapsed in answers), searches_answered=len(ids))


# -- 3. overlong ids ----------------------------------------------------------------------------------------------

def test_overlong_ids_get_a_stored_nack_never_a_5xx(
    stack: Stack, network: Network, sessions: sessionmaker[Session], fault_report: Any
) -> None:
    client = stack.client()
    cases = [{"message_id": "m" * 300}, {"transaction_id": "t" * 300}, {"domain": "ONDC:" + "R" * 100},
             {"bap_uri": "https://buyer.example/" + "u" * 3000}]
    statuses = []
    for fields in cases:
        body = search_body(**fields)
        unsigned = client.post("/ondc/search", data=body, content_type="application/json")
        statuses.append((unsigned.status_code, unsigned.get_json()["message"]["ack"]["status"]))
        status, answer, _ = signed_post(client, network, "search", body)
        statuses.append((status, answer["message"]["ack"]["status"]))
    assert all(400 <= code < 500 and ack == "NACK" for code, ack in statuses), statuses
    with sessions() as session:
        stored = session.scalars(select(InboundMessage.status)).all()
    assert stored == ["nacked"] * len(statuses)
    fault_report(sent=len(statuses), nacked_4xx=len(statuses), server_errors=0, stored=len(stored))


# -- 4. confirms racing with new message ids; updates in order ----------------------------------------------------

def test_racing_confirms_make_one_order_each_and_both_get_on_confirm(
    stack: Stack, network: Network, receiver: Receiver, sessions: sessionmaker[Session], fault_report: Any
) -> None:
    make_seller(sessions, profile=ALWAYS_OPEN)
    stack.start_worker()
    app = stack.app()
    buyers = [Buyer(app.test_client(), network, receiver) for _ in range(5)]
    confirms = []
    for number, buyer in enumerate(buyers):
        buyer.send("select", {"order": buyer.order("T16-2", 1)})
        on_init = buyer.send("init", {"order": buyer.order("T16-2", 1) | {"billing": BILLING}})
        assert on_init is not None
        confirms.append((buyer, buyer.confirm("T16-2", 1, f"RACE-{number}", on_init["message"]["order"]["quote"])))
    started = time.monotonic()
    barrier = threading.Barrier(len(confirms) * 2)

    def confirm(buyer: Buyer, message: dict[str, Any]) -> None:
        racer = Buyer(app.test_client(), network, receiver)
        racer.transaction_id = buyer.transaction_id
        barrier.wait()
        racer.send("confirm", message, wait=False)

    threads = [threading.Thread(target=confirm, args=pair) for pair in confirms for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert wait_until(lambda: len(callbacks(receiver, "on_confirm")) >= 10, timeout=60), stack.log_tail()
    answered = time.monotonic() - started
    time.sleep(1)
    answers = callbacks(receiver, "on_confirm")
    assert len(answers) == 10
    assert [a.get("error") for a in answers] == [None] * 10
    assert sorted(a["message"]["order"]["id"] for a in answers) == sorted([f"RACE-{n}" for n in range(5)] * 2)
    with sessions() as session:
        orders = session.scalars(select(Order.order_id)).all()
    assert sorted(orders) == [f"RACE-{n}" for n in range(5)]
    fault_report(buyers=5, confirms_sent=10, on_confirm_received=len(answers), errors=0, orders=len(orders),
                 all_answered_after_s=answered)


def test_one_orders_updates_arrive_in_the_order_they_happened(
    stack: Stack, network: Network, receiver: Receiver, sessions: sessionmaker[Session], fault_report: Any
) -> None:
    make_seller(sessions, profile=ALWAYS_OPEN)
    stack.start_worker(concurrency=4)  # four deliveries at once: what made them overtake each other
    client = stack.app().test_client()
    buyer = Buyer(client, network, receiver)
    buyer.place("T16-2", 1, "IN-ORDER-1")
    accepted = buyer.callback("on_status")  # the on_status that accepts the order, after on_confirm
    assert accepted["message"]["order"]["state"] == "Accepted"
    with sessions() as session:
        order_pk = session.scalars(select(Order.id).where(Order.order_id == "IN-ORDER-1")).one()
    moves = [("Accept", "Pending"), ("pack", "Packed"), ("pick_up", "Order-picked-up"), ("ship", "In-transit"),
             ("at_destination_hub", "At-destination-hub"), ("out_for_delivery", "Out-for-delivery"),
             ("deliver", "Order-delivered")]
    receiver.delays.extend([1.0, 0.5])  # the buyer app is slow to take the first two
    started = time.monotonic()
    for action, _ in moves[1:]:  # the seller clicks through quickly, not waiting for any push
        assert client.post(f"/api/v1/orders/{order_pk}/actions/{action}", headers=ADMIN).status_code == 200
    assert wait_until(lambda: len(callbacks(receiver, "on_status")) >= len(moves), timeout=60), stack.log_tail()
    arrived_after = time.monotonic() - started
    time.sleep(1)
    states = [b["message"]["order"]["fulfillments"][0]["state"]["descriptor"]["code"]
              for b in callbacks(receiver, "on_status")]
    assert states == [state for _, state in moves]
    fault_report(updates_sent=len(moves) - 1, updates_received=len(states) - 1, in_order=True,
                 last_arrived_after_s=arrived_after)


# -- 5. a worker killed after its POST ---------------------------------------------------------------------------

def test_a_worker_killed_after_its_post_leaves_maybe_delivered_not_never_sent(
    stack: Stack, network: Network, receiver: Receiver, sessions: sessionmaker[Session], fault_report: Any
) -> None:
    make_seller(sessions)
    receiver.delays.append(3.0)  # the buyer app has the callback and is slow to answer: the worker dies then
    first = stack.start_worker(concurrency=1)
    client = stack.client()
    assert signed_post(client, network, "search", search_body(bap_uri=receiver.url, ttl="PT4S"))[0] == 200
    assert wait_until(lambda: len(receiver.received) == 1, timeout=30), stack.log_tail()
    for pid in (first.pid, *descendants(first.pid)):
        os.kill(pid, signal.SIGKILL)
    first.wait()
    killed = time.monotonic()
    stack.start_worker(concurrency=1)

    def row() -> OutboxMessage:
        with sessions() as session:
            return session.scalars(select(OutboxMessage)).one()

    def settled() -> bool:
        stack.send(SWEEP)  # the lease runs out; beat's sweeper finds the row again
        return row().status != "pending"

    assert wait_until(settled, timeout=60, interval=1.0), stack.log_tail()
    recorded = time.monotonic() - killed
    dead = row()
    assert (dead.status, dead.attempts, dead.maybe_delivered) == ("dead", 1, True)
    assert dead.last_error is not None
    assert "may have it" in dead.last_error
    with sessions() as session:
        outcomes = session.scalars(select(DeliveryAttempt.outcome)).all()
    assert outcomes == ["unknown"]
    assert len(receiver.posts("/on_search")) == 1  # not sent again after the ttl
    refused = client.post(f"/api/v1/outbox/{dead.id}/replay", headers=ADMIN)
    assert refused.status_code == 409
    assert refused.get_json()["error"]["details"] == {"maybe_delivered": True}
    assert client.post("/api/v1/outbox/replay", headers=ADMIN).get_json() == {"replayed": 0}
    assert client.post(f"/api/v1/outbox/{dead.id}/replay?force=true", headers=ADMIN).status_code == 200
    assert wait_until(lambda: row().status == "sent", timeout=30)
    assert len(receiver.posts("/on_search")) == 2  # sent again only because the operator said so
    fault_report(sent=1, arrived_before_the_kill=1, recorded_as="dead, maybe delivered", attempts_recorded=1,
                 resent_automatically=0, recorded_after_s=recorded)


# -- 6. the database goes away mid-burst --------------------------------------------------------------------------

def _unanswered(stack: Stack, message_ids: set[str]) -> list[tuple[Any, ...]]:
    """What became of ACKed searches that got no on_search: their inbound status and attempts, for the report."""
    engine = make_engine(stack.settings.database_url)
    try:
        with make_sessionmaker(engine)() as session:
            rows = session.scalars(select(InboundMessage).where(InboundMessage.message_id.in_(message_ids)))
            return [(row.message_id, row.status, row.attempts, row.error) for row in rows]
    finally:
        engine.dispose()


def _burst(stack: Stack, network: Network, receiver: Receiver, outage: Any, sends: int = 120) -> dict[str, Any]:
    """Send `sends` signed searches from 4 threads while `outage()` runs; what came back, and when."""
    app = stack.app()
    results: list[tuple[float, int, dict[str, Any], str]] = []
    lock = threading.Lock()

    def send(count: int) -> None:
        client = app.test_client()
        for _ in range(count):
            body = search_body(bap_uri=receiver.url, ttl="PT1M")
            status, answer, _ = signed_post(client, network, "search", body)
            with lock:
                results.append((time.monotonic(), status, answer, message_id_of(body)))
            time.sleep(0.04)

    threads = [threading.Thread(target=send, args=(sends // 4,)) for _ in range(4)]
    for thread in threads:
        thread.start()
    window = outage()
    for thread in threads:
        thread.join()
    acked = {m for _, status, _, m in results if status == 200}
    refused = [(status, answer) for _, status, answer, _ in results if status != 200]
    assert all(status == 503 and answer["error"]["code"] == "31001" for status, answer in refused), refused[:3]
    assert wait_until(lambda: acked <= set(per_message(receiver, "on_search")), timeout=90), (
        _unanswered(stack, acked - set(per_message(receiver, "on_search"))), stack.log_tail())
    time.sleep(1.5)
    counts = per_message(receiver, "on_search")
    assert all(counts[m] == 1 for m in acked)
    assert not set(counts) - acked  # nothing answered that was refused
    first_ack_after = min((t for t, status, _, _ in results if status == 200 and t > window[1]), default=window[1])
    return {"sent": len(results), "acked": len(acked), "nacked_503_31001": len(refused),
            "server_errors": sum(1 for _, s, _, _ in results if s >= 500 and s != 503),
            "answered_once": sum(1 for m in acked if counts[m] == 1), "outage_s": window[1] - window[0],
            "acking_again_after_s": first_ack_after - window[1]}


def test_a_database_outage_mid_burst_loses_no_acked_request(
    stack: Stack, network: Network, receiver: Receiver, settings: Any, sessions: sessionmaker[Session],
    fault_report: Any
) -> None:
    if not settings.database_url.startswith("postgresql"):
        # SQLite: the database file locked by another writer (a backup, a long migration) for 3 s.
        make_seller(sessions)
        stack.start_worker()
        path = settings.database_url.split("sqlite:///", 1)[1]

        def lock_the_file() -> tuple[float, float]:
            time.sleep(0.8)
            holder = sqlite3.connect(path, timeout=30)
            holder.execute("BEGIN EXCLUSIVE")
            began = time.monotonic()
            time.sleep(3)
            holder.rollback()
            holder.close()
            return began, time.monotonic()

        figures = _burst(stack, network, receiver, lock_the_file)
        assert figures["nacked_503_31001"] == 0  # a lock is waited out, not refused
        fault_report(kind="sqlite file locked", **figures)
        return
    # PostgreSQL: our own server, stopped (fast shutdown, as a restart does) for 3 s in the middle of the burst.
    server = PostgresServer()
    try:
        server.init()
        server.start()
        stack.env = stack.env | {"DATABASE_URL": server.url}
        migrate.upgrade(server.url)
        engine = make_engine(server.url)
        make_seller(make_sessionmaker(engine))
        engine.dispose()
        stack.start_worker()

        def restart() -> tuple[float, float]:
            time.sleep(0.8)
            server.stop("fast")
            began = time.monotonic()
            time.sleep(3)
            server.start()
            return began, time.monotonic()

        figures = _burst(stack, network, receiver, restart)
        fault_report(kind="postgresql restarted", **figures)
    finally:
        stack.close()
        stack.workers.clear()
        stack.apps.clear()
        server.cleanup()

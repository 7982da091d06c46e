"""Issue stories end to end: a re-upload never undoes a sale, an upload cannot silently wipe the catalogue, the
catalogue downloads and uploads back unchanged, evening orders are answered. Real database, worker and buyer."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import orjson
import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from adapter.orders import flows as order_flows
from adapter.orders.policy import order_policy
from adapter.protocol.request import NetworkRequest
from adapter.store import catalogue as store
from adapter.store.models import CatalogueItem, CatalogueVersion, InboundMessage, StockMove
from catalog_sync.on_search_items import IST
from tests.integration.test_orders import ADMIN, Buyer, stock
from tests.support.network import Network
from tests.support.receiver import Receiver, running_receiver
from tests.support.sellers import ALWAYS_OPEN, RET16_CSV, make_seller
from tests.support.servers import wait_until

CATALOGUE = "/api/v1/cooperatives/test-coop/catalogue"
# T16-2 becomes a one-of-a-kind wedding rumal: one piece on the shelf.
ONE_PIECE = RET16_CSV.replace(b"3200.50,3500,120,", b"3200.50,3500,1,", 1)


def upload(client: FlaskClient, data: bytes, name: str = "items.csv", **options: str) -> Any:
    return client.post(CATALOGUE, headers=ADMIN, data={"file": (io.BytesIO(data), name), **options},
                       content_type="multipart/form-data")


def ledger_holds(sessions: sessionmaker[Session], cooperative_id: int) -> None:
    """items.stock = the last count's stock + every later move of the item, and never below zero."""
    with sessions() as session:
        for row in session.scalars(select(CatalogueItem).where(CatalogueItem.cooperative_id == cooperative_id)):
            moves = session.scalars(select(StockMove).where(StockMove.cooperative_id == cooperative_id,
                                                            StockMove.item_id == row.item_id)
                                    .order_by(StockMove.id)).all()
            counts = [m for m in moves if m.kind == "count"]
            assert counts, f"{row.item_id} has no count"
            last = counts[-1]
            assert row.count_move_id == last.id
            assert row.last_move_id == moves[-1].id  # what a download says its stock is as of
            later = sum(m.delta for m in moves if m.id > last.id)
            assert row.stock == last.available + later >= 0, (row.item_id, row.stock, last.available, later)
            assert row.data["stock"] == row.stock


@pytest.fixture
def receiver() -> Any:
    with running_receiver() as server:
        yield server


@pytest.fixture
def one_piece(sessions: sessionmaker[Session]) -> int:
    return make_seller(sessions, catalogue=ONE_PIECE, profile=ALWAYS_OPEN)


def test_a_reupload_never_brings_back_a_piece_that_was_sold(
    client: FlaskClient, worker: Any, network: Network, one_piece: int, receiver: Receiver,
    sessions: sessionmaker[Session]
) -> None:
    buyer = Buyer(client, network, receiver)
    confirmed = buyer.place("T16-2", 1, "WEDDING-1")
    assert "error" not in confirmed
    assert stock(sessions, one_piece, "T16-2") == 0
    # The same sheet again, one description word changed: a new version, and the piece stays sold.
    edited = ONE_PIECE.replace(b"Large embroidered rumal", b"Large hand-embroidered rumal", 1)
    response = upload(client, edited)
    assert response.status_code == 201, response.json
    line = next(s for s in response.json["plan"]["stock_changes"] if s["id"] == "T16-2") \
        if response.json["plan"]["stock_changes"] else None
    assert line is None or line["new"] == 0
    assert [e["id"] for e in response.json["plan"]["edited"]] == ["T16-2"]
    assert stock(sessions, one_piece, "T16-2") == 0
    # A second buyer cannot order it.
    other = Buyer(client, network, receiver)
    selected = other.send("select", {"order": other.order("T16-2", 1)})
    assert selected is not None
    assert selected["error"]["code"] == "40002"
    # The original sheet once more, and a dry run of it: still sold.
    assert upload(client, ONE_PIECE).status_code in (200, 201)
    assert stock(sessions, one_piece, "T16-2") == 0
    dry = upload(client, ONE_PIECE, dry_run="1")
    assert dry.status_code == 200
    assert dry.json["dry_run"] is True
    ledger_holds(sessions, one_piece)


def test_a_new_stock_figure_after_sales_is_a_conflict_and_counted_now_takes_it_as_it_is(
    client: FlaskClient, worker: Any, network: Network, one_piece: int, receiver: Receiver,
    sessions: sessionmaker[Session]
) -> None:
    Buyer(client, network, receiver).place("T16-1", 2, "SMALL-1")
    assert stock(sessions, one_piece, "T16-1") == 2  # 4 counted, 2 sold
    recount = ONE_PIECE.replace(b"1200,1500,4,", b"1200,1500,6,", 1)
    plan = upload(client, recount, dry_run="1").json["plan"]
    line = next(s for s in plan["stock_changes"] if s["id"] == "T16-1")
    assert (line["now"], line["sheet"], line["sold_since"], line["new"], line["conflict"]) == (2, 6, 2, 4, True)
    assert stock(sessions, one_piece, "T16-1") == 2  # a dry run changes nothing
    assert upload(client, recount).status_code == 201
    assert stock(sessions, one_piece, "T16-1") == 4  # the safe reading: 6 as of the last count, 2 sold since
    again = ONE_PIECE.replace(b"1200,1500,4,", b"1200,1500,9,", 1)
    assert upload(client, again, counted_now="1").status_code == 201
    assert stock(sessions, one_piece, "T16-1") == 9
    ledger_holds(sessions, one_piece)


def test_a_one_of_a_kind_piece_held_by_a_buyer_stays_off_sale_whatever_the_sheet_says(
    client: FlaskClient, worker: Any, network: Network, receiver: Receiver, sessions: sessionmaker[Session]
) -> None:
    header, *rows = ONE_PIECE.decode().splitlines()
    sheet = "\n".join([header + ",one_of_a_kind", *(r + (",yes" if r.startswith("T16-2") else ",no") for r in rows)])
    seller = make_seller(sessions, catalogue=sheet.encode(), profile=ALWAYS_OPEN)
    Buyer(client, network, receiver).place("T16-2", 1, "UNIQUE-1")
    response = upload(client, sheet.replace("Large embroidered", "Large embroidered wedding").encode(),
                      counted_now="1")
    assert response.status_code == 201, response.json
    line = next(s for s in response.json["plan"]["stock_changes"] if s["id"] == "T16-2")
    assert line["one_of_a_kind_held"] is True
    assert line["new"] == 0
    assert stock(sessions, seller, "T16-2") == 0
    too_many = upload(client, sheet.replace(",3200.50,3500,1,", ",3200.50,3500,2,").encode())
    assert too_many.status_code == 422
    assert any(e["column"] == "stock" and "one-of-a-kind" in e["message"]
               for e in too_many.json["error"]["report"]["errors"])


def test_a_two_row_file_and_the_unchanged_template_stop_at_the_preview_and_undo_restores(
    client: FlaskClient, worker: Any, network: Network, one_piece: int, receiver: Receiver,
    sessions: sessionmaker[Session]
) -> None:
    Buyer(client, network, receiver).place("T16-1", 1, "BEFORE-UNDO")
    header, first, *_ = RET16_CSV.decode().splitlines()
    short = upload(client, f"{header}\n{first}\n".encode())
    assert short.status_code == 409, short.json
    error = short.json["error"]
    assert error["code"] == "confirmation_needed"
    assert error["plan"]["needs_confirmation"] == ["removes_many"]
    assert sorted(r["id"] for r in error["plan"]["removed"]) == ["T16-2", "T16-3"]
    assert "remove 2 of the 3 items" in error["message"]
    template = client.get("/api/v1/catalogue/template?category=Home Decor", headers=ADMIN).data
    template = template.replace(b"chamba-workshop", b"main")  # the test profile's location (the demo's is that)
    refused = upload(client, template, "home-decor-template.csv")
    assert refused.status_code == 409
    assert "template" in refused.json["error"]["plan"]["needs_confirmation"]
    with sessions() as session:  # nothing changed
        assert len(store.current_items(session, one_piece)) == 3
        assert session.scalar(select(CatalogueVersion.number).order_by(CatalogueVersion.number.desc())) == 1
    # Confirming the kept file applies it; a wrong body is a 422 and changes nothing.
    url = error["confirm_url"]
    assert client.post(url, json={"confirm": "yes"}, headers=ADMIN).status_code == 422
    applied = client.post(url, json={"confirm": True}, headers=ADMIN)
    assert applied.status_code == 202, applied.json
    location = applied.headers["Location"]
    assert wait_until(lambda: client.get(location, headers=ADMIN).json["upload"]["status"] == "done", timeout=60)
    with sessions() as session:
        assert [r.item_id for r in store.current_items(session, one_piece)] == ["T16-1"]
    assert client.post(url, json={"confirm": True}, headers=ADMIN).status_code == 409  # not waiting any more
    # Undo: the three items are back, and the sale made before is still taken off.
    undone = client.post(f"{CATALOGUE}/undo", headers=ADMIN)
    assert undone.status_code == 201, undone.json
    with sessions() as session:
        assert [r.item_id for r in store.current_items(session, one_piece)] == ["T16-1", "T16-2", "T16-3"]
    assert stock(sessions, one_piece, "T16-1") == 3
    assert stock(sessions, one_piece, "T16-2") == 1
    ledger_holds(sessions, one_piece)


def test_the_downloaded_catalogue_uploads_back_unchanged_and_keeps_sales_made_after_the_download(
    client: FlaskClient, worker: Any, network: Network, one_piece: int, receiver: Receiver,
    sessions: sessionmaker[Session]
) -> None:
    for fmt in ("csv", "xlsx"):
        response = client.get(f"{CATALOGUE}/download?format={fmt}", headers=ADMIN)
        assert response.status_code == 200
        assert upload(client, response.data, f"back.{fmt}").json["created"] is False
    downloaded = client.get(f"{CATALOGUE}/download?format=csv", headers=ADMIN).data
    assert b"stock_as_of" in downloaded.splitlines()[0]
    Buyer(client, network, receiver).place("T16-1", 1, "AFTER-DOWNLOAD")
    # The file from before the sale, with a price edited: the sale made after the download is kept.
    edited = downloaded.replace(b",1200,1500,4,", b",1250,1500,4,", 1)
    response = upload(client, edited, "back.csv")
    assert response.status_code == 201, response.json
    assert response.json["plan"]["price_changes"][0] == {"id": "T16-1", "name": "Test Rumal Small", "field": "price",
                                                         "old": "1200", "new": "1250"}
    assert stock(sessions, one_piece, "T16-1") == 3
    ledger = client.get(f"{CATALOGUE}/items/T16-1/stock", headers=ADMIN).json
    assert ledger["stock"] == 3
    assert [m["kind"] for m in ledger["moves"]][-2:] == ["order", "count"]
    assert client.get(f"{CATALOGUE}/download?format=pdf", headers=ADMIN).status_code == 422
    assert client.get(f"{CATALOGUE}/items/T16-1/stock?limit=-1", headers=ADMIN).status_code == 422
    ledger_holds(sessions, one_piece)


def test_an_evening_select_is_answered_when_only_dispatch_keeps_office_hours(
    sessions: sessionmaker[Session], settings: Any, network: Network
) -> None:
    hours = {"opening": {"days": "1-6", "open": "10:00", "close": "18:00", "holidays": []}}
    make_seller(sessions, profile=hours)
    evening = dt.datetime(2030, 1, 7, 21, 30, tzinfo=IST)  # a Monday, 21:30 IST
    body = {"context": {"domain": "ONDC:RET16", "country": "IND", "city": "std:0177", "action": "select",
                        "core_version": "1.2.5", "bap_id": "buyer.example", "bap_uri": "https://buyer.example/ondc",
                        "bpp_id": settings.subscriber_id, "bpp_uri": "https://seller.example/ondc",
                        "transaction_id": "evening-1", "message_id": "evening-m1",
                        "timestamp": "2030-01-07T16:00:00.000Z", "ttl": "PT30S"},
            "message": {"order": Buyer.order(None, "T16-1", 1)}}  # type: ignore[arg-type]
    with sessions() as session:
        row = InboundMessage(bap_id="buyer.example", action="select", message_id="evening-m1",
                             transaction_id="evening-1", body=orjson.dumps(body), headers={}, status="processing")
        session.add(row)
        session.flush()
        request = NetworkRequest.parse(row.id, "select", row.body)
        result = order_flows.handle_select(session, request, order_policy(settings), evening.astimezone(dt.UTC))
        reply = orjson.loads(result.outbox[0].body)
    assert "error" not in reply, reply.get("error")
    assert reply["message"]["order"]["items"][0]["id"] == "T16-1"

"""Artisan payouts through the database, the API and the console: the artisan each order line names, returns and
part-cancellations, the cooperative's share from its profile, the period's edges, the files, tenants kept apart,
Hindi, and periods that cannot be read."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

from adapter.orders import changes
from adapter.orders import store as order_store
from adapter.protocol.context import format_timestamp
from adapter.store.db import transaction
from adapter.store.models import Order, utcnow
from tests.conftest import ADMIN_KEY
from tests.console.support import csrf_of, ensure_console, make_coop_with_key, sign_in

ADMIN = {"Authorization": f"Bearer {ADMIN_KEY}"}
D = Decimal
UTC = dt.UTC
MARCH_10 = dt.datetime(2030, 3, 10, 6, 0, tzinfo=UTC)
UNITS = {"T16-1": "1200.00", "T16-2": "3200.50"}  # T16-1 names the artisan "Test Artisan", T16-2 nobody
TERMS = {"type": "ON-ORDER", "collected_by": "BAP", "status": "PAID",
         "@ondc/org/buyer_app_finder_fee_type": "percent", "@ondc/org/buyer_app_finder_fee_amount": "3",
         "@ondc/org/withholding_amount": "10.00", "@ondc/org/settlement_basis": "delivery",
         "@ondc/org/settlement_window": "P1D"}
FIGURES = ("gross_sales", "returns_and_cancellations", "net_sales", "finder_fee", "gst_on_fee", "tcs", "tds",
           "earned", "cooperative_share", "owed_to_artisan", "received_so_far", "still_expected")


def key(plain: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {plain}"}


def sell(sessions: sessionmaker[Session], cooperative_id: int, order_id: str, counts: dict[str, int], *,
         at: dt.datetime = MARCH_10, kept: dict[str, str] | None = None, paid: str | None = None,
         state: str = "Accepted") -> int:
    """An ONDC order as confirm stores it: these items at the catalogue's prices and ₹50 delivery; ``kept``: the
    artisan the order's lines kept when it was placed (orders from before that keep none)."""
    breakup: list[dict[str, Any]] = [
        {"@ondc/org/item_id": item_id, "@ondc/org/item_quantity": {"count": count}, "@ondc/org/title_type": "item",
         "title": item_id, "item": {"price": {"currency": "INR", "value": UNITS[item_id]}},
         "price": {"currency": "INR", "value": f"{D(UNITS[item_id]) * count:.2f}"}}
        for item_id, count in counts.items()]
    breakup.append({"@ondc/org/item_id": "F1", "@ondc/org/title_type": "delivery", "title": "Delivery charges",
                    "price": {"currency": "INR", "value": "50.00"}})
    total = sum((D(line["price"]["value"]) for line in breakup), D(0))
    lines = [{"item_id": item_id, "quantity": count, "location_id": "main"}
             | ({"artisan": kept[item_id]} if kept is not None and item_id in kept else {})
             for item_id, count in counts.items()]
    details = [{"settlement_counterparty": "seller-app", "settlement_phase": "sale-amount", "settlement_amount": paid,
                "settlement_status": "PAID", "settlement_reference": f"UTR-{order_id}"}] if paid else []
    with transaction(sessions) as session:
        order = Order(cooperative_id=cooperative_id, order_id=order_id, bap_id="buyer.odop.test",
                      bap_uri="http://127.0.0.1:9/buyer", transaction_id=f"t-{order_id}", domain="ONDC:RET16",
                      city="std:0177", state=state, fulfilment_state="Pending", routing="P2H2P", lines=lines,
                      quote={"price": {"currency": "INR", "value": f"{total:.2f}"}, "ttl": "P1D", "breakup": breakup},
                      billing={"name": "Asha"}, payment={**TERMS, "@ondc/org/settlement_details": details},
                      fulfillments=[{"id": "F1", "type": "Delivery", "times": {}}], created_at=at, updated_at=at)
        session.add(order)
        session.flush()
        return order.id


def set_share(client: FlaskClient, slug: str, percent: str) -> None:
    profile = client.get(f"/api/v1/cooperatives/{slug}/profile", headers=ADMIN).get_json()["profile"]
    answer = client.put(f"/api/v1/cooperatives/{slug}/profile", headers=ADMIN,
                        json=profile | {"cooperative_share_percent": percent})
    assert answer.status_code == 200, answer.get_json()


@pytest.fixture
def web(app: Flask) -> FlaskClient:
    return ensure_console(app).test_client()


@pytest.fixture
def coops(sessions: sessionmaker[Session], client: FlaskClient) -> dict[str, tuple[int, str]]:
    found = {slug: make_coop_with_key(sessions, slug) for slug in ("test-coop", "other-coop")}
    coop_id = found["test-coop"][0]
    set_share(client, "test-coop", "10")
    sell(sessions, coop_id, "MIX-1", {"T16-1": 2, "T16-2": 1}, paid="1000.00")  # artisan from today's catalogue
    sell(sessions, coop_id, "KEPT-1", {"T16-1": 1}, kept={"T16-1": "Lalita Devi"})  # as it was when ordered
    sell(sessions, coop_id, "FEB-1", {"T16-1": 3}, at=dt.datetime(2030, 3, 1, 18, 29, 59, tzinfo=UTC) -
         dt.timedelta(days=1))  # 23:59:59 IST on 28 February
    sell(sessions, found["other-coop"][0], "OTHER-1", {"T16-1": 1}, kept={"T16-1": "Other Weaver"})
    return found


def rows_by_name(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row["artisan"] or row["row"]: row for row in body["rows"]}


def test_each_artisan_gets_their_row_and_the_report_adds_up_to_the_ledger(
        client: FlaskClient, coops: dict[str, tuple[int, str]]) -> None:
    answer = client.get("/api/v1/cooperatives/test-coop/payouts?month=2030-03", headers=key(coops["test-coop"][1]))
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert (body["from"], body["to"], body["orders"], body["cooperative_share_percent"]) == (
        "2030-03-01", "2030-03-31", 2, "10")
    rows = rows_by_name(body)
    assert list(rows) == ["Lalita Devi", "Test Artisan", "no_artisan", "order_charges"]
    assert [(line["order_id"], line["artisan_from"]) for line in rows["Lalita Devi"]["lines"]] == [("KEPT-1", "order")]
    assert [(line["order_id"], line["artisan_from"]) for line in rows["Test Artisan"]["lines"]] == [
        ("MIX-1", "catalogue")]
    artisan = rows["Test Artisan"]
    assert (artisan["items_sold"], artisan["gross_sales"], artisan["net_sales"]) == (2, "2400.00", "2400.00")
    # MIX-1: 3 % of 5650.50 is 169.52; the rumals' share is 2400/5650.50 of it.
    assert artisan["finder_fee"] == f"{D('169.52') * 2400 / D('5650.50'):.2f}"
    earned = D(artisan["earned"])
    assert artisan["cooperative_share"] == f"{(earned / 10).quantize(D('0.01'))}"
    assert D(artisan["owed_to_artisan"]) == earned - D(artisan["cooperative_share"])
    assert (rows["order_charges"]["owed_to_artisan"], rows["order_charges"]["net_sales"]) == ("0.00", "100.00")
    # The totals are the ledger's, for the same orders.
    ledger = client.get("/api/v1/cooperatives/test-coop/ledger", headers=ADMIN).get_json()["orders"]
    march = [o for o in ledger if o["order_id"] in ("MIX-1", "KEPT-1")]
    total = body["total"]
    for theirs, ours in (("value", "gross_sales"), ("net_value", "net_sales"), ("finder_fee", "finder_fee"),
                         ("gst_on_fee", "gst_on_fee"), ("tcs", "tcs"), ("tds", "tds"), ("received", "received_so_far")):
        assert D(total[ours]) == sum((D(o[theirs]) for o in march), D(0)), ours
    assert D(total["earned"]) == sum((D(o["expected"]) + D(o["withholding"]) for o in march), D(0))
    for figure in FIGURES:
        assert D(total[figure]) == sum((D(row[figure]) for row in body["rows"]), D(0)), figure


def test_a_return_and_a_part_cancellation_come_off_the_artisan_whose_line_it_was(
        client: FlaskClient, sessions: sessionmaker[Session], coops: dict[str, tuple[int, str]]) -> None:
    coop_id = coops["test-coop"][0]
    pk = sell(sessions, coop_id, "CUT-1", {"T16-1": 2, "T16-2": 2}, at=dt.datetime(2030, 4, 2, tzinfo=UTC))
    with transaction(sessions) as session:  # the cooperative cannot make one of the large rumals
        changes.part_cancel(session, session.get_one(Order, pk), "T16-2", 1, bpp_id="seller.test", actor="test",
                            now=utcnow())
    with transaction(sessions) as session:  # delivered; the buyer returns one small rumal and it is approved
        order = session.get_one(Order, pk)
        order.state, order.fulfilment_state = "Completed", "Order-delivered"
        order.fulfillments = [{"id": "F1", "type": "Delivery", "times": {"end": format_timestamp(utcnow())}}]
        said = [{"code": "id", "value": "R1"}, {"code": "item_id", "value": "T16-1"},
                {"code": "item_quantity", "value": "1"}, {"code": "reason_id", "value": "003"}]
        changes.request_return(session, order, {"type": "Return", "tags": [{"code": "return_request", "list": said}]},
                               order_store.items_by_id(session, coop_id, ["T16-1"]), bap_id="buyer.odop.test",
                               now=utcnow())
        changes.move_return(session, order, "R1", "approve_return", actor="test", now=utcnow())
    body = client.get("/api/v1/cooperatives/test-coop/payouts?from=2030-04-01&to=2030-04-30", headers=ADMIN).get_json()
    rows = rows_by_name(body)
    artisan, nobody = rows["Test Artisan"], rows["no_artisan"]
    assert (artisan["gross_sales"], artisan["returns_and_cancellations"], artisan["net_sales"]) == (
        "2400.00", "1200.00", "1200.00")
    assert (artisan["lines"][0]["quantity_ordered"], artisan["lines"][0]["quantity_kept"]) == (2, 1)
    assert (nobody["gross_sales"], nobody["returns_and_cancellations"], nobody["net_sales"]) == (
        "6401.00", "3200.50", "3200.50")
    ledger = client.get(f"/api/v1/orders/{pk}/ledger", headers=ADMIN).get_json()
    assert body["total"]["returns_and_cancellations"] == f"{D('4400.50'):.2f}"
    assert sum((D(r["amount"]) for r in ledger["refunds"]), D(0)) == D("4400.50")
    assert D(body["total"]["earned"]) == D(ledger["expected"]) + D(ledger["withholding"])


def test_orders_count_in_the_month_they_were_placed_in_india(
        client: FlaskClient, sessions: sessionmaker[Session], coops: dict[str, tuple[int, str]]) -> None:
    coop_id = coops["test-coop"][0]
    sell(sessions, coop_id, "LAST-MINUTE", {"T16-1": 1}, at=dt.datetime(2030, 4, 30, 18, 29, 59, 999000, tzinfo=UTC))
    sell(sessions, coop_id, "MIDNIGHT", {"T16-1": 1}, at=dt.datetime(2030, 4, 30, 18, 30, tzinfo=UTC))

    def orders(query: str) -> list[str]:
        body = client.get(f"/api/v1/cooperatives/test-coop/payouts?{query}", headers=ADMIN).get_json()
        return sorted({line["order_id"] for row in body["rows"] for line in row["lines"]})

    assert orders("month=2030-04") == ["LAST-MINUTE"]
    assert orders("month=2030-05") == ["MIDNIGHT"]
    assert orders("from=2030-04-30&to=2030-05-01") == ["LAST-MINUTE", "MIDNIGHT"]
    assert orders("month=2030-02") == ["FEB-1"]  # 23:59:59 IST on the last day of February


@pytest.mark.parametrize(("query", "field"), [
    ("month=2030-13", "month"), ("month=" + "9" * 500, "month"), ("from=2030-02-30&to=2030-03-01", "from"),
    ("from=2030-03-01", "from"), ("month=2030-03&to=2030-03-02", "month"), ("from=2030-03-31&to=2030-03-01", "from"),
    ("from=2030-01-01&to=2031-06-01", "to"), ("month=%00", "month"), ("from=1999-01-01&to=1999-01-02", "from")])
def test_a_period_that_cannot_be_read_is_a_422_naming_it(client: FlaskClient, coops: dict[str, tuple[int, str]],
                                                          query: str, field: str) -> None:
    answer = client.get(f"/api/v1/cooperatives/test-coop/payouts?{query}", headers=ADMIN)
    assert answer.status_code == 422
    error = answer.get_json()["error"]
    assert error["code"] == "invalid_request"
    assert field in error["details"], error
    assert len(error["message"]) < 200


def test_a_cooperative_never_sees_anothers_payouts(client: FlaskClient, web: FlaskClient,
                                                    coops: dict[str, tuple[int, str]]) -> None:
    other = key(coops["other-coop"][1])
    assert client.get("/api/v1/cooperatives/test-coop/payouts?month=2030-03", headers=other).status_code == 404
    own = client.get("/api/v1/cooperatives/other-coop/payouts?month=2030-03", headers=other).get_json()
    assert list(rows_by_name(own)) == ["Other Weaver", "order_charges"]
    sign_in(web, coops["other-coop"][1])
    for path in ("/console/money/artisans", "/console/money/artisans.csv", "/console/money/artisans/lines.csv"):
        assert web.get(f"{path}?cooperative=test-coop&month=2030-03").status_code == 404, path
    page = web.get("/console/money/artisans?month=2030-03").get_data(as_text=True)
    assert "Other Weaver" in page
    assert "Lalita Devi" not in page
    lines = web.get("/console/money/artisans/lines.csv?month=2030-03").get_data(as_text=True)
    assert "OTHER-1" in lines
    assert "MIX-1" not in lines


def test_the_page_shows_each_artisan_and_links_the_accountants_files(web: FlaskClient,
                                                                      coops: dict[str, tuple[int, str]]) -> None:
    sign_in(web, coops["test-coop"][1])
    money = web.get("/console/money").get_data(as_text=True)
    assert 'href="/console/money/artisans"' in money
    answer = web.get("/console/money/artisans?month=2030-03", headers={"Accept-Language": "en"})
    assert answer.status_code == 200
    page = answer.get_data(as_text=True)
    assert "March 2030" in page
    for row in ('data-row="artisan:lalita devi"', 'data-row="artisan:test artisan"', 'data-row="no_artisan"',
                'data-row="order_charges"', 'data-row="total"'):
        assert row in page, row
    assert page.index("Lalita Devi") < page.index("Test Artisan") < page.index("No artisan named")
    assert 'id="payouts-orders">2<' in page
    assert "₹2,400" in page  # the rumals' sales, in rupees with Indian grouping
    assert "keeps 10%" in page
    assert 'href="/console/money/artisans.csv?month=2030-03"' in page
    assert 'href="/console/money/artisan' in page

    summary = web.get("/console/money/artisans.csv?month=2030-03")
    assert summary.mimetype == "text/csv"
    assert "artisan-payouts-test-coop-2030-03-01-2030-03-31.csv" in summary.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(summary.get_data(as_text=True))))
    assert [(r["row"], r["artisan"], r["orders"]) for r in rows] == [
        ("artisan", "Lalita Devi", "1"), ("artisan", "Test Artisan", "1"), ("no_artisan", "", "1"),
        ("order_charges", "", "2")]
    lines = list(csv.DictReader(io.StringIO(web.get("/console/money/artisans/lines.csv?month=2030-03")
                                            .get_data(as_text=True))))
    assert sorted((r["order_id"], r["item_id"], r["artisan_from"]) for r in lines) == [
        ("KEPT-1", "", ""), ("KEPT-1", "T16-1", "order"), ("MIX-1", "", ""), ("MIX-1", "T16-1", "catalogue"),
        ("MIX-1", "T16-2", "")]
    one = list(csv.DictReader(io.StringIO(web.get(
        "/console/money/artisans/lines.csv?month=2030-03&row=artisan:test+artisan").get_data(as_text=True))))
    assert [(r["order_id"], r["item_id"], r["quantity_kept"]) for r in one] == [("MIX-1", "T16-1", "2")]
    days = web.get("/console/money/artisans?from=2030-03-05&to=2030-03-12").get_data(as_text=True)
    assert 'href="/console/money/artisans.csv?from=2030-03-05&amp;to=2030-03-12"' in days
    assert "5 Mar 2030" in days


def test_the_operator_chooses_a_cooperative(web: FlaskClient, coops: dict[str, tuple[int, str]]) -> None:
    sign_in(web, ADMIN_KEY)
    choose = web.get("/console/money/artisans").get_data(as_text=True)
    assert 'value="test-coop"' in choose
    assert "payouts-rows" not in choose
    page = web.get("/console/money/artisans?cooperative=test-coop&month=2030-03").get_data(as_text=True)
    assert 'data-row="artisan:lalita devi"' in page
    assert "Other Weaver" not in page
    assert 'href="/console/money/artisans.csv?cooperative=test-coop&amp;month=2030-03"' in page
    assert web.get("/console/money/artisans.csv?month=2030-03").status_code == 404  # whose?


@pytest.mark.parametrize(("query", "english"), [
    ("month=2030-13", "is not a month"), ("month=" + "<b>x</b>" * 100, "is not a month"),
    ("from=2030-02-30&to=2030-03-01", "is not a date"), ("from=2030-03-01", "Choose both"),
    ("month=2030-03&from=2030-03-01&to=2030-03-02", "not both"), ("from=2030-03-31&to=2030-03-01", "is before"),
    ("from=2030-01-01&to=2031-06-01", "at most 366 days"), ("from=1999-01-01&to=1999-01-02", "2000 and 2099")])
def test_a_period_that_cannot_be_read_is_said_so_and_nothing_is_shown(
        web: FlaskClient, coops: dict[str, tuple[int, str]], query: str, english: str) -> None:
    sign_in(web, coops["test-coop"][1])
    answer = web.get(f"/console/money/artisans?{query}", headers={"Accept-Language": "en"})
    assert answer.status_code == 400
    page = answer.get_data(as_text=True)
    error = page.split('id="period-error">', 1)[1].split("</p>", 1)[0]
    assert english in error
    assert "<b>" not in page  # what was typed is shown as text, and not at any length
    assert "payouts-rows" not in page
    for path in ("/console/money/artisans.csv", "/console/money/artisans/lines.csv"):
        refused = web.get(f"{path}?{query}", headers={"Accept-Language": "en"})
        assert refused.status_code == 400
        assert refused.mimetype == "text/html"
        assert english in refused.get_data(as_text=True)


def test_the_payouts_page_in_hindi(web: FlaskClient, coops: dict[str, tuple[int, str]]) -> None:
    sign_in(web, coops["test-coop"][1])
    web.post("/console/language", data={"lang": "hi", "csrf_token": csrf_of(web)})
    page = web.get("/console/money/artisans?month=2030-03").get_data(as_text=True)
    assert 'lang="hi"' in page
    for english in ("Artisan payouts", "Owed to the artisan", "No artisan named", "Delivery and other order charges",
                    "Still expected", "Download every order line (CSV)", "How this is worked out", "March"):
        assert english not in page, english
    assert "Lalita Devi" in page  # names are data
    assert "₹2,400" in page
    refused = web.get("/console/money/artisans?month=2030-13")
    assert refused.status_code == 400
    error = refused.get_data(as_text=True).split('id="period-error">', 1)[1].split("</p>", 1)[0]
    assert "2030-13" in error
    assert "is not a month" not in error
    assert any("\u0900" <= char <= "\u097f" for char in error)  # in Devanagari


def test_the_share_is_a_profile_setting_from_0_to_100(client: FlaskClient, coops: dict[str, tuple[int, str]]) -> None:
    profile = client.get("/api/v1/cooperatives/test-coop/profile", headers=ADMIN).get_json()["profile"]
    assert profile["cooperative_share_percent"] == "10"
    for bad in ("101", "-5", "ten", "12.345", None):
        answer = client.put("/api/v1/cooperatives/test-coop/profile", headers=ADMIN,
                            json=profile | {"cooperative_share_percent": bad})
        assert answer.status_code == 422, bad
        assert [d["field"] for d in answer.get_json()["error"]["details"]] == ["cooperative_share_percent"], bad
    assert client.get("/api/v1/cooperatives/test-coop/profile", headers=ADMIN).get_json()["profile"][
        "cooperative_share_percent"] == "10"  # refused changes change nothing
    set_share(client, "test-coop", "0")
    body = client.get("/api/v1/cooperatives/test-coop/payouts?month=2030-03", headers=ADMIN).get_json()
    assert all(row["owed_to_artisan"] == row["earned"] for row in body["rows"] if row["row"] != "order_charges")

"""The ledger through the API and the console: figures, CSV, tenants kept apart, Hindi."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

from adapter.protocol.context import format_timestamp
from adapter.store.db import transaction
from adapter.store.models import Order, utcnow
from tests.console.support import ensure_console, make_coop_with_key, make_order, sign_in

ADMIN = {"Authorization": "Bearer test-admin-key-0123456789abcdef"}
TERMS = {"type": "ON-ORDER", "collected_by": "BAP", "status": "PAID",
         "@ondc/org/buyer_app_finder_fee_type": "percent", "@ondc/org/buyer_app_finder_fee_amount": "3",
         "@ondc/org/withholding_amount": "10.00", "@ondc/org/settlement_basis": "delivery",
         "@ondc/org/settlement_window": "P1D"}


def key(plain: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {plain}"}


def deliver(sessions: sessionmaker[Session], order_pk: int, *, days_ago: int, paid: str | None = None) -> None:
    """The order was delivered ``days_ago`` days ago, on these terms; ``paid``: the buyer app paid that much."""
    with transaction(sessions) as session:
        order = session.get_one(Order, order_pk)
        delivered = format_timestamp(utcnow() - dt.timedelta(days=days_ago))
        order.state, order.fulfilment_state = "Completed", "Order-delivered"
        order.fulfillments = [{**order.fulfillments[0], "times": {"start": delivered, "end": delivered}}]
        details = [{"settlement_counterparty": "seller-app", "settlement_phase": "sale-amount",
                    "settlement_amount": paid, "settlement_status": "PAID", "settlement_reference": "UTR-1",
                    "settlement_timestamp": delivered}] if paid else []
        order.payment = {**TERMS, "@ondc/org/settlement_details": details}


@pytest.fixture
def web(app: Flask) -> FlaskClient:
    return ensure_console(app).test_client()


@pytest.fixture
def coops(sessions: sessionmaker[Session]) -> dict[str, tuple[int, str]]:
    found = {slug: make_coop_with_key(sessions, slug) for slug in ("test-coop", "other-coop")}
    late = make_order(sessions, found["test-coop"][0], "LATE-1", state="Completed")
    deliver(sessions, late, days_ago=5)
    paid = make_order(sessions, found["test-coop"][0], "PAID-1", state="Completed")
    deliver(sessions, paid, days_ago=5, paid="1137.60")
    theirs = make_order(sessions, found["other-coop"][0], "OTHER-1", state="Completed")
    deliver(sessions, theirs, days_ago=5, paid="1.00")
    return found


def test_the_api_gives_every_figure_and_mismatches_first(client: FlaskClient,
                                                          coops: dict[str, tuple[int, str]]) -> None:
    answer = client.get("/api/v1/cooperatives/test-coop/ledger", headers=key(coops["test-coop"][1]))
    assert answer.status_code == 200, answer.json
    body = answer.json
    assert [o["order_id"] for o in body["orders"]] == ["LATE-1", "PAID-1"]  # overdue before paid
    late = body["orders"][0]
    # 1200 at 3 %: fee 36.00, its GST 6.48, withholding 10.00, TCS 0.5 % 6.00, TDS 0.1 % 1.20.
    assert {k: late[k] for k in ("value", "finder_fee", "gst_on_fee", "withholding", "tcs", "tds", "expected")} == {
        "value": "1200.00", "finder_fee": "36.00", "gst_on_fee": "6.48", "withholding": "10.00", "tcs": "6.00",
        "tds": "1.20", "expected": "1140.32"}
    assert (late["state"], late["received"], late["difference"]) == ("overdue", "0.00", "-1140.32")
    paid = body["orders"][1]
    assert (paid["state"], paid["received"], paid["difference"]) == ("paid_short", "1137.60", "-2.72")
    assert body["totals"]["orders"] == 2
    assert body["totals"]["mismatches"] == 2
    assert body["totals"]["expected"] == "2280.64"
    assert [m["month"] for m in body["months"]] == [utcnow().astimezone(
        dt.timezone(dt.timedelta(hours=5, minutes=30))).strftime("%Y-%m")]
    one = client.get(f"/api/v1/orders/{late['order_pk']}/ledger", headers=ADMIN)
    assert one.status_code == 200
    assert one.json == late
    only = client.get("/api/v1/cooperatives/test-coop/ledger?state=paid_short", headers=ADMIN).json
    assert [o["order_id"] for o in only["orders"]] == ["PAID-1"]
    bad = client.get("/api/v1/cooperatives/test-coop/ledger?state=rich", headers=ADMIN)
    assert bad.status_code == 422
    assert "state" in bad.json["error"]["details"]


def test_the_csv_is_the_accountants_file(client: FlaskClient, coops: dict[str, tuple[int, str]]) -> None:
    answer = client.get("/api/v1/cooperatives/test-coop/ledger.csv", headers=key(coops["test-coop"][1]))
    assert answer.status_code == 200
    assert answer.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(answer.get_data(as_text=True))))
    assert [(r["order_id"], r["expected"], r["received"], r["state"]) for r in rows] == [
        ("LATE-1", "1140.32", "0.00", "overdue"), ("PAID-1", "1140.32", "1137.60", "paid_short")]
    assert {r["cooperative"] for r in rows} == {"test-coop"}


def test_a_cooperative_never_sees_anothers_money(client: FlaskClient, web: FlaskClient,
                                                  coops: dict[str, tuple[int, str]],
                                                  sessions: sessionmaker[Session]) -> None:
    other = key(coops["other-coop"][1])
    assert client.get("/api/v1/cooperatives/test-coop/ledger", headers=other).status_code == 404
    assert client.get("/api/v1/cooperatives/test-coop/ledger.csv", headers=other).status_code == 404
    with sessions() as session:
        late_pk = session.query(Order.id).filter(Order.order_id == "LATE-1").scalar()
    assert client.get(f"/api/v1/orders/{late_pk}/ledger", headers=other).status_code == 404
    own = client.get("/api/v1/cooperatives/other-coop/ledger", headers=other).json
    assert [o["order_id"] for o in own["orders"]] == ["OTHER-1"]
    sign_in(web, coops["other-coop"][1])
    page = web.get("/console/money").get_data(as_text=True)
    assert "OTHER-1" in page
    assert "LATE-1" not in page
    assert "PAID-1" not in page
    assert web.get("/console/money?cooperative=test-coop").status_code == 404
    assert web.get("/console/money.csv?cooperative=test-coop").status_code == 404
    assert "LATE-1" not in web.get("/console/money.csv").get_data(as_text=True)


def test_the_money_page_puts_what_needs_a_look_first(web: FlaskClient, coops: dict[str, tuple[int, str]]) -> None:
    sign_in(web, coops["test-coop"][1])
    answer = web.get("/console/money")
    assert answer.status_code == 200
    page = answer.get_data(as_text=True)
    assert page.index('data-order="LATE-1"') < page.index('data-order="PAID-1"')
    assert "Overdue" in page
    assert "Paid short" in page
    assert "₹1,140.32" in page  # what each order should bring, in rupees with Indian grouping
    assert 'id="mismatch-count">2<' in page
    assert "OTHER-1" not in page


def test_the_operator_sees_every_cooperative_and_can_choose_one(web: FlaskClient,
                                                                 coops: dict[str, tuple[int, str]]) -> None:
    sign_in(web, "test-admin-key-0123456789abcdef")
    page = web.get("/console/money").get_data(as_text=True)
    assert all(f'data-order="{order_id}"' in page for order_id in ("LATE-1", "PAID-1", "OTHER-1"))
    one = web.get("/console/money?cooperative=other-coop").get_data(as_text=True)
    assert 'data-order="OTHER-1"' in one
    assert 'data-order="LATE-1"' not in one


def test_the_order_page_has_a_money_block(web: FlaskClient, coops: dict[str, tuple[int, str]],
                                          sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        late_pk = session.query(Order.id).filter(Order.order_id == "LATE-1").scalar()
    sign_in(web, coops["test-coop"][1])
    page = web.get(f"/console/orders/{late_pk}").get_data(as_text=True)
    block = page[page.index('id="money"'):]
    assert 'data-state="overdue"' in page[page.index('id="money"') - 200:page.index('id="money"') + 100]
    assert "₹1,140.32" in block


def test_the_money_page_in_hindi(web: FlaskClient, coops: dict[str, tuple[int, str]]) -> None:
    sign_in(web, coops["test-coop"][1])
    web.post("/console/language", data={"lang": "hi", "next": "/console/money",
                                        "csrf_token": _token(web)})
    page = web.get("/console/money").get_data(as_text=True)
    assert 'lang="hi"' in page
    for english in ("Overdue", "Paid short", "To receive", "Download for the accountant (CSV)", "Month by month"):
        assert english not in page, english
    assert "₹1,140.32" in page


def _token(web: FlaskClient) -> str:
    with web.session_transaction() as session:
        return str(session["csrf_token"])

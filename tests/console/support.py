"""Shared set-up for console tests: two cooperatives with keys, an order, a dead-lettered callback."""

from __future__ import annotations

import datetime as dt

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

from adapter.delivery import outbox
from adapter.store.cooperatives import issue_api_key
from adapter.store.db import transaction
from adapter.store.models import Cooperative, Order, utcnow
from tests.support.sellers import ALWAYS_OPEN, make_seller

QUOTE = {"price": {"currency": "INR", "value": "1200.00"}, "ttl": "P1D", "breakup": [
    {"@ondc/org/item_id": "T16-1", "@ondc/org/item_quantity": {"count": 1}, "@ondc/org/title_type": "item",
     "title": "Test Rumal Small", "price": {"currency": "INR", "value": "1200.00"},
     "item": {"price": {"currency": "INR", "value": "1200.00"}}}]}
BAD_CSV = b"id,name,category_id,price,mrp,stock,images\nB-1,Bad,Home Decor,abc,100,-2,not-a-url\n"


def ensure_console(app: Flask) -> Flask:
    """Register the console unless create_app already does."""
    if "console" not in app.blueprints:
        from adapter.web import console

        console.init_app(app)
    return app


def make_coop_with_key(sessions: sessionmaker[Session], slug: str) -> tuple[int, str]:
    """A cooperative with the RET16 catalogue, and a plain API key for it."""
    cooperative_id = make_seller(sessions, slug, profile=ALWAYS_OPEN)
    with transaction(sessions) as session:
        cooperative = session.get(Cooperative, cooperative_id)
        assert cooperative is not None
        key = issue_api_key(session, cooperative, label="console").plain
    return cooperative_id, key


def make_order(sessions: sessionmaker[Session], cooperative_id: int, order_id: str = "WEB-1",
               state: str = "Created", fulfilment_state: str = "Pending") -> int:
    """An order as the order flows would have stored it after on_confirm."""
    now = utcnow()
    with transaction(sessions) as session:
        order = Order(cooperative_id=cooperative_id, order_id=order_id, bap_id="buyer.odop.test",
                      bap_uri="http://127.0.0.1:9/buyer", transaction_id=f"t-{order_id}", domain="ONDC:RET16",
                      city="std:0177", state=state, fulfilment_state=fulfilment_state, routing="P2H2P",
                      lines=[{"item_id": "T16-1", "quantity": 1, "location_id": "main"}], quote=QUOTE,
                      billing={"name": "Asha"}, payment={},
                      # As buyer apps send it: address.name is the house, person.name the buyer.
                      fulfillments=[{"id": "F1", "type": "Delivery", "tat": "P5D", "category": "Standard Delivery",
                                     "end": {"location": {"gps": "31.1,77.1", "address": {
                                         "name": "12", "street": "Mall Road", "city": "Shimla",
                                         "state": "Himachal Pradesh", "area_code": "171001"}},
                                             "contact": {"phone": "9800000000"}, "person": {"name": "Asha Devi"}},
                                     "times": {}}],
                      created_at=now, updated_at=now)
        session.add(order)
        session.flush()
        return order.id


def make_dead_letter(sessions: sessionmaker[Session], cooperative_id: int | None = None) -> int:
    """A callback that ran out of attempts."""
    now = utcnow()
    with transaction(sessions) as session:
        row = outbox.enqueue(session, action="on_status", target_url="http://127.0.0.1:9/buyer/on_status",
                             body=b'{"x":1}', transaction_id="t-dead", message_id="m-dead",
                             bap_id="buyer.odop.test", cooperative_id=cooperative_id, solicited=False,
                             deadline_at=now + dt.timedelta(minutes=5), now=now)
        row.status, row.attempts, row.last_error = "dead", 5, "connection refused"
        return row.id


def csrf_of(client: FlaskClient) -> str:
    """The session's CSRF token (the test client shares the cookie jar)."""
    with client.session_transaction() as session:
        token = session.get("csrf_token")
    if not token:
        client.get("/console/login")
        with client.session_transaction() as session:
            token = session["csrf_token"]
    return str(token)


def sign_in(client: FlaskClient, key: str) -> None:
    """Sign in through the form."""
    response = client.post("/console/login", data={"api_key": key, "csrf_token": csrf_of(client)})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]

"""Courier bookings that went nowhere (adapter.orders.courier_booking.stalled, run by the worker's sweep): refused
or never answered, failed in the order's history and as an alert, once; those still under way are left alone."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from adapter.alerts import store as alert_store
from adapter.delivery import outbox
from adapter.orders import courier_booking
from adapter.store.db import transaction
from adapter.store.models import AlertMessage, OrderEvent, Shipment, utcnow
from tests.console.support import make_order
from tests.support.sellers import make_seller


def _shipment(sessions: sessionmaker[Session], coop_id: int, order_pk: int, state: str, age: dt.timedelta) -> int:
    with transaction(sessions) as session:
        row = Shipment(cooperative_id=coop_id, order_id=order_pk, fulfilment_id="F1",
                       retail_transaction_id=f"t-{order_pk}", domain="ONDC:LOG11", bpp_id="courier.example.com",
                       bpp_uri="https://courier.example.com/log", provider_id="P1", item_id="STD",
                       transaction_id=f"log-{order_pk}", log_order_id=f"L-{order_pk}", state=state, unapplied=[],
                       created_at=utcnow() - age, updated_at=utcnow() - age)
        session.add(row)
        session.flush()
        return row.id


def _sent(sessions: sessionmaker[Session], shipment_id: int, action: str, status: str, age: dt.timedelta,
          error: str | None = None) -> None:
    """The LOG request of the shipment's step, as the outbox left it."""
    with transaction(sessions) as session:
        shipment = session.get_one(Shipment, shipment_id)
        row = outbox.enqueue(session, action=action, target_url=f"{shipment.bpp_uri}/{action}", body=b"{}",
                             transaction_id=shipment.transaction_id, message_id=f"m-{shipment_id}", bap_id=None,
                             cooperative_id=shipment.cooperative_id, solicited=False,
                             deadline_at=utcnow() + courier_booking.SEND_WINDOW, now=utcnow() - age)
        row.status, row.last_error = status, error
        row.sent_at = utcnow() - age if status == "sent" else None


def test_a_booking_that_went_nowhere_fails_with_one_alert(sessions: sessionmaker[Session]) -> None:
    """Refused by the courier (its outbox row dead), or taken and never answered: failed, once, with an alert;
    a request still being retried, or answered in time, is left alone."""
    coop_id = make_seller(sessions)
    with transaction(sessions) as session:
        alert_store.save_settings(session, coop_id, webhook_url=None, email="coop@example.com",
                                  kinds=["shipping_failed"], language="en", now=utcnow())
    minute = dt.timedelta(minutes=1)
    refused = _shipment(sessions, coop_id, make_order(sessions, coop_id, "S-NACK", state="Accepted"), "init-sent",
                        minute)
    _sent(sessions, refused, "init", "dead", minute, "HTTP 400: NACK 65003 Stale Request")
    silent = _shipment(sessions, coop_id, make_order(sessions, coop_id, "S-SILENT", state="Accepted"),
                       "confirm-sent", 11 * minute)
    _sent(sessions, silent, "confirm", "sent", 11 * minute)
    retrying = _shipment(sessions, coop_id, make_order(sessions, coop_id, "S-RETRY", state="Accepted"),
                         "init-sent", 50 * minute)
    _sent(sessions, retrying, "init", "pending", 50 * minute, "connection refused")
    waiting = _shipment(sessions, coop_id, make_order(sessions, coop_id, "S-WAIT", state="Accepted"),
                        "confirm-sent", 2 * minute)
    _sent(sessions, waiting, "confirm", "sent", 2 * minute)
    booked = _shipment(sessions, coop_id, make_order(sessions, coop_id, "S-BOOKED", state="Accepted"), "booked",
                       dt.timedelta(days=2))
    with transaction(sessions) as session:
        assert len(courier_booking.stalled(session, utcnow())) == 2
    with transaction(sessions) as session:
        assert courier_booking.stalled(session, utcnow()) == []  # once
    with sessions() as session:
        states = {row.id: (row.state, row.error) for row in session.scalars(select(Shipment))}
        assert states[refused] == ("failed", "the courier could not be sent the init: HTTP 400: NACK 65003 Stale "
                                             "Request")
        assert states[silent] == ("failed", "the courier did not answer the confirm within 10 minutes")
        assert states[retrying] == ("init-sent", None)
        assert states[waiting] == ("confirm-sent", None)
        assert states[booked] == ("booked", None)
        alerts = session.scalars(select(AlertMessage)).all()
        assert sorted(a.order_id for a in alerts) == ["S-NACK", "S-SILENT"]
        assert {a.kind for a in alerts} == {"shipping_failed"}
        assert len(session.scalars(select(OrderEvent).where(OrderEvent.kind == "shipment_failed")).all()) == 2

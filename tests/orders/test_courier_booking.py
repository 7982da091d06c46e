"""Courier bookings the courier never answered (adapter.orders.courier_booking.stalled, run by the worker's
sweep): failed after SEND_WINDOW, in the order's history and as an alert, once; recent ones are left alone."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from adapter.alerts import store as alert_store
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


def test_an_unanswered_booking_fails_after_the_window_with_one_alert(sessions: sessionmaker[Session]) -> None:
    coop_id = make_seller(sessions)
    with transaction(sessions) as session:
        alert_store.save_settings(session, coop_id, webhook_url=None, email="coop@example.com",
                                  kinds=["shipping_failed"], language="en", now=utcnow())
    old = _shipment(sessions, coop_id, make_order(sessions, coop_id, "S-OLD", state="Accepted"), "init-sent",
                    courier_booking.SEND_WINDOW + dt.timedelta(minutes=1))
    confirming = _shipment(sessions, coop_id, make_order(sessions, coop_id, "S-CONF", state="Accepted"),
                           "confirm-sent", courier_booking.SEND_WINDOW + dt.timedelta(minutes=1))
    recent = _shipment(sessions, coop_id, make_order(sessions, coop_id, "S-NEW", state="Accepted"), "init-sent",
                       dt.timedelta(minutes=5))
    booked = _shipment(sessions, coop_id, make_order(sessions, coop_id, "S-BOOKED", state="Accepted"), "booked",
                       dt.timedelta(days=2))
    with transaction(sessions) as session:
        told = courier_booking.stalled(session, utcnow())
        assert len(told) == 2
    with transaction(sessions) as session:
        assert courier_booking.stalled(session, utcnow()) == []  # once
    with sessions() as session:
        states = {row.id: (row.state, row.error) for row in session.scalars(select(Shipment))}
        assert states[old] == ("failed", "the courier did not answer the init within 60 minutes")
        assert states[confirming] == ("failed", "the courier did not answer the confirm within 60 minutes")
        assert states[recent] == ("init-sent", None)
        assert states[booked] == ("booked", None)
        alerts = session.scalars(select(AlertMessage)).all()
        assert sorted(a.order_id for a in alerts) == ["S-CONF", "S-OLD"]
        assert {a.kind for a in alerts} == {"shipping_failed"}
        failed_events = session.scalars(select(OrderEvent).where(OrderEvent.kind == "shipment_failed")).all()
        assert len(failed_events) == 2

"""A courier's callbacks about a booked shipment, hostile or broken, through the webhook and a real worker: each is
ACKed or NACKed, and what is ACKed ends recorded (never failed on a bug, never retried for ever) and moves the
retail order only as far as the courier may move it (docs/logistics.md "Booking and tracking")."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import orjson
import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from adapter.protocol.context import format_timestamp
from adapter.store.db import transaction
from adapter.store.models import InboundMessage, LogisticsSearch, Order, OrderEvent, OutboxMessage, Shipment, utcnow
from tests.console.support import make_order
from tests.support.network import COURIER_ID, SELLER_ID, Network
from tests.support.sellers import ALWAYS_OPEN, make_seller
from tests.support.servers import wait_until

LOG_TX = "log-tx-1"
COURIER_URI = "http://127.0.0.1/courier"  # on the host the test registry lists for the courier


def booked(sessions: sessionmaker[Session], *, state: str = "booked", order_state: str = "Accepted",
           fulfilment_state: str = "Packed") -> tuple[int, int]:
    """A network-shipping order (intercity) and its shipment with our test courier, in ``state``."""
    cooperative = make_seller(sessions, profile=ALWAYS_OPEN)
    order = make_order(sessions, cooperative, "O-1", state=order_state, fulfilment_state=fulfilment_state)
    now = utcnow()
    with transaction(sessions) as session:
        session.add(LogisticsSearch(cooperative_id=cooperative, inbound_id=None, retail_transaction_id="t-O-1",
                                    domain="ONDC:LOG11", transaction_id=LOG_TX, message_id="m-search", expected=1,
                                    status="closed", created_at=now, deadline_at=now,
                                    parcel={"weight_g": 500, "length_cm": "30", "breadth_cm": "20",
                                            "height_cm": "5", "category": "Standard Delivery"}))
        confirmed = state in ("booked", "cancel-sent")  # a cancelled one: cancelled before its on_confirm
        shipment = Shipment(cooperative_id=cooperative, order_id=order, fulfilment_id="F1",
                            retail_transaction_id="t-O-1", domain="ONDC:LOG11", bpp_id=COURIER_ID,
                            bpp_uri=COURIER_URI, provider_id="P1", item_id="STD", transaction_id=LOG_TX,
                            log_order_id="O-1-1", state=state, courier_state="Pending" if confirmed else None,
                            awb="12345678901234" if confirmed else None, quote={"category": "Standard Delivery"},
                            unapplied=[], created_at=now, updated_at=now)
        session.add(shipment)
        session.flush()
        return order, shipment.id


def fulfilment(state: str, **more: Any) -> dict[str, Any]:
    return {"id": "1", "type": "Delivery", "state": {"descriptor": {"code": state}}} | more


def rto(forward: str, state: str) -> dict[str, Any]:
    """An order whose parcel is going back: the forward leg in ``forward``, the RTO leg in ``state``."""
    return {"fulfillments": [fulfilment(forward), {"id": "1-RTO", "type": "RTO",
                                                   "state": {"descriptor": {"code": state}}}]}


def callback(action: str, order: dict[str, Any] | None) -> dict[str, Any]:
    context = {"domain": "ONDC:LOG11", "country": "IND", "city": "std:01376", "action": action,
               "core_version": "1.2.5", "bap_id": SELLER_ID, "bap_uri": "http://127.0.0.1/ondc",
               "bpp_id": COURIER_ID, "bpp_uri": COURIER_URI, "transaction_id": LOG_TX,
               "message_id": str(uuid.uuid4()), "timestamp": format_timestamp(dt.datetime.now(dt.UTC)),
               "ttl": "PT30S"}
    if order is None:  # an error answer: no message
        return {"context": context, "error": {"type": "DOMAIN-ERROR", "code": "66002", "message": "not booked"}}
    return {"context": context, "message": {"order": order}}


def tell(client: FlaskClient, network: Network, sessions: sessionmaker[Session], action: str,
         order: dict[str, Any] | None) -> InboundMessage:
    """POST a courier callback, signed by the courier, and wait until the worker is done with it."""
    body = orjson.dumps(callback(action, order))
    response = client.post(f"/ondc/{action}", data=body, content_type="application/json",
                           headers={"Authorization": network.courier.sign(body)})
    assert response.status_code == 200, response.json
    message_id = orjson.loads(body)["context"]["message_id"]

    def done() -> InboundMessage | None:
        with sessions() as session:
            row = session.scalars(select(InboundMessage).where(InboundMessage.message_id == message_id)).one()
            return row if row.status not in ("received", "processing") else None

    assert wait_until(lambda: done() is not None, timeout=20), "the worker did not finish the callback"
    found = done()
    assert found is not None
    return found


def state_of(sessions: sessionmaker[Session], order_pk: int, shipment_id: int) -> tuple[Order, Shipment]:
    with sessions() as session:
        order, shipment = session.get_one(Order, order_pk), session.get_one(Shipment, shipment_id)
        session.expunge_all()
        return order, shipment


def pushed(sessions: sessionmaker[Session]) -> list[str]:
    with sessions() as session:
        return list(session.scalars(select(OutboxMessage.action).order_by(OutboxMessage.id)))


@pytest.mark.parametrize("order", [
    {"fulfillments": [fulfilment("Agent-assigned", start="today")]},
    {"fulfillments": [fulfilment("Agent-assigned", start={"time": ["10:00", "12:00"]})]},
    {"fulfillments": [fulfilment("Agent-assigned", tags=5)]},
    {"fulfillments": [fulfilment("Agent-assigned", tags=[{"code": "shipping_label", "list": 3}])]},
    {"fulfillments": [fulfilment("Agent-assigned", **{"@ondc/org/awb_no": "9" * 500})]},
], ids=["start-text", "time-list", "tags-number", "tag-list-number", "awb-huge"])
def test_a_status_with_odd_parts_still_moves_the_order(client: FlaskClient, worker: Any, network: Network,
                                                       sessions: sessionmaker[Session],
                                                       order: dict[str, Any]) -> None:
    order_pk, shipment_id = booked(sessions)
    message = tell(client, network, sessions, "on_status", order)
    assert (message.status, message.error) == ("processed", None)
    placed, shipment = state_of(sessions, order_pk, shipment_id)
    assert (placed.fulfilment_state, shipment.courier_state, shipment.awb) == (
        "Agent-assigned", "Agent-assigned", "12345678901234")


def test_a_state_too_long_to_be_one_changes_nothing(client: FlaskClient, worker: Any, network: Network,
                                                     sessions: sessionmaker[Session]) -> None:
    """On PostgreSQL a 5,000-character state failed the transaction at every attempt, until it was given up."""
    order_pk, shipment_id = booked(sessions)
    message = tell(client, network, sessions, "on_status", {"fulfillments": [fulfilment("A" * 5000)]})
    assert (message.status, message.error, message.attempts) == ("processed", None, 0)
    placed, shipment = state_of(sessions, order_pk, shipment_id)
    assert (placed.fulfilment_state, shipment.courier_state, shipment.unapplied) == ("Packed", "Pending", [])
    assert pushed(sessions) == []


def test_an_on_confirm_with_a_huge_awb_and_label_still_books(client: FlaskClient, worker: Any, network: Network,
                                                              sessions: sessionmaker[Session]) -> None:
    order_pk, shipment_id = booked(sessions, state="confirm-sent", fulfilment_state="Pending")
    label = [{"code": "shipping_label", "list": [{"code": "url", "value": "http://127.0.0.1/" + "l" * 3000}]}]
    answer = {"id": "O-1-1", "state": "Accepted",
              "fulfillments": [fulfilment("Pending", tags=label, **{"@ondc/org/awb_no": "9" * 100})]}
    message = tell(client, network, sessions, "on_confirm", answer)
    assert (message.status, message.error, message.attempts) == ("processed", None, 0)
    _, shipment = state_of(sessions, order_pk, shipment_id)
    assert (shipment.state, shipment.awb, shipment.label_url) == ("booked", None, None)
    assert pushed(sessions) == ["track"]  # booked: we ask for the tracking page


@pytest.mark.parametrize(("start", "states"), [
    ("Agent-assigned", ["Pickup-failed", "Agent-assigned", "Order-picked-up"]),
    ("Out-for-delivery", ["Delivery-failed", "Out-for-delivery", "Order-delivered"]),
])
def test_a_failed_pickup_or_delivery_reaches_the_order_and_so_does_the_next_try(
        client: FlaskClient, worker: Any, network: Network, sessions: sessionmaker[Session], start: str,
        states: list[str]) -> None:
    """The test courier's fail-pickup scenario (and any courier's failed delivery): each state is the buyer's
    on_status, and the retry after it is not refused as a repeat of the state before."""
    order_pk, shipment_id = booked(sessions, order_state="In-progress", fulfilment_state=start)
    for state in states:
        assert tell(client, network, sessions, "on_status", {"fulfillments": [fulfilment(state)]}).status == "processed"
        placed, shipment = state_of(sessions, order_pk, shipment_id)
        assert placed.fulfilment_state == state
    assert shipment.unapplied == []
    assert pushed(sessions) == ["on_status"] * len(states)


@pytest.mark.parametrize("code", ["Whatever", "Order-picked-up", "RTO"])
def test_an_rto_leg_in_no_rto_state_does_not_send_the_order_back(
        client: FlaskClient, worker: Any, network: Network, sessions: sessionmaker[Session], code: str) -> None:
    """Any code on an RTO fulfilment used to start the retail RTO: the order was cancelled, the buyer told."""
    order_pk, shipment_id = booked(sessions, order_state="In-progress", fulfilment_state="Out-for-delivery")
    assert tell(client, network, sessions, "on_cancel", rto("RTO", code)).status == "processed"
    placed, shipment = state_of(sessions, order_pk, shipment_id)
    assert (placed.state, placed.fulfilment_state, placed.legs) == ("In-progress", "Out-for-delivery", [])
    assert [entry["state"] for entry in shipment.unapplied] == [code]
    assert pushed(sessions) == []
    # A real RTO after it is still taken.
    assert tell(client, network, sessions, "on_cancel", rto("RTO", "RTO-Initiated")).status == "processed"
    placed, _ = state_of(sessions, order_pk, shipment_id)
    assert (placed.state, [leg["state"] for leg in placed.legs]) == ("Cancelled", ["RTO-Initiated"])
    assert pushed(sessions) == ["on_cancel"]


def test_a_booking_never_confirmed_does_not_move_the_order(client: FlaskClient, worker: Any, network: Network,
                                                           sessions: sessionmaker[Session]) -> None:
    """Before we send the confirm the courier holds no parcel of ours: a status saying it picked one up is noted,
    and the order (an invoice is issued at pickup) stays packed."""
    order_pk, shipment_id = booked(sessions, state="init-sent")
    for state in ("Order-picked-up", "Order-delivered"):
        assert tell(client, network, sessions, "on_status", {"fulfillments": [fulfilment(state)]}).status == \
            "processed"
    assert tell(client, network, sessions, "on_cancel", rto("RTO", "RTO-Initiated")).status == "processed"
    placed, shipment = state_of(sessions, order_pk, shipment_id)
    assert (placed.state, placed.fulfilment_state, placed.legs) == ("Accepted", "Packed", [])
    assert [entry["state"] for entry in shipment.unapplied] == ["Order-picked-up", "Order-delivered",
                                                               "RTO-Initiated"]
    assert pushed(sessions) == []


def test_what_the_order_could_not_take_is_kept_only_so_far(client: FlaskClient, worker: Any, network: Network,
                                                           sessions: sessionmaker[Session]) -> None:
    """A courier repeating states the order cannot take (two of them in turn, never "told again") used to grow
    the shipment's list without end, rewritten whole at every message."""
    from adapter.orders.courier_updates import MAX_UNAPPLIED

    order_pk, shipment_id = booked(sessions, order_state="In-progress", fulfilment_state="Order-picked-up")
    with transaction(sessions) as session:  # what a long run of such messages left behind
        session.get_one(Shipment, shipment_id).unapplied = [
            {"state": "Searching-for-Agent", "why": "no retail move for this courier state",
             "at": "2030-01-01T00:00:00.000Z"}] * MAX_UNAPPLIED
    assert tell(client, network, sessions, "on_status", {"fulfillments": [fulfilment("Pickup-rescheduled")]}) \
        .status == "processed"
    _, shipment = state_of(sessions, order_pk, shipment_id)
    assert len(shipment.unapplied) == MAX_UNAPPLIED
    assert shipment.unapplied[-1]["state"] == "Pickup-rescheduled"


def test_a_booking_cancelled_before_its_on_confirm_stays_cancelled_when_the_courier_refuses_it(
        client: FlaskClient, worker: Any, network: Network, sessions: sessionmaker[Session]) -> None:
    """The order was cancelled while the confirm was on its way; the courier answers on_confirm with an error.
    Nothing is booked and nothing is to be cancelled: the shipment is not shown as a failed booking."""
    order_pk, shipment_id = booked(sessions, state="cancelled", order_state="Cancelled", fulfilment_state="Cancelled")
    assert tell(client, network, sessions, "on_confirm", None).status == "processed"
    _, shipment = state_of(sessions, order_pk, shipment_id)
    assert (shipment.state, shipment.error) == ("cancelled", None)
    assert pushed(sessions) == []
    # Had the courier booked it, the booking is cancelled there.
    assert tell(client, network, sessions, "on_confirm", {"id": "O-1-1", "state": "Accepted", "fulfillments": [
        fulfilment("Pending", **{"@ondc/org/awb_no": "12345678901234"})]}).status == "processed"
    _, shipment = state_of(sessions, order_pk, shipment_id)
    assert (shipment.state, shipment.awb) == ("cancel-sent", "12345678901234")
    assert pushed(sessions) == ["cancel"]


def test_a_state_that_skips_ahead_or_arrives_early_brings_the_order_through_the_states_between(
        client: FlaskClient, worker: Any, network: Network, sessions: sessionmaker[Session]) -> None:
    """Order-delivered handled before Out-for-delivery (messages cross, or a courier skips one): the buyer hears
    Out-for-delivery, then Order-delivered, and the late Out-for-delivery changes nothing."""
    order_pk, shipment_id = booked(sessions, order_state="In-progress", fulfilment_state="At-destination-hub")
    assert tell(client, network, sessions, "on_status", {"fulfillments": [fulfilment("Order-delivered")]}).status \
        == "processed"
    placed, shipment = state_of(sessions, order_pk, shipment_id)
    assert (placed.state, placed.fulfilment_state, shipment.unapplied) == ("Completed", "Order-delivered", [])
    assert pushed(sessions) == ["on_status", "on_status"]
    assert tell(client, network, sessions, "on_status", {"fulfillments": [fulfilment("Out-for-delivery")]}).status \
        == "processed"
    placed, shipment = state_of(sessions, order_pk, shipment_id)
    assert placed.fulfilment_state == "Order-delivered"
    assert [entry["state"] for entry in shipment.unapplied] == ["Out-for-delivery"]
    assert pushed(sessions) == ["on_status", "on_status"]


def test_a_courier_state_never_packs_the_order_for_the_member(client: FlaskClient, worker: Any, network: Network,
                                                              sessions: sessionmaker[Session]) -> None:
    order_pk, shipment_id = booked(sessions, fulfilment_state="Pending")
    assert tell(client, network, sessions, "on_status", {"fulfillments": [fulfilment("Agent-assigned")]}).status \
        == "processed"
    placed, shipment = state_of(sessions, order_pk, shipment_id)
    assert placed.fulfilment_state == "Pending"
    assert [entry["state"] for entry in shipment.unapplied] == ["Agent-assigned"]
    assert pushed(sessions) == []


def test_a_courier_that_cancels_on_its_own_fails_the_booking(client: FlaskClient, worker: Any, network: Network,
                                                             sessions: sessionmaker[Session]) -> None:
    order_pk, shipment_id = booked(sessions)
    assert tell(client, network, sessions, "on_cancel", {"fulfillments": [fulfilment("Cancelled")]}).status \
        == "processed"
    placed, shipment = state_of(sessions, order_pk, shipment_id)
    assert (shipment.state, shipment.error) == ("failed", "the courier cancelled the shipment")
    assert (placed.state, placed.fulfilment_state) == ("Accepted", "Packed")  # the member books again or ships
    with sessions() as session:
        kinds = [e.kind for e in session.scalars(select(OrderEvent).where(OrderEvent.order_id == order_pk))]
    assert "shipment_failed" in kinds
    # Later states of that dropped booking move nothing.
    assert tell(client, network, sessions, "on_status", {"fulfillments": [fulfilment("Order-picked-up")]}).status \
        == "processed"
    placed, _ = state_of(sessions, order_pk, shipment_id)
    assert placed.fulfilment_state == "Packed"
    assert pushed(sessions) == []


def test_a_status_about_another_order_id_moves_nothing(client: FlaskClient, worker: Any, network: Network,
                                                       sessions: sessionmaker[Session]) -> None:
    order_pk, shipment_id = booked(sessions)
    assert tell(client, network, sessions, "on_status", {"id": "SOMEONE-ELSE", "fulfillments": [
        fulfilment("Agent-assigned")]}).status == "processed"
    placed, shipment = state_of(sessions, order_pk, shipment_id)
    assert placed.fulfilment_state == "Packed"
    assert shipment.unapplied[-1]["why"] == "about order SOMEONE-ELSE, not ours (O-1-1)"
    assert pushed(sessions) == []

"""The test courier's behaviour: answer each LOG request, move parcels on a schedule or on command.

`Courier.handle` runs after the request was ACKed and sends the on_* callback(s); `Courier.move` and
`Courier.tick` move a parcel one state on and push the unsolicited on_status (or on_cancel for RTO).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import secrets
from collections.abc import Callable
from decimal import Decimal
from typing import Any, Protocol

from adapter.logistics.courier import messages
from adapter.logistics.courier.checks import parcel_of, route_of
from adapter.logistics.courier.messages import CourierInfo
from adapter.logistics.courier.rates import (
    CATEGORIES,
    GST_RATE,
    HYPERLOCAL_MAX_KM,
    SERVICES,
    SLAB_KG,
    distance_km,
    parse_gps,
    quote,
)
from adapter.logistics.courier.states import (
    HELD,
    PENDING,
    RANK,
    RTO_DELIVERED,
    RTO_DISPOSED,
    RTO_INITIATED,
    SCENARIOS,
    TERMINAL,
    MoveError,
    check_move,
    next_state,
)
from adapter.logistics.courier.store import Shipment, Store
from adapter.protocol.context import format_timestamp

__all__ = ["CANCEL_REASONS", "Courier", "Outbox", "UnknownShipmentError"]

# ONDC LOG 1.2.5 validations (validate_cancellation_codes_log10/log11): the reasons a logistics buyer may give.
CANCEL_REASONS = {
    "ONDC:LOG10": frozenset({"004", "005", "007", "150", "151", "152", "153", "154", "155", "156", "175", "996",
                             "994"}),
    "ONDC:LOG11": frozenset({"004", "005", "007", "250", "251", "252", "275", "996", "994"}),
}
# The reason the courier gives when it sends a parcel back itself, as in ONDC's RTO flow examples.
RTO_REASON = {"ONDC:LOG10": "127", "ONDC:LOG11": "226"}
# A drop address (or person, or instructions) that carries one of these asks the schedule for that scenario.
SCENARIO_MARKERS = {"courier:rto": "rto", "courier:fail-pickup": "fail-pickup"}
# A drop that says this is refused at init: no rider (LOG 1.2.5 error 60004), to try a failed booking.
NO_RIDER_MARKER = "courier:no-rider"


class Outbox(Protocol):
    """Where callbacks go (the Sender, or a test double)."""

    def send(self, body: dict[str, Any], *, awb: str | None = None) -> int | None:
        """Send one callback; its HTTP status, None when nothing answered."""
        ...


class UnknownShipmentError(LookupError):
    """No shipment has that AWB."""


def _ready(fulfilment: dict[str, Any]) -> bool | None:
    """The ready_to_ship flag of a fulfilment's state tag (None when it does not say)."""
    for tag in fulfilment.get("tags") or []:
        if isinstance(tag, dict) and tag.get("code") == "state":
            for entry in tag.get("list") or []:
                if isinstance(entry, dict) and entry.get("code") == "ready_to_ship":
                    # ONDC's LOG 1.2.5 examples say yes/no; true/false is read the same way.
                    return str(entry.get("value")).strip().lower() in ("yes", "true")
    return None


def _scenario(fulfilment: dict[str, Any]) -> str:
    text = json.dumps(fulfilment.get("end") or {}).lower()
    return next((scenario for marker, scenario in SCENARIO_MARKERS.items() if marker in text), "deliver")


class Courier:
    """The courier's rules, over its store and its outbox."""

    def __init__(self, info: CourierInfo, store: Store, outbox: Outbox, *, step_seconds: float | None,
                 clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)) -> None:
        self.info = info
        self.store = store
        self.outbox = outbox
        self.step_seconds = step_seconds  # None: parcels move only on command
        self.clock = clock

    # --- requests -------------------------------------------------------------------------------------------

    def handle(self, action: str, payload: dict[str, Any]) -> None:
        """Answer one ACKed request with its on_* callback (an error callback when it cannot be served)."""
        context, message = payload["context"], payload["message"]
        now = self.clock()
        reply = messages.callback_context(context, f"on_{action}", self.info, now)
        handler = getattr(self, f"_{action}")
        body, awb = handler(context, message, reply, now)
        self.outbox.send(body, awb=awb)

    def _search(self, context: dict[str, Any], message: dict[str, Any], reply: dict[str, Any],
                now: dt.datetime) -> tuple[dict[str, Any], None]:
        intent = message["intent"]
        route = route_of(intent["fulfillment"], "message.intent.fulfillment")
        parcel = parcel_of(intent["@ondc/org/payload_details"], "message.intent.@ondc/org/payload_details")
        km = distance_km(parse_gps(route.start_gps), parse_gps(route.end_gps))
        if context["domain"] == "ONDC:LOG10" and km > HYPERLOCAL_MAX_KM:
            return messages.error_body(reply, "60002", f"Dropoff location not serviceable: {km} km away, "
                                       f"hyperlocal delivery goes up to {HYPERLOCAL_MAX_KM} km"), None
        wanted = (intent.get("category") or {}).get("id")
        services = [CATEGORIES[wanted]] if wanted in CATEGORIES else list(SERVICES)
        if wanted is not None and wanted not in CATEGORIES:
            return messages.error_body(reply, "60004", f"Delivery Partners not available for {wanted!r}; this "
                                       f"courier offers {', '.join(CATEGORIES)}"), None
        quotes = [quote(service, parcel, km) for service in services]
        prices = {q.service.item_id: {"category": q.service.category, "delivery": str(q.delivery),
                                      "tax": str(q.tax), "rto": str(q.rto), "rto_tax": str(q.rto_tax),
                                      "tat": q.tat} for q in quotes}
        self.store.save_quote(context["transaction_id"], context["domain"],
                              {"km": str(km), "prices": prices}, format_timestamp(now))
        return {"context": reply, "message": {"catalog": messages.catalog(self.info, quotes, context["domain"],
                                                                          now)}}, None

    def _priced(self, context: dict[str, Any], order: dict[str, Any],
                reply: dict[str, Any]) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        """(the quoted price of the order's item, None) or (None, an error callback)."""
        quoted = self.store.quote(context["transaction_id"])
        if quoted is None:
            return None, messages.error_body(reply, "66005", "Quote unavailable: search first, in this transaction")
        item_id = order["items"][0]["id"]
        price: dict[str, Any] | None = quoted["prices"].get(item_id)
        if price is None:
            return None, messages.error_body(reply, "66002", f"Order validation failure: item {item_id!r} was not "
                                             f"quoted (quoted: {', '.join(quoted['prices'])})")
        return price, None

    def _init(self, context: dict[str, Any], message: dict[str, Any], reply: dict[str, Any],
              now: dt.datetime) -> tuple[dict[str, Any], None]:
        order = message["order"]
        price, error = self._priced(context, order, reply)
        if price is None:
            assert error is not None
            return error, None
        if NO_RIDER_MARKER in json.dumps(messages.delivery_fulfillment(order).get("end") or {}).lower():
            return messages.error_body(reply, "60004", "Delivery Partners not available", "DOMAIN-ERROR"), None
        initialised = messages.initialised_order(order, self.info, Decimal(price["delivery"]), Decimal(price["tax"]))
        return {"context": reply, "message": {"order": initialised}}, None

    def _confirm(self, context: dict[str, Any], message: dict[str, Any], reply: dict[str, Any],
                 now: dt.datetime) -> tuple[dict[str, Any], str | None]:
        order = message["order"]
        known = self.store.shipment(order_id=order["id"])
        if known is not None:  # confirmed before: the same answer again
            return {"context": reply, "message": {"order": known.order}}, known.awb
        price, error = self._priced(context, order, reply)
        if price is None:
            assert error is not None
            return error, None
        awb = f"{secrets.randbelow(9 * 10 ** 13) + 10 ** 13}"  # 14 digits
        confirmed = messages.confirmed_order(order, self.info, awb=awb, delivery=Decimal(price["delivery"]),
                                             tax=Decimal(price["tax"]), tat=price["tat"], domain=context["domain"],
                                             now=now)
        fulfilment = messages.delivery_fulfillment(order)
        route = route_of(fulfilment, "message.order.fulfillments.0")
        ready = _ready(fulfilment) is not False  # a confirm that does not say is ready to ship
        shipment = Shipment(order_id=order["id"], awb=awb, transaction_id=context["transaction_id"],
                            domain=context["domain"], context=dict(context), state=PENDING,
                            since=format_timestamp(now), scenario=_scenario(fulfilment),
                            next_at=self._next_at(now) if ready else None, order=confirmed,
                            route={"start": route.start_gps, "end": route.end_gps}, quote=price,
                            created_at=format_timestamp(now))
        if not self.store.add_shipment(shipment):  # a concurrent confirm of the same order won
            stored = self.store.shipment(order_id=order["id"])
            assert stored is not None
            return {"context": reply, "message": {"order": stored.order}}, stored.awb
        return {"context": reply, "message": {"order": confirmed}}, awb

    def _find(self, order_id: str, reply: dict[str, Any]) -> tuple[Shipment | None, dict[str, Any] | None]:
        shipment = self.store.shipment(order_id=order_id)
        if shipment is None:
            return None, messages.error_body(reply, "66004", f"Invalid Order: no order {order_id!r} here")
        return shipment, None

    def _status(self, context: dict[str, Any], message: dict[str, Any], reply: dict[str, Any],
                now: dt.datetime) -> tuple[dict[str, Any], str | None]:
        shipment, error = self._find(message["order_id"], reply)
        if shipment is None:
            assert error is not None
            return error, None
        return {"context": reply, "message": {"order": shipment.order}}, shipment.awb

    def _track(self, context: dict[str, Any], message: dict[str, Any], reply: dict[str, Any],
               now: dt.datetime) -> tuple[dict[str, Any], str | None]:
        shipment, error = self._find(message["order_id"], reply)
        if shipment is None:
            assert error is not None
            return error, None
        active = (shipment.state not in TERMINAL and RANK.get(shipment.state, 0) >= RANK["Agent-assigned"]) \
            or shipment.state == RTO_INITIATED
        found = messages.tracking(shipment.order, url=self.info.tracking_url(shipment.awb), gps=where(shipment),
                                  active=active, now=now)
        return {"context": reply, "message": {"tracking": found}}, shipment.awb

    def _cancel(self, context: dict[str, Any], message: dict[str, Any], reply: dict[str, Any],
                now: dt.datetime) -> tuple[dict[str, Any], str | None]:
        reason = message["cancellation_reason_id"]
        if reason not in CANCEL_REASONS[context["domain"]]:
            allowed = ", ".join(sorted(CANCEL_REASONS[context["domain"]]))
            return messages.error_body(reply, "60009", f"Invalid cancellation request: reason {reason!r} is not "
                                       f"one of {allowed}", "POLICY-ERROR"), None
        shipment, error = self._find(message["order_id"], reply)
        if shipment is None:
            assert error is not None
            return error, None
        if shipment.state in TERMINAL or shipment.state == RTO_INITIATED:
            return messages.error_body(reply, "60007", f"Cancellation not possible: the parcel is {shipment.state}",
                                       "POLICY-ERROR"), shipment.awb
        # Before pickup the shipment is simply cancelled; once picked up, the parcel goes back to the seller.
        if RANK.get(shipment.state, 0) < RANK["Order-picked-up"]:
            order = messages.cancelled(shipment.order, previous=shipment.state, since=shipment.since,
                                       reason_id=reason, cancelled_by=context["bap_id"], now=now)
            target = "Cancelled"
        else:
            order = self._rto_order(shipment, reason, context["bap_id"], now)
            target = RTO_INITIATED
        if not self.store.move(shipment.awb, expected=shipment.state, state=target, order=order,
                               at=format_timestamp(now), next_at=self._next_at(now) if target == RTO_INITIATED
                               else None):
            return messages.error_body(reply, "66003", "Order processing in progress: the parcel just moved; "
                                       "send the cancellation again", "CORE-ERROR"), shipment.awb
        return {"context": reply, "message": {"order": order}}, shipment.awb

    def _update(self, context: dict[str, Any], message: dict[str, Any], reply: dict[str, Any],
                now: dt.datetime) -> tuple[dict[str, Any], str | None]:
        shipment, error = self._find(message["order"]["id"], reply)
        if shipment is None:
            assert error is not None
            return error, None
        fulfilments = message["order"].get("fulfillments") or []
        ready = any(_ready(f) for f in fulfilments if isinstance(f, dict))
        if ready and shipment.state == PENDING and shipment.next_at is None:
            self.store.plan(shipment.awb, next_at=self._next_at(now))
        return {"context": reply, "message": {"order": shipment.order}}, shipment.awb

    # --- moving parcels --------------------------------------------------------------------------------------

    def _next_at(self, now: dt.datetime) -> float | None:
        return None if self.step_seconds is None else now.timestamp() + self.step_seconds

    def _rto_order(self, shipment: Shipment, reason: str, by: str, now: dt.datetime) -> dict[str, Any]:
        return messages.rto_initiated(shipment.order, previous=shipment.state, since=shipment.since,
                                      reason_id=reason, cancelled_by=by, rto_charge=Decimal(shipment.quote["rto"]),
                                      rto_tax=Decimal(shipment.quote["rto_tax"]), now=now)

    def move(self, awb: str, target: str, *, scheduled: bool = False) -> Shipment:
        """Move the parcel to ``target`` and push on_status (on_cancel for RTO-Initiated); the moved shipment.

        Raises UnknownShipmentError or MoveError (nothing is sent then).
        """
        shipment = self.store.shipment(awb=awb)
        if shipment is None:
            raise UnknownShipmentError(f"no shipment with AWB {awb}")
        check_move(shipment.domain, shipment.state, target)
        now = self.clock()
        if target == RTO_INITIATED:
            order = self._rto_order(shipment, RTO_REASON[shipment.domain], self.info.bpp_id, now)
            action = "on_cancel"
        elif target in (RTO_DELIVERED, RTO_DISPOSED):
            order, action = messages.rto_finished(shipment.order, target, now), "on_status"
        else:
            order, action = messages.with_state(shipment.order, target, now), "on_status"
        later = target not in TERMINAL and target not in HELD
        # A command moves the parcel now; the schedule then carries on from there unless it was switched off.
        next_at = self._next_at(now) if later and (scheduled or shipment.next_at is not None
                                                   or shipment.state != PENDING) else None
        if not self.store.move(awb, expected=shipment.state, state=target, order=order, at=format_timestamp(now),
                               next_at=next_at):
            raise MoveError(f"the parcel moved on meanwhile (it was {shipment.state}); look again")
        context = messages.callback_context(shipment.context, action, self.info, now,
                                            message_id=_new_message_id())
        self.outbox.send({"context": context, "message": {"order": order}}, awb=awb)
        moved = self.store.shipment(awb=awb)
        assert moved is not None
        return moved

    def reweigh(self, awb: str, weight_kg: Decimal) -> Shipment:
        """The parcel weighed ``weight_kg`` at pickup: charge the further 500 g slabs over the declared weight
        (plus GST) and push the order as an unsolicited on_update (ONDC's weight differential flow).

        Raises UnknownShipmentError, or MoveError before pickup, after delivery or return, or when it is not
        heavier than declared.
        """
        shipment = self.store.shipment(awb=awb)
        if shipment is None:
            raise UnknownShipmentError(f"no shipment with AWB {awb}")
        if RANK.get(shipment.state, 0) < RANK["Order-picked-up"] or shipment.state in TERMINAL:
            raise MoveError(f"a parcel is weighed once picked up and before it is delivered (it is {shipment.state})")
        try:
            declared = _declared_kg(shipment.order)
        except ArithmeticError:
            declared = Decimal(0)  # the confirm's weight was not a number: all of it is charged
        if not (Decimal("0") < weight_kg <= Decimal("1000")) or weight_kg <= declared:
            raise MoveError(f"the weight must be more than the {declared} kg declared, and at most 1000 kg")
        service = CATEGORIES.get(str(shipment.quote.get("category", "")), SERVICES[0])
        slabs = math.ceil(weight_kg / SLAB_KG) - max(1, math.ceil(declared / SLAB_KG))
        diff = (service.per_slab * max(0, slabs)).quantize(Decimal("0.01"))
        diff_tax = (diff * GST_RATE).quantize(Decimal("0.01"))
        now = self.clock()
        order = messages.reweighed(shipment.order, weight_kg=weight_kg, diff=diff, diff_tax=diff_tax,
                                   proof_url=f"{self.info.tracking_url(awb)}?proof=weight", now=now)
        self.store.plan(awb, next_at=shipment.next_at, order=order)
        context = messages.callback_context(shipment.context, "on_update", self.info, now,
                                            message_id=_new_message_id())
        self.outbox.send({"context": context, "message": {"order": order}}, awb=awb)
        updated = self.store.shipment(awb=awb)
        assert updated is not None
        return updated

    def set_scenario(self, awb: str, scenario: str) -> Shipment:
        """Tell the schedule to deliver the parcel, send it back from Out-for-delivery, or fail its pickup."""
        if scenario not in SCENARIOS:
            raise MoveError(f"scenario must be one of {', '.join(SCENARIOS)}")
        shipment = self.store.shipment(awb=awb)
        if shipment is None:
            raise UnknownShipmentError(f"no shipment with AWB {awb}")
        if scenario == "fail-pickup" and shipment.domain != "ONDC:LOG11":
            raise MoveError("Pickup-failed is an ONDC:LOG11 (intercity) state; cancel a hyperlocal shipment instead")
        self.store.plan(awb, next_at=shipment.next_at, scenario=scenario)
        updated = self.store.shipment(awb=awb)
        assert updated is not None
        return updated

    def tick(self) -> int:
        """Move every parcel whose time has come one state on; how many moved."""
        moved = 0
        for awb in self.store.due(self.clock().timestamp()):
            shipment = self.store.shipment(awb=awb)
            if shipment is None:
                continue
            target = next_state(shipment.domain, shipment.scenario, shipment.state)
            if target is None:
                self.store.plan(awb, next_at=None)
                continue
            try:
                self.move(awb, target, scheduled=True)
                moved += 1
            except MoveError:
                continue  # moved by a command meanwhile; the next tick looks again
        return moved


def _declared_kg(order: dict[str, Any]) -> Decimal:
    """The parcel's weight as the buyer declared it: the fulfilment's linked_order tag (kilograms), else the
    deprecated ``@ondc/org/linked_order``; 0 when neither says."""
    for tag in messages.delivery_fulfillment(order).get("tags") or []:
        if isinstance(tag, dict) and tag.get("code") == "linked_order":
            said = {e.get("code"): e.get("value") for e in tag.get("list") or [] if isinstance(e, dict)}
            if said.get("weight_value") is not None:
                tagged = Decimal(str(said["weight_value"]))
                return tagged / 1000 if said.get("weight_unit") == "gram" else tagged
    linked = (order.get("@ondc/org/linked_order") or {}).get("order") or {}
    weight = linked.get("weight") or {}
    value = Decimal(str(weight.get("value", "0")))
    return value / 1000 if weight.get("unit") == "gram" else value


def _new_message_id() -> str:
    import uuid

    return str(uuid.uuid4())


def where(shipment: Shipment) -> str:
    """Where the parcel is now: on the straight line from pickup to drop, by how far along it is."""
    start, end = parse_gps(shipment.route["start"]), parse_gps(shipment.route["end"])
    if shipment.state in (RTO_DELIVERED, RTO_DISPOSED) or shipment.state == "Cancelled":
        share = 0.0
    elif shipment.state == RTO_INITIATED:
        share = 0.5
    else:
        share = min(1.0, max(0.0, (RANK.get(shipment.state, 0) - RANK["Agent-assigned"]) / 7))
    lat = start[0] + (end[0] - start[0]) * share
    lng = start[1] + (end[1] - start[1]) * share
    return f"{lat:.6f},{lng:.6f}"

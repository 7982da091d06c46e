"""ONDC's validator on the flows where a cooperative changes an order: it drops an item it cannot make before it
accepts (flow 5, then the parcel comes back: RTO; flow 6, then the buyer returns an item and it is liquidated).

These cooperatives accept orders by hand (ORDER_AUTO_ACCEPT=false), as ONDC's flows have it: the part-cancel
comes while the order is still Created.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from adapter.certification.validator import Validator
from adapter.protocol.context import format_timestamp
from tests.conformance.conftest import Service
from tests.conformance.test_flows import MOVES, _pick, _place, _ship, _transaction, _verdict
from tests.support.network import Network
from tests.support.receiver import Receiver


@pytest.fixture(scope="module")
def service_env() -> dict[str, str]:
    return {"ORDER_AUTO_ACCEPT": "false"}


def _refunds(order: dict[str, Any]) -> list[float]:
    """Every quote_trail value of the order's legs (Cancel, Return, RTO): what was taken off the price."""
    return [float(entry["value"]) for leg in order["fulfillments"] if leg["type"] != "Delivery"
            for tag in leg.get("tags", []) if tag["code"] == "quote_trail"
            for entry in tag["list"] if entry["code"] == "value"]


def _settlement_update(order_id: str, on_update: dict[str, Any]) -> dict[str, Any]:
    """The buyer app's update with the refund it settled for a changed order (as ONDC's flows send it)."""
    refund = f"{-sum(_refunds(on_update['message']['order'])):.2f}"
    return {"update_target": "payment", "order": {
        "id": order_id, "payment": {"@ondc/org/settlement_details": [{
            "settlement_counterparty": "buyer", "settlement_phase": "refund", "settlement_type": "upi",
            "settlement_amount": refund, "settlement_timestamp": format_timestamp(dt.datetime.now(dt.UTC))}]}}}


def _part_cancel_then_accept(tx: Any, service: Service, provider: dict[str, Any], kept: dict[str, Any]) -> str:
    """An order of two items; the cooperative cannot make the second one, drops it and accepts the rest."""
    dropped = next(i for i in provider["items"] if i["id"] != kept["id"])
    order_id = _place(tx, provider, [(kept, 1), (dropped, 1)], accepted=False)
    tx.seller(order_id, "part_cancel", item_id=dropped["id"], quantity=1)
    (on_update,) = tx.wait("on_update", key="on_update_part_cancel")
    assert on_update["message"]["order"]["state"] == "Created"
    tx.send("update", _settlement_update(order_id, on_update), key="update_settlement_part_cancel")
    tx.seller(order_id, "accept")
    (accepted,) = tx.wait("on_status")
    assert accepted["message"]["order"]["state"] == "Accepted"
    return order_id


def test_flow_5_part_cancel_then_rto(service: Service, demo: dict[str, str], network: Network,
                                     receiver: Receiver, validator: Validator, tmp_path: Path,
                                     record: Any) -> None:
    slug = "kangra-tea"
    tx, provider = _transaction(slug, service, network, receiver)
    order_id = _part_cancel_then_accept(tx, service, provider, _pick(provider))
    _ship(tx, service, order_id, MOVES[:-1])  # out for delivery: the buyer refuses the parcel
    tx.seller(order_id, "initiate_rto", reason_id="013")
    (rto,) = tx.wait("on_cancel")
    assert rto["message"]["order"]["state"] == "Cancelled"
    # What the utility checks only in part: the price now plus every refund in a quote_trail (the dropped item's
    # Cancel leg and the RTO's) is what the buyer paid at confirmation.
    confirmed = next(m for m in tx.messages if m["context"]["action"] == "on_confirm")["message"]["order"]
    price_now, paid = (float(o["quote"]["price"]["value"]) for o in (rto["message"]["order"], confirmed))
    assert price_now - sum(_refunds(rto["message"]["order"])) == pytest.approx(paid)
    tx.seller(order_id, "rto_delivered")
    tx.wait("on_status", key="on_status_rto_delivered/disposed")
    _verdict(validator, tx, "5", tmp_path / "flow5", slug, record)


def test_flow_6_part_cancel_then_a_return_liquidated(service: Service, demo: dict[str, str], network: Network,
                                                     receiver: Receiver, validator: Validator, tmp_path: Path,
                                                     record: Any) -> None:
    slug = "chamba-rumal"
    tx, provider = _transaction(slug, service, network, receiver)
    item = next(i for i in provider["items"] if i.get("@ondc/org/returnable"))
    order_id = _part_cancel_then_accept(tx, service, provider, item)
    _ship(tx, service, order_id)
    request = {"update_target": "item", "order": {"id": order_id, "fulfillments": [{"type": "Return", "tags": [
        {"code": "return_request", "list": [
            {"code": "id", "value": "R1"}, {"code": "item_id", "value": item["id"]},
            {"code": "item_quantity", "value": "1"}, {"code": "reason_id", "value": "001"},
            {"code": "reason_desc", "value": "the seal of the pack was broken"},
            {"code": "images", "value": "https://buyer.example/r1.jpg"},
            {"code": "ttl_approval", "value": "PT24H"}, {"code": "ttl_reverseqc", "value": "P3D"}]}]}]}}
    (initiated,) = tx.send("update", request, key="update_liquidated", answer_key="on_update_interim_liquidated")
    assert "error" not in initiated, initiated["error"]
    tx.seller(order_id, "approve_return", return_id="R1")
    tx.wait("on_update")
    tx.seller(order_id, "liquidate", return_id="R1")
    (liquidated,) = tx.wait("on_update", key="on_update_liquidated")
    tx.send("update", _settlement_update(order_id, liquidated), key="update_settlement_liquidated")
    _verdict(validator, tx, "6", tmp_path / "flow6", slug, record)

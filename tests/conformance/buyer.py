"""A buyer app for the conformance suite: signs requests to the running adapter, collects the signed callbacks,
and keeps every message of the transaction, in order, for ONDC's validator."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from pathlib import Path
from typing import Any

import orjson
import requests

from adapter.protocol.context import format_timestamp
from adapter.protocol.signing import verify_request
from tests.conformance.validator import neutralise_addresses
from tests.support.network import BUYER_ID, SELLER_ID, Network
from tests.support.receiver import Receiver
from tests.support.servers import wait_until

ADMIN = {"Authorization": "Bearer test-admin-key-0123456789abcdef"}
BUYER_GSTIN = "02AAACB1234C1Z5"
ADDRESS = {"name": "12", "building": "Lakkar Bazaar", "locality": "The Ridge", "city": "Shimla",
           "state": "Himachal Pradesh", "country": "IND", "area_code": "171001"}


# The utility's payload key of an on_status, by the Delivery fulfilment's state.
STATUS_KEYS = {
    "Pending": "on_status_pending", "Packed": "on_status_packed", "Agent-assigned": "on_status_agent_assigned",
    "At-pickup": "on_status_at_pickup", "Out-for-pickup": "on_status_out_for_pickup",
    "Pickup-failed": "on_status_pickup_failed", "Order-picked-up": "on_status_picked",
    "In-transit": "on_status_in_transit", "At-destination-hub": "on_status_at_destination_hub",
    "Out-for-delivery": "on_status_out_for_delivery", "At-delivery": "on_status_at_delivery",
    "Delivery-failed": "on_status_delivery_failed", "Order-delivered": "on_status_delivered",
}


def payload_key(message: dict[str, Any], incremental: set[str]) -> str:
    """The utility's payload key for a message whose action (and fulfilment state) says what it is;
    ``incremental`` holds the transactions of incremental-catalogue searches seen so far."""
    action = message["context"]["action"]
    if action == "search" and any(tag.get("code") == "catalog_inc"
                                  for tag in message["message"]["intent"].get("tags", [])):
        incremental.add(message["context"]["transaction_id"])
    if action in ("search", "on_search"):
        kind = "inc_refresh" if message["context"]["transaction_id"] in incremental else "full_catalog_refresh"
        return f"{action}_{kind}"
    if action == "on_status":
        delivery = next(f for f in message["message"]["order"]["fulfillments"] if f["type"] == "Delivery")
        return STATUS_KEYS[delivery["state"]["descriptor"]["code"]]
    return str(action)


class Transaction:
    """One buyer-app transaction against the adapter at ``bpp_uri``; ``messages`` holds all that was exchanged."""

    def __init__(self, *, bpp_uri: str, network: Network, receiver: Receiver, domain: str, city: str) -> None:
        self.bpp_uri, self.network, self.receiver = bpp_uri, network, receiver
        self.domain, self.city = domain, city
        self.transaction_id = str(uuid.uuid4())
        self.messages: list[dict[str, Any]] = []
        self.keys: dict[int, str] = {}  # id(message) -> the utility's payload key, where it cannot tell itself
        self._taken: set[tuple[str, int]] = set()

    # -- requests and their callbacks -----------------------------------------------------------------------------

    def context(self, action: str, *, timestamp: str | None = None) -> dict[str, Any]:
        context = {"domain": self.domain, "country": "IND", "city": self.city, "action": action,
                   "core_version": "1.2.5", "bap_id": BUYER_ID, "bap_uri": self.receiver.url,
                   "transaction_id": self.transaction_id, "message_id": str(uuid.uuid4()),
                   "timestamp": timestamp or format_timestamp(dt.datetime.now(dt.UTC)), "ttl": "PT30S"}
        if action != "search":
            context |= {"bpp_id": SELLER_ID, "bpp_uri": self.bpp_uri}
        return context

    def send(self, action: str, message: dict[str, Any], *, timestamp: str | None = None, answers: int = 1,
             key: str | None = None, answer_key: str | None = None) -> list[dict[str, Any]]:
        """Send a signed request; the signed callbacks that answer it (``answers`` of them). ``key`` and
        ``answer_key`` name the request and its answer for the utility (e.g. update_liquidated)."""
        body = {"context": self.context(action, timestamp=timestamp), "message": message}
        if key:
            self.keys[id(body)] = key
        raw = orjson.dumps(body)
        response = requests.post(f"{self.bpp_uri}/{action}", data=raw, timeout=10,
                                 headers={"Content-Type": "application/json",
                                          "Authorization": self.network.buyer.sign(raw)})
        assert response.status_code == 200, response.text
        assert response.json()["message"]["ack"]["status"] == "ACK", response.text
        self.messages.append(body)
        return self.wait(f"on_{action}", body["context"]["message_id"], count=answers, key=answer_key)

    def wait(self, action: str, message_id: str | None = None, *, count: int = 1, timeout: float = 30,
             key: str | None = None) -> list[dict[str, Any]]:
        """Callbacks for this transaction not seen yet (answering ``message_id`` when given), verified and kept."""
        def fresh() -> list[tuple[int, Any]]:
            out = []
            for index, post in enumerate(self.receiver.posts(f"/{action}")):
                body = orjson.loads(post.body)
                if (action, index) in self._taken or body["context"]["transaction_id"] != self.transaction_id:
                    continue
                if message_id is None or body["context"]["message_id"] == message_id:
                    out.append((index, post))
            return out

        assert wait_until(lambda: len(fresh()) >= count, timeout=timeout), f"no {action} for {message_id}"
        bodies = []
        now = int(dt.datetime.now(dt.UTC).timestamp())
        for index, post in fresh()[:count]:
            verify_request(post.body, post.headers["Authorization"],
                           public_key_b64=self.network.seller.keys.signing_public_key, now=now)
            self._taken.add((action, index))
            body = orjson.loads(post.body)
            bodies.append(body)
            self.messages.append(body)
            if key:
                self.keys[id(body)] = key
        return bodies

    # -- the seller's side, through the admin API -----------------------------------------------------------------

    def seller(self, service_url: str, order_id: str, action: str, **body: Any) -> dict[str, Any]:
        listed = requests.get(f"{service_url}/api/v1/orders", headers=ADMIN, timeout=10).json()["orders"]
        pk = next(o["id"] for o in listed if o["order_id"] == order_id)
        before = len(self.receiver.posts())
        response = requests.post(f"{service_url}/api/v1/orders/{pk}/actions/{action}", json=body or None,
                                 headers=ADMIN, timeout=10)
        assert response.status_code == 200, response.text
        assert wait_until(lambda: len(self.receiver.posts()) > before, timeout=30), f"no callback after {action}"
        answer: dict[str, Any] = response.json()
        return answer

    # -- what the validator reads -----------------------------------------------------------------------------------

    def save(self, folder: Path) -> Path:
        """The transaction as ONDC's review asks for logs: one numbered file per message, addresses neutralised as
        the utility's README allows; and beside the folder, the utility's request naming each message's payload
        key (``<folder>.request.json``, what :meth:`Validator.run` reads)."""
        folder.mkdir(parents=True, exist_ok=True)
        payload: dict[str, Any] = {}
        incremental: set[str] = set()
        for number, message in enumerate(self.messages, start=1):
            copy = neutralise_addresses(message)
            (folder / f"{number:02d}_{message['context']['action']}.json").write_text(
                json.dumps(copy, indent=1, ensure_ascii=False))
            payload[self.keys.get(id(message)) or payload_key(message, incremental)] = copy  # a later one of a key wins
        request = folder.parent / f"{folder.name}.request.json"
        request.write_text(json.dumps({"payload": payload}, ensure_ascii=False))
        return request


def billing(now: str) -> dict[str, Any]:
    return {"name": "Asha Devi", "phone": "9000000001", "email": "asha@buyer.example", "address": ADDRESS,
            "created_at": now, "updated_at": now}


def end(name: str = "Asha Devi") -> dict[str, Any]:
    return {"location": {"gps": "31.1048,77.1734", "address": ADDRESS},
            "contact": {"phone": "9000000001", "email": "asha@buyer.example"}, "person": {"name": name}}


def bap_terms() -> dict[str, Any]:
    return {"code": "bap_terms", "list": [{"code": "accept_bpp_terms", "value": "Y"},
                                          {"code": "tax_number", "value": BUYER_GSTIN}]}

"""A buyer app for the conformance suite: signs requests to the running adapter, collects the signed callbacks,
and keeps every message of the transaction, in order, for ONDC's validator."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path
from typing import Any

import orjson
import requests

from adapter.certification.bundle import write_bundle
from adapter.protocol.context import format_timestamp
from adapter.protocol.signing import verify_request
from tests.support.network import BUYER_ID, SELLER_ID, Network
from tests.support.receiver import Receiver
from tests.support.servers import wait_until

ADMIN = {"Authorization": "Bearer test-admin-key-0123456789abcdef"}
BUYER_GSTIN = "02AAACB1234C1Z5"
ADDRESS = {"name": "12", "building": "Lakkar Bazaar", "locality": "The Ridge", "city": "Shimla",
           "state": "Himachal Pradesh", "country": "IND", "area_code": "171001"}


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
        raw = orjson.dumps({"context": self.context(action, timestamp=timestamp), "message": message})
        body = orjson.loads(raw)  # what was sent, whatever the caller does with ``message`` afterwards
        if key:
            self.keys[id(body)] = key
        response = requests.post(f"{self.bpp_uri}/{action}", data=raw, timeout=10,
                                 headers={"Content-Type": "application/json",
                                          "Authorization": self.network.buyer.sign(raw)})
        assert response.status_code == 200, response.text
        assert response.json()["message"]["ack"]["status"] == "ACK", response.text
        self.messages.append(body)
        return self.wait(f"on_{action}", body["context"]["message_id"], count=answers, key=answer_key)

    def reject(self, errors: list[dict[str, Any]], *, city: str | None = None) -> None:
        """Send a catalog_rejection (no message: the reasons sit beside the context; no callback follows)."""
        context = self.context("catalog_rejection") | ({"city": city} if city else {})
        raw = orjson.dumps({"context": context, "errors": errors})
        response = requests.post(f"{self.bpp_uri}/catalog_rejection", data=raw, timeout=10,
                                 headers={"Content-Type": "application/json",
                                          "Authorization": self.network.buyer.sign(raw)})
        assert response.status_code == 200, response.text
        assert response.json()["message"]["ack"]["status"] == "ACK", response.text
        self.messages.append(orjson.loads(raw))

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
        """The transaction as ONDC's review asks for logs (adapter.certification.bundle); the utility's request."""
        return write_bundle(folder, self.messages, self.keys)


def billing(now: str) -> dict[str, Any]:
    return {"name": "Asha Devi", "phone": "9000000001", "email": "asha@buyer.example", "address": ADDRESS,
            "created_at": now, "updated_at": now}


# A buyer near Palampur, for a cooperative that delivers itself around its shed (hyperlocal, P2P).
NEAR_PALAMPUR = ("32.1032,76.5421", {"name": "4", "building": "Ghuggar Road", "locality": "Ghuggar",
                                     "city": "Palampur", "state": "Himachal Pradesh", "country": "IND",
                                     "area_code": "176061"})


def end(name: str = "Asha Devi", place: tuple[str, dict[str, str]] | None = None) -> dict[str, Any]:
    """The buyer's drop-off: Shimla (intercity from every demo cooperative) unless ``place`` says otherwise."""
    gps, address = place or ("31.1048,77.1734", ADDRESS)
    return {"location": {"gps": gps, "address": address},
            "contact": {"phone": "9000000001", "email": "asha@buyer.example"}, "person": {"name": name}}


def bap_terms() -> dict[str, Any]:
    return {"code": "bap_terms", "list": [{"code": "accept_bpp_terms", "value": "Y"},
                                          {"code": "tax_number", "value": BUYER_GSTIN}]}

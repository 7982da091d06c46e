"""The conformance suite's buyer app: the product's flow driver (adapter.certification.driver) over the test
network's keys, a test callback receiver and the operator API of the service under test."""

from __future__ import annotations

import datetime as dt
from typing import Any

import orjson
import requests

from adapter.certification.driver import Party, Transaction, bap_terms, billing, end
from adapter.protocol.signing import verify_request
from tests.support.network import BUYER_ID, SELLER_ID, Network
from tests.support.receiver import Receiver

__all__ = ["ADMIN", "NEAR_PALAMPUR", "TestWire", "Transaction", "bap_terms", "billing", "end", "transaction"]

ADMIN = {"Authorization": "Bearer test-admin-key-0123456789abcdef"}
# A buyer near Palampur, for a cooperative that delivers itself around its shed (hyperlocal, P2P).
NEAR_PALAMPUR = ("32.1032,76.5421", {"name": "4", "building": "Ghuggar Road", "locality": "Ghuggar",
                                     "city": "Palampur", "state": "Himachal Pradesh", "country": "IND",
                                     "area_code": "176061"})


class TestWire:
    """Signs with the test buyer's key, reads (and verifies) what the test receiver got, calls the operator API."""

    __test__ = False  # not a test class

    def __init__(self, network: Network, receiver: Receiver, service_url: str) -> None:
        self.network, self.receiver, self.service_url = network, receiver, service_url
        self._verified: dict[int, dict[str, Any]] = {}  # position in receiver.received -> the parsed body

    def post(self, url: str, raw: bytes) -> tuple[int, Any]:
        response = requests.post(url, data=raw, timeout=10, headers={
            "Content-Type": "application/json", "Authorization": self.network.buyer.sign(raw)})
        return response.status_code, response.json()

    def callbacks(self, action: str | None) -> list[dict[str, Any]]:
        now = int(dt.datetime.now(dt.UTC).timestamp())
        bodies = []
        for position, post in enumerate(self.receiver.posts()):
            if action is not None and not post.path.endswith(f"/{action}"):
                continue
            if position not in self._verified:
                verify_request(post.body, post.headers["Authorization"],
                               public_key_b64=self.network.seller.keys.signing_public_key, now=now)
                self._verified[position] = orjson.loads(post.body)
            bodies.append(self._verified[position])
        return bodies

    def api(self, method: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
        response = requests.request(method, f"{self.service_url}{path}", json=body, headers=ADMIN, timeout=10)
        return response.status_code, response.json()


def transaction(service_url: str, network: Network, receiver: Receiver, domain: str, city: str) -> Transaction:
    """A transaction of the test buyer with the service at ``service_url``."""
    party = Party(bap_id=BUYER_ID, bap_uri=receiver.url, bpp_id=SELLER_ID, bpp_uri=f"{service_url}/ondc")
    return Transaction(TestWire(network, receiver, service_url), party, domain, city)

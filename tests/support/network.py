"""Test participants: our seller keys and a buyer app that signs requests like a real one."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from adapter.protocol.context import format_timestamp
from adapter.protocol.keys import KeySet, SigningKey, generate_keyset
from adapter.protocol.registry import write_registry_file
from adapter.protocol.registry_entry import RegistryEntry
from adapter.protocol.signing import sign_request

SELLER_ID = "seller.odop.test"
SELLER_KEY_ID = "seller-key-1"
BUYER_ID = "buyer.odop.test"
BUYER_KEY_ID = "buyer-key-1"
GATEWAY_ID = "gateway.odop.test"
GATEWAY_KEY_ID = "gateway-key-1"
COURIER_ID = "courier.odop.test"
COURIER_KEY_ID = "courier-key-1"
# ONDC:NTS10 is RSF's (reconciliation and settlement): a buyer app signs its recon as a subscriber of it.
DOMAINS = ("ONDC:RET10", "ONDC:RET12", "ONDC:RET14", "ONDC:RET16", "ONDC:NTS10")
# A courier is a seller app of ONDC logistics (and we are its buyer app there).
LOG_DOMAINS = ("ONDC:LOG10", "ONDC:LOG11")


@dataclass(frozen=True)
class Party:
    """A network participant with its keys."""

    subscriber_id: str
    unique_key_id: str
    keys: KeySet

    @property
    def signing_key(self) -> SigningKey:
        return SigningKey.from_base64(self.keys.signing_private_key)

    def sign(self, body: bytes, now: dt.datetime | None = None, *, validity: int = 300) -> str:
        created = int((now or dt.datetime.now(dt.UTC)).timestamp())
        return sign_request(body, subscriber_id=self.subscriber_id, unique_key_id=self.unique_key_id,
                            key=self.signing_key, created=created, expires=created + validity)

    def entries(self, kind: str, url: str, domains: tuple[str, ...] = DOMAINS) -> list[RegistryEntry]:
        now = dt.datetime.now(dt.UTC)
        return [
            RegistryEntry(subscriber_id=self.subscriber_id, unique_key_id=self.unique_key_id,
                          signing_public_key=self.keys.signing_public_key,
                          encr_public_key=self.keys.encryption_public_key,
                          valid_from=now - dt.timedelta(days=1), valid_until=now + dt.timedelta(days=30),
                          type=kind, domain=domain, city="*", subscriber_url=url)
            for domain in domains
        ]


@dataclass(frozen=True)
class Network:
    """The seller (us), a buyer app, a gateway and a courier, all listed in one static registry file."""

    seller: Party
    buyer: Party
    gateway: Party
    courier: Party
    registry_file: Path

    def write_registry(self, path: Path, *, courier_url: str = "http://127.0.0.1/courier",
                       buyer_url: str = "http://127.0.0.1:9/buyer") -> Path:
        """A registry file of these parties (the courier at ``courier_url``, in the logistics domains)."""
        write_registry_file(path, [
            *self.seller.entries("sellerApp", "http://127.0.0.1/ondc"),
            *self.seller.entries("buyerApp", "http://127.0.0.1/ondc", LOG_DOMAINS),
            *self.buyer.entries("buyerApp", buyer_url),
            *self.gateway.entries("gateway", "http://127.0.0.1/gateway"),
            *self.courier.entries("sellerApp", courier_url, LOG_DOMAINS),
        ])
        return path


def make_network(directory: Path, buyer_url: str = "http://127.0.0.1:9/buyer") -> Network:
    network = Network(
        seller=Party(SELLER_ID, SELLER_KEY_ID, generate_keyset()),
        buyer=Party(BUYER_ID, BUYER_KEY_ID, generate_keyset()),
        gateway=Party(GATEWAY_ID, GATEWAY_KEY_ID, generate_keyset()),
        courier=Party(COURIER_ID, COURIER_KEY_ID, generate_keyset()),
        registry_file=directory / "registry.json",
    )
    network.write_registry(network.registry_file, buyer_url=buyer_url)
    return network


def search_body(*, bap_uri: str = "http://127.0.0.1:9/buyer", domain: str = "ONDC:RET16", city: str = "std:080",
                message: dict[str, Any] | None = None, now: dt.datetime | None = None,
                transaction_id: str | None = None, message_id: str | None = None, **context: Any) -> bytes:
    """A search request as a buyer app sends it (compact JSON bytes)."""
    moment = now or dt.datetime.now(dt.UTC)
    payload = {
        "context": {
            "domain": domain, "country": "IND", "city": city, "action": "search", "core_version": "1.2.5",
            "bap_id": BUYER_ID, "bap_uri": bap_uri, "transaction_id": transaction_id or str(uuid.uuid4()),
            "message_id": message_id or str(uuid.uuid4()), "timestamp": format_timestamp(moment), "ttl": "PT30S",
            **context,
        },
        "message": message if message is not None else {
            "intent": {"fulfillment": {"type": "Delivery"},
                       "payment": {"@ondc/org/buyer_app_finder_fee_type": "percent",
                                   "@ondc/org/buyer_app_finder_fee_amount": "3"}},
        },
    }
    return orjson.dumps(payload)

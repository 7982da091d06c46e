"""A real HTTP server on 127.0.0.1 that plays a courier on ONDC logistics: it takes our signed LOG search and,
unless told to stay silent, answers with a signed on_search quoting ``price`` and ``tat`` (the spec's LOG11
example with its context and price replaced)."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import orjson
import requests

from adapter.protocol.context import format_timestamp
from adapter.protocol.signing import SignatureError, verify_request
from tests.support.network import COURIER_ID, Network

ACK = b'{"message":{"ack":{"status":"ACK"}}}'
EXAMPLE = Path(__file__).resolve().parents[1] / "fixtures" / "ondc" / "logistics-examples" / \
    "LOG11_ORDER_FLOW_BASE_LINE.on_search.json"


@dataclass
class Courier:
    """What the courier got (each search, verified against our key) and how it answers the next ones."""

    network: Network
    port: int = 0
    price: str = "87.50"
    tat: str = "P3D"
    item_id: str | None = None  # the quoted item's id, when not the example's
    silent: bool = False
    searches: list[dict[str, Any]] = field(default_factory=list)
    others: list[dict[str, Any]] = field(default_factory=list)  # any other action posted to it
    answers: list[int] = field(default_factory=list)  # HTTP status of each on_search we POSTed
    refused: int = 0  # searches whose signature did not verify
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/courier"

    def answer(self, search: dict[str, Any]) -> None:
        """POST the on_search for ``search`` to its bap_uri, signed with the courier's key."""
        payload = json.loads(EXAMPLE.read_text())
        asked = search["context"]
        payload["context"] |= {key: asked[key] for key in ("domain", "city", "bap_id", "bap_uri", "transaction_id",
                                                           "message_id")}
        payload["context"] |= {"bpp_id": COURIER_ID, "bpp_uri": self.url,
                               "timestamp": format_timestamp(dt.datetime.now(dt.UTC))}
        provider = payload["message"]["catalog"]["bpp/providers"][0]
        category = search["message"]["intent"]["category"]["id"]
        provider["categories"][0]["id"] = category
        for item in provider["items"]:
            item["category_id"] = category
            item["time"]["duration"] = self.tat
        provider["items"][0]["price"]["value"] = self.price
        if self.item_id is not None:
            provider["items"][0]["id"] = self.item_id
        body = orjson.dumps(payload)
        response = requests.post(f"{asked['bap_uri']}/on_search", data=body, timeout=10, headers={
            "Content-Type": "application/json", "Authorization": self.network.courier.sign(body)})
        with self.lock:
            self.answers.append(response.status_code)


@contextmanager
def running_courier(network: Network, port: int = 0) -> Iterator[Courier]:
    courier = Courier(network)

    class Handler(BaseHTTPRequestHandler):
        disable_nagle_algorithm = True

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            try:  # our signature, checked as a courier checks it (the seller app's key from the registry)
                verify_request(body, self.headers.get("Authorization", ""), now=int(time.time()),
                               public_key_b64=network.seller.keys.signing_public_key)
            except SignatureError:
                with courier.lock:
                    courier.refused += 1
                self.send_response(401)
                self.end_headers()
                return
            search = orjson.loads(body)
            with courier.lock:  # a search; or a booking (init, confirm ...), which this courier only ACKs
                (courier.searches if self.path.endswith("/search") else courier.others).append(search)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(ACK)))
            self.end_headers()
            self.wfile.write(ACK)
            if self.path.endswith("/search") and not courier.silent:
                # After the ACK, as a courier answers: asynchronously.
                threading.Thread(target=courier.answer, args=(search,), daemon=True).start()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    courier.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield courier
    finally:
        server.shutdown()
        server.server_close()

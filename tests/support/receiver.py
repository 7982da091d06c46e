"""A real HTTP server on 127.0.0.1 that plays a buyer app's callback endpoint."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ACK = b'{"message":{"ack":{"status":"ACK"}}}'


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """Records every POST; answers from `responses` (status, body) in turn, then ACKs."""

    port: int = 0
    received: list[Received] = field(default_factory=list)
    responses: list[tuple[int, bytes]] = field(default_factory=list)
    delays: list[float] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/buyer"

    def next_response(self) -> tuple[int, bytes]:
        with self.lock:
            return self.responses.pop(0) if self.responses else (200, ACK)

    def posts(self, path_suffix: str = "") -> list[Received]:
        with self.lock:
            return [r for r in self.received if r.path.endswith(path_suffix)]


@contextmanager
def running_receiver() -> Iterator[Receiver]:
    receiver = Receiver()

    class Handler(BaseHTTPRequestHandler):
        # Headers and body go out in separate writes: without this, Nagle's algorithm holds the body back
        # until the client's delayed ACK (about 40 ms per callback).
        disable_nagle_algorithm = True
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with receiver.lock:
                receiver.received.append(Received(self.path, dict(self.headers), body))
            with receiver.lock:
                delay = receiver.delays.pop(0) if receiver.delays else 0.0
            time.sleep(delay)
            status, answer = receiver.next_response()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()

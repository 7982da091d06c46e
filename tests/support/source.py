"""A local HTTP server publishing a catalogue file, with ETag support, that a test can edit."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Source:
    content: bytes = b""
    port: int = 0
    status: int = 200
    delay: float = 0.0
    requests: list[dict[str, str]] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/catalogue.csv"

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha256(self.content).hexdigest()[:16] + '"'


@contextmanager
def running_source(content: bytes) -> Iterator[Source]:
    source = Source(content=content)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            source.requests.append(dict(self.headers))
            time.sleep(source.delay)
            if source.status != 200:
                self.send_response(source.status)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if self.headers.get("If-None-Match") == source.etag:
                self.send_response(304)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/csv")
            self.send_header("ETag", source.etag)
            self.send_header("Content-Length", str(len(source.content)))
            self.end_headers()
            self.wfile.write(source.content)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    source.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield source
    finally:
        server.shutdown()
        server.server_close()

"""The test buyer app's callback receiver: verify each signed callback, answer ACK or NACK, keep it as a file.

Every POST under any path is a callback named by its last path segment (``/buyer/on_search`` is
``on_search``). Checks, in order: the ``Authorization`` header against the signer's key in the registry
(and the signer must be the ``bpp_id`` of the context), then the body must be a JSON object with a context.
Answers (ONDC error codes for a buyer app, ``shared/ondc/schema/error-codes.md``):

* ACK, HTTP 200;
* bad, missing or unknown signature: NACK 20001 "Invalid Signature", HTTP 401;
* the registry could not be asked: NACK 23001 "Internal Error, please retry", HTTP 503;
* signed but not a JSON object with a context: NACK 20006 "Invalid response", HTTP 400.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import orjson

from adapter.protocol.context import format_timestamp
from adapter.protocol.keys import KeyFormatError
from adapter.protocol.registry import Registry, RegistryError
from adapter.protocol.signing import SignatureError, parse_auth_header, verify_request

__all__ = ["MAX_CALLBACK_BYTES", "Answer", "Callback", "Inbox", "check_callback", "start_server"]

MAX_CALLBACK_BYTES = 32 * 1024 * 1024
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class Answer:
    """What the receiver answers: HTTP status, the ACK/NACK body, and the verdict saved with the callback."""

    status: int
    body: dict[str, Any]
    signature: str  # "ok" or why the signature was not accepted
    signer: str | None = None

    @property
    def acked(self) -> bool:
        """True when the callback was ACKed."""
        return bool(self.body["message"]["ack"]["status"] == "ACK")


@dataclass(frozen=True)
class Callback:
    """One received callback as it was saved."""

    received_at: dt.datetime
    path: str
    action: str
    message_id: str | None
    signer: str | None
    signature: str
    acked: bool
    body: Any
    file: Path


def _ack() -> dict[str, Any]:
    return {"message": {"ack": {"status": "ACK"}}}


def _nack(code: str, message: str, error_type: str = "CONTEXT-ERROR") -> dict[str, Any]:
    return {"message": {"ack": {"status": "NACK"}}, "error": {"type": error_type, "code": code, "message": message}}


def _context(payload: Any) -> dict[str, Any] | None:
    if isinstance(payload, dict) and isinstance(payload.get("context"), dict):
        context: dict[str, Any] = payload["context"]
        return context
    return None


def check_callback(raw: bytes, headers: Mapping[str, str], payload: Any, *, registry: Registry, now: dt.datetime,
                   clock_skew: int) -> Answer:
    """Verify one callback's signature over the raw bytes and its shape; the answer to send back."""
    lowered = {name.lower(): value for name, value in headers.items()}
    header = lowered.get("authorization")
    if not header:
        return Answer(401, _nack("20001", "the Authorization header is missing"), "missing Authorization header")
    context = _context(payload)
    domain = context.get("domain") if context is not None else None
    try:
        parsed = parse_auth_header(header)
        entry = registry.lookup(parsed.subscriber_id, parsed.unique_key_id,
                                domain=domain if isinstance(domain, str) else None, now=now)
        if entry is None:
            reason = f"no valid registry key {parsed.unique_key_id!r} for subscriber {parsed.subscriber_id!r}"
            return Answer(401, _nack("20001", reason), reason, parsed.subscriber_id)
        verify_request(raw, header, public_key_b64=entry.signing_public_key, now=int(now.timestamp()),
                       clock_skew=clock_skew)
    except SignatureError as error:
        return Answer(401, _nack("20001", error.reason), error.reason)
    except KeyFormatError as error:
        reason = f"the registry key is malformed: {error}"
        return Answer(401, _nack("20001", reason), reason)
    except RegistryError as error:
        reason = f"registry lookup failed: {error}"
        return Answer(503, _nack("23001", "cannot fetch the signing key from the registry; retry", "CORE-ERROR"),
                      reason)
    signer = parsed.subscriber_id
    if context is None:
        return Answer(400, _nack("20006", "body must be a JSON object with a context", "JSON-SCHEMA-ERROR"),
                      "ok", signer)
    if context.get("bpp_id") != signer:
        reason = f"signed by {signer!r} but context.bpp_id is {context.get('bpp_id')!r}"
        return Answer(401, _nack("20001", reason), reason, signer)
    return Answer(200, _ack(), "ok", signer)


class Inbox:
    """Checks, answers, saves and remembers callbacks; safe to use from the server's threads."""

    def __init__(self, registry: Registry, out_dir: Path, *, clock_skew: int, echo: Callable[[str], None],
                 clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)) -> None:
        self.registry = registry
        self.out_dir = out_dir
        self.clock_skew = clock_skew
        self.echo = echo
        self.clock = clock
        self._received: list[Callback] = []
        self._changed = threading.Condition()

    def handle(self, path: str, headers: Mapping[str, str], raw: bytes) -> Answer:
        """Check one callback, save it, print one line about it, and return the answer."""
        now = self.clock()
        try:
            payload: Any = orjson.loads(raw)
        except orjson.JSONDecodeError:
            payload = None
        answer = check_callback(raw, headers, payload, registry=self.registry, now=now, clock_skew=self.clock_skew)
        action = path.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1] or "unknown"
        context = _context(payload) or {}
        message_id = context.get("message_id") if isinstance(context.get("message_id"), str) else None
        saved_body = payload if payload is not None else raw.decode("utf-8", errors="replace")
        file = self._save(now, action, message_id, {
            "received_at": format_timestamp(now), "path": path, "signature": answer.signature,
            "headers": dict(headers), "body": saved_body,
        })
        callback = Callback(received_at=now, path=path, action=action, message_id=message_id, signer=answer.signer,
                            signature=answer.signature, acked=answer.acked, body=saved_body, file=file)
        with self._changed:
            self._received.append(callback)
            self._changed.notify_all()
        self.echo(_describe(callback, answer))
        return answer

    def _save(self, now: dt.datetime, action: str, message_id: str | None, record: dict[str, Any]) -> Path:
        self.out_dir.mkdir(parents=True, exist_ok=True)
        stamp = now.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%S") + f".{now.microsecond // 1000:03d}Z"
        stem = f"{stamp}_{_SAFE.sub('-', action)[:40]}_{_SAFE.sub('-', message_id or 'no-message-id')[:80]}"
        data = orjson.dumps(record, option=orjson.OPT_INDENT_2)
        for n in range(1000):
            file = self.out_dir / (f"{stem}.json" if n == 0 else f"{stem}.{n}.json")
            try:
                with file.open("xb") as handle:  # never overwrite: a duplicate callback is a finding too
                    handle.write(data)
                return file
            except FileExistsError:
                continue
        raise OSError(f"too many callbacks named {stem} in {self.out_dir}")

    def callbacks(self, *, action: str | None = None, message_id: str | None = None) -> list[Callback]:
        """The callbacks received so far, optionally only one action and message_id."""
        with self._changed:
            return [c for c in self._received
                    if (action is None or c.action == action) and (message_id is None or c.message_id == message_id)]

    def wait(self, count: Callable[[], int], *, timeout: float, settle: float) -> int:
        """Wait until ``count()`` is positive and has not grown for ``settle`` seconds, or ``timeout``; return it."""
        deadline = time.monotonic() + timeout
        last, quiet_since = 0, time.monotonic()
        with self._changed:
            while True:
                current = count()
                moment = time.monotonic()
                if current != last:
                    last, quiet_since = current, moment
                if moment >= deadline or (current > 0 and moment - quiet_since >= settle):
                    return current
                self._changed.wait(timeout=min(0.2, deadline - moment))


def _describe(callback: Callback, answer: Answer) -> str:
    verdict = "ACK" if answer.acked else f"NACK {answer.body['error']['code']} (HTTP {answer.status})"
    extra = ""
    catalog = callback.body.get("message", {}).get("catalog") if isinstance(callback.body, dict) else None
    if isinstance(catalog, dict):
        providers = catalog.get("bpp/providers") or []
        items = sum(len(p.get("items") or []) for p in providers if isinstance(p, dict))
        extra = f" [{len(providers)} provider(s), {items} item(s)]"
    return (f"{callback.received_at.strftime('%H:%M:%S')} {callback.action} message_id={callback.message_id} "
            f"from {callback.signer or '?'}: signature {callback.signature}; {verdict}{extra} -> {callback.file}")


def _handler(inbox: Inbox) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        # Headers and body go out in separate writes: without this, Nagle's algorithm holds the body back
        # until the client's delayed ACK (about 40 ms per callback).
        disable_nagle_algorithm = True
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            try:
                length = int(self.headers.get("Content-Length") or "0")
            except ValueError:
                length = -1
            if length < 0 or length > MAX_CALLBACK_BYTES:
                self._reply(413, _nack("20006", f"body must be 0..{MAX_CALLBACK_BYTES} bytes", "JSON-SCHEMA-ERROR"))
                self.close_connection = True
                return
            raw = self.rfile.read(length)
            answer = inbox.handle(self.path, dict(self.headers.items()), raw)
            extra = {"WWW-Authenticate": 'Signature headers="(created) (expires) digest"'} \
                if answer.status == 401 else {}
            self._reply(answer.status, answer.body, extra)

        def do_GET(self) -> None:
            self._reply(405, {"error": "POST callbacks to /on_<action>"})

        def _reply(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
            data = orjson.dumps(body)
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # one line per callback is printed by the inbox instead

    return Handler


def start_server(inbox: Inbox, host: str, port: int) -> tuple[ThreadingHTTPServer, threading.Thread]:
    """Serve the inbox on host:port in a daemon thread (OSError if the port is taken)."""
    server = ThreadingHTTPServer((host, port), _handler(inbox))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="buyer-inbox", daemon=True)
    thread.start()
    return server, thread

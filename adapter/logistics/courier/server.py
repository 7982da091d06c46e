"""The test courier on HTTP: a small WSGI app (werkzeug) and the threads that answer and move parcels.

Each POST to ``…/<action>`` is checked in the adapter's own order (size, JSON, signature against the registry,
then the request) and ACKed or NACKed at once; the on_* callback is sent afterwards from a thread pool. A
scheduler thread moves parcels on. GET ``/labels/<awb>.pdf`` and ``/track/<awb>`` serve the label and the
tracking page that the callbacks point to; ``/_courier/*`` takes the commands of ``odop-adapter courier``
(with the control token saved beside the courier's keys).
"""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import hmac
import html
import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import orjson
from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.wrappers import Request, Response

from adapter.errors import ProtocolError
from adapter.logistics.courier import messages
from adapter.logistics.courier.checks import ACTIONS, INVALID_SIGNATURE, check_request, invalid
from adapter.logistics.courier.label import label_pdf
from adapter.logistics.courier.service import Courier, UnknownShipmentError, where
from adapter.logistics.courier.states import DOMAINS, MoveError
from adapter.logistics.courier.store import Shipment
from adapter.protocol.keys import KeyFormatError
from adapter.protocol.registry import Registry, RegistryError
from adapter.protocol.registry_entry import url_host
from adapter.protocol.signing import SignatureError, parse_auth_header, verify_parsed

__all__ = ["ACK", "CourierApp", "CourierServer"]

log = logging.getLogger("adapter.logistics.courier")

ACK: dict[str, Any] = {"message": {"ack": {"status": "ACK"}}}
MAX_BODY = 1_000_000
AUTHENTICATE = 'Signature realm="{realm}",headers="(created) (expires) digest"'


def _json(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(body), status=status, mimetype="application/json", headers=headers)


def _rejected(reason: str) -> ProtocolError:
    # ONDC logistics 1.2.5 errors: 60005 "Invalid Signature - Cannot verify signature for request" (a NACK).
    return ProtocolError(reason, ondc_code=INVALID_SIGNATURE, error_type="CONTEXT-ERROR",
                         path="headers.Authorization", status=401)


@dataclass
class CourierApp:
    """The WSGI application: network requests, label and tracking pages, and the control commands."""

    courier: Courier
    registry: Registry
    control_token: str
    clock_skew: int = 5
    pool: concurrent.futures.Executor | None = None

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = Request(environ)
        response = self.dispatch(request)
        return response(environ, start_response)

    def dispatch(self, request: Request) -> Response:
        """One request to its answer; never a 500 for bad input."""
        path = request.path.rstrip("/")
        action = path.rsplit("/", 1)[-1]
        if request.method == "POST" and path.startswith("/_courier/"):
            return self._control(request, path.removeprefix("/_courier/"))
        if request.method == "POST" and action in ACTIONS:
            return self.receive(action, request)
        if request.method == "GET" and path.startswith("/labels/") and path.endswith(".pdf"):
            return self._label(path.removeprefix("/labels/").removesuffix(".pdf"))
        if request.method == "GET" and path.startswith("/track/"):
            return self._track(path.removeprefix("/track/"), request)
        if request.method == "GET" and path == "/healthz":
            return _json(200, {"status": "ok"})
        return _json(404, {"error": f"no {request.method} {path or '/'} here; POST …/{{{','.join(ACTIONS)}}}"})

    # --- network requests ----------------------------------------------------------------------------------

    def receive(self, action: str, request: Request) -> Response:
        """Check a signed LOG request; ACK it and answer later, or NACK it now."""
        length = request.content_length
        if length is None or length > MAX_BODY:
            return self._nack(invalid(f"send a body of at most {MAX_BODY} bytes, with a Content-Length", "body"))
        raw = request.get_data(cache=False)
        try:
            payload = orjson.loads(raw)
            if not isinstance(payload, dict) or not isinstance(payload.get("context"), dict):
                raise invalid("the body must be a JSON object with a context object", "context")
            if payload["context"].get("domain") not in DOMAINS:  # no registry key is looked up for other domains
                raise invalid(f"context.domain must be one of {', '.join(DOMAINS)}", "context.domain", context=True)
            now = self.courier.clock()
            self._verify(raw, request.headers.get("Authorization", ""), payload["context"], now)
            check_request(action, payload, bpp_id=self.courier.info.bpp_id, now=now, clock_skew=self.clock_skew)
        except orjson.JSONDecodeError as error:
            return self._nack(invalid(f"the body is not valid JSON: {error}", "body"))
        except ProtocolError as error:
            return self._nack(error)
        context = payload["context"]
        if self.courier.store.first_time(context["bap_id"], action, context["message_id"]):
            self._later(action, payload)
        return _json(200, ACK)

    def _verify(self, raw: bytes, header: str, context: dict[str, Any], now: dt.datetime) -> None:
        """The same checks as the adapter's receiver: a registry key for the signer, over the raw bytes."""
        if not header:
            raise _rejected("the Authorization header is missing")
        try:
            auth = parse_auth_header(header)
        except SignatureError as error:
            raise _rejected(error.reason) from None
        domain = context.get("domain") if isinstance(context.get("domain"), str) else None
        try:
            entry = self.registry.lookup(auth.subscriber_id, auth.unique_key_id, domain=domain, now=now)
        except RegistryError as error:
            raise ProtocolError(f"the signing key could not be fetched from the registry ({error.reason}); retry",
                                ondc_code="66001", error_type="CORE-ERROR", status=503) from None
        if entry is None:
            raise _rejected(f"no valid registry key {auth.unique_key_id!r} for {auth.subscriber_id!r} in {domain}")
        try:
            verify_parsed(raw, auth, public_key_b64=entry.signing_public_key, now=int(now.timestamp()),
                          clock_skew=self.clock_skew)
        except (SignatureError, KeyFormatError) as error:
            raise _rejected(getattr(error, "reason", str(error))) from None
        if entry.subscriber_id != context.get("bap_id"):
            raise _rejected(f"signed by {entry.subscriber_id!r} but context.bap_id is {context.get('bap_id')!r}")
        bap_uri = context.get("bap_uri")
        # Signed callbacks go only to the host the logistics buyer registered, never wherever a request says.
        if isinstance(bap_uri, str) and entry.subscriber_url and \
                (url_host(bap_uri) is None or url_host(bap_uri) != url_host(entry.subscriber_url)):
            raise invalid(f"bap_uri is not on the host registered for {entry.subscriber_id!r}", "context.bap_uri",
                          context=True)

    def _nack(self, error: ProtocolError) -> Response:
        headers = {}
        if error.status == 401:
            headers["WWW-Authenticate"] = AUTHENTICATE.format(realm=self.courier.info.bpp_id)
        return _json(error.status, error.to_dict(), headers)

    def _later(self, action: str, payload: dict[str, Any]) -> None:
        if self.pool is None:
            self._answer(action, payload)
        else:
            self.pool.submit(self._answer, action, payload)

    def _answer(self, action: str, payload: dict[str, Any]) -> None:
        # An ACKed request always gets its callback: a failure of ours becomes an on_* with 66001.
        try:
            self.courier.handle(action, payload)
        except Exception:
            log.exception("the courier failed to answer %s", action)
            context = messages.callback_context(payload["context"], f"on_{action}", self.courier.info,
                                                self.courier.clock())
            self.courier.outbox.send(messages.error_body(context, "66001", "Internal Error: please retry",
                                                         "CORE-ERROR"))

    # --- pages ------------------------------------------------------------------------------------------------

    def _shipment(self, awb: str) -> Shipment | None:
        return self.courier.store.shipment(awb=awb) if awb.isdigit() else None

    def _label(self, awb: str) -> Response:
        shipment = self._shipment(awb)
        if shipment is None:
            return _json(404, {"error": f"no shipment with AWB {awb}"})
        return Response(label_pdf(shipment, self.courier.info.name), mimetype="application/pdf",
                        headers={"Content-Disposition": f'inline; filename="label-{awb}.pdf"'})

    def _track(self, awb: str, request: Request) -> Response:
        shipment = self._shipment(awb)
        if shipment is None:
            return _json(404, {"error": f"no shipment with AWB {awb}"})
        history = self.courier.store.history(awb)
        gps = where(shipment)
        data = {"awb": awb, "order_id": shipment.order_id, "state": shipment.state, "gps": gps,
                "history": [{"state": state, "at": at} for state, at in history]}
        if request.args.get("format") == "json" or request.accept_mimetypes.best == "application/json":
            return _json(200, data)
        rows = "".join(f"<li>{html.escape(at)}: <strong>{html.escape(state)}</strong></li>" for state, at in history)
        page = (f"<!doctype html><html lang='en'><head><meta charset='utf-8'><meta name='viewport' "
                f"content='width=device-width'><title>AWB {awb}</title></head><body>"
                f"<h1>{html.escape(self.courier.info.name)}: AWB {awb}</h1>"
                f"<p>Now: <strong>{html.escape(shipment.state)}</strong> near {html.escape(gps)}</p>"
                f"<ol>{rows}</ol></body></html>")
        return Response(page, mimetype="text/html")

    # --- commands ---------------------------------------------------------------------------------------------

    def _control(self, request: Request, command: str) -> Response:
        given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(given.encode(), self.control_token.encode()):
            return _json(401, {"error": "courier commands need the control token (DATA_DIR/courier-control-token)"})
        try:
            data = orjson.loads(request.get_data(cache=False) or b"{}")
        except orjson.JSONDecodeError:
            return _json(400, {"error": "send a JSON object"})
        if not isinstance(data, dict):
            return _json(400, {"error": "send a JSON object"})
        try:
            if command == "move":
                shipment = self.courier.move(str(data.get("awb", "")), str(data.get("to", "")))
            elif command == "scenario":
                shipment = self.courier.set_scenario(str(data.get("awb", "")), str(data.get("scenario", "")))
            elif command == "reweigh":
                try:
                    weight = Decimal(str(data.get("kg", "")))
                except ArithmeticError:
                    return _json(400, {"error": "kg must be a number, the weight found in kilograms"})
                if not weight.is_finite():
                    return _json(400, {"error": "kg must be a number, the weight found in kilograms"})
                shipment = self.courier.reweigh(str(data.get("awb", "")), weight)
            elif command == "shipments":
                return _json(200, {"shipments": [_summary(s) for s in self.courier.store.shipments()]})
            else:
                return _json(404, {"error": f"no command {command!r}; move, scenario, reweigh or shipments"})
        except UnknownShipmentError as error:
            return _json(404, {"error": str(error)})
        except MoveError as error:
            return _json(409, {"error": str(error)})
        return _json(200, _summary(shipment))


def _summary(shipment: Shipment) -> dict[str, Any]:
    return {"awb": shipment.awb, "order_id": shipment.order_id, "domain": shipment.domain, "state": shipment.state,
            "since": shipment.since, "scenario": shipment.scenario, "scheduled": shipment.next_at is not None,
            "bap_id": shipment.context.get("bap_id")}


class CourierServer:
    """The app on a threaded werkzeug server, the callback pool and the scheduler, started and stopped together."""

    def __init__(self, app: CourierApp, host: str, port: int, *, tick_seconds: float = 0.2) -> None:
        self.app = app
        self._pool = concurrent.futures.ThreadPoolExecutor(max_workers=4, thread_name_prefix="courier-callback")
        app.pool = self._pool
        self._server: BaseWSGIServer = make_server(host, port, app, threaded=True)
        self.port = self._server.server_port
        self._tick_seconds = tick_seconds
        self._stopping = threading.Event()
        self._threads = [threading.Thread(target=self._server.serve_forever, name="courier-http", daemon=True),
                         threading.Thread(target=self._schedule, name="courier-schedule", daemon=True)]

    def start(self) -> CourierServer:
        """Start serving and moving parcels; returns self."""
        for thread in self._threads:
            thread.start()
        return self

    def _schedule(self) -> None:
        while not self._stopping.wait(self._tick_seconds):
            try:
                self.app.courier.tick()
            except Exception:  # the schedule keeps going; the failure is in the log
                log.exception("the courier's schedule failed")

    def stop(self) -> None:
        """Stop the server and the scheduler, after the callbacks under way are sent."""
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._pool.shutdown(wait=True)
        for thread in self._threads:
            thread.join(timeout=5)

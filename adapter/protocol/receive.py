"""The inbound pipeline: every network call is checked in order, stored, and answered with ACK or NACK.

Order (ONDC RET 1.2.x): size -> JSON -> signature (Authorization, and X-Gateway-Authorization on search)
-> context -> message schema -> store. Each step has one job and raises one kind of error; `receive` turns them
into the stored answer. No step raises anything else on bad input. A courier's callback to our LOG search
(``CALLBACK_ACTIONS``, where we are the BAP) goes the same way, signed by the courier (its bpp_id) and addressed
to our bap_id.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections import Counter as Tally
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson
from prometheus_client import Counter
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from adapter.errors import ProtocolError
from adapter.protocol.context import RSF_ACTIONS, ContextPolicy, ServedScope, check_callback_context, check_context
from adapter.protocol.keys import KeyFormatError
from adapter.protocol.messages import CALLBACK_ACTIONS, MAX_URI_LENGTH, validation_errors
from adapter.protocol.registry import Registry, RegistryError
from adapter.protocol.registry_entry import RegistryEntry, url_host
from adapter.protocol.search_check import plainly_valid_search
from adapter.protocol.signing import (
    SignatureError,
    SignatureExpiredError,
    SignatureHeaderError,
    SignatureMismatchError,
    SignatureNotYetValidError,
    parse_auth_header,
    verify_parsed,
)
from adapter.store.cooperatives import served_scope
from adapter.store.inbound import Envelope, InboundWriter, Written
from adapter.store.search_buffer import SearchBuffer

log = logging.getLogger("adapter.protocol.receive")

ACK: dict[str, Any] = {"message": {"ack": {"status": "ACK"}}}
GATEWAY_HEADERS = ("X-Gateway-Authorization", "Proxy-Authorization")
# Headers worth keeping with the raw body for the transaction timeline (never cookies or our own secrets).
KEPT_HEADERS = ("Authorization", "X-Gateway-Authorization", "Proxy-Authorization", "Content-Type", "User-Agent",
                "X-Request-ID", "X-Forwarded-For")

RESPONSES = Counter("odop_network_responses_total", "ACKs and NACKs we answered, by action and code.",
                    ["action", "status", "code"])
SIGNATURE_FAILURES = Counter("odop_signature_failures_total", "Rejected signatures, by reason.", ["reason"])


class SignatureRejected(ProtocolError):
    """A signature we cannot accept: HTTP 401 with an authenticate header naming the expected scheme."""

    def __init__(self, message: str, *, verdict: str, gateway: bool = False) -> None:
        super().__init__(message, ondc_code="10001" if gateway else "30016", error_type="CONTEXT-ERROR",
                         path="headers." + ("X-Gateway-Authorization" if gateway else "Authorization"), status=401)
        self.verdict = verdict
        self.gateway = gateway


@dataclass(frozen=True)
class Receipt:
    """What to answer: HTTP status, body and headers, the stored message to process (if any), what to log.

    A search handed to the search buffer has no id yet (``inbound_id`` None): the buffer stores and queues it.
    ``routine``: a plain search ACKed as a new one, the bulk of the traffic, whose stored row is its record (its
    request line is logged at DEBUG unless LOG_SEARCH_ACKS is on: adapter/web/network.py).
    """

    status: int
    body: dict[str, Any]
    headers: dict[str, str]
    inbound_id: int | None = None
    process: bool = False
    duplicate: bool = False
    log: dict[str, Any] = field(default_factory=dict)
    routine: bool = False


@dataclass
class Receiver:
    """Everything the pipeline needs; built once per app."""

    writer: InboundWriter
    registry: Registry
    policy: ContextPolicy
    scope: Callable[[], ServedScope]
    max_bytes: int
    clock_skew: int
    require_gateway_auth: bool = False
    # Plain searches are stored by this buffer after their ACK (None: stored before it, like every other call).
    searches: SearchBuffer | None = None

    def receive(self, action: str, raw: bytes, headers: Mapping[str, str], now: dt.datetime) -> Receipt:
        """Check, store and answer one inbound call (header names are matched case-insensitively).

        When the database cannot be reached the call is NACKed 31001 with HTTP 503, which a buyer app retries:
        nothing was stored, so nothing was promised. Never a 500.
        """
        try:
            return self._receive(action, raw, headers, now)
        except SQLAlchemyError as error:
            RESPONSES.labels(action=action, status="NACK", code="31001").inc()
            log.warning("database unavailable; call not stored", extra={"action": action,
                                                                        "error": f"{type(error).__name__}"})
            body = ProtocolError("we cannot store requests right now; please retry", ondc_code="31001",
                                 error_type="CORE-ERROR", status=503).to_dict()
            return Receipt(status=503, body=body, headers={"Retry-After": "2"},
                           log={"answer": "NACK", "action": action, "code": "31001"})

    def _receive(self, action: str, raw: bytes, headers: Mapping[str, str], now: dt.datetime) -> Receipt:
        headers = _canonical(headers)
        kept = {name: headers[name] for name in KEPT_HEADERS if name in headers}
        envelope = Envelope(action=action)
        verdict: str | None = None
        try:
            if len(raw) > self.max_bytes:
                raise ProtocolError(f"body is larger than {self.max_bytes} bytes", ondc_code="30000",
                                    error_type="JSON-SCHEMA-ERROR", status=413)
            content_type = headers.get("Content-Type", "").split(";", 1)[0].strip().lower()
            if content_type != "application/json":
                raise ProtocolError(f"send the body as application/json, not {content_type or 'no Content-Type'}",
                                    ondc_code="30000", error_type="JSON-SCHEMA-ERROR", status=415)
            payload = _parse_json(raw)
            callback = action in CALLBACK_ACTIONS
            envelope = Envelope.from_payload(action, payload, sender_key="bpp_id" if callback else "bap_id")
            if callback:
                self._check_signer(raw, headers, payload, now, side="bpp")  # a courier answering us
                verdict = "ok"
            else:
                verdict = self._check_signatures(action, raw, headers, payload, now)
            # Searches are most of the traffic: a plain walk says yes to the usual one, the schemas do the rest.
            fine = action == "search" and plainly_valid_search(payload)
            errors = [] if fine else validation_errors(action, payload)
            _raise_first(e for e in errors if e[0].startswith("context"))
            if callback:
                check_callback_context(payload["context"], action=action, policy=self.policy, now=now)
                serve = True
            else:
                serve = check_context(payload["context"], action=action, policy=self.policy, scope=self.scope(),
                                      now=now)
            _raise_first(iter(errors))
        except SignatureRejected as error:
            SIGNATURE_FAILURES.labels(reason=error.verdict).inc()
            return self._nack(envelope, raw, kept, error, verdict=error.verdict)
        except ProtocolError as error:
            return self._nack(envelope, raw, kept, error, verdict=verdict)
        # A lost search is repeated by its buyer app; a subscription's start or stop is not (no on_search follows).
        durable = action != "search" or _subscribes(payload)
        return self._ack(envelope, raw, kept, verdict, serve, durable)

    def too_large(self, action: str, headers: Mapping[str, str]) -> Receipt:
        """The NACK for a body over the size limit (the web server refused to read it)."""
        headers = _canonical(headers)
        kept = {name: headers[name] for name in KEPT_HEADERS if name in headers}
        error = ProtocolError(f"body is larger than {self.max_bytes} bytes", ondc_code="30000",
                              error_type="JSON-SCHEMA-ERROR", status=413)
        return self._nack(Envelope(action=action), b"", kept, error, verdict=None)

    def _check_signatures(self, action: str, raw: bytes, headers: Mapping[str, str], payload: dict[str, Any],
                          now: dt.datetime) -> str:
        self._check_signer(raw, headers, payload, now, side="bap")
        if action == "search":
            gateway = next((headers[name] for name in GATEWAY_HEADERS if headers.get(name)), None)
            if gateway is None and self.require_gateway_auth:
                raise SignatureRejected("search must come through a gateway (X-Gateway-Authorization missing)",
                                        verdict="gateway-missing", gateway=True)
            if gateway is not None:
                self._verify(raw, gateway, now, gateway=True, domain=_domain(payload))
        return "ok"

    def _check_signer(self, raw: bytes, headers: Mapping[str, str], payload: dict[str, Any], now: dt.datetime, *,
                      side: str) -> RegistryEntry:
        """The request is signed by the party the context names on ``side`` ("bap" for a buyer app's request,
        "bpp" for a courier's callback to us), and that party's URI is on the host it registered: our signed answers
        only go there, never wherever a request says."""
        header = headers.get("Authorization")
        if not header:
            raise SignatureRejected("the Authorization header is missing", verdict="missing")
        entry = self._verify(raw, header, now, gateway=False, domain=_domain(payload))
        context = payload["context"]
        party = context.get(f"{side}_id")
        if entry.subscriber_id != party:
            raise SignatureRejected(f"signed by {entry.subscriber_id!r} but context.{side}_id is {party!r}",
                                    verdict="wrong-subscriber")
        uri = context.get(f"{side}_uri")
        if not isinstance(uri, str) or not entry.subscriber_url:
            return entry
        host = _host(uri)
        if host is None:
            raise ProtocolError(f"{side}_uri is not a valid URL", ondc_code="30000", error_type="CONTEXT-ERROR",
                                path=f"context.{side}_uri")
        if host != _host(entry.subscriber_url):
            raise ProtocolError(f"{side}_uri is not on the host registered for {party!r}", ondc_code="30000",
                                error_type="CONTEXT-ERROR", path=f"context.{side}_uri")
        return entry

    def _verify(self, raw: bytes, header: str, now: dt.datetime, *, gateway: bool,
                domain: str | None) -> RegistryEntry:
        try:
            parsed = parse_auth_header(header)
        except SignatureHeaderError as error:
            raise SignatureRejected(error.reason, verdict="malformed", gateway=gateway) from error
        try:
            entry = self.registry.lookup(parsed.subscriber_id, parsed.unique_key_id, domain=domain, now=now)
        except RegistryError as error:
            # Not the sender's fault: ask for a retry instead of calling the signature bad.
            raise ProtocolError("the signing key could not be fetched from the registry; retry later",
                                ondc_code="31001", error_type="CORE-ERROR", status=200) from error
        if entry is None:
            raise SignatureRejected(
                f"no valid registry key {parsed.unique_key_id!r} for subscriber {parsed.subscriber_id!r}",
                verdict="unknown-key", gateway=gateway)
        try:
            verify_parsed(raw, parsed, public_key_b64=entry.signing_public_key, now=int(now.timestamp()),
                          clock_skew=self.clock_skew)
        except SignatureExpiredError as error:
            raise SignatureRejected(error.reason, verdict="expired", gateway=gateway) from error
        except SignatureNotYetValidError as error:
            raise SignatureRejected(error.reason, verdict="not-yet-valid", gateway=gateway) from error
        except SignatureMismatchError as error:
            raise SignatureRejected(error.reason, verdict="mismatch", gateway=gateway) from error
        except (SignatureError, KeyFormatError) as error:
            raise SignatureRejected(str(error), verdict="malformed", gateway=gateway) from error
        return entry

    def _nack(self, envelope: Envelope, raw: bytes, headers: dict[str, str], error: ProtocolError,
              *, verdict: str | None) -> Receipt:
        if envelope.action in RSF_ACTIONS:
            error = _rsf_error(error)
        body = error.to_dict()
        RESPONSES.labels(action=envelope.action, status="NACK", code=error.ondc_code).inc()
        self.writer.record(envelope, body=raw, headers=headers, signature=verdict, response=body, status="nacked",
                           nack_code=error.ondc_code, error=error.message)
        answer_headers: dict[str, str] = {}
        if isinstance(error, SignatureRejected):
            scheme = f'Signature realm="{self.policy.bpp_id}",headers="(created) (expires) digest"'
            answer_headers["Proxy-Authenticate" if error.gateway else "WWW-Authenticate"] = scheme
        return Receipt(status=error.status, body=body, headers=answer_headers,
                       log=_log_fields(envelope, "NACK") | {"code": error.ondc_code, "error_path": error.path,
                                                           "reason": error.message})

    def _ack(self, envelope: Envelope, raw: bytes, headers: dict[str, str], verdict: str | None,
             serve: bool, durable: bool) -> Receipt:
        log_fields = _log_fields(envelope, "ACK") | ({} if serve else {"ignored": True})
        if not durable and self.searches is not None:
            # The trade (docs/network.md): the row is written just after the ACK, with others; the buffer's
            # INSERT skips a repeated key, and counts the answer once it knows whether it was one.
            row = self.writer.row(envelope, body=raw, headers=headers, signature=verdict, response=ACK,
                                  status="received" if serve else "ignored")
            if self.searches.put(row):
                return Receipt(status=200, body=ACK, headers={}, log=log_fields, routine=True)
        # Insert first and let the unique dedupe key catch repeats: one round trip on the common path.
        try:
            inbound_id = self.writer.record(envelope, body=raw, headers=headers, signature=verdict, response=ACK,
                                            status="received" if serve else "ignored", durable=durable)
        except IntegrityError:
            found = self.writer.find_duplicate(envelope)
            if found is None:
                raise
            RESPONSES.labels(action=envelope.action, status="ACK", code="duplicate").inc()
            # Still waiting (our own insert whose reply was lost, or a repeat before a worker took it): queue it
            # again; the worker's claim makes a second task harmless.
            return Receipt(status=200, body=found.response or ACK, headers={}, inbound_id=found.id, duplicate=True,
                           process=found.status == "received", log=_log_fields(envelope, "ACK") | {"duplicate": True})
        RESPONSES.labels(action=envelope.action, status="ACK", code="" if serve else "ignored").inc()
        return Receipt(status=200, body=ACK, headers={}, inbound_id=inbound_id, process=serve, log=log_fields,
                       routine=not durable)


def count_buffered(rows: list[dict[str, Any]], written: list[Written]) -> None:
    """Count the ACKs of searches the buffer has stored, as `Receiver._ack` counts those it stores itself."""
    codes = Tally("duplicate" if done.duplicate else "" if row["status"] == "received" else "ignored"
                  for row, done in zip(rows, written, strict=True))
    for code, count in codes.items():
        RESPONSES.labels(action="search", status="ACK", code=code).inc(count)


_CANONICAL = {name.lower(): name for name in KEPT_HEADERS}


def _canonical(headers: Mapping[str, str]) -> dict[str, str]:
    """The headers we read, under one spelling whatever case the sender used."""
    return {_CANONICAL.get(name.lower(), name): value for name, value in headers.items()}


def _parse_json(raw: bytes) -> dict[str, Any]:
    try:
        payload = orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        raise ProtocolError(f"body is not valid JSON: {error}", ondc_code="30000",
                            error_type="JSON-SCHEMA-ERROR") from error
    if not isinstance(payload, dict) or not isinstance(payload.get("context"), dict):
        raise ProtocolError("body must be a JSON object with a context object", ondc_code="30000",
                            error_type="JSON-SCHEMA-ERROR", path="context")
    return payload


def _subscribes(payload: dict[str, Any]) -> bool:
    """Whether a search carries a catalog_inc tag (incremental catalogue: a subscription or a pull)."""
    intent = (payload.get("message") or {}).get("intent") if isinstance(payload.get("message"), dict) else None
    tags = intent.get("tags") if isinstance(intent, dict) else None
    return isinstance(tags, list) and any(isinstance(tag, dict) and tag.get("code") == "catalog_inc" for tag in tags)


def _host(url: str) -> str | None:
    """`url_host`, kept for the URIs buyer apps send again and again."""
    # A buyer app sends the same bap_uri every time: kept, when it is of a length a URI may have (the check runs
    # before the context's rules, so a long one must not take a place in the cache).
    return _cached_host(url) if len(url) <= MAX_URI_LENGTH else url_host(url)


_cached_host = functools.lru_cache(maxsize=4096)(url_host)


def _domain(payload: dict[str, Any]) -> str | None:
    domain = payload["context"].get("domain")
    return domain if isinstance(domain, str) else None


def _raise_first(errors: Any) -> None:
    first = next(errors, None)
    if first is not None:
        path, message = first
        kind = "CONTEXT-ERROR" if path.startswith("context") else "JSON-SCHEMA-ERROR"
        raise ProtocolError(message, ondc_code="30000", error_type=kind, path=path)


# RSF 2.0 NACKs carry the settlement framework's own codes (ONDC-Official/rsf-utility, error-codes.ts).
RSF_MISSING_AUTHORIZATION, RSF_BAD_SIGNATURE, RSF_INVALID_SCHEMA, RSF_INVALID_BPP = "70001", "70000", "70002", "70005"


def _rsf_error(error: ProtocolError) -> ProtocolError:
    """The same refusal with its RSF code: a signature missing (70001) or wrong (70000), a recon addressed to
    another seller app (70005), anything else about the request (70002). Our own failures keep 31001."""
    if error.ondc_code == "31001":
        return error
    if isinstance(error, SignatureRejected):  # a new one keeps what the 401's authenticate header needs
        renamed = SignatureRejected(error.message, verdict=error.verdict, gateway=error.gateway)
        renamed.ondc_code = RSF_MISSING_AUTHORIZATION if error.verdict == "missing" else RSF_BAD_SIGNATURE
        return renamed
    code = RSF_INVALID_BPP if error.path == "context.bpp_id" else RSF_INVALID_SCHEMA
    return ProtocolError(error.message, ondc_code=code, error_type=error.error_type, path=error.path,
                         status=error.status)


def _log_fields(envelope: Envelope, answer: str) -> dict[str, Any]:
    return {"answer": answer, "action": envelope.action, "bap_id": envelope.bap_id,
            "message_id": envelope.message_id, "transaction_id": envelope.transaction_id}


def cached_scope(sessions: sessionmaker[Session], ttl_seconds: float = 30.0,
                 clock: Callable[[], float] | None = None) -> Callable[[], ServedScope]:
    """What we serve, read from the cooperatives' profiles at most once per `ttl_seconds` per process."""
    import time

    now = clock or time.monotonic
    cache: dict[str, Any] = {"at": None, "scope": None}

    def scope() -> ServedScope:
        if cache["at"] is None or now() - cache["at"] > ttl_seconds:
            with sessions() as session:
                domains, cities = served_scope(session)
            cache.update(at=now(), scope=ServedScope(domains=domains, cities=cities))
        value: ServedScope = cache["scope"]
        return value

    return scope

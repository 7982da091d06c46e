"""The one dispatcher for stored network requests: action -> handler, and failures -> error callbacks.

A request was ACKed, so it always gets its callback (DESIGN.md, reliability rule 6):

- a handler that refuses raises a ``CallbackError`` (an ``OrderError`` with its ONDC code);
- input that passed the schemas but breaks a handler (an id in no catalogue, a value out of range) is
  answered 30000 "invalid request";
- a bug of ours is answered 31001 "internal error", logged with its traceback and counted;
- database errors, time limits and network errors are not answered here: they are not about the request, so
  the task fails, the claim is rolled back, and the sweeper runs the request again.

A search still waiting for a worker when its ttl has passed is not answered at all (``RequestExpiredError``):
the buyer app has stopped listening, and rendering catalogues nobody will accept only delays the searches that
can still be answered in time. The message is recorded as ``expired``.

Each answer is written by the caller in a fresh transaction after the failed attempt was rolled back, so a
refused update never leaves half its changes behind.
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from adapter.delivery.replies import ReplyTo, send_reply
from adapter.errors import ActionNotSupportedError, CallbackError, InternalFailureError, InvalidNetworkRequestError
from adapter.money.service import answer_recon
from adapter.observability.metrics import INBOUND_EXPIRED, INBOUND_FAILURES
from adapter.orders import after_sale, courier_booking, courier_updates, flows, shipping
from adapter.orders.flows import Handler
from adapter.orders.policy import OrderPolicy
from adapter.orders.results import FlowResult
from adapter.protocol.messages import UNANSWERED_ACTIONS
from adapter.protocol.request import NetworkRequest
from adapter.store.models import InboundMessage, OutboxMessage
from catalog_sync.errors import IntentError
from catalog_sync.services.answer import answer_search
from catalog_sync.services.rejections import record_rejection

log = logging.getLogger("adapter.orders.inbound")

# Actions whose answer is worthless after the ttl and costly to make (ONDC: the BAP drops late on_search).
EXPIRE_AFTER_TTL = frozenset({"search"})


class RequestExpiredError(Exception):
    """The request's ttl passed before a worker took it up: nothing is sent."""


# Errors that mean "the request cannot be acted on", as opposed to a bug of ours (TypeError, AttributeError, ...)
# or a fault in our own data (a MappingError from a catalogue that cannot be paginated is ours, not the buyer's).
BAD_INPUT = (IntentError, LookupError, ValueError, OverflowError)
# Errors that say nothing about the request: run it again later.
TRANSIENT = (SQLAlchemyError, OSError, TimeoutError)


def _search(session: Session, request: NetworkRequest, policy: OrderPolicy, now: dt.datetime) -> FlowResult:
    return FlowResult(answer_search(session, request, policy.app, now))


def _catalog_rejection(session: Session, request: NetworkRequest, policy: OrderPolicy,
                       now: dt.datetime) -> FlowResult:
    record_rejection(session, request, policy.app, now)
    return FlowResult()  # the ACK was the whole answer: no callback


def _recon(session: Session, request: NetworkRequest, policy: OrderPolicy, now: dt.datetime) -> FlowResult:
    return FlowResult([answer_recon(session, request, policy.app, policy.rates, now)])


HANDLERS: dict[str, Handler] = {"search": _search, "catalog_rejection": _catalog_rejection, "recon": _recon,
                                # A courier's answer to our LOG search (we are the BAP of ONDC:LOG10/LOG11).
                                "on_search": shipping.on_search,
                                # Booking and tracking a shipment with its courier.
                                "on_init": courier_booking.on_init, "on_confirm": courier_booking.on_confirm,
                                "on_track": courier_booking.on_track, "on_status": courier_updates.on_update,
                                "on_update": courier_updates.on_update, "on_cancel": courier_updates.on_update,
                                **flows.HANDLERS, **after_sale.HANDLERS}


def parse(message: InboundMessage) -> NetworkRequest:
    """The stored request as a typed envelope (InvalidNetworkRequestError when it cannot be read)."""
    try:
        return NetworkRequest.parse(message.id, message.action, message.body)
    except (ValueError, KeyError, TypeError) as error:
        raise InvalidNetworkRequestError(f"the request cannot be read: {error}", path="context") from error


def dispatch(session: Session, message: InboundMessage, policy: OrderPolicy, now: dt.datetime) -> FlowResult:
    """Answer one stored request with its handler; raises CallbackError (or a failure) for `failure_answer`."""
    request = parse(message)
    if request.action in EXPIRE_AFTER_TTL and now > request.context.deadline:
        INBOUND_EXPIRED.labels(action=request.action).inc()
        late = (now - request.context.deadline).total_seconds()
        raise RequestExpiredError(f"the ttl ({request.context.ttl}) had passed {late:.1f} s before a worker took it up")
    handler = HANDLERS.get(request.action)
    if handler is None:
        raise ActionNotSupportedError(f"{request.action} is not supported by this seller yet")
    return handler(session, request, policy, now)


def as_callback_error(error: Exception, action: str, inbound_id: int) -> CallbackError | None:
    """The error callback a failed attempt owes the buyer app; None when the attempt should simply run again."""
    if isinstance(error, InvalidNetworkRequestError) and error.path == "context":
        INBOUND_FAILURES.labels(action=action, kind="unreadable").inc()
        log.error("stored request cannot be read", extra={"inbound_id": inbound_id, "action": action,
                                                          "error": error.message[:300]})
        return error
    if isinstance(error, CallbackError):
        return error
    if isinstance(error, TRANSIENT):
        return None  # the database or the network, not the request: the task fails and the sweeper retries it
    if isinstance(error, BAD_INPUT):
        INBOUND_FAILURES.labels(action=action, kind="invalid").inc()
        log.warning("request cannot be acted on", extra={"inbound_id": inbound_id, "action": action,
                                                         "error": f"{type(error).__name__}: {error}"[:300]})
        return InvalidNetworkRequestError(_describe(error), path=getattr(error, "path", None))
    INBOUND_FAILURES.labels(action=action, kind="internal").inc()
    log.error("handler failed", exc_info=error, extra={"inbound_id": inbound_id, "action": action})
    return InternalFailureError()


def gave_up(action: str, inbound_id: int, attempts: int, error: Exception) -> tuple[CallbackError, Exception]:
    """A request that failed ``attempts`` times for reasons not about it (a poison message): stop, answer 31001.

    Returns the error for the buyer app and the cause recorded on the message for the operator.
    """
    INBOUND_FAILURES.labels(action=action, kind="poison").inc()
    log.error("giving up on a request", exc_info=error, extra={"inbound_id": inbound_id, "action": action,
                                                              "attempts": attempts})
    return InternalFailureError(), RuntimeError(f"gave up after {attempts} attempts; the last failed with "
                                                f"{type(error).__name__}: {error}")


def _describe(error: Exception) -> str:
    if isinstance(error, KeyError):
        return f"a required value is missing: {error.args[0]!r}" if error.args else "a required value is missing"
    return str(error)[:300] or type(error).__name__


def failure_answer(session: Session, message: InboundMessage, error: CallbackError, policy: OrderPolicy,
                   now: dt.datetime) -> OutboxMessage | None:
    """The error-only callback for a failed or refused request (None when it cannot even be parsed, or when the
    action has no callback: the message is then recorded as failed)."""
    if message.action in UNANSWERED_ACTIONS:
        return None
    try:
        request = parse(message)
    except InvalidNetworkRequestError:
        return None  # no context, so nowhere to answer; the message is recorded as failed
    return send_reply(session, policy.app, ReplyTo.answering(request), f"on_{request.action}", now, error=error,
                      cooperative_id=error.cooperative_id)

"""The one reply builder: every message we send a buyer app gets its context, target URL and outbox row here.

Solicited callbacks (``on_select`` answering a ``select``) echo the request's transaction_id and message_id and
are retried until the request's ttl runs out; unsolicited ones (``on_status`` after the seller packs, catalogue
pushes, issue resolutions) keep the transaction_id, get a new message_id, and are retried for the configured
window (ONDC RET 1.2.x §2). Errors are ``adapter.errors.CallbackError``s, rendered by ``to_ondc_error``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy.orm import Session

from adapter.delivery.outbox import enqueue
from adapter.delivery.urls import join_action_url
from adapter.errors import CallbackError, to_ondc_error
from adapter.protocol.context import DEFAULT_TTL, RSF_DOMAIN, build_context, build_rsf_context
from adapter.protocol.identity import SellerApp
from adapter.protocol.request import NetworkRequest
from adapter.store.models import OutboxMessage
from adapter.store.pages import wire_size

__all__ = ["ReplyTo", "preview_context", "queue_page", "queue_plain", "queue_reply", "reply_context", "send_reply"]


@dataclass(frozen=True)
class ReplyTo:
    """The conversation a message belongs to, and the buyer app it goes to."""

    domain: str
    city: str
    bap_id: str
    bap_uri: str
    transaction_id: str
    message_id: str | None = None  # echoed by a solicited callback; None: a new one for every message
    inbound_id: int | None = None
    deadline_at: dt.datetime | None = None  # a solicited callback's last useful moment (the request's ttl)
    ttl: str = DEFAULT_TTL

    @classmethod
    def answering(cls, request: NetworkRequest, *, echo_ttl: bool = False) -> ReplyTo:
        """The solicited callback to a stored request (``echo_ttl``: repeat the request's ttl, as on_search does)."""
        ctx = request.context
        return cls(domain=ctx.domain, city=ctx.city, bap_id=ctx.bap_id, bap_uri=ctx.bap_uri,
                   transaction_id=ctx.transaction_id, message_id=ctx.message_id, inbound_id=request.inbound_id,
                   deadline_at=ctx.deadline, ttl=ctx.ttl if echo_ttl else DEFAULT_TTL)

    @property
    def solicited(self) -> bool:
        """True for an answer to a request (it echoes the request's message_id)."""
        return self.message_id is not None


def reply_context(app: SellerApp, to: ReplyTo, action: str, now: dt.datetime) -> dict[str, Any]:
    """The context of a message we send in this conversation (a Beckn 2.0 one in RSF's domain, ONDC:NTS10)."""
    if to.domain == RSF_DOMAIN:
        return build_rsf_context(action=action, bap_id=to.bap_id, bap_uri=to.bap_uri, bpp_id=app.bpp_id,
                                 bpp_uri=app.bpp_uri, transaction_id=to.transaction_id,
                                 message_id=to.message_id or str(uuid.uuid4()), now=now, ttl=to.ttl)
    return build_context(action=action, domain=to.domain, city=to.city, bpp_id=app.bpp_id, bpp_uri=app.bpp_uri,
                         transaction_id=to.transaction_id, message_id=to.message_id or str(uuid.uuid4()), now=now,
                         bap_id=to.bap_id, bap_uri=to.bap_uri, ttl=to.ttl)


def preview_context(app: SellerApp, *, domain: str, city: str, transaction_id: str, message_id: str,
                    now: dt.datetime) -> dict[str, Any]:
    """The context of an on_search shown to an operator or cooperative rather than sent (no buyer app)."""
    return build_context(action="on_search", domain=domain, city=city, bpp_id=app.bpp_id, bpp_uri=app.bpp_uri,
                         transaction_id=transaction_id, message_id=message_id, now=now)


def queue_reply(session: Session, app: SellerApp, to: ReplyTo, body: dict[str, Any], now: dt.datetime, *,
                cooperative_id: int | None = None) -> OutboxMessage:
    """The outbox row for a complete body (its context from `reply_context`), sent to ``bap_uri``/<action>."""
    context = body["context"]
    action = str(context["action"])
    deadline = to.deadline_at if to.solicited and to.deadline_at is not None \
        else now + dt.timedelta(seconds=app.window_seconds)
    return enqueue(session, action=action, target_url=join_action_url(to.bap_uri, action), body=orjson.dumps(body),
                   transaction_id=to.transaction_id, message_id=str(context["message_id"]), bap_id=to.bap_id,
                   cooperative_id=cooperative_id, solicited=to.solicited, inbound_id=to.inbound_id,
                   deadline_at=deadline, now=now)


def queue_page(session: Session, app: SellerApp, to: ReplyTo, context: dict[str, Any], page_digest: str,
               page_size: int, now: dt.datetime, *, cooperative_id: int | None = None) -> OutboxMessage:
    """The outbox row for one stored page of a rendered on_search (``page_digest``, already stored) sent with
    ``context``: the row keeps the context, the sender splices in the page (adapter.store.pages)."""
    action = str(context["action"])
    encoded = orjson.dumps(context)
    deadline = to.deadline_at if to.solicited and to.deadline_at is not None \
        else now + dt.timedelta(seconds=app.window_seconds)
    return enqueue(session, action=action, target_url=join_action_url(to.bap_uri, action), body=encoded,
                   transaction_id=to.transaction_id, message_id=str(context["message_id"]), bap_id=to.bap_id,
                   cooperative_id=cooperative_id, solicited=to.solicited, inbound_id=to.inbound_id,
                   deadline_at=deadline, now=now, page_digest=page_digest,
                   size_bytes=wire_size(len(encoded), page_size))


def send_reply(session: Session, app: SellerApp, to: ReplyTo, action: str, now: dt.datetime, *,
               message: dict[str, Any] | None = None,
               error: CallbackError | Sequence[CallbackError] | None = None,
               cooperative_id: int | None = None) -> OutboxMessage:
    """Queue one callback with its message, its error, or both (an on_select with items out of stock)."""
    body: dict[str, Any] = {"context": reply_context(app, to, action, now)}
    if message is not None:
        body["message"] = message
    if (error_object := to_ondc_error(error)) is not None:
        body["error"] = error_object
        if cooperative_id is None and isinstance(error, CallbackError):
            cooperative_id = error.cooperative_id
    return queue_reply(session, app, to, body, now, cooperative_id=cooperative_id)


def queue_plain(session: Session, app: SellerApp, *, base_url: str, path: str, action: str, body: dict[str, Any],
                transaction_id: str, bap_id: str, cooperative_id: int | None, now: dt.datetime) -> OutboxMessage:
    """An unsolicited update that is not an ONDC message (to a polled marketplace's ``path`` under its URL)."""
    return enqueue(session, action=action, target_url=join_action_url(base_url, path),
                   body=orjson.dumps(body), transaction_id=transaction_id, message_id=str(uuid.uuid4()),
                   bap_id=bap_id, cooperative_id=cooperative_id, solicited=False,
                   deadline_at=now + dt.timedelta(seconds=app.window_seconds), now=now)

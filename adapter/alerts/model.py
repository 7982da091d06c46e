"""What an alert is and what a channel must do with it. Pure: no database, no network, no clock.

Errors::

    Exception
     └── AlertError   a channel could not deliver; ``transient`` says whether a later try may succeed
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

__all__ = ["KINDS", "SIGNATURE_HEADER", "Alert", "AlertError", "Channel", "Prefs", "new_secret", "sign",
           "webhook_body"]

Kind = Literal["new_order", "return_requested", "issue_raised", "shipping_failed", "test"]
# The kinds a cooperative chooses from ("test" is the console's button, always sent).
KINDS: tuple[Kind, ...] = ("new_order", "return_requested", "issue_raised", "shipping_failed")
SIGNATURE_HEADER = "X-ODOP-Signature"


@dataclass(frozen=True)
class Alert:
    """One alert as a channel sends it: whose, what kind, which order, the words and the console link."""

    id: int
    cooperative: str  # the cooperative's slug
    cooperative_name: str
    kind: Kind
    order_id: str
    text: str  # a short sentence in the cooperative's language
    subject: str  # a shorter heading (email subject, SMS prefix)
    link: str
    created_at: str  # RFC 3339, UTC
    language: str


@dataclass(frozen=True)
class Prefs:
    """One cooperative's alert settings, as channels read them (a copy, free of any database session)."""

    cooperative_id: int
    kinds: tuple[str, ...] = ()
    language: str = "en"
    webhook_url: str | None = None
    webhook_secret: str | None = field(default=None, repr=False)
    email: str | None = None
    options: dict[str, Any] = field(default_factory=dict)


class AlertError(Exception):
    """A channel could not deliver; the message says why in words an operator can act on (never a secret)."""

    def __init__(self, message: str, *, transient: bool) -> None:
        super().__init__(message)
        self.transient = transient


class Channel(Protocol):
    """A way to reach one cooperative: ``send`` delivers the alert or raises `AlertError`."""

    def send(self, alert: Alert) -> None:
        """Deliver ``alert``; raise `AlertError` (transient or not) when it did not arrive."""


def webhook_body(alert: Alert) -> bytes:
    """The exact bytes a webhook receives (docs/alerts.md, "The webhook")."""
    return json.dumps({
        "id": alert.id, "kind": alert.kind, "cooperative": alert.cooperative, "order_id": alert.order_id,
        "text": alert.text, "link": alert.link, "created_at": alert.created_at, "language": alert.language,
    }, ensure_ascii=False, separators=(",", ":")).encode()


def sign(secret: str, body: bytes) -> str:
    """The signature header's value for ``body``: ``sha256=`` and the hex HMAC-SHA256 under ``secret``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def new_secret() -> str:
    """A fresh webhook signing secret (256 random bits)."""
    return "whsec_" + secrets.token_urlsafe(32)

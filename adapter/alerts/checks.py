"""The rules a cooperative's alert targets must meet, shared by the console and the API.

Each check returns a problem code (None: fine); the console says it in the member's language, the API in
English (PROBLEMS). The webhook rules are the callbacks' own (adapter.delivery.urls): no private, loopback or
link-local address unless ALLOW_PRIVATE_CALLBACKS (never in production), https in production.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from adapter.delivery.urls import UnresolvableHostError, UnsafeUrlError, resolve_host, validate_callback_url

__all__ = ["MAX_EMAIL", "MAX_URL", "PROBLEMS", "email_problem", "webhook_problem"]

MAX_URL = 2048
MAX_EMAIL = 254
EMAIL = re.compile(r"[^@\s<>,;\"'()\[\]\\]+@[^@\s<>,;\"'()\[\]\\.]+(\.[^@\s<>,;\"'()\[\]\\.]+)+")

PROBLEMS = {
    "too_long": "the address is too long",
    "not_http": "the webhook address must start with https://",
    "malformed_url": "the webhook address is not a valid web address (no spaces or line breaks)",
    "https_required": "the webhook address must start with https://",
    "unresolvable": "the webhook's host name could not be found",
    "unsafe": "alerts are never sent to private, loopback or link-local addresses, or to a URL with credentials",
    "malformed": "write the email address like name@example.org",
    "not_set_up": "email alerts are not set up on this server (SMTP_HOST)",
}


def webhook_problem(url: str, *, allow_private: bool, require_https: bool,
                    resolve: Callable[[str], list[str]] = resolve_host) -> str | None:
    """What is wrong with a webhook address, as a code of `PROBLEMS` (None: we may POST to it)."""
    if len(url) > MAX_URL:
        return "too_long"
    lowered = url.lower()
    if not lowered.startswith(("https://", "http://")):
        return "not_http"
    if require_https and not lowered.startswith("https://"):
        return "https_required"
    if any(ch.isspace() for ch in url) or not url.isprintable():
        return "malformed_url"
    try:
        validate_callback_url(url, allow_private=allow_private, require_https=require_https, resolve=resolve)
    except UnresolvableHostError:
        return "unresolvable"
    except UnsafeUrlError:
        return "unsafe"
    return None


def email_problem(address: str, *, email_ready: bool) -> str | None:
    """What is wrong with an email address for alerts, as a code of `PROBLEMS` (None: fine)."""
    if len(address) > MAX_EMAIL:
        return "too_long"
    # A NUL or control character: no header takes it. Non-ASCII: our mail server may not speak SMTPUTF8, and the
    # failure would come only at send time, in words about something else.
    if not EMAIL.fullmatch(address) or not address.isprintable() or not address.isascii():
        return "malformed"
    if not email_ready:
        return "not_set_up"
    return None

"""The channels an alert can go by, and the registry that names them.

A channel type says whether a cooperative has asked for it (``wanted``: it gave a target) and builds the
`Channel` that reaches that cooperative (``build``). The alert rows are written per wanted channel, so one
channel failing never resends another's. Adding SMS or WhatsApp is one `ChannelType` passed to `register`
(docs/alerts.md, "Another channel").
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage

from adapter.alerts.model import SIGNATURE_HEADER, Alert, AlertError, Channel, Prefs, sign, webhook_body
from adapter.delivery.http import HttpClient, TransportError
from adapter.delivery.urls import UnresolvableHostError, UnsafeUrlError, resolve_host, validate_callback_url

log = logging.getLogger(__name__)

__all__ = ["CHANNELS", "ChannelDeps", "ChannelType", "EmailChannel", "SmtpSettings", "WebhookChannel", "register",
           "wanted_channels"]

_TRANSIENT_STATUSES = frozenset({408, 425, 429})


@dataclass(frozen=True)
class SmtpSettings:
    """The mail server (SMTP_* settings); the password never appears in a repr or a log."""

    host: str
    port: int
    sender: str
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    starttls: bool = True
    timeout: float = 20.0


@dataclass(frozen=True)
class ChannelDeps:
    """What building a channel may use: the one HTTP client and its URL rules, and the mail server."""

    http: HttpClient
    allow_private: bool
    require_https: bool
    smtp: SmtpSettings | None = None
    resolve: Callable[[str], list[str]] = resolve_host


@dataclass(frozen=True)
class ChannelType:
    """A kind of channel: its name, whether a cooperative asked for it, and how to build it for one."""

    name: str
    wanted: Callable[[Prefs], bool]
    build: Callable[[Prefs, ChannelDeps], Channel]


class WebhookChannel:
    """POSTs the alert as JSON to the cooperative's URL, signed with its secret (HMAC-SHA256 of the body)."""

    def __init__(self, url: str, secret: str, deps: ChannelDeps) -> None:
        self.url, self._secret, self.deps = url, secret, deps

    def __repr__(self) -> str:
        return f"WebhookChannel(url={self.url!r})"

    def send(self, alert: Alert) -> None:
        """POST the signed body; 2xx is delivered, timeouts, 429 and 5xx may pass later, the rest will not."""
        deps = self.deps
        try:  # checked at each send, not only when saved: a name can come to point somewhere private
            validate_callback_url(self.url, allow_private=deps.allow_private, require_https=deps.require_https,
                                  resolve=deps.resolve)
        except UnresolvableHostError as error:
            raise AlertError(str(error).replace("callback", "webhook"), transient=True) from None
        except UnsafeUrlError as error:
            raise AlertError(str(error).replace("callback", "webhook"), transient=False) from None
        body = webhook_body(alert)
        headers = {SIGNATURE_HEADER: sign(self._secret, body), "X-ODOP-Alert-Id": str(alert.id),
                   "X-ODOP-Alert-Kind": alert.kind}
        try:
            result = deps.http.post(self.url, body, headers)
        except TransportError as error:
            raise AlertError(f"webhook {error.kind}: {error.message}"[:500],
                             transient=error.kind in ("timeout", "connection")) from None
        status = result.status_code
        if 200 <= status < 300:
            return
        if 300 <= status < 400:
            raise AlertError(f"webhook answered HTTP {status}: redirects are not followed", transient=False)
        raise AlertError(f"webhook answered HTTP {status}", transient=status >= 500 or status in _TRANSIENT_STATUSES)


class EmailChannel:
    """Sends the alert as a plain-text email through the configured SMTP server."""

    def __init__(self, to: str, smtp: SmtpSettings) -> None:
        self.to, self.smtp = to, smtp

    def __repr__(self) -> str:
        return f"EmailChannel(to={self.to!r}, host={self.smtp.host!r})"

    def message(self, alert: Alert) -> EmailMessage:
        """The email for ``alert``."""
        message = EmailMessage()
        message["From"] = self.smtp.sender
        message["To"] = self.to
        message["Subject"] = alert.subject
        message["X-ODOP-Alert-Id"] = str(alert.id)
        message.set_content(f"{alert.text}\n\n{alert.link}\n")
        return message

    def send(self, alert: Alert) -> None:
        """Connect, upgrade with STARTTLS when set, log in when set, send; a 4xx answer or a lost connection may
        pass later, a 5xx answer will not."""
        smtp = self.smtp
        try:
            with smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout) as server:
                if smtp.starttls:
                    server.starttls(context=ssl.create_default_context())
                if smtp.user:
                    server.login(smtp.user, smtp.password or "")
                server.send_message(self.message(alert))
        except smtplib.SMTPRecipientsRefused as error:
            codes = sorted({code for code, _ in error.recipients.values()})
            raise AlertError(f"the mail server refused the address {self.to} (SMTP {codes})",
                             transient=all(400 <= code < 500 for code in codes)) from None
        except smtplib.SMTPAuthenticationError as error:
            raise AlertError(f"the mail server refused the login (SMTP {error.smtp_code}); check SMTP_USER and "
                             "SMTP_PASSWORD", transient=False) from None
        except smtplib.SMTPResponseException as error:
            raise AlertError(f"the mail server answered SMTP {error.smtp_code}", transient=400 <= error.smtp_code < 500
                             ) from None
        except smtplib.SMTPNotSupportedError:
            raise AlertError("the mail server does not offer STARTTLS; set SMTP_STARTTLS=false only for a server "
                             "on this machine", transient=False) from None
        except (smtplib.SMTPServerDisconnected, OSError) as error:
            raise AlertError(f"could not talk to the mail server {smtp.host}:{smtp.port}: "
                             f"{type(error).__name__}: {error}"[:500], transient=True) from None
        except smtplib.SMTPException as error:
            raise AlertError(f"the mail server failed: {type(error).__name__}", transient=False) from None


def _webhook(prefs: Prefs, deps: ChannelDeps) -> Channel:
    if not prefs.webhook_url or not prefs.webhook_secret:
        raise AlertError("no webhook is set", transient=False)
    return WebhookChannel(prefs.webhook_url, prefs.webhook_secret, deps)


def _email(prefs: Prefs, deps: ChannelDeps) -> Channel:
    if not prefs.email:
        raise AlertError("no email address is set", transient=False)
    if deps.smtp is None:
        raise AlertError("email alerts are not set up on this server (SMTP_HOST)", transient=False)
    return EmailChannel(prefs.email, deps.smtp)


CHANNELS: dict[str, ChannelType] = {}


def register(channel_type: ChannelType) -> ChannelType:
    """Add a channel type (a name already taken is replaced: an operator may swap a built-in)."""
    CHANNELS[channel_type.name] = channel_type
    return channel_type


register(ChannelType("webhook", lambda prefs: bool(prefs.webhook_url and prefs.webhook_secret), _webhook))
register(ChannelType("email", lambda prefs: bool(prefs.email), _email))


def wanted_channels(prefs: Prefs) -> list[str]:
    """The names of the channels this cooperative asked for, in registry order. A channel whose ``wanted`` fails
    (a plug-in's bug) is left out and logged: alerts are written inside order flows, which must not fail for it."""
    names = []
    for name, channel_type in CHANNELS.items():
        try:
            if channel_type.wanted(prefs):
                names.append(name)
        except Exception:
            log.exception("alert channel %s failed to say whether it is wanted; left out", name)
    return names

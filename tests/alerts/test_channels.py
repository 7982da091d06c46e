"""The webhook and email channels against the outside world: `responses` for HTTP, a real local SMTP server."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from email import message_from_bytes
from email.header import decode_header, make_header
from typing import Any

import pytest
import requests
import responses
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from adapter.alerts import checks
from adapter.alerts.channels import ChannelDeps, EmailChannel, SmtpSettings, WebhookChannel
from adapter.alerts.model import SIGNATURE_HEADER, Alert, AlertError, sign, webhook_body
from adapter.alerts.texts import subject_and_text
from adapter.delivery.http import HttpClient
from tests.support.servers import free_port

URL = "https://hooks.coop.example/odop"
SECRET = "whsec_test-secret-0123456789"
PUBLIC = ["93.184.216.34"]


def alert(**changes: Any) -> Alert:
    values: dict[str, Any] = {
        "id": 7, "cooperative": "chamba-rumal", "cooperative_name": "Chamba Rumal", "kind": "new_order",
        "order_id": "ORD-1", "text": "Chamba Rumal has a new order, ORD-1.", "subject": "New order ORD-1",
        "link": "https://seller.example/console/orders/3", "created_at": "2030-01-01T10:00:00Z", "language": "en"}
    return Alert(**(values | changes))


def deps(*, allow_private: bool = False, require_https: bool = True, resolve: list[str] | None = None,
         smtp: SmtpSettings | None = None) -> ChannelDeps:
    addresses = PUBLIC if resolve is None else resolve
    return ChannelDeps(http=HttpClient(connect_timeout=1.0, read_timeout=1.0), allow_private=allow_private,
                       require_https=require_https, smtp=smtp, resolve=lambda host: addresses)


@responses.activate
def test_the_webhook_posts_the_alert_signed_over_the_exact_body() -> None:
    responses.post(URL, status=204)
    WebhookChannel(URL, SECRET, deps()).send(alert())
    call = responses.calls[0].request
    body = call.body if isinstance(call.body, bytes) else str(call.body).encode()
    assert body == webhook_body(alert())
    # What a receiver does (docs/alerts.md): HMAC-SHA256 of the raw body with the secret, compared in constant time.
    expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(call.headers[SIGNATURE_HEADER], expected)
    assert call.headers[SIGNATURE_HEADER] != sign("another secret", body)
    data = json.loads(body)
    assert data == {"id": 7, "kind": "new_order", "cooperative": "chamba-rumal", "order_id": "ORD-1",
                    "text": "Chamba Rumal has a new order, ORD-1.", "link": "https://seller.example/console/orders/3",
                    "created_at": "2030-01-01T10:00:00Z", "language": "en"}
    assert call.headers["X-ODOP-Alert-Id"] == "7"
    assert call.headers["Content-Type"] == "application/json"


@responses.activate
@pytest.mark.parametrize(("status", "transient"), [(500, True), (503, True), (429, True), (408, True),
                                                    (404, False), (401, False), (301, False)])
def test_webhook_failures_say_whether_a_later_try_may_pass(status: int, transient: bool) -> None:
    responses.post(URL, status=status)
    with pytest.raises(AlertError) as raised:
        WebhookChannel(URL, SECRET, deps()).send(alert())
    assert raised.value.transient is transient
    assert str(status) in str(raised.value)


@responses.activate
def test_a_webhook_that_cannot_be_reached_is_retried_later() -> None:
    responses.post(URL, body=requests.ConnectionError("connection refused"))
    with pytest.raises(AlertError) as raised:
        WebhookChannel(URL, SECRET, deps()).send(alert())
    assert raised.value.transient
    assert SECRET not in str(raised.value)


@responses.activate
@pytest.mark.parametrize(("url", "resolved", "require_https"), [
    ("http://127.0.0.1:8080/hook", PUBLIC, False),           # loopback
    ("https://10.1.2.3/hook", PUBLIC, True),                 # private
    ("https://169.254.169.254/latest/meta-data", PUBLIC, True),  # link-local (cloud metadata)
    ("https://hooks.coop.example/odop", ["192.168.1.5"], True),  # a public name that points inside
    ("http://hooks.coop.example/odop", PUBLIC, True),        # http in production
    ("https://user:pw@hooks.coop.example/odop", PUBLIC, True),  # credentials in the URL
    ("ftp://hooks.coop.example/odop", PUBLIC, False),
])
def test_the_webhook_refuses_urls_we_never_call(url: str, resolved: list[str], require_https: bool) -> None:
    with pytest.raises(AlertError) as raised:
        WebhookChannel(url, SECRET, deps(resolve=resolved, require_https=require_https)).send(alert())
    assert not raised.value.transient
    assert len(responses.calls) == 0  # refused before any request


@pytest.mark.parametrize(("url", "resolved", "code"), [
    ("https://127.0.0.1:8080/hook", PUBLIC, "unsafe"),
    ("https://hooks.coop.example/odop", ["10.0.0.1"], "unsafe"),
    ("https://hooks.coop.example/odop", [], "unresolvable"),
    ("http://hooks.coop.example/odop", PUBLIC, "https_required"),
    ("hooks.coop.example/odop", PUBLIC, "not_http"),
    ("https://hooks.coop.example/odop\r\nX-Evil: 1", PUBLIC, "malformed_url"),
    ("https://hooks.coop.example/" + "a" * 2100, PUBLIC, "too_long"),
    ("https://hooks.coop.example/odop", PUBLIC, None),
])
def test_the_settings_check_uses_the_same_url_rules(url: str, resolved: list[str], code: str | None) -> None:
    assert checks.webhook_problem(url, allow_private=False, require_https=True,
                                  resolve=lambda host: resolved) == code


def test_the_private_address_rule_is_only_lifted_by_the_allow_setting() -> None:
    assert checks.webhook_problem("http://127.0.0.1:9/hook", allow_private=True, require_https=False) is None
    assert checks.webhook_problem("http://127.0.0.1:9/hook", allow_private=False, require_https=False) == "unsafe"


@pytest.mark.parametrize(("address", "ready", "code"), [
    ("orders@coop.example", True, None), ("orders@coop.example", False, "not_set_up"),
    ("orders.coop.example", True, "malformed"), ("a@b@coop.example", True, "malformed"),
    ("x@coop.example\nBcc: all@example.org", True, "malformed"), ("orders@localhost", True, "malformed"),
    ("orders@coop.example\x00", True, "malformed"), ("or\x1bders@coop.example", True, "malformed"),
    ("ऑर्डर@coop.example", True, "malformed"),  # non-ASCII: refused when saved, not failing later at send time
])
def test_email_addresses_are_checked(address: str, ready: bool, code: str | None) -> None:
    assert checks.email_problem(address, email_ready=ready) == code


# -- email, through a real SMTP server on 127.0.0.1 ------------------------------------------------------------

class Inbox:
    """An aiosmtpd handler that keeps every message, or refuses recipients with a given answer."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []
        self.refuse: str | None = None
        self.logins: list[tuple[bytes, bytes]] = []

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if self.refuse:
            return self.refuse
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.content)))
        return "250 Message accepted"

    def authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        if isinstance(data, LoginPassword):
            self.logins.append((data.login, data.password))
            return AuthResult(success=data.login == b"coop" and data.password == b"s3cret-pass", handled=False)
        return AuthResult(success=False, handled=False)


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    handler = Inbox()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, authenticator=handler.authenticate,
                            auth_require_tls=False)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


def smtp(port: int, **changes: Any) -> SmtpSettings:
    return SmtpSettings(**({"host": "127.0.0.1", "port": port, "sender": "alerts@seller.example", "starttls": False,
                            "timeout": 5.0} | changes))


def test_email_reaches_the_mail_server_with_the_words_and_the_link(inbox: tuple[Inbox, int]) -> None:
    handler, port = inbox
    subject, text = subject_and_text("new_order", order_id="ORD-9", cooperative="Chamba Rumal", language="hi")
    EmailChannel("orders@coop.example", smtp(port)).send(alert(subject=subject, text=text, order_id="ORD-9"))
    (sender, recipients, content), = handler.messages
    assert (sender, recipients) == ("alerts@seller.example", ["orders@coop.example"])
    message = message_from_bytes(content)
    assert str(make_header(decode_header(message["Subject"]))) == subject
    body = message.get_payload(decode=True).decode()
    assert text in body
    assert "ORD-9" in body
    assert "https://seller.example/console/orders/3" in body
    assert text != subject_and_text("new_order", order_id="ORD-9", cooperative="Chamba Rumal", language="en")[1]


def test_email_logs_in_when_a_user_is_set(inbox: tuple[Inbox, int]) -> None:
    handler, port = inbox
    channel = EmailChannel("orders@coop.example", smtp(port, user="coop", password="s3cret-pass"))
    channel.send(alert())
    assert handler.logins == [(b"coop", b"s3cret-pass")]
    assert len(handler.messages) == 1
    assert "s3cret-pass" not in repr(channel)
    assert "s3cret-pass" not in repr(channel.smtp)
    wrong = EmailChannel("orders@coop.example", smtp(port, user="coop", password="wrong-pass"))
    with pytest.raises(AlertError) as raised:
        wrong.send(alert())
    assert not raised.value.transient
    assert "wrong-pass" not in str(raised.value)


@pytest.mark.parametrize(("answer", "transient"), [("550 5.1.1 no such mailbox", False),
                                                    ("451 4.3.0 try again later", True)])
def test_a_refused_recipient_says_whether_to_try_again(inbox: tuple[Inbox, int], answer: str,
                                                       transient: bool) -> None:
    handler, port = inbox
    handler.refuse = answer
    with pytest.raises(AlertError) as raised:
        EmailChannel("orders@coop.example", smtp(port)).send(alert())
    assert raised.value.transient is transient
    assert handler.messages == []


def test_a_mail_server_that_is_down_is_tried_again_later() -> None:
    port = free_port()  # nothing listens on it
    with pytest.raises(AlertError) as raised:
        EmailChannel("orders@coop.example", smtp(port, timeout=2.0)).send(alert())
    assert raised.value.transient


def test_starttls_is_required_when_set(inbox: tuple[Inbox, int]) -> None:
    _, port = inbox  # this server offers no STARTTLS: we must not send in the clear
    with pytest.raises(AlertError) as raised:
        EmailChannel("orders@coop.example", smtp(port, starttls=True)).send(alert())
    assert not raised.value.transient
    assert "STARTTLS" in str(raised.value)

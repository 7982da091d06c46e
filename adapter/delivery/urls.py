"""Callback URL rules: which `bap_uri` targets we are willing to POST to, and how an action is appended.

A buyer app chooses its own `bap_uri`, so without these checks anyone on the network could make us POST
signed requests into our own private network (SSRF). See docs/delivery.md, "URL rules".

Errors::

    ValueError
     └── UnsafeUrlError            the URL is malformed or points somewhere we never send to
          └── UnresolvableHostError  DNS gave no answer (may be transient: the sender retries it)
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable
from urllib.parse import urlsplit, urlunsplit

__all__ = [
    "UnresolvableHostError",
    "UnsafeUrlError",
    "join_action_url",
    "resolve_host",
    "validate_callback_url",
]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Shapes that getaddrinfo/inet_aton read as IPv4 although they are not dotted quads ("2130706433", "0x7f.1").
_NUMERIC_HOST = re.compile(r"(?:0x[0-9a-f]*|[0-9]+)(?:\.(?:0x[0-9a-f]*|[0-9]+))*\.?", re.IGNORECASE)


class UnsafeUrlError(ValueError):
    """A callback URL we refuse to POST to; the message says which rule it breaks."""


class UnresolvableHostError(UnsafeUrlError):
    """The callback host did not resolve; unlike the other rules this may pass on a later try."""


def resolve_host(host: str) -> list[str]:
    """Every address ``host`` resolves to (getaddrinfo, TCP); raises OSError when it does not resolve."""
    infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _blocked_reason(address: IPAddress) -> str | None:
    # Addresses embedded in IPv6 forms reach IPv4 hosts: check what they embed too.
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour or (address.teredo[1] if address.teredo else None)
        if embedded is not None:
            inner = _blocked_reason(embedded)
            if inner is not None:
                return f"{inner} (embedded in {address})"
    checks = (
        ("unspecified", address.is_unspecified),
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("reserved", address.is_reserved),
        ("private", address.is_private),
        # is_global also excludes shared (100.64.0.0/10), documentation and benchmarking ranges.
        ("non-global", not address.is_global),
    )
    for name, hit in checks:
        if hit:
            return f"a {name} address"
    return None


def _parse_ip(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.split("%", 1)[0])  # drop an IPv6 zone id ("fe80::1%eth0")
    except ValueError:
        return None


def validate_callback_url(
    url: str,
    *,
    allow_private: bool,
    require_https: bool,
    resolve: Callable[[str], list[str]] = resolve_host,
) -> str:
    """Return ``url`` if we may POST to it, else raise `UnsafeUrlError` naming the broken rule."""
    if not isinstance(url, str) or not url.strip():
        raise UnsafeUrlError("callback URL is empty")
    if url != url.strip() or any(ch in url for ch in "\r\n\t "):
        raise UnsafeUrlError("callback URL contains whitespace")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise UnsafeUrlError(f"callback URL is malformed: {error}") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise UnsafeUrlError(f"callback URL scheme must be http or https, not {parts.scheme or 'missing'!r}")
    if require_https and scheme != "https":
        raise UnsafeUrlError("callback URL must use https")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise UnsafeUrlError("callback URL must not contain credentials")
    host = parts.hostname
    if not host:
        raise UnsafeUrlError("callback URL has no host")
    if port == 0:
        raise UnsafeUrlError("callback URL port must not be 0")
    if allow_private:
        return url

    literal = _parse_ip(host)
    if literal is not None:
        reason = _blocked_reason(literal)
        if reason is not None:
            raise UnsafeUrlError(f"callback host {host} is {reason}")
        return url
    if _NUMERIC_HOST.fullmatch(host):
        raise UnsafeUrlError(f"callback host {host!r} is a non-standard numeric IP address")

    lookup = host.rstrip(".")
    try:
        addresses = resolve(lookup)
    except (OSError, UnicodeError) as error:
        raise UnresolvableHostError(f"callback host {host} does not resolve: {error}") from None
    if not addresses:
        raise UnresolvableHostError(f"callback host {host} does not resolve to any address")
    for text in addresses:
        address = _parse_ip(text)
        if address is None:
            raise UnsafeUrlError(f"callback host {host} resolved to {text!r}, which is not an IP address")
        reason = _blocked_reason(address)
        if reason is not None:
            raise UnsafeUrlError(f"callback host {host} resolves to {address}, {reason}")
    return url


def join_action_url(base: str, action: str) -> str:
    """``bap_uri`` + "/" + ``action``, with exactly one slash between them (query and fragment kept)."""
    name = action.strip("/")
    if not name:
        raise ValueError("action must not be empty")
    parts = urlsplit(base)
    path = parts.path.rstrip("/") + "/" + name
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, parts.fragment))

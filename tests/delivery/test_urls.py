from collections.abc import Callable

import pytest

from adapter.delivery.urls import UnresolvableHostError, UnsafeUrlError, join_action_url, validate_callback_url

PUBLIC_V4 = "93.184.216.34"
PUBLIC_V6 = "2606:2800:220:1:248:1893:25c8:1946"


def resolver(*addresses: str) -> Callable[[str], list[str]]:
    def resolve(host: str) -> list[str]:
        return list(addresses)

    return resolve


def no_dns(host: str) -> list[str]:
    raise AssertionError(f"must not resolve {host}")


def check(url: str, *, allow_private: bool = False, require_https: bool = True,
          resolve: Callable[[str], list[str]] = no_dns) -> str:
    return validate_callback_url(url, allow_private=allow_private, require_https=require_https, resolve=resolve)


def test_public_https_url_passes_unchanged() -> None:
    url = "https://buyer.example/ondc/"
    assert check(url, resolve=resolver(PUBLIC_V4, PUBLIC_V6)) == url


def test_public_ip_literals_pass() -> None:
    assert check(f"https://{PUBLIC_V4}:8443/cb") == f"https://{PUBLIC_V4}:8443/cb"
    assert check(f"https://[{PUBLIC_V6}]/cb") == f"https://[{PUBLIC_V6}]/cb"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://buyer.example/", "scheme must be http or https"),
        ("file:///etc/passwd", "scheme must be http or https"),
        ("buyer.example/on_search", "scheme must be http or https"),
        ("https://user:pw@buyer.example/", "credentials"),
        ("https://user@buyer.example/", "credentials"),
        ("https:///path-only", "no host"),
        ("https://buyer.example:99999/", "malformed"),
        ("", "empty"),
        ("https://buyer.example/a b", "whitespace"),
    ],
)
def test_malformed_urls_are_rejected_with_a_clear_message(url: str, message: str) -> None:
    with pytest.raises(UnsafeUrlError, match=message):
        check(url, resolve=resolver(PUBLIC_V4))


def test_https_is_required_only_when_asked() -> None:
    with pytest.raises(UnsafeUrlError, match="must use https"):
        check("http://buyer.example/", resolve=resolver(PUBLIC_V4))
    assert check("http://buyer.example/", require_https=False, resolve=resolver(PUBLIC_V4))


@pytest.mark.parametrize(
    ("host", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.9", "private"),
        ("192.168.1.1", "private"),
        ("169.254.169.254", "link-local"),
        ("0.0.0.0", "unspecified"),
        ("224.0.0.1", "multicast"),
        ("240.0.0.1", "reserved"),
        ("100.64.0.1", "non-global"),
        ("[::1]", "loopback"),
        ("[::]", "unspecified"),
        ("[fe80::1]", "link-local"),
        ("[fc00::1]", "private"),
        ("[ff02::1]", "multicast"),
        ("[::ffff:127.0.0.1]", "loopback"),
        ("[::ffff:10.0.0.1]", "private"),
        ("[2002:7f00:1::]", "loopback"),  # 6to4 wrapping 127.0.0.1
    ],
)
def test_private_ip_literals_are_rejected(host: str, kind: str) -> None:
    with pytest.raises(UnsafeUrlError, match=kind):
        check(f"https://{host}/on_search")


@pytest.mark.parametrize("host", ["2130706433", "0x7f.1", "0177.0.0.1", "127.1"])
def test_non_standard_numeric_hosts_are_rejected(host: str) -> None:
    with pytest.raises(UnsafeUrlError, match="non-standard numeric"):
        check(f"https://{host}/")


@pytest.mark.parametrize(
    ("addresses", "kind"),
    [
        (["127.0.0.1"], "loopback"),
        ([PUBLIC_V4, "10.0.0.5"], "private"),  # every address is checked, not just the first
        ([PUBLIC_V6, "::1"], "loopback"),
        (["fd12:3456::1"], "private"),
        (["169.254.169.254"], "link-local"),
    ],
)
def test_names_resolving_to_private_addresses_are_rejected(addresses: list[str], kind: str) -> None:
    with pytest.raises(UnsafeUrlError, match=kind) as info:
        check("https://buyer.example/", resolve=resolver(*addresses))
    assert "buyer.example" in str(info.value)
    assert not isinstance(info.value, UnresolvableHostError)


def test_resolution_uses_the_bare_host_name() -> None:
    seen: list[str] = []

    def resolve(host: str) -> list[str]:
        seen.append(host)
        return [PUBLIC_V4]

    check("https://Buyer.Example.:8443/x?y=1", resolve=resolve)
    assert seen == ["buyer.example"]


def test_unresolvable_host_is_its_own_error() -> None:
    def fail(host: str) -> list[str]:
        raise OSError("Name or service not known")

    with pytest.raises(UnresolvableHostError, match="does not resolve"):
        check("https://nowhere.example/", resolve=fail)
    with pytest.raises(UnresolvableHostError, match="any address"):
        check("https://nowhere.example/", resolve=resolver())


def test_allow_private_skips_address_checks_but_not_url_rules() -> None:
    assert check("http://127.0.0.1:5000/cb", allow_private=True, require_https=False)
    assert check("https://localhost/cb", allow_private=True)
    with pytest.raises(UnsafeUrlError, match="credentials"):
        check("https://u:p@127.0.0.1/", allow_private=True)
    with pytest.raises(UnsafeUrlError, match="must use https"):
        check("http://127.0.0.1/", allow_private=True)


@pytest.mark.parametrize(
    ("base", "expected"),
    [
        ("https://buyer.example", "https://buyer.example/on_search"),
        ("https://buyer.example/", "https://buyer.example/on_search"),
        ("https://buyer.example/ondc", "https://buyer.example/ondc/on_search"),
        ("https://buyer.example/ondc//", "https://buyer.example/ondc/on_search"),
        ("https://buyer.example/ondc?k=v", "https://buyer.example/ondc/on_search?k=v"),
    ],
)
def test_join_action_url(base: str, expected: str) -> None:
    assert join_action_url(base, "on_search") == expected
    assert join_action_url(base, "/on_search") == expected


def test_join_action_url_needs_an_action() -> None:
    with pytest.raises(ValueError, match="action"):
        join_action_url("https://buyer.example", "/")

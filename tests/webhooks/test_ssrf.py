"""The SSRF guard: only http(s) URLs whose host is, and resolves only to, public addresses.
Every spelling of an internal address is refused; names are judged by what they resolve
to, when created and again when the worker connects (DNS rebinding)."""

from __future__ import annotations

import pytest

from dispatch.webhooks import ssrf
from dispatch.webhooks.ssrf import BlockedAddress, InvalidWebhookUrl, UnresolvableHost
from tests.webhooks.conftest import Resolver

LOOPBACK_SPELLINGS = [
    "http://127.0.0.1/",
    "http://127.0.0.1.:8080/",
    "http://127.1/",
    "http://127.0.1/",
    "http://0x7f000001/",
    "http://0X7F000001/",
    "http://2130706433/",
    "http://017700000001/",
    "http://0177.0.0.1/",
    "http://0x7f.0.0.1/",
    "http://0x7f.1/",
    "http://127.255.255.254/",
    "http://[::1]/",
    "http://[0:0:0:0:0:0:0:1]/",
    "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:7f00:1]/",
    "http://[2002:7f00:1::]/",
    "http://[64:ff9b::127.0.0.1]/",
    "http://localhost/",
    "http://LOCALHOST:8000/",
    "http://api.localhost/",
]

OTHER_REFUSED = [
    ("http://0.0.0.0/", "unspecified"),
    ("http://0/", "unspecified"),
    ("http://[::]/", "unspecified"),
    ("http://10.0.0.1/", "private"),
    ("http://167772161/", "private"),  # 10.0.0.1 as an integer
    ("http://172.16.5.4/", "private"),
    ("http://172.31.255.255/", "private"),
    ("http://192.168.1.10/", "private"),
    ("http://0xc0a80001/", "private"),  # 192.168.0.1 in hex
    ("http://0300.0250.0.1/", "private"),  # 192.168.0.1 in octal
    ("http://100.64.0.1/", "CGNAT"),
    ("http://100.127.255.254/", "CGNAT"),
    ("http://169.254.169.254/latest/meta-data/", "link-local"),
    ("http://198.18.0.1/", "benchmarking"),
    ("http://198.19.255.1/", "benchmarking"),
    ("http://192.0.2.10/", "documentation"),
    ("http://198.51.100.7/", "documentation"),
    ("http://203.0.113.9/", "documentation"),
    ("http://192.0.0.8/", "reserved"),
    ("http://224.0.0.251/", "multicast"),
    ("http://239.255.255.250/", "multicast"),
    ("http://240.0.0.1/", "reserved"),
    ("http://255.255.255.255/", "broadcast"),
    ("http://[fc00::1]/", "unique-local"),
    ("http://[fd12:3456:789a::1]/", "unique-local"),
    ("http://[fe80::1]/", "link-local"),
    ("http://[fe80::1%25eth0]/", "link-local"),
    ("http://[fec0::1]/", "site-local"),
    ("http://[ff02::1]/", "multicast"),
    ("http://[2001:db8::1]/", "documentation"),
    ("http://[100::1]/", "reserved"),
    ("http://[2001::1]/", "reserved"),
    ("http://[::ffff:10.1.2.3]/", "private"),
    ("http://[::ffff:169.254.169.254]/", "link-local"),
    ("http://[2002:a9fe:a9fe::1]/", "link-local"),  # 6to4 of 169.254.169.254
    ("http://[2002:c0a8:0101::]/", "private"),  # 6to4 of 192.168.1.1
    ("http://[64:ff9b::a00:1]/", "private"),  # NAT64 of 10.0.0.1
    ("http://[64:ff9b:1::1]/", "private"),  # local-use NAT64
    ("http://[::10.0.0.1]/", "reserved"),  # IPv4-compatible (deprecated)
]

PUBLIC = [
    "https://93.184.216.34/hooks",
    "http://8.8.8.8:8080/x?y=1",
    "http://134744072/",  # 8.8.8.8 as an integer: judged by the address it names
    "https://[2606:4700:4700::1111]/",
    "https://[::ffff:8.8.8.8]/",  # IPv4-mapped public address
    "https://[2002:0808:0808::1]/",  # 6to4 of a public address
    "https://[64:ff9b::808:808]/",  # NAT64 of a public address
]


@pytest.mark.parametrize("url", LOOPBACK_SPELLINGS)
def test_every_spelling_of_loopback_is_refused(url: str) -> None:
    with pytest.raises(BlockedAddress) as caught:
        ssrf.check_url(url, allow_private=False)
    assert caught.value.code == "webhook_url_blocked"
    assert caught.value.status == 422
    assert "loopback" in caught.value.message or "local" in caught.value.message


@pytest.mark.parametrize(("url", "kind"), OTHER_REFUSED)
def test_internal_and_reserved_addresses_are_refused(url: str, kind: str) -> None:
    with pytest.raises(BlockedAddress) as caught:
        ssrf.check_url(url, allow_private=False)
    assert caught.value.code == "webhook_url_blocked"
    assert kind in caught.value.message
    assert caught.value.errors == [{"field": "url", "message": caught.value.message}]


@pytest.mark.parametrize("url", PUBLIC)
def test_public_addresses_are_accepted(url: str, dns: Resolver) -> None:
    ssrf.check_url(url, allow_private=False)
    assert dns["__lookups__"] == []  # literal addresses need no lookup


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("ftp://93.184.216.34/", "http"),
        ("file:///etc/passwd", "http"),
        ("gopher://93.184.216.34:70/", "http"),
        ("javascript:alert(1)", "http"),
        ("93.184.216.34/hooks", "http"),
        ("//93.184.216.34/hooks", "http"),
        ("https://", "no host"),
        ("https:///path", "no host"),
        ("https://user:pass@93.184.216.34/", "credentials"),
        ("https://user@93.184.216.34/", "credentials"),
        ("https://:pass@93.184.216.34/", "credentials"),
        ("https://@93.184.216.34/", "credentials"),
        ("https://93.184.216.34:99999/", "malformed"),
        ("https://93.184.216.34:port/", "malformed"),
        ("https://[::1/", "malformed"),
        ("https://exa mple.com/", "spaces"),
        ("https://example.com/\n", "spaces"),
        ("https://example.com/\x00", "control"),
        ("https://-bad-.example.com/", "valid name"),
        ("https://bad..example.com/", "valid name"),
        ("https://under$score.example.com/", "valid name"),
        ("https://08.1.1.1/", "IPv4"),
        ("https://1.2.3.4.5/", "IPv4"),
        ("https://256.1.1.1/", "IPv4"),
        ("https://4294967296/", "IPv4"),
        ("https://example.123/", "IPv4"),
        ("https://" + "a" * 2050 + ".com/", "longer"),
    ],
)
def test_malformed_urls_are_refused_as_invalid(url: str, why: str) -> None:
    with pytest.raises(InvalidWebhookUrl) as caught:
        ssrf.check_url(url, allow_private=False)
    assert caught.value.code == "invalid_webhook_url"
    assert why in caught.value.message


def test_malformed_urls_are_refused_even_when_private_addresses_are_allowed() -> None:
    with pytest.raises(InvalidWebhookUrl):
        ssrf.check_url("ftp://10.0.0.1/", allow_private=True)
    with pytest.raises(InvalidWebhookUrl):
        ssrf.check_url("http://user:pw@10.0.0.1/", allow_private=True)


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8080/hook", "http://0x7f000001/", "http://[::1]/", "http://10.1.1.1"]
)
def test_allow_private_lifts_the_address_guard(url: str) -> None:
    ssrf.check_url(url, allow_private=True)


def test_a_name_is_judged_by_every_address_it_resolves_to(dns: Resolver) -> None:
    dns["hooks.example.com"] = ["93.184.216.34", "2606:4700:4700::1111"]
    dns["mixed.example.com"] = ["93.184.216.34", "10.0.0.7"]
    dns["internal.example.com"] = ["fd00::5"]

    ssrf.check_url("https://hooks.example.com/in", allow_private=False)
    with pytest.raises(BlockedAddress) as caught:
        ssrf.check_url("https://mixed.example.com/in", allow_private=False)
    assert "10.0.0.7" in caught.value.message
    with pytest.raises(BlockedAddress, match="unique-local"):
        ssrf.check_url("https://internal.example.com/in", allow_private=False)


def test_a_name_that_does_not_resolve_is_refused(dns: Resolver) -> None:
    with pytest.raises(UnresolvableHost) as caught:
        ssrf.check_url("https://nowhere.example.com/", allow_private=False)
    assert caught.value.code == "webhook_url_unresolvable"
    assert caught.value.status == 422


def test_names_are_not_looked_up_when_private_addresses_are_allowed(dns: Resolver) -> None:
    ssrf.check_url("https://intranet.corp/hooks", allow_private=True)
    assert dns["__lookups__"] == []


def test_idn_hosts_are_looked_up_in_their_ascii_form(dns: Resolver) -> None:
    dns["xn--bcher-kva.example"] = ["93.184.216.34"]
    ssrf.check_url("https://bücher.example/hooks", allow_private=False)
    assert dns["__lookups__"] == ["xn--bcher-kva.example"]


def test_resolve_public_returns_the_vetted_addresses_to_connect_to(dns: Resolver) -> None:
    dns["hooks.example.com"] = ["93.184.216.34", "93.184.216.34", "2606:4700:4700::1111"]
    assert ssrf.resolve_public("hooks.example.com", 443, allow_private=False) == [
        "93.184.216.34",
        "2606:4700:4700::1111",
    ]
    assert ssrf.resolve_public("0x5db8d822", 443, allow_private=False) == ["93.184.216.34"]


def test_resolve_public_catches_a_name_rebound_to_an_internal_address(dns: Resolver) -> None:
    """Created while the name pointed at a public address; at connect time it points at
    the metadata service: refused."""
    dns["rebind.example.com"] = ["93.184.216.34"]
    ssrf.check_url("https://rebind.example.com/", allow_private=False)
    dns["rebind.example.com"] = ["169.254.169.254"]
    with pytest.raises(BlockedAddress, match="link-local"):
        ssrf.resolve_public("rebind.example.com", 443, allow_private=False)


def test_resolve_public_with_private_allowed_returns_internal_addresses(dns: Resolver) -> None:
    dns["intranet.corp"] = ["10.0.0.7"]
    assert ssrf.resolve_public("intranet.corp", 80, allow_private=True) == ["10.0.0.7"]
    assert ssrf.resolve_public("127.1", 80, allow_private=True) == ["127.0.0.1"]
    with pytest.raises(UnresolvableHost):
        ssrf.resolve_public("nowhere.corp", 80, allow_private=True)


def test_resolve_public_refuses_localhost_without_a_lookup(dns: Resolver) -> None:
    with pytest.raises(BlockedAddress):
        ssrf.resolve_public("localhost", 80, allow_private=False)
    assert dns["__lookups__"] == []


def test_delivery_target_gives_the_host_and_default_ports() -> None:
    assert ssrf.delivery_target("https://93.184.216.34/x") == ("93.184.216.34", 443)
    assert ssrf.delivery_target("http://93.184.216.34/x") == ("93.184.216.34", 80)
    assert ssrf.delivery_target("https://[2606:4700::1]:8443/") == ("2606:4700::1", 8443)
    assert ssrf.delivery_target("https://Bücher.example/") == ("xn--bcher-kva.example", 443)

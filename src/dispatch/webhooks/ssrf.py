"""The SSRF guard: webhooks reach public addresses only.

A URL is checked when a webhook is created or changed (`check_url`) and its host again
each time the worker connects (`resolve_public`), so a name that later resolves to an
internal address (DNS rebinding) is refused too: the worker connects to the vetted
addresses `resolve_public` returns, never to a second lookup's.

Refused: loopback, private, link-local, multicast, reserved, unspecified, CGNAT
(100.64/10), benchmarking (198.18/15), documentation ranges, IPv6 unique-local, link- and
site-local, and IPv4 embedded in IPv6 (mapped, 6to4, NAT64) when the IPv4 is refused.
Hosts written as IPv4 in integer, hex or octal form (`0x7f000001`, `2130706433`,
`017700000001`, `127.1`) are read with inet_aton semantics, as resolvers read them, before
they are judged. `DISPATCH_WEBHOOKS_ALLOW_PRIVATE=true` lifts the address checks.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Final
from urllib.parse import urlsplit

from dispatch.core.errors import DomainError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

URL_MAX_LENGTH: Final = 2048
ALLOW_PRIVATE_HINT: Final = (
    "set DISPATCH_WEBHOOKS_ALLOW_PRIVATE=true to allow it (intranets, local testing)"
)
RESOLVE_TIMEOUT_SECONDS: Final = 5.0

_V4 = ipaddress.IPv4Network
_V6 = ipaddress.IPv6Network

# (network, what it is), checked in order; anything else not globally routable is refused
# as "reserved" (ipaddress.is_global), multicast explicitly (is_global allows it).
BLOCKED_V4: Final[tuple[tuple[ipaddress.IPv4Network, str], ...]] = (
    (_V4("0.0.0.0/8"), "unspecified"),
    (_V4("127.0.0.0/8"), "loopback"),
    (_V4("10.0.0.0/8"), "private"),
    (_V4("172.16.0.0/12"), "private"),
    (_V4("192.168.0.0/16"), "private"),
    (_V4("100.64.0.0/10"), "shared (CGNAT)"),
    (_V4("169.254.0.0/16"), "link-local"),
    (_V4("192.0.0.0/24"), "reserved"),
    (_V4("192.0.2.0/24"), "documentation"),
    (_V4("198.51.100.0/24"), "documentation"),
    (_V4("203.0.113.0/24"), "documentation"),
    (_V4("192.88.99.0/24"), "reserved"),
    (_V4("198.18.0.0/15"), "benchmarking"),
    (_V4("224.0.0.0/4"), "multicast"),
    (_V4("255.255.255.255/32"), "broadcast"),
    (_V4("240.0.0.0/4"), "reserved"),
)
BLOCKED_V6: Final[tuple[tuple[ipaddress.IPv6Network, str], ...]] = (
    (_V6("::/128"), "unspecified"),
    (_V6("::1/128"), "loopback"),
    (_V6("::/96"), "reserved"),  # IPv4-compatible (deprecated)
    (_V6("100::/64"), "reserved"),  # discard-only
    (_V6("64:ff9b:1::/48"), "private"),  # local-use NAT64
    (_V6("2001::/32"), "reserved"),  # Teredo
    (_V6("2001:db8::/32"), "documentation"),
    (_V6("3fff::/20"), "documentation"),
    (_V6("fc00::/7"), "unique-local"),
    (_V6("fe80::/10"), "link-local"),
    (_V6("fec0::/10"), "site-local"),
    (_V6("ff00::/8"), "multicast"),
)
NAT64: Final = _V6("64:ff9b::/96")

_HOST_LABELS = re.compile(
    r"^[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*$"
)
# A last label like these makes the host an IPv4 address, to be parsed as one.
_NUMERIC_LABEL = re.compile(r"^(0x[0-9a-f]*|[0-9]+)$")

_resolver = ThreadPoolExecutor(max_workers=4, thread_name_prefix="dispatch-resolve")


class InvalidWebhookUrl(DomainError):
    status = 422
    code = "invalid_webhook_url"

    def __init__(self, message: str, *, field: str = "url") -> None:
        super().__init__(message, errors=[{"field": field, "message": message}])


class BlockedAddress(DomainError):
    """The URL's host is, or resolves to, an address webhooks may not reach."""

    status = 422
    code = "webhook_url_blocked"

    def __init__(self, message: str, *, field: str = "url") -> None:
        super().__init__(message, errors=[{"field": field, "message": message}])


class UnresolvableHost(BlockedAddress):
    """The host has no address (or the lookup timed out): nothing can be vetted."""

    code = "webhook_url_unresolvable"


def blocked_reason(address: IPAddress) -> str | None:
    """Why webhooks may not reach `address` ("loopback", "private", ...), or None."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            reason = blocked_reason(embedded)
            return f"{reason} IPv4-in-IPv6" if reason else None
        for network6, reason in BLOCKED_V6:
            if address in network6:
                return reason
    else:
        for network4, reason in BLOCKED_V4:
            if address in network4:
                return reason
    if address.is_multicast:
        return "multicast"
    if not address.is_global:
        return "reserved"
    return None


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def parse_ip(host: str) -> IPAddress | None:
    """The address a host names literally (any IPv4 spelling inet_aton accepts, IPv6),
    None for a name. A name that looks like IPv4 but is not one raises."""
    bare = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    bare = bare.split("%", 1)[0]  # an IPv6 zone
    try:
        return ipaddress.ip_address(bare)
    except ValueError:
        pass
    name = bare[:-1] if bare.endswith(".") else bare
    last = name.rsplit(".", 1)[-1].lower()
    if not _NUMERIC_LABEL.match(last):
        return None
    if not re.fullmatch(r"[0-9a-fA-FxX.]+", name):
        raise InvalidWebhookUrl(f"The host {host!r} is not a valid IPv4 address")
    try:
        return ipaddress.IPv4Address(socket.inet_aton(name))
    except OSError:
        raise InvalidWebhookUrl(f"The host {host!r} is not a valid IPv4 address") from None


def _refuse(host: str, address: IPAddress, reason: str) -> BlockedAddress:
    shown = host if host == str(address) else f"{host} ({address})"
    return BlockedAddress(
        f"Webhooks are delivered only to public addresses; {shown} is {_article(reason)} "
        f"{reason} address"
    )


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" and not word.startswith("uni") else "a"


def _lookup(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    found: list[str] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        address = str(sockaddr[0])
        if address not in found:
            found.append(address)
    return found


def _resolve(host: str, port: int) -> list[str]:
    future = _resolver.submit(_lookup, host, port)
    try:
        found = future.result(timeout=RESOLVE_TIMEOUT_SECONDS)
    except FutureTimeout:
        raise UnresolvableHost(f"Looking up {host!r} timed out") from None
    except (OSError, UnicodeError):
        raise UnresolvableHost(f"The host {host!r} does not resolve") from None
    if not found:
        raise UnresolvableHost(f"The host {host!r} does not resolve")
    return found


def _is_localhost(host: str) -> bool:
    name = host.rstrip(".")
    return name == "localhost" or name.endswith(".localhost")


def resolve_public(host: str, port: int, *, allow_private: bool) -> list[str]:
    """The addresses to connect to for `host`: every address it resolves to must be public
    (unless `allow_private`), else BlockedAddress; UnresolvableHost (a BlockedAddress)
    when it has none. Call at connect time and connect only to these addresses."""
    literal = parse_ip(host)
    if literal is not None:
        if not allow_private and (reason := blocked_reason(literal)):
            raise _refuse(host, literal, reason)
        zone = host.split("%", 1)[1].rstrip("]") if "%" in host else None
        return [f"{literal}%{zone}" if zone else str(literal)]
    if not allow_private and _is_localhost(host):
        raise BlockedAddress(f"Webhooks are delivered only to public addresses; {host} is local")
    addresses = _resolve(host, port)
    if not allow_private:
        for text in addresses:
            address = ipaddress.ip_address(text.split("%", 1)[0])
            if reason := blocked_reason(address):
                raise _refuse(host, address, reason)
    return addresses


def check_url(url: str, *, allow_private: bool) -> None:
    """Refuse a webhook URL that is not http(s), has no host or carries credentials, or
    whose host is (or resolves to) a non-public address unless `allow_private`."""
    if len(url) > URL_MAX_LENGTH:
        raise InvalidWebhookUrl(f"The URL is longer than {URL_MAX_LENGTH} characters")
    if any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in url):
        raise InvalidWebhookUrl("The URL must not contain spaces or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise InvalidWebhookUrl(f"The URL is malformed: {exc}") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise InvalidWebhookUrl("The URL must start with http:// or https://")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise InvalidWebhookUrl("The URL must not contain credentials (user:password@)")
    host = parts.hostname
    if not host:
        raise InvalidWebhookUrl("The URL has no host")
    if parse_ip(host) is None:
        try:
            ascii_host = host.encode("idna").decode("ascii")
        except UnicodeError:
            raise InvalidWebhookUrl(f"The host {host!r} is not a valid name") from None
        if len(ascii_host) > 253 or not _HOST_LABELS.match(ascii_host.rstrip(".").lower()):
            raise InvalidWebhookUrl(f"The host {host!r} is not a valid name")
        host = ascii_host
    if allow_private:
        # Nothing to vet; the worker resolves when it connects.
        return
    default_port = 443 if parts.scheme.lower() == "https" else 80
    try:
        resolve_public(host, port or default_port, allow_private=False)
    except UnresolvableHost:
        raise
    except BlockedAddress as refused:
        # Whoever saves an intranet or test URL learns how to allow it. Not at connect
        # time: there the refusal may be a name rebound to an internal address.
        raise BlockedAddress(f"{refused.message}; {ALLOW_PRIVATE_HINT}") from None


def delivery_target(url: str) -> tuple[str, int]:
    """The host (IDNA-encoded, as resolve_public wants it) and port a URL is delivered to."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parse_ip(host) is None:
        host = host.encode("idna").decode("ascii")
    return host, parts.port or (443 if parts.scheme.lower() == "https" else 80)

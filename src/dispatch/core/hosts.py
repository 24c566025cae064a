"""Host names as requests carry them: the Host header without its port, the way brands'
portal domains are stored (brands/schemas.normalise_portal_domain)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

# What a stored portal domain looks like (ASCII, xn-- for the rest), up to 253 characters.
_DOMAIN = re.compile(r"[a-z0-9-]{1,63}(?:\.[a-z0-9-]{1,63})+")


def host_name(host_header: str | None) -> str:
    """`Help.Example.com:8443` -> `help.example.com`; an IPv6 literal keeps its brackets;
    '' when there is none."""
    value = (host_header or "").strip().lower()
    if value.startswith("["):
        return value.partition("]")[0] + "]"
    return value.partition(":")[0].removesuffix(".")


def url_host(url: str) -> str:
    """The host name of a URL (`https://Help.example.com:8443/x` -> `help.example.com`)."""
    return host_name(urlsplit(url.strip()).netloc.rpartition("@")[2])


def may_be_domain(host: str) -> bool:
    """Whether `host` could be a brand's portal domain (two labels or more, not an IP
    address), so hosts that cannot be one are never looked up."""
    return (
        len(host) <= 253
        and _DOMAIN.fullmatch(host) is not None
        and not host.rpartition(".")[2].isdigit()
    )


def server_hosts(public_url: str, host_header: str | None) -> frozenset[str]:
    """The hosts Dispatch itself answers at: DISPATCH_PUBLIC_URL's and the one this
    request came to. A brand's portal domain is never one of them (that host would lose
    the dashboard and the API)."""
    return frozenset({url_host(public_url), host_name(host_header)} - {""})

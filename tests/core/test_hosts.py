"""Host names as requests carry them, and which hosts may be a brand's portal domain."""

from __future__ import annotations

import pytest

from dispatch.core.hosts import host_name, may_be_domain, server_hosts, url_host


@pytest.mark.parametrize(
    ("header", "host"),
    [
        ("Help.Example.com", "help.example.com"),
        ("help.example.com:8443", "help.example.com"),
        ("help.example.com.", "help.example.com"),
        ("[::1]:8000", "[::1]"),
        ("", ""),
        (None, ""),
    ],
)
def test_a_host_header_names_its_host_without_the_port(header: str | None, host: str) -> None:
    assert host_name(header) == host


def test_a_url_names_its_host_without_credentials_or_port() -> None:
    assert url_host("https://user:pw@Dispatch.Example.com:8443/x") == "dispatch.example.com"
    assert url_host("") == ""


@pytest.mark.parametrize(
    ("host", "could_be"),
    [
        ("help.example.com", True),
        ("xn--bcher-kva.example", True),
        ("localhost", False),
        ("testserver", False),
        ("127.0.0.1", False),
        ("[::1]", False),
        ("help.example.com\x00", False),
        ("a" * 250 + ".com", False),
    ],
)
def test_only_what_could_be_a_portal_domain_is_looked_up(host: str, could_be: bool) -> None:
    assert may_be_domain(host) is could_be


def test_the_server_answers_at_its_public_url_s_host_and_the_request_s() -> None:
    hosts = server_hosts("https://dispatch.example.com/", "desk.example.com:8000")
    assert hosts == {"dispatch.example.com", "desk.example.com"}
    assert server_hosts("", None) == frozenset()

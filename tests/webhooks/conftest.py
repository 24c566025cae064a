"""Fixtures of the webhook tests: a webhook, a fake resolver, private addresses allowed."""

from __future__ import annotations

import socket
from typing import Any

import pytest

from dispatch.settings import Settings
from tests.conftest import Api
from tests.webhooks.helpers import Json, make_webhook

Resolver = dict[str, list[str]]


@pytest.fixture
def webhook(api: Api, brand: Json) -> Json:
    return make_webhook(api, brand, description="Orders system")


@pytest.fixture
def allow_private(settings: Settings) -> Settings:
    """DISPATCH_WEBHOOKS_ALLOW_PRIVATE=true for this test's app."""
    settings.webhooks_allow_private = True
    return settings


@pytest.fixture
def dns(monkeypatch: pytest.MonkeyPatch) -> Resolver:
    """Names the test maps to addresses (`dns["hooks.example.com"] = ["10.0.0.7"]`);
    other names fail to resolve, so no test depends on the network. Lookups are counted
    in `dns["__lookups__"]`."""
    names: Resolver = {"__lookups__": []}

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
        names["__lookups__"].append(str(host))
        if host not in names:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        results = []
        for address in names[host]:
            family = socket.AF_INET6 if ":" in address else socket.AF_INET
            sockaddr = (address, port, 0, 0) if family == socket.AF_INET6 else (address, port)
            results.append((family, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", sockaddr))
        return results

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return names

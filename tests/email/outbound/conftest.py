"""Fixtures of the outgoing-mail tests: an SMTP sink on loopback and a relay pointing at it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from dispatch.email.outbound import sending
from dispatch.settings import Settings
from tests.email.outbound.sink import Sink


@pytest.fixture
def sink() -> Iterator[Sink]:
    server = Sink()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def relay(settings: Settings, sink: Sink) -> Settings:
    """This test's settings, sending through the sink."""
    settings.smtp_relay = sink.address
    settings.smtp_relay_timeout_seconds = 5
    return settings


@pytest.fixture(autouse=True)
def _fresh_no_relay_log(monkeypatch: pytest.MonkeyPatch) -> None:
    # The "no relay" warning is rate-limited per process; every test starts afresh.
    monkeypatch.setattr(sending, "_last_no_relay_log", None)

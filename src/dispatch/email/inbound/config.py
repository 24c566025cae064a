"""What the inbound job reads from its context: the inbound domain and the server secret
(for reply addresses), bound with `using(...)`/`bind(...)`, else read from the
environment."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from functools import cache

from dispatch.email import addresses
from dispatch.settings import Settings


@dataclass(frozen=True, slots=True)
class InboundConfig:
    settings: Settings
    domain: str
    secret: bytes


def config_from_settings(settings: Settings) -> InboundConfig:
    return InboundConfig(
        settings=settings,
        domain=addresses.inbound_domain(settings),
        secret=addresses.secret_for(settings),
    )


_current: ContextVar[InboundConfig | None] = ContextVar("inbound_config", default=None)


@cache
def _from_environment() -> InboundConfig:
    return config_from_settings(Settings())


def current() -> InboundConfig:
    config = _current.get()
    return config if config is not None else _from_environment()


def bind(config: InboundConfig) -> None:
    _current.set(config)


@contextlib.contextmanager
def using(config: InboundConfig) -> Iterator[InboundConfig]:
    token = _current.set(config)
    try:
        yield config
    finally:
        _current.reset(token)

"""The one source of "now", replaceable in tests so timers run without sleeping."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

_now: Callable[[], datetime] = lambda: datetime.now(UTC)  # noqa: E731


def now() -> datetime:
    return _now()


def set_clock(clock: Callable[[], datetime] | None) -> None:
    """Install a replacement clock (None restores the wall clock)."""
    global _now
    _now = clock if clock is not None else (lambda: datetime.now(UTC))

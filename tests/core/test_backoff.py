"""The retry schedule: exponential backoff with jitter over about three days, Retry-After
honoured within bounds."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from dispatch.core import backoff
from dispatch.settings import Settings
from dispatch.worker.config import WorkerConfig

NOW = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)


def test_default_schedule_spans_about_three_days_and_grows() -> None:
    total = sum(backoff.DEFAULT_SCHEDULE)
    assert timedelta(days=2.5) < timedelta(seconds=total) < timedelta(days=3.5)
    assert list(backoff.DEFAULT_SCHEDULE) == sorted(backoff.DEFAULT_SCHEDULE)
    assert backoff.DEFAULT_SCHEDULE[0] < 60


def test_configured_schedule_accepts_fractions_and_overrides_default() -> None:
    settings = Settings(webhook_retry_schedule="0.05, 0.1,0.2")
    assert WorkerConfig.from_settings(settings).retry_schedule == (0.05, 0.1, 0.2)
    assert WorkerConfig.from_settings(Settings()).retry_schedule == backoff.DEFAULT_SCHEDULE


@pytest.mark.parametrize("bad", ["a,b", "1,,2", "-1", "nan", "1e9"])
def test_malformed_retry_schedule_is_refused_at_startup(bad: str) -> None:
    with pytest.raises(ValueError, match="webhook_retry_schedule"):
        Settings(webhook_retry_schedule=bad)


def test_each_delay_is_jittered_around_its_schedule_entry() -> None:
    rng = random.Random(7)
    schedule = (10.0, 100.0)
    delays = [backoff.next_delay(2, schedule, rng=rng) for _ in range(200)]
    assert all(d is not None and 80 <= d <= 120 for d in delays)
    assert len({round(d or 0, 3) for d in delays}) > 100  # actually random


def test_schedule_exhausted_after_one_attempt_more_than_entries() -> None:
    schedule = (1.0, 2.0, 3.0)
    assert backoff.next_delay(3, schedule) is not None
    assert backoff.next_delay(4, schedule) is None


def test_retry_after_postpones_within_an_hour_beyond_the_schedule() -> None:
    rng = random.Random(1)
    schedule = (10.0,)
    later = backoff.next_delay(1, schedule, retry_after=120.0, rng=rng)
    assert later == 120.0
    capped = backoff.next_delay(1, schedule, retry_after=86400.0, rng=random.Random(1))
    assert capped is not None
    assert capped <= 12.0 + backoff.RETRY_AFTER_MAX_EXTRA_SECONDS
    assert capped >= 8.0 + backoff.RETRY_AFTER_MAX_EXTRA_SECONDS


def test_retry_after_never_brings_the_retry_earlier_than_scheduled() -> None:
    delay = backoff.next_delay(1, (100.0,), retry_after=1.0, rng=random.Random(3))
    assert delay is not None
    assert delay >= 80.0


def test_retry_after_is_read_as_seconds_or_http_date() -> None:
    assert backoff.parse_retry_after("120", NOW) == 120.0
    assert backoff.parse_retry_after("Thu, 15 Jan 2026 09:02:00 GMT", NOW) == 120.0
    assert backoff.parse_retry_after("Thu, 15 Jan 2026 08:00:00 GMT", NOW) == 0.0
    assert backoff.parse_retry_after("soon", NOW) is None
    assert backoff.parse_retry_after("-5", NOW) is None
    assert backoff.parse_retry_after(None, NOW) is None

"""When to try a failed delivery again: exponential backoff with jitter, and Retry-After.

Pure functions, so the schedule is tested without sleeping.
"""

from __future__ import annotations

import random
from datetime import datetime
from email.utils import parsedate_to_datetime

# Seconds before attempts 2, 3, ...: about three days in all (5 s, 5 min, 30 min, 2 h,
# 5 h, 10 h, 14 h, 20 h, 24 h), ten attempts.
DEFAULT_SCHEDULE: tuple[float, ...] = (
    5.0,
    300.0,
    1800.0,
    7200.0,
    18000.0,
    36000.0,
    50400.0,
    72000.0,
    86400.0,
)
# Each delay is scaled by a random factor in [1 - JITTER, 1 + JITTER], so endpoints that
# failed together are not retried in lockstep.
JITTER = 0.2
# A Retry-After may postpone the next attempt by at most this much beyond the schedule.
RETRY_AFTER_MAX_EXTRA_SECONDS = 3600.0


def parse_schedule(text: str) -> tuple[float, ...]:
    """A comma-separated list of seconds ("0.05,0.1,0.2"); empty means the default."""
    if not text.strip():
        return DEFAULT_SCHEDULE
    return tuple(float(part) for part in text.split(","))


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds a Retry-After header asks for (delta-seconds or an HTTP date), None when
    absent or unreadable; a date in the past means 0."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, (when - now).total_seconds())


def next_delay(
    attempts: int,
    schedule: tuple[float, ...],
    *,
    retry_after: float | None = None,
    rng: random.Random | None = None,
) -> float | None:
    """Seconds to wait after `attempts` failed attempts, or None when the schedule is
    exhausted (the delivery has failed for good).

    A Retry-After is honoured within bounds: never sooner than the schedule says, never
    more than RETRY_AFTER_MAX_EXTRA_SECONDS later than it."""
    if attempts < 1 or attempts > len(schedule):
        return None
    generator = rng or random
    scheduled = schedule[attempts - 1] * generator.uniform(1 - JITTER, 1 + JITTER)
    if retry_after is None:
        return scheduled
    return min(max(retry_after, scheduled), scheduled + RETRY_AFTER_MAX_EXTRA_SECONDS)

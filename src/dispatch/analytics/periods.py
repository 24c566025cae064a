"""Report periods: a range of calendar dates in a time zone, cut into day or week buckets.

The buckets' edges are computed here, with the zone's rules (daylight saving included),
as instants; the database only compares timestamps with them and never needs to know
the time zone (SQLite could not).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dispatch.core.errors import ValidationFailed

Interval = Literal["day", "week"]
DEFAULT_DAYS = 30
# The longest range per interval: a year of days, two years of weeks.
MAX_DAYS: dict[str, int] = {"day": 366, "week": 731}


@dataclass(frozen=True, slots=True)
class Bucket:
    """One point of a series: the local date it starts on and its edges (UTC)."""

    date: date
    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class Period:
    first: date
    last: date
    timezone: str
    interval: Interval
    buckets: tuple[Bucket, ...]

    @property
    def start(self) -> datetime:
        return self.buckets[0].start

    @property
    def end(self) -> datetime:
        return self.buckets[-1].end


def zone(name: str) -> ZoneInfo:
    """The IANA zone called `name`; a 422 on `timezone` for anything else."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValidationFailed(
            "timezone", f"Unknown time zone {name!r}: give an IANA name such as Europe/Berlin"
        ) from None


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    """When `day` begins in `tz`, in UTC. Where clocks skip midnight, the day begins
    at the jump (zoneinfo reads a missing time with the offset before it)."""
    return datetime.combine(day, time(), tzinfo=tz).astimezone(UTC)


def build(
    first: date | None,
    last: date | None,
    timezone: str,
    interval: Interval,
    now: datetime,
) -> Period:
    """The period from `first` to `last` (both included, dates in `timezone`). `last`
    defaults to today there, `first` to 30 days before `last` (inclusive)."""
    tz = zone(timezone)
    today = now.astimezone(tz).date()
    last = last if last is not None else today
    first = first if first is not None else last - timedelta(days=DEFAULT_DAYS - 1)
    if last > today:
        raise ValidationFailed("to", f"to ({last}) is after today ({today}) in {timezone}")
    if first > last:
        raise ValidationFailed("from", f"from ({first}) is after to ({last})")
    days = (last - first).days + 1
    if days > MAX_DAYS[interval]:
        raise ValidationFailed(
            "from",
            f"The range spans {days} days; at most {MAX_DAYS[interval]} by {interval}",
        )
    return Period(first, last, timezone, interval, tuple(_buckets(first, last, tz, interval)))


def _buckets(first: date, last: date, tz: ZoneInfo, interval: Interval) -> list[Bucket]:
    """Days, or ISO weeks (Monday to Sunday) cut at the range's ends."""
    step = 1 if interval == "day" else 7
    starts = [first]
    if interval == "week":
        monday = first - timedelta(days=first.weekday())
        starts += [monday + timedelta(days=d) for d in range(step, (last - monday).days + 1, step)]
    else:
        starts += [first + timedelta(days=d) for d in range(1, (last - first).days + 1)]
    ends = [*starts[1:], last + timedelta(days=1)]
    return [
        Bucket(day, local_midnight(day, tz), local_midnight(end, tz))
        for day, end in zip(starts, ends, strict=True)
    ]

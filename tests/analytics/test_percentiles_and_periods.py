"""The SQL percentiles agree with percentile_cont; periods follow the zone's clock."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Float, Integer, column, func, select, values
from sqlalchemy.orm import Session

from dispatch.analytics import periods
from dispatch.analytics.repository import stats
from dispatch.core.errors import ValidationFailed


def percentile_cont(values_: list[float], p: float) -> float:
    ordered = sorted(values_)
    position = (len(ordered) - 1) * p
    lower = int(position)
    upper = min(lower + 1, len(ordered) - 1)
    return ordered[lower] + (position - lower) * (ordered[upper] - ordered[lower])


def test_median_and_p90_per_group_match_percentile_cont(session: Session) -> None:
    rng = random.Random(7)
    data = [(g, float(rng.randrange(0, 100_000))) for g in range(1, 6) for _ in range(g * 7)]
    data += [(6, 42.0)]  # a group of one
    sample = values(column("g", Integer), column("s", Float), name="sample").data(data).cte()
    query = select(sample.c.g.label("grp"), sample.c.s.label("seconds"))

    found = {s.group: s for s in stats(session, query, [50_000], with_total=True) if not s.total}
    total = next(s for s in stats(session, query, [50_000], with_total=True) if s.total)

    for group in range(1, 7):
        group_values = [s for g, s in data if g == group]
        result = found[group]
        assert result.count == len(group_values)
        assert result.median == pytest.approx(percentile_cont(group_values, 0.5))
        assert result.p90 == pytest.approx(percentile_cont(group_values, 0.9))
        assert result.below == (sum(1 for s in group_values if s < 50_000),)
    every = [s for _, s in data]
    assert total.median == pytest.approx(percentile_cont(every, 0.5))
    assert total.p90 == pytest.approx(percentile_cont(every, 0.9))

    if session.get_bind().dialect.name == "postgresql":
        native = session.execute(
            select(
                func.percentile_cont(0.5).within_group(sample.c.s),
                func.percentile_cont(0.9).within_group(sample.c.s),
            )
        ).one()
        assert (total.median, total.p90) == pytest.approx(tuple(native))


NOW = datetime(2026, 4, 15, 12, tzinfo=UTC)


def test_days_follow_daylight_saving_time() -> None:
    period = periods.build(date(2026, 3, 28), date(2026, 3, 30), "Europe/Berlin", "day", NOW)

    assert [(b.start.isoformat(), b.end.isoformat()) for b in period.buckets] == [
        ("2026-03-27T23:00:00+00:00", "2026-03-28T23:00:00+00:00"),
        ("2026-03-28T23:00:00+00:00", "2026-03-29T22:00:00+00:00"),  # 23 hours long
        ("2026-03-29T22:00:00+00:00", "2026-03-30T22:00:00+00:00"),
    ]


def test_a_day_whose_midnight_never_happens_begins_at_the_jump() -> None:
    # Santiago moved its clocks from 00:00 to 01:00 on 7 September 2025.
    period = periods.build(date(2025, 9, 7), date(2025, 9, 7), "America/Santiago", "day", NOW)

    assert period.start == datetime(2025, 9, 7, 4, tzinfo=UTC)  # 00:00 at -04:00 = 01:00 -03:00
    assert period.end == datetime(2025, 9, 8, 3, tzinfo=UTC)


def test_weeks_start_on_monday_and_are_cut_at_the_range() -> None:
    period = periods.build(date(2026, 1, 1), date(2026, 1, 14), "UTC", "week", NOW)

    assert [(b.date, (b.end - b.start).days) for b in period.buckets] == [
        (date(2026, 1, 1), 4),  # Thursday to Sunday
        (date(2026, 1, 5), 7),
        (date(2026, 1, 12), 3),  # Monday to Wednesday, the range's last day
    ]


def test_unknown_zones_are_refused() -> None:
    with pytest.raises(ValidationFailed) as refused:
        periods.zone("Europe/Atlantis")
    assert refused.value.errors == [
        {
            "field": "timezone",
            "message": "Unknown time zone 'Europe/Atlantis': give an IANA name such as "
            "Europe/Berlin",
        }
    ]

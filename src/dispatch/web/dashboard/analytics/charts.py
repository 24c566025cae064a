"""The Analytics page's charts, built from the analytics services' reports. Each chart is
its figure (svg.py's geometry), a text summary, and the table of exactly its numbers:
the table the page shows one click away and the CSV it downloads are the same rows."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import Any, Literal

from sqlalchemy.orm import Session

from dispatch.analytics import service
from dispatch.analytics.schemas import (
    BacklogReport,
    DurationStats,
    PeriodOut,
    ReopensReport,
    ReportQuery,
    ResponseTimes,
    ResponseTimesReport,
    TimeInStatusReport,
    VolumeReport,
)
from dispatch.brands.models import Brand
from dispatch.core.actor import Actor
from dispatch.web.dashboard.analytics import svg

Kind = Literal["text", "date", "count", "duration", "rate"]
# Statuses without a color of their own (across brands, or deleted since): a fixed round.
FALLBACK_COLORS = ("#6366f1", "#0891b2", "#ca8a04", "#db2777", "#65a30d", "#9333ea", "#64748b")


@dataclass(frozen=True, slots=True)
class Column:
    label: str
    kind: Kind = "count"
    group: str = ""  # a heading over several columns ("First response")

    @property
    def csv_header(self) -> str:
        label = f"{self.group} {self.label.lower()}" if self.group else self.label
        return f"{label} (seconds)" if self.kind == "duration" else label


@dataclass(frozen=True, slots=True)
class Table:
    columns: list[Column]
    rows: list[list[Any]]

    @property
    def groups(self) -> list[tuple[str, int]]:
        """The heading row over the columns' groups: (group, span), "" for none."""
        spans: list[tuple[str, int]] = []
        for c in self.columns:
            if spans and spans[-1][0] == c.group:
                spans[-1] = (c.group, spans[-1][1] + 1)
            else:
                spans.append((c.group, 1))
        return spans if any(group for group, _ in spans) else []

    def csv(self) -> str:
        """The rows as CSV: dates in ISO form, durations in seconds, rates as fractions,
        an empty cell for a value that does not exist (a median of nothing)."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow([c.csv_header for c in self.columns])
        for row in self.rows:
            writer.writerow(["" if v is None else _csv_value(v) for v in row])
        return out.getvalue()


def _csv_value(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


@dataclass(frozen=True, slots=True)
class Chart:
    name: str  # its CSV's file name and the element ids
    title: str
    period: PeriodOut
    summary: str
    table: Table
    figure: Any = None  # svg's geometry, drawn by the template of `kind`
    kind: str = ""  # lines | stacked | histogram | bars | "" (a table only)
    empty: bool = False
    facts: list[tuple[str, str]] = field(default_factory=list)  # headline numbers


def duration(seconds: float | None) -> str:
    """A duration as people read it: 45 s, 12 min, 3 h 5 min, 2 d 4 h."""
    if seconds is None:
        return "—"
    s = round(seconds)
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min"
    if s < 86400:
        h, m = divmod(s // 60, 60)
        return f"{h} h {m} min" if m else f"{h} h"
    d, h = divmod(s // 3600, 24)
    return f"{d} d {h} h" if h else f"{d} d"


def cell(value: Any, kind: Kind) -> str:
    """A table cell as the page shows it (the CSV keeps the raw value)."""
    if value is None:
        return "—"
    if kind == "date":
        return f"{value:%a %b} {value.day}"
    if kind == "duration":
        return duration(value)
    if kind == "rate":
        return percent(value)
    return str(value)


def percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.0f}%"


def day_label(day: date) -> str:
    return f"{day:%b} {day.day}"


def _plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


class Reports:
    """The services' reports for one query, each run once however many charts read it."""

    def __init__(
        self, session: Session, actor: Actor, brands: Sequence[Brand], q: ReportQuery
    ) -> None:
        self._args = (session, actor, brands, q)

    @cached_property
    def volume(self) -> VolumeReport:
        return service.volume(*self._args)

    @cached_property
    def backlog(self) -> BacklogReport:
        return service.backlog(*self._args)

    @cached_property
    def response_times(self) -> ResponseTimesReport:
        return service.response_times(*self._args)

    @cached_property
    def time_in_status(self) -> TimeInStatusReport:
        return service.time_in_status(*self._args)

    @cached_property
    def reopens(self) -> ReopensReport:
        return service.reopens(*self._args)


def volume(reports: Reports) -> Chart:
    report = reports.volume
    labels = [day_label(p.date) for p in report.data]
    created = [p.created for p in report.data]
    resolved = [p.resolved for p in report.data]
    busiest = max(report.data, key=lambda p: p.created)
    when = "on" if report.period.interval == "day" else "in the week from"
    summary = (
        f"{_plural(report.totals.created, 'ticket')} created and "
        f"{report.totals.resolved} resolved"
        + (
            f"; the most created: {busiest.created}, {when} {day_label(busiest.date)}."
            if busiest.created
            else "."
        )
    )
    return Chart(
        name="volume",
        title="Created and resolved",
        period=report.period,
        summary=summary,
        table=Table(
            [Column("Date", "date"), Column("Created"), Column("Resolved")],
            [[p.date, p.created, p.resolved] for p in report.data],
        ),
        figure=svg.line_chart(
            labels,
            [("Created", "series-created", created), ("Resolved", "series-resolved", resolved)],
        ),
        kind="lines",
        empty=not (report.totals.created or report.totals.resolved),
        facts=[("Created", str(report.totals.created)), ("Resolved", str(report.totals.resolved))],
    )


def backlog(reports: Reports) -> Chart:
    report = reports.backlog
    colors = {
        s.key: s.color or FALLBACK_COLORS[i % len(FALLBACK_COLORS)]
        for i, s in enumerate(report.statuses)
    }
    names = {s.key: s.name + (" (deleted)" if s.deleted else "") for s in report.statuses}
    keys = [s.key for s in report.statuses]
    labels = [day_label(p.date) for p in report.data]
    last, peak = report.data[-1], max(report.data, key=lambda p: p.total)
    now = ", ".join(f"{names[k]} {last.by_status[k]}" for k in keys if last.by_status[k])
    summary = (
        f"{_plural(last.total, 'active ticket')} at the end of the range"
        + (f" ({now})" if now else "")
        + f"; {report.data[0].total} at the end of its first {report.period.interval}"
        + (f"; at most {peak.total}, on {day_label(peak.date)}." if peak.total else ".")
    )
    return Chart(
        name="backlog",
        title="Backlog by status",
        period=report.period,
        summary=summary,
        table=Table(
            [Column("Date", "date"), *(Column(names[k]) for k in keys), Column("Total")],
            [[p.date, *(p.by_status[k] for k in keys), p.total] for p in report.data],
        ),
        figure=svg.stacked_bars(
            labels, [(names[k], colors[k], [p.by_status[k] for p in report.data]) for k in keys]
        ),
        kind="stacked",
        empty=not peak.total,
        facts=[("Now", str(last.total))],
    )


def time_in_status(reports: Reports) -> Chart:
    report = reports.time_in_status
    shown = [s for s in report.statuses if s.time.count]
    highest = max((s.time.p90_seconds or 0 for s in shown), default=0)
    unit, symbol = svg.duration_unit(highest)
    rows = [
        (
            s.name,
            (s.time.median_seconds or 0) / unit,
            duration(s.time.median_seconds),
            (s.time.p90_seconds or 0) / unit,
        )
        for s in shown
    ]
    summary = (
        "Median time in each status: "
        + "; ".join(
            f"{s.name} {duration(s.time.median_seconds)} ({_plural(s.time.count, 'stay')})"
            for s in shown
        )
        + "."
        if shown
        else "No ticket left a status in this range."
    )
    return Chart(
        name="time-in-status",
        title="Time in status",
        period=report.period,
        summary=summary,
        table=Table(
            [
                Column("Status", "text"),
                Column("Stays"),
                Column("Median", "duration"),
                Column("90th percentile", "duration"),
                Column("Average", "duration"),
                Column("Total", "duration"),
            ],
            [
                [
                    s.name + (" (deleted)" if s.deleted else ""),
                    s.time.count,
                    s.time.median_seconds,
                    s.time.p90_seconds,
                    s.time.average_seconds,
                    s.time.total_seconds,
                ]
                for s in report.statuses
            ],
        ),
        figure=svg.bar_list(rows, lambda v: f"{v:g} {symbol}", mark_name="90th percentile"),
        kind="bars",
        empty=not shown,
    )


def _short(seconds: int) -> str:
    """An axis label: 0, 15m, 1h, 1d."""
    for unit, symbol in ((86400, "d"), (3600, "h"), (60, "m")):
        if seconds >= unit:
            return f"{seconds / unit:g}{symbol}"
    return f"{seconds}"


def _bin_label(low: int, high: int | None) -> str:
    if high is None:
        return f"{duration(low)}+"
    return f"< {duration(high)}" if low == 0 else f"{duration(low)}–{duration(high)}"


def _distribution(
    name: str, title: str, what: str, stats: DurationStats, period: PeriodOut
) -> Chart:
    bins = stats.distribution
    marks = [
        (label, css, value)
        for label, css, value in (
            ("Median", "mark-median", stats.median_seconds),
            ("90th percentile", "mark-p90", stats.p90_seconds),
        )
        if value is not None
    ]
    summary = (
        f"{_plural(stats.count, 'ticket')} {what}: median {duration(stats.median_seconds)}, "
        f"90th percentile {duration(stats.p90_seconds)}."
        if stats.count
        else f"No ticket {what} in this range."
    )
    return Chart(
        name=name,
        title=title,
        period=period,
        summary=summary,
        table=Table(
            [
                Column("Time", "text"),
                Column("From", "duration"),
                Column("To", "duration"),
                Column("Tickets"),
            ],
            [
                [_bin_label(b.min_seconds, b.max_seconds), b.min_seconds, b.max_seconds, b.count]
                for b in bins
            ],
        ),
        figure=svg.histogram(
            [(_bin_label(b.min_seconds, b.max_seconds), b.count) for b in bins],
            [(b.min_seconds, _short(b.min_seconds)) for b in bins],
            marks,
        ),
        kind="histogram",
        empty=not stats.count,
        facts=[
            ("Median", duration(stats.median_seconds)),
            ("90th percentile", duration(stats.p90_seconds)),
        ],
    )


def first_response(reports: Reports) -> Chart:
    return _distribution(
        "first-response",
        "Time to first response",
        "got a first response",
        reports.response_times.first_response,
        reports.response_times.period,
    )


def resolution(reports: Reports) -> Chart:
    report = reports.response_times
    return _distribution(
        "resolution",
        "Time to resolution",
        "resolved for the first time",
        report.resolution,
        report.period,
    )


def reopens(reports: Reports) -> Chart:
    report = reports.reopens
    channels = ", ".join(f"{c.channel} {c.reopens}" for c in report.by_channel)
    summary = (
        f"{report.reopened_tickets} of {_plural(report.resolved_tickets, 'ticket')} resolved "
        f"in this range reopened since ({percent(report.reopen_rate)}); "
        f"{_plural(report.reopens, 'reopen')}" + (f": {channels}." if channels else ".")
        if report.resolved_tickets
        else "No ticket was resolved in this range."
    )
    return Chart(
        name="reopens",
        title="Reopen rate",
        period=report.period,
        summary=summary,
        table=Table(
            [Column("Channel", "text"), Column("Reopens"), Column("Tickets")],
            [[c.channel, c.reopens, c.tickets] for c in report.by_channel],
        ),
        figure=svg.bar_list(
            [(c.channel, c.reopens, str(c.reopens), None) for c in report.by_channel],
            lambda v: f"{v:g}",
        ),
        kind="bars",
        empty=not report.by_channel,
        facts=[
            ("Reopen rate", percent(report.reopen_rate)),
            ("Reopened", f"{report.reopened_tickets} of {report.resolved_tickets}"),
            ("Reopens", str(report.reopens)),
            ("By a customer's reply", str(report.customer_replies)),
        ],
    )


# Per agent: tickets, median and 90th percentile, of first responses then of resolutions.
_AGENT_COLUMNS: tuple[tuple[str, Kind], ...] = (
    ("Tickets", "count"),
    ("Median", "duration"),
    ("90th percentile", "duration"),
)


def _agent_row(label: str, times: ResponseTimes) -> list[Any]:
    return [
        label,
        *(
            value
            for stats in (times.first_response, times.resolution)
            for value in (stats.count, stats.median_seconds, stats.p90_seconds)
        ),
    ]


def agents(reports: Reports) -> Chart:
    report = reports.response_times
    rows = [_agent_row(g.label, g) for g in report.groups]
    rows.append(_agent_row("All tickets", report))
    return Chart(
        name="agents",
        title="By agent",
        period=report.period,
        summary=f"First response and resolution times of {_plural(len(report.groups), 'assignee')}"
        " (tickets by their assignee now).",
        table=Table(
            [
                Column("Agent", "text"),
                *(
                    Column(label, kind, group)
                    for group in ("First response", "Resolution")
                    for label, kind in _AGENT_COLUMNS
                ),
            ],
            rows,
        ),
        empty=not report.groups,
    )


# The page's charts in the order it shows them, by name (a CSV's name in its URL).
CHARTS: dict[str, Callable[[Reports], Chart]] = {
    "volume": volume,
    "backlog": backlog,
    "time-in-status": time_in_status,
    "first-response": first_response,
    "resolution": resolution,
    "reopens": reopens,
    "agents": agents,
}

"""Chart geometry for server-rendered SVG: scales, ticks and the shapes of four kinds of
chart, in the fixed coordinate box the templates draw in (`analytics/_charts.html`).

Plain numbers in, coordinates out: no drawing here and no browser code. The SVG scales to
its container; colors come from the stylesheet (or the brand's status colors), so a
chart follows light and dark mode and prints."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

WIDTH = 520
HEIGHT = 240
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 12, 30
PLOT_W = WIDTH - LEFT - RIGHT
PLOT_H = HEIGHT - TOP - BOTTOM
MAX_X_LABELS = 6
# Horizontal bar charts: room for the row labels on the left, one band per row.
BAR_LEFT = 132
BAR_RIGHT = 84  # room for the value written after the longest bar
BAR_ROW = 30

Format = Callable[[float], str]


@dataclass(frozen=True, slots=True)
class Box:
    """The coordinate box the templates draw in (they read its numbers from here)."""

    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right: int = RIGHT
    top: int = TOP
    bottom: int = BOTTOM
    bar_left: int = BAR_LEFT
    bar_row: int = BAR_ROW


BOX = Box()


@dataclass(frozen=True, slots=True)
class Tick:
    at: float  # the coordinate along its axis
    label: str


@dataclass(frozen=True, slots=True)
class Rect:
    x: float
    y: float
    width: float
    height: float
    title: str
    color: str = ""  # empty: the series' CSS class colors it


@dataclass(frozen=True, slots=True)
class Line:
    name: str
    css: str  # the series' class (its color and dash in app.css)
    points: str  # "x,y x,y ..." for <polyline>
    dots: tuple[tuple[float, float, str], ...]  # (x, y, title) per point


@dataclass(frozen=True, slots=True)
class Marker:
    name: str
    css: str
    x: float


@dataclass(frozen=True, slots=True)
class Bar:
    """A horizontal bar: a row's label, its bar and an optional mark beyond it."""

    label: str
    y: float
    width: float
    value: str
    mark: float | None = None


def nice_step(span: float, count: int = 4) -> float:
    """A round step (1, 2, 2.5 or 5 times a power of ten) cutting `span` in ~`count`;
    never below 1: every axis counts tickets or whole units of time."""
    raw = span / count if span > 0 else 1
    power = 10 ** math.floor(math.log10(raw))
    return max(1.0, float(next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)))


def value_ticks(top: float, to_px: Callable[[float], float], fmt: Format) -> list[Tick]:
    step = nice_step(top)
    count = math.ceil(top / step) if top > 0 else 1
    return [Tick(to_px(i * step), fmt(i * step)) for i in range(count + 1)]


def axis_top(highest: float) -> float:
    """The value axis's end: the first round step at or above `highest` (at least 1)."""
    step = nice_step(highest)
    return max(step * math.ceil(highest / step), step) if highest > 0 else 1.0


def _count(value: float) -> str:
    return f"{value:g}"


def _y(value: float, top: float) -> float:
    return round(TOP + PLOT_H - value / top * PLOT_H, 1)


def x_labels(labels: Sequence[str], centers: Sequence[float]) -> list[Tick]:
    """At most MAX_X_LABELS of the buckets' labels, evenly spread, the first always."""
    every = max(1, math.ceil(len(labels) / MAX_X_LABELS))
    return [Tick(centers[i], labels[i]) for i in range(0, len(labels), every)]


@dataclass(frozen=True, slots=True)
class LineChart:
    lines: list[Line]
    y_ticks: list[Tick]
    x_ticks: list[Tick]


def line_chart(
    labels: Sequence[str], series: Sequence[tuple[str, str, Sequence[int]]]
) -> LineChart:
    """Series of counts over the buckets: (name, css class, values) each."""
    top = axis_top(max((v for _, _, values in series for v in values), default=0))
    n = len(labels)
    xs = [LEFT + (PLOT_W * (i + 0.5) / n) for i in range(n)]
    lines = []
    for name, css, values in series:
        points = [(round(x, 1), _y(v, top)) for x, v in zip(xs, values, strict=True)]
        dots = tuple(
            (x, y, f"{label}: {v} {name.lower()}")
            for (x, y), v, label in zip(points, values, labels, strict=True)
        )
        lines.append(Line(name, css, " ".join(f"{x},{y}" for x, y in points), dots))
    return LineChart(lines, value_ticks(top, lambda v: _y(v, top), _count), x_labels(labels, xs))


@dataclass(frozen=True, slots=True)
class StackedBars:
    bars: list[Rect]
    y_ticks: list[Tick]
    x_ticks: list[Tick]
    keys: list[tuple[str, str]]  # (name, color) per stack, for the legend


def stacked_bars(
    labels: Sequence[str], stacks: Sequence[tuple[str, str, Sequence[int]]]
) -> StackedBars:
    """One bar per bucket, stacked from the bottom in the order given: (name, color,
    values) each."""
    n = len(labels)
    totals = [sum(values[i] for _, _, values in stacks) for i in range(n)]
    top = axis_top(max(totals, default=0))
    band = PLOT_W / n
    width = max(band * 0.7, 1.0)
    rects = []
    for i, label in enumerate(labels):
        base = 0
        for name, color, values in stacks:
            value = values[i]
            if value:
                y = _y(base + value, top)
                rects.append(
                    Rect(
                        x=round(LEFT + band * i + (band - width) / 2, 1),
                        y=y,
                        width=round(width, 1),
                        height=round(_y(base, top) - y, 1),
                        title=f"{label}: {value} {name}",
                        color=color,
                    )
                )
            base += value
    centers = [LEFT + band * (i + 0.5) for i in range(n)]
    return StackedBars(
        rects,
        value_ticks(top, lambda v: _y(v, top), _count),
        x_labels(labels, centers),
        [(name, color) for name, color, _ in stacks],
    )


@dataclass(frozen=True, slots=True)
class Histogram:
    bars: list[Rect]
    markers: list[Marker]
    y_ticks: list[Tick]
    x_ticks: list[Tick]


def histogram(
    bins: Sequence[tuple[str, int]],
    edges: Sequence[tuple[float, str]],
    marks: Sequence[tuple[str, str, float]],
) -> Histogram:
    """Equal-width bars for bins of unequal spans (`edges`: each bin's lower edge and its
    short label; the last bin is open). A mark (name, css class, value) stands where its
    value falls: linearly within its bin, the open bin read as wide as its lower edge."""
    n = len(bins)
    band = PLOT_W / n
    top = axis_top(max((c for _, c in bins), default=0))
    rects = [
        Rect(
            x=round(LEFT + band * i + 1, 1),
            y=_y(count, top),
            width=round(band - 2, 1),
            height=round(TOP + PLOT_H - _y(count, top), 1),
            title=f"{label}: {count}",
        )
        for i, (label, count) in enumerate(bins)
        if count
    ]

    lows = [low for low, _ in edges]

    def position(value: float) -> float:
        i = max(k for k, low in enumerate(lows) if low <= value)
        low = lows[i]
        high = lows[i + 1] if i + 1 < len(lows) else low * 2
        return round(LEFT + band * (i + min((value - low) / (high - low), 1.0)), 1)

    markers = [Marker(name, css, position(value)) for name, css, value in marks]
    ticks = [Tick(round(LEFT + band * i, 1), label) for i, (_, label) in enumerate(edges)]
    return Histogram(rects, markers, value_ticks(top, lambda v: _y(v, top), _count), ticks)


@dataclass(frozen=True, slots=True)
class BarList:
    bars: list[Bar]
    height: int
    x_ticks: list[Tick]
    mark_name: str  # what the marks beyond the bars show ("" when none)


def bar_list(
    rows: Sequence[tuple[str, float, str, float | None]], fmt: Format, mark_name: str = ""
) -> BarList:
    """Horizontal bars (label, value, value as text, mark), on one axis whose ticks `fmt`
    labels."""
    highest = max((max(v, m or 0) for _, v, _, m in rows), default=0)
    top = axis_top(highest)
    width = WIDTH - BAR_LEFT - BAR_RIGHT

    def to_px(value: float) -> float:
        return round(value / top * width, 1)

    bars = [
        Bar(label, TOP + i * BAR_ROW, to_px(value), text, None if m is None else to_px(m))
        for i, (label, value, text, m) in enumerate(rows)
    ]
    height = TOP + len(rows) * BAR_ROW + BOTTOM
    return BarList(bars, height, value_ticks(top, lambda v: BAR_LEFT + to_px(v), fmt), mark_name)


def duration_unit(highest_seconds: float) -> tuple[int, str]:
    """The unit a duration axis counts in, by its range: (seconds per unit, its symbol)."""
    for unit, symbol in ((86400, "d"), (3600, "h"), (60, "min")):
        if highest_seconds >= 2 * unit:
            return unit, symbol
    return 1, "s"

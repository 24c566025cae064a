"""The Analytics page against the small fixed history of tests/analytics/history.py: every
chart drawn with the right numbers in its data table, each CSV the same numbers, the
controls in the URL, bad controls back as the form with field errors, and no reach
beyond the member's brands."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

import pytest

from dispatch.core.db import Database
from dispatch.web.dashboard.analytics.charts import CHARTS
from dispatch.web.dashboard.analytics.svg import histogram, nice_step
from tests.analytics.history import WEEK, History, build
from tests.conftest import Api
from tests.web.conftest import Browser, add_member

QUERY = {"range": "custom", "from": WEEK["from"], "to": WEEK["to"]}


@dataclass
class ChartView:
    """What a chart card shows: its headline numbers, summary, figure and table."""

    facts: dict[str, str] = field(default_factory=dict)
    summary: str = ""
    drawn: bool = False
    rows: list[list[str]] = field(default_factory=list)


class _Cards(HTMLParser):
    """Reads the page's chart cards (`section[data-chart]`) into ChartViews."""

    def __init__(self) -> None:
        super().__init__()
        self.charts: dict[str, ChartView] = {}
        self._chart: ChartView | None = None
        self._text: list[str] | None = None
        self._row: list[str] | None = None
        self._term = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "section" and a.get("data-chart"):
            self._chart = self.charts.setdefault(str(a["data-chart"]), ChartView())
        elif self._chart is None:
            return
        elif tag == "svg":
            self._chart.drawn = True
        elif tag == "tr":
            self._row = []
        elif tag in ("th", "td", "dt", "dd") or (
            tag == "p" and "chart-summary" in (a.get("class") or "")
        ):
            self._text = []

    def handle_data(self, data: str) -> None:
        if self._text is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if self._chart is None:
            return
        text = " ".join("".join(self._text or []).split())
        if tag == "section":
            self._chart = None
        elif tag in ("th", "td") and self._row is not None:
            self._row.append(text)
        elif tag == "tr" and self._row is not None:
            self._chart.rows.append(self._row)
            self._row = None
        elif tag == "dt":
            self._term = text
        elif tag == "dd":
            self._chart.facts[self._term] = text
        elif tag == "p" and self._text is not None:
            self._chart.summary = text
        if tag in ("th", "td", "dt", "dd", "p"):
            self._text = None


def cards(html: str) -> dict[str, ChartView]:
    parser = _Cards()
    parser.feed(html)
    return parser.charts


def csv_rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


@pytest.fixture
def history(api: Api, brand: dict[str, Any], frozen_clock: Any) -> History:
    return build(api, brand, frozen_clock)


@pytest.fixture
def web_now(history: History, web: Browser) -> Browser:
    """Signed in after the history is built: its clock moved to the week's end."""
    return web


def analytics_url(history: History) -> str:
    return f"/brands/{history.brand['id']}/analytics"


def test_every_chart_is_drawn_with_its_numbers_in_a_data_table(
    web_now: Browser, history: History
) -> None:
    response = web_now.get(analytics_url(history), params=QUERY)

    assert response.status_code == 200
    charts = cards(response.text)
    assert list(charts) == list(CHARTS)
    assert all(c.drawn for name, c in charts.items() if name != "agents")
    assert charts["volume"].rows == [
        ["Date", "Created", "Resolved"],
        ["Mon Mar 2", "2", "0"],
        ["Tue Mar 3", "1", "2"],
        ["Wed Mar 4", "0", "1"],
        ["Thu Mar 5", "0", "1"],
        ["Fri Mar 6", "1", "0"],
        ["Sat Mar 7", "0", "0"],
        ["Sun Mar 8", "0", "0"],
    ]
    assert charts["volume"].facts == {"Created": "4", "Resolved": "4"}
    assert charts["backlog"].rows[0] == ["Date", "Open", "Pending", "waiting (deleted)", "Total"]
    assert charts["backlog"].rows[2] == ["Tue Mar 3", "1", "0", "1", "2"]
    assert charts["backlog"].rows[-1] == ["Sun Mar 8", "1", "1", "0", "2"]
    open_row = next(r for r in charts["time-in-status"].rows if r[0] == "Open")
    assert open_row == ["Open", "5", "10 h", "15 h", "8 h 54 min", "1 d 20 h"]
    first = charts["first-response"]
    assert first.facts == {"Median": "1 h", "90th percentile": "9 h 24 min"}
    assert ["15 min–1 h", "15 min", "1 h", "1"] in first.rows
    assert "3 tickets got a first response" in first.summary
    assert charts["resolution"].facts == {"Median": "17 h", "90th percentile": "22 h 36 min"}
    reopens = charts["reopens"]
    assert reopens.facts["Reopen rate"] == "50%"
    assert reopens.facts["Reopened"] == "1 of 2"
    assert reopens.rows[1:] == [["api", "1", "1"], ["email", "1", "1"]]
    assert "Unassigned" in {r[0] for r in charts["agents"].rows}
    assert ["Ann", "1", "1 h", "1 h", "1", "1 d", "1 d"] in charts["agents"].rows
    assert charts["agents"].rows[0] == ["", "First response", "Resolution"]
    assert charts["agents"].rows[-1][:2] == ["All tickets", "3"]


def test_each_csv_holds_exactly_its_charts_numbers(web_now: Browser, history: History) -> None:
    page = cards(web_now.get(analytics_url(history), params=QUERY).text)

    for name in CHARTS:
        response = web_now.get(f"{analytics_url(history)}/{name}.csv", params=QUERY)
        assert response.status_code == 200, name
        assert response.headers["content-type"] == "text/csv; charset=utf-8"
        disposition = response.headers["content-disposition"]
        assert f"-{name}-2026-03-02-2026-03-08.csv" in disposition
        rows = csv_rows(response.text)
        header_rows = 2 if name == "agents" else 1  # its columns' group headings
        assert len(rows) - 1 == len(page[name].rows) - header_rows, name

    volume = csv_rows(web_now.get(f"{analytics_url(history)}/volume.csv", params=QUERY).text)
    assert volume[:3] == [["Date", "Created", "Resolved"], ["2026-03-02", "2", "0"],
                          ["2026-03-03", "1", "2"]]  # fmt: skip
    times = csv_rows(web_now.get(f"{analytics_url(history)}/time-in-status.csv", params=QUERY).text)
    assert times[0][:3] == ["Status", "Stays", "Median (seconds)"]
    assert ["Open", "5", "36000", "54000", "32040", "160200"] in times
    first = csv_rows(web_now.get(f"{analytics_url(history)}/first-response.csv", params=QUERY).text)
    assert ["15 min–1 h", "900", "3600", "1"] in first
    assert first[-1] == ["7 d+", "604800", "", "0"]  # the open bin has no end
    reopens = csv_rows(web_now.get(f"{analytics_url(history)}/reopens.csv", params=QUERY).text)
    assert reopens == [["Channel", "Reopens", "Tickets"], ["api", "1", "1"], ["email", "1", "1"]]
    agents = csv_rows(web_now.get(f"{analytics_url(history)}/agents.csv", params=QUERY).text)
    assert agents[0] == [
        "Agent",
        "First response tickets",
        "First response median (seconds)",
        "First response 90th percentile (seconds)",
        "Resolution tickets",
        "Resolution median (seconds)",
        "Resolution 90th percentile (seconds)",
    ]
    assert ["Ann", "1", "3600", "3600", "1", "86400", "86400"] in agents


def test_controls_live_in_the_url_time_zone_and_filters_included(
    web_now: Browser, history: History
) -> None:
    berlin = {**QUERY, "timezone": "Europe/Berlin"}
    response = web_now.get(analytics_url(history), params=berlin)

    assert cards(response.text)["volume"].rows[1:3] == [
        ["Mon Mar 2", "1", "0"],  # T2 (23:30 UTC) is Tuesday in Berlin
        ["Tue Mar 3", "2", "2"],
    ]
    assert "times in Europe/Berlin" in response.text
    # The CSV links carry the same controls.
    assert (
        "/volume.csv?range=custom&amp;from=2026-03-02&amp;to=2026-03-08&amp;timezone=Europe%2FBerlin"
        in response.text
    )

    high = web_now.get(analytics_url(history), params={**QUERY, "priority": "high"})
    assert cards(high.text)["volume"].facts == {"Created": "1", "Resolved": "3"}
    weeks = web_now.get(analytics_url(history), params={**QUERY, "interval": "week"})
    assert cards(weeks.text)["volume"].rows[1:] == [["Mon Mar 2", "4", "4"]]


def test_htmx_swaps_only_the_report_area(web_now: Browser, history: History) -> None:
    response = web_now.get(
        analytics_url(history),
        params=QUERY,
        headers={"HX-Request": "true", "HX-Target": "analytics-report"},
    )

    assert response.status_code == 200
    assert response.text.lstrip().startswith('<div id="analytics-report"')
    assert "<html" not in response.text
    assert len(cards(response.text)) == len(CHARTS)


def test_the_default_page_opens_on_the_last_30_days(web_now: Browser, history: History) -> None:
    response = web_now.get(analytics_url(history))

    assert response.status_code == 200
    volume = cards(response.text)["volume"]
    assert len(volume.rows) == 31  # the header and 30 days up to today (Sun Mar 8)
    assert volume.rows[-1][0] == "Sun Mar 8"
    assert volume.facts == {"Created": "4", "Resolved": "4"}
    seven = cards(web_now.get(analytics_url(history), params={"range": "7"}).text)["volume"]
    assert (len(seven.rows), seven.rows[1][0]) == (8, "Mon Mar 2")


def test_all_inboxes_reports_every_brand_of_the_member(web_now: Browser, history: History) -> None:
    response = web_now.get("/analytics", params=QUERY)

    assert response.status_code == 200
    charts = cards(response.text)
    assert charts["volume"].facts == {"Created": "4", "Resolved": "4"}
    assert 'href="/analytics" aria-current="page"' in response.text
    csv_response = web_now.get("/analytics/backlog.csv", params=QUERY)
    assert 'filename="all-brands-backlog-' in csv_response.headers["content-disposition"]
    assert csv_rows(csv_response.text)[-1] == ["2026-03-08", "1", "1", "0", "2"]


def test_the_brand_sidebar_links_to_its_analytics(web_now: Browser, history: History) -> None:
    inbox = web_now.get(f"/brands/{history.brand['id']}/inbox")

    assert f'href="{analytics_url(history)}"' in inbox.text


@pytest.mark.parametrize(
    ("params", "fields"),
    [
        ({"range": "custom", "from": "2nd March", "interval": "month"}, ["from", "interval"]),
        ({"range": "12"}, ["range"]),
        ({"range": "custom"}, ["from"]),
        ({**QUERY, "timezone": "Mars/Olympus"}, ["timezone"]),
        ({**QUERY, "priority": "whenever", "channel": "pigeon"}, ["priority", "channel"]),
        ({"range": "custom", "from": "2026-03-01", "to": "2026-04-01"}, ["to"]),  # after today
        ({"range": "custom", "from": "2024-01-01", "to": "2026-03-08"}, ["from"]),  # too long
    ],
)
def test_bad_controls_show_the_form_with_field_errors(
    web_now: Browser, history: History, params: dict[str, str], fields: list[str]
) -> None:
    response = web_now.get(analytics_url(history), params=params)

    assert response.status_code == 422
    assert cards(response.text) == {}
    assert 'role="alert"' in response.text
    for name in fields:
        if name != "timezone":  # a hidden field: named in the alert only
            assert f'id="an-{name}-error"' in response.text, name
    assert "Time zone:" in response.text or "timezone" not in fields
    csv_response = web_now.get(f"{analytics_url(history)}/volume.csv", params=params)
    assert csv_response.status_code == 422
    assert csv_response.headers["content-type"].startswith("text/html")


def test_a_member_without_access_to_the_brand_gets_not_found(
    api: Api, database: Database, history: History, browsers: Any
) -> None:
    other = api.ok("post", "/brands", 201, json={"name": "Elsewhere"})
    person = add_member(
        database, api.account_id, "agent@acme.test", role="member", brand_ids=[other["id"]]
    )
    browser: Browser = browsers()
    assert browser.sign_in(person.email).status_code == 303

    assert browser.get(analytics_url(history), params=QUERY).status_code == 404
    assert browser.get(f"{analytics_url(history)}/volume.csv", params=QUERY).status_code == 404
    # Their All inboxes analytics covers their brand only: none of the history.
    mine = cards(browser.get("/analytics", params=QUERY).text)
    assert mine["volume"].facts == {"Created": "0", "Resolved": "0"}


def test_a_round_axis_and_marks_placed_within_their_bins() -> None:
    assert [nice_step(s) for s in (2, 7, 10, 33, 0)] == [1, 2, 2.5, 10, 1]
    figure = histogram(
        [("a", 1), ("b", 2), ("c", 0)],
        [(0, "0"), (100, "100"), (200, "200")],
        [("Median", "mark-median", 150), ("90th percentile", "mark-p90", 1000)],
    )
    band = figure.x_ticks[1].at - figure.x_ticks[0].at
    assert figure.markers[0].x == pytest.approx(figure.x_ticks[1].at + band / 2, abs=0.1)
    # The open last bin reads as wide as its lower edge; beyond it, the mark stays at its end.
    assert figure.markers[1].x == pytest.approx(figure.x_ticks[2].at + band, abs=0.1)
    assert len(figure.bars) == 2  # an empty bin draws nothing

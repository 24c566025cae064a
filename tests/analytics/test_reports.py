"""Each report against the fixed history of `history.py`, numbers worked out by hand."""

from __future__ import annotations

from typing import Any

from tests.analytics.history import HOUR, WEEK, History
from tests.conftest import Api


def report(api: Api, history: History, name: str, **params: Any) -> Any:
    return api.ok("get", f"/brands/{history.brand['id']}/analytics/{name}", params=params)


def test_volume_counts_created_tickets_and_resolutions_per_day(api: Api, history: History) -> None:
    body = report(api, history, "volume", **WEEK)

    assert [(p["date"], p["created"], p["resolved"]) for p in body["data"]] == [
        ("2026-03-02", 2, 0),  # T1, T2 (23:30)
        ("2026-03-03", 1, 2),  # T3; T1 and T3 resolved
        ("2026-03-04", 0, 1),  # T1 resolved again (T4, T6 are not counted)
        ("2026-03-05", 0, 1),  # T1 closed after its second reopen
        ("2026-03-06", 1, 0),  # T5
        ("2026-03-07", 0, 0),
        ("2026-03-08", 0, 0),
    ]
    assert body["totals"] == {"created": 4, "resolved": 4}
    assert body["data"][0]["start"] == "2026-03-02T00:00:00Z"
    assert body["data"][0]["end"] == "2026-03-03T00:00:00Z"
    assert body["period"] == {
        "from": "2026-03-02",
        "to": "2026-03-08",
        "timezone": "UTC",
        "interval": "day",
        "start": "2026-03-02T00:00:00Z",
        "end": "2026-03-09T00:00:00Z",
    }
    assert body["brandIds"] == [history.brand["id"]]


def test_a_ticket_created_at_23_30_utc_lands_on_the_next_day_in_berlin(
    api: Api, history: History
) -> None:
    body = report(api, history, "volume", timezone="Europe/Berlin", **WEEK)

    created = {p["date"]: p["created"] for p in body["data"]}
    assert created["2026-03-02"] == 1  # T1 only
    assert created["2026-03-03"] == 2  # T2 (00:30 in Berlin) and T3
    assert body["data"][0]["start"] == "2026-03-01T23:00:00Z"
    assert body["period"]["end"] == "2026-03-08T23:00:00Z"


def test_weeks_are_iso_weeks_cut_at_the_range_ends(api: Api, history: History) -> None:
    body = report(
        api, history, "volume", interval="week", **{"from": "2026-02-25", "to": WEEK["to"]}
    )

    assert [(p["date"], p["start"], p["created"]) for p in body["data"]] == [
        ("2026-02-25", "2026-02-25T00:00:00Z", 0),
        ("2026-03-02", "2026-03-02T00:00:00Z", 4),
    ]


def test_filters_narrow_the_tickets_counted(api: Api, history: History) -> None:
    def created(**params: Any) -> int:
        return int(report(api, history, "volume", **WEEK, **params)["totals"]["created"])

    assert created(priority="high") == 1
    assert created(channel="email") == 2  # T1, T5
    assert created(assigneeId=history.ann["id"]) == 1
    assert created(assigneeId="none") == 3
    assert created(categoryId=history.billing["id"]) == 1
    assert created(categoryId="none") == 3


def test_backlog_follows_each_status_through_the_week(api: Api, history: History) -> None:
    body = report(api, history, "backlog", **WEEK)

    assert [(s["key"], s["deleted"]) for s in body["statuses"]] == [
        ("open", False),
        ("pending", False),
        ("waiting", True),  # deleted on D2; T2 was in it on D1
    ]
    open_, pending = body["statuses"][0], body["statuses"][1]
    assert open_["statusId"] is not None
    assert open_["color"] == "#3b82f6"
    assert pending["name"] == "Pending"
    assert [(p["date"], p["byStatus"], p["total"]) for p in body["data"]] == [
        ("2026-03-02", {"open": 1, "pending": 1, "waiting": 0}, 2),  # T2 open, T1 pending
        ("2026-03-03", {"open": 1, "pending": 0, "waiting": 1}, 2),  # T1 reopened, T2 waiting
        ("2026-03-04", {"open": 0, "pending": 1, "waiting": 0}, 1),  # T2 moved to pending
        ("2026-03-05", {"open": 0, "pending": 1, "waiting": 0}, 1),
        ("2026-03-06", {"open": 1, "pending": 1, "waiting": 0}, 2),  # T5
        ("2026-03-07", {"open": 1, "pending": 1, "waiting": 0}, 2),
        ("2026-03-08", {"open": 1, "pending": 1, "waiting": 0}, 2),
    ]
    assert body["data"][0]["at"] == "2026-03-03T00:00:00Z"
    assert body["data"][-1]["at"] == "2026-03-08T12:00:00Z"  # the current day: now


def test_response_times_take_median_and_p90_of_first_replies_and_resolutions(
    api: Api, history: History
) -> None:
    body = report(api, history, "response-times", **WEEK)

    first = body["firstResponse"]
    # T3 0.5 h (its internal note does not count), T1 1 h, T2 11.5 h.
    assert first["count"] == 3
    assert first["medianSeconds"] == 1 * HOUR
    assert first["p90Seconds"] == 33840  # 9.4 h: 1 + 0.8 * (11.5 - 1)
    assert first["averageSeconds"] == 15600  # 13 h / 3
    assert first["totalSeconds"] == 13 * HOUR
    bins = {(b["minSeconds"], b["maxSeconds"]): b["count"] for b in first["distribution"]}
    assert bins[(900, 3600)] == 1
    assert bins[(3600, 4 * HOUR)] == 1
    assert bins[(8 * HOUR, 24 * HOUR)] == 1
    assert sum(bins.values()) == 3

    resolution = body["resolution"]
    # First resolutions only: T3 10 h, T1 24 h (its later ones do not count).
    assert resolution["count"] == 2
    assert resolution["medianSeconds"] == 17 * HOUR
    assert resolution["p90Seconds"] == 81360  # 22.6 h: 10 + 0.9 * 14
    assert body["groups"] == []
    assert body["groupBy"] is None


def test_response_times_by_priority_and_by_agent(api: Api, history: History) -> None:
    body = report(api, history, "response-times", groupBy="priority", **WEEK)

    groups = {g["key"]: g for g in body["groups"]}
    assert set(groups) == {"high", "normal", "urgent"}
    assert groups["high"]["firstResponse"]["medianSeconds"] == 1 * HOUR
    assert groups["high"]["resolution"]["medianSeconds"] == 24 * HOUR
    assert groups["normal"]["firstResponse"]["medianSeconds"] == 11.5 * HOUR
    assert groups["normal"]["resolution"]["count"] == 0
    assert groups["normal"]["resolution"]["medianSeconds"] is None
    assert groups["urgent"]["resolution"]["medianSeconds"] == 10 * HOUR
    assert body["firstResponse"]["count"] == 3  # the overall numbers stay

    by_agent = report(api, history, "response-times", groupBy="agent", **WEEK)
    labels = {g["key"]: (g["label"], g["firstResponse"]["count"]) for g in by_agent["groups"]}
    assert labels == {history.ann["id"]: ("Ann", 1), None: ("Unassigned", 2)}

    by_category = report(api, history, "response-times", groupBy="category", **WEEK)
    labels = {g["key"]: g["label"] for g in by_category["groups"]}
    assert labels == {history.billing["id"]: "Billing", None: "No category"}


def test_time_in_status_reads_every_stay_from_the_activity_log(api: Api, history: History) -> None:
    body = report(api, history, "time-in-status", **WEEK)

    statuses = {s["key"]: s for s in body["statuses"]}
    assert list(statuses) == ["open", "pending", "resolved", "closed", "waiting"]
    # open: T1 3 h, 18 h and 3 h; T2 10.5 h; T3 10 h.
    open_ = statuses["open"]["time"]
    assert open_["count"] == 5
    assert open_["medianSeconds"] == 10 * HOUR
    assert open_["p90Seconds"] == 15 * HOUR  # 10.5 + 0.6 * (18 - 10.5)
    assert open_["totalSeconds"] == 44.5 * HOUR
    assert open_["averageSeconds"] == 32040  # 8.9 h
    # pending: T1 21 h (T2 is still pending: its stay has not ended).
    assert statuses["pending"]["time"]["count"] == 1
    assert statuses["pending"]["time"]["medianSeconds"] == 21 * HOUR
    # resolved: T1 6 h (until the customer's reply) and 24 h (until the API reopened it).
    resolved = statuses["resolved"]["time"]
    assert (resolved["count"], resolved["medianSeconds"]) == (2, 15 * HOUR)
    assert resolved["p90Seconds"] == 79920  # 22.2 h: 6 + 0.9 * 18
    # waiting: T2 26 h, until the status was deleted and T2 moved on.
    waiting = statuses["waiting"]
    assert waiting["deleted"] is True
    assert waiting["statusId"] is None
    assert (waiting["time"]["count"], waiting["time"]["medianSeconds"]) == (1, 26 * HOUR)
    assert statuses["closed"]["time"]["count"] == 0


def test_reopen_rate_counts_a_ticket_reopened_twice_once_and_each_channel(
    api: Api, history: History
) -> None:
    body = report(api, history, "reopens", **WEEK)

    assert body["resolvedTickets"] == 2  # T1, T3
    assert body["reopenedTickets"] == 1  # T1
    assert body["reopenRate"] == 0.5
    assert body["reopens"] == 2
    assert body["customerReplies"] == 1
    assert body["byChannel"] == [
        {"channel": "api", "reopens": 1, "tickets": 1},
        {"channel": "email", "reopens": 1, "tickets": 1},
    ]


def test_a_range_without_resolutions_has_no_reopen_rate(api: Api, history: History) -> None:
    body = report(api, history, "reopens", **{"from": "2026-03-06", "to": "2026-03-08"})

    assert (body["resolvedTickets"], body["reopenRate"], body["byChannel"]) == (0, None, [])


def test_the_account_wide_reports_cover_every_brand_in_reach(api: Api, history: History) -> None:
    other = api.ok("post", "/brands", 201, json={"name": "Second"})

    body = api.ok("get", "/analytics/volume", params=WEEK)
    assert sorted(body["brandIds"]) == sorted([history.brand["id"], other["id"]])
    assert body["totals"] == {"created": 4, "resolved": 4}

    only_other = api.ok("get", "/analytics/volume", params={**WEEK, "brandIds": other["id"]})
    assert only_other["brandIds"] == [other["id"]]
    assert only_other["totals"] == {"created": 0, "resolved": 0}

    backlog = api.ok("get", "/analytics/backlog", params=WEEK)
    assert backlog["data"][-1]["byStatus"]["open"] == 1
    assert all(s["statusId"] is None for s in backlog["statuses"])
    times = api.ok("get", "/analytics/time-in-status", params=WEEK)
    assert {s["key"]: s["time"]["count"] for s in times["statuses"]}["open"] == 5

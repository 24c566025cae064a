"""The activity log: entries written by ticket changes, a ticket's history and the
brand-wide log with its filters and cursor pagination."""

from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy.orm import Session

from dispatch.audit import service as audit
from dispatch.core.actor import Actor
from tests.conftest import Api, make_status, make_ticket
from tests.tickets.helpers import (
    all_pages,
    error_fields,
    patch_ticket,
    problem,
    ticket_path,
)


def _ticket_logs(api: Api, brand: dict[str, Any], ticket: dict[str, Any]) -> list[dict[str, Any]]:
    return api.ok("get", f"{ticket_path(brand, ticket)}/logs")  # type: ignore[no-any-return]


def _brand_logs(api: Api, brand: dict[str, Any], **params: Any) -> list[dict[str, Any]]:
    page = api.ok("get", f"/brands/{brand['id']}/logs", params={"limit": 100, **params})
    assert page["pagination"]["hasMore"] is False
    return page["data"]  # type: ignore[no-any-return]


def _logs_path(brand: dict[str, Any]) -> str:
    return f"/brands/{brand['id']}/logs"


def test_creating_a_ticket_writes_a_ticket_created_entry(
    api: Api, brand: dict[str, Any], frozen_clock: Any
) -> None:
    ticket = make_ticket(api, brand)

    [entry] = _ticket_logs(api, brand, ticket)

    assert entry["id"].startswith("log_")
    assert entry["brandId"] == brand["id"]
    assert entry["event"] == "ticket.created"
    assert entry["entityType"] == "ticket"
    assert entry["entityId"] == ticket["id"]
    assert entry["ticketId"] == ticket["id"]
    assert entry["source"] == "api"
    assert datetime.fromisoformat(entry["createdAt"]) == frozen_clock.now
    assert entry["performedBy"]["type"] == "api"
    assert entry["performedBy"]["apiKeyPrefix"].startswith("sk_live_")
    assert entry["performedBy"]["name"] == "Default key"
    assert entry["metadata"]["ticketNumber"] == ticket["ticketNumber"]


def test_performed_by_names_the_key_that_made_the_change(api: Api, brand: dict[str, Any]) -> None:
    issued = api.ok("post", "/accounts/me/api-keys", 201, json={"name": "Helpdesk sync"})
    sync = Api(api.client, issued["key"], api.account_id)
    ticket = make_ticket(api, brand)

    patch_ticket(sync, brand, ticket, priority="high")

    entry = _ticket_logs(api, brand, ticket)[-1]
    assert entry["performedBy"]["type"] == "api"
    assert entry["performedBy"]["apiKeyPrefix"] == issued["prefix"]
    assert issued["key"].startswith(issued["prefix"])
    assert entry["performedBy"]["name"] == "Helpdesk sync"
    assert issued["key"] not in str(entry)


def test_every_change_writes_an_entry_with_old_and_new_values(
    api: Api, brand: dict[str, Any], frozen_clock: Any
) -> None:
    make_status(api, brand)
    ticket = make_ticket(api, brand, customFields={"plan": "free"})
    frozen_clock.advance(minutes=1)

    patch_ticket(
        api,
        brand,
        ticket,
        title="Login loops",
        status="in_progress",
        priority="urgent",
        customFields={"plan": "pro"},
        dueAt="2026-02-01T00:00:00Z",
    )

    entry = _ticket_logs(api, brand, ticket)[-1]
    assert entry["event"] == "ticket.updated"
    assert entry["entityType"] == "ticket"
    assert entry["entityId"] == ticket["id"]
    assert entry["source"] == "api"
    assert entry["performedBy"]["type"] == "api"
    changes = entry["changes"]
    assert set(changes) == {"title", "status", "priority", "customFields", "dueAt"}
    assert changes["title"] == {"old": "Cannot log in", "new": "Login loops"}
    assert changes["status"] == {"old": "open", "new": "in_progress"}
    assert changes["priority"] == {"old": "normal", "new": "urgent"}
    assert changes["customFields"] == {"old": {"plan": "free"}, "new": {"plan": "pro"}}
    assert changes["dueAt"]["old"] is None
    assert datetime.fromisoformat(changes["dueAt"]["new"]) == datetime.fromisoformat(
        "2026-02-01T00:00:00+00:00"
    )


def test_unassigning_records_the_old_assignee(api: Api, brand: dict[str, Any]) -> None:
    ticket = make_ticket(api, brand, assigneeEmail="billing-team@company.com")

    patch_ticket(api, brand, ticket, assigneeEmail=None)

    changes = _ticket_logs(api, brand, ticket)[-1]["changes"]
    assert changes == {"assigneeEmail": {"old": "billing-team@company.com", "new": None}}


def test_ticket_history_is_oldest_first(api: Api, brand: dict[str, Any], frozen_clock: Any) -> None:
    ticket = make_ticket(api, brand)
    for title in ["second", "third", "fourth"]:
        frozen_clock.advance(seconds=1)
        patch_ticket(api, brand, ticket, title=title)

    entries = _ticket_logs(api, brand, ticket)

    assert [e["event"] for e in entries] == ["ticket.created"] + ["ticket.updated"] * 3
    assert [e["changes"]["title"]["new"] for e in entries[1:]] == ["second", "third", "fourth"]
    stamps = [e["createdAt"] for e in entries]
    assert stamps == sorted(stamps)


def test_ticket_history_only_has_that_tickets_entries(api: Api, brand: dict[str, Any]) -> None:
    ticket = make_ticket(api, brand)
    other = make_ticket(api, brand)
    patch_ticket(api, brand, other, title="other change")

    assert {e["entityId"] for e in _ticket_logs(api, brand, ticket)} == {ticket["id"]}


def test_ticket_history_of_an_unknown_ticket_is_404(api: Api, brand: dict[str, Any]) -> None:
    problem(api.get(f"{ticket_path(brand, 'tkt_missing')}/logs"), 404, "ticket_not_found")


def test_deleting_a_ticket_writes_a_ticket_deleted_entry(api: Api, brand: dict[str, Any]) -> None:
    ticket = make_ticket(api, brand)

    api.ok("delete", ticket_path(brand, ticket))

    entries = _brand_logs(api, brand, entityId=ticket["id"])
    assert [e["event"] for e in entries] == ["ticket.deleted", "ticket.created"]
    assert entries[0]["entityType"] == "ticket"
    assert entries[0]["performedBy"]["type"] == "api"


@pytest.fixture
def history(api: Api, brand: dict[str, Any], frozen_clock: Any) -> dict[str, Any]:
    """A brand with a few minutes of activity: 2026-01-15 09:00, 09:01, ... 09:05."""
    first = make_ticket(api, brand, title="first")  # 09:00
    frozen_clock.advance(minutes=1)
    second = make_ticket(api, brand, title="second")  # 09:01
    frozen_clock.advance(minutes=1)
    patch_ticket(api, brand, first, status="pending")  # 09:02
    frozen_clock.advance(minutes=1)
    status = make_status(api, brand)  # 09:03, a status entry
    frozen_clock.advance(minutes=1)
    patch_ticket(api, brand, second, priority="high")  # 09:04
    frozen_clock.advance(minutes=1)
    api.ok("delete", ticket_path(brand, second))  # 09:05
    return {"first": first, "second": second, "status": status}


def test_brand_log_is_newest_first(
    api: Api, brand: dict[str, Any], history: dict[str, Any]
) -> None:
    entries = _brand_logs(api, brand)

    assert [(e["event"], e["entityId"]) for e in entries] == [
        ("ticket.deleted", history["second"]["id"]),
        ("ticket.updated", history["second"]["id"]),
        ("status.created", history["status"]["id"]),
        ("ticket.updated", history["first"]["id"]),
        ("ticket.created", history["second"]["id"]),
        ("ticket.created", history["first"]["id"]),
    ]


def test_brand_log_filters_by_entity_type(
    api: Api, brand: dict[str, Any], history: dict[str, Any]
) -> None:
    statuses = _brand_logs(api, brand, entityType="status")
    tickets = _brand_logs(api, brand, entityType="ticket")

    assert [e["entityId"] for e in statuses] == [history["status"]["id"]]
    assert len(tickets) == 5
    assert {e["entityType"] for e in tickets} == {"ticket"}
    assert _brand_logs(api, brand, entityType="comment") == []


def test_brand_log_filters_by_entity_id(
    api: Api, brand: dict[str, Any], history: dict[str, Any]
) -> None:
    entries = _brand_logs(api, brand, entityId=history["first"]["id"])

    assert [e["event"] for e in entries] == ["ticket.updated", "ticket.created"]


def test_brand_log_filters_by_event(
    api: Api, brand: dict[str, Any], history: dict[str, Any]
) -> None:
    created = _brand_logs(api, brand, event="ticket.created")

    assert [e["entityId"] for e in created] == [history["second"]["id"], history["first"]["id"]]
    assert [e["event"] for e in _brand_logs(api, brand, event="ticket.deleted")] == [
        "ticket.deleted"
    ]
    assert _brand_logs(api, brand, event="ticket.merged") == []


def test_brand_log_filters_by_start_and_end_date(
    api: Api, brand: dict[str, Any], history: dict[str, Any]
) -> None:
    window = _brand_logs(
        api, brand, startDate="2026-01-15T09:01:30Z", endDate="2026-01-15T09:04:30Z"
    )
    since = _brand_logs(api, brand, startDate="2026-01-15T09:03:30Z")
    until = _brand_logs(api, brand, endDate="2026-01-15T09:00:30Z")

    assert [e["event"] for e in window] == ["ticket.updated", "status.created", "ticket.updated"]
    assert [e["event"] for e in since] == ["ticket.deleted", "ticket.updated"]
    assert [e["event"] for e in until] == ["ticket.created"]
    offset = _brand_logs(api, brand, startDate="2026-01-15T11:03:30+02:00")
    assert offset == since


def test_brand_log_filters_by_performer_type(
    api: Api, brand: dict[str, Any], history: dict[str, Any], session: Session
) -> None:
    audit.record(
        session,
        Actor.system(api.account_id, name="SLA timer"),
        brand_id=brand["id"],
        event="ticket.overdue",
        entity_type="ticket",
        entity_id=history["first"]["id"],
        ticket_id=history["first"]["id"],
    )
    session.commit()

    system = _brand_logs(api, brand, performerType="system")
    by_api = _brand_logs(api, brand, performerType="api")

    assert [(e["event"], e["source"]) for e in system] == [("ticket.overdue", "system")]
    assert system[0]["performedBy"] == {"type": "system", "name": "SLA timer"}
    assert len(by_api) == 6
    assert {e["performedBy"]["type"] for e in by_api} == {"api"}
    assert _brand_logs(api, brand, performerType="user") == []


def test_brand_log_filters_combine(
    api: Api, brand: dict[str, Any], history: dict[str, Any]
) -> None:
    entries = _brand_logs(
        api, brand, entityType="ticket", event="ticket.updated", performerType="api"
    )

    assert [e["entityId"] for e in entries] == [history["second"]["id"], history["first"]["id"]]


def test_brand_log_ignores_empty_filters(
    api: Api, brand: dict[str, Any], history: dict[str, Any]
) -> None:
    entries = _brand_logs(api, brand, entityType="", entityId=" ", event="")

    assert len(entries) == 6


def test_brand_log_holds_only_its_own_brand(
    api: Api, brand: dict[str, Any], history: dict[str, Any]
) -> None:
    second = api.ok("post", "/brands", 201, json={"name": "Second Brand"})
    elsewhere = make_ticket(api, second)

    assert elsewhere["id"] not in {e["entityId"] for e in _brand_logs(api, brand)}
    assert [e["entityId"] for e in _brand_logs(api, second)] == [elsewhere["id"]]


def test_brand_log_pages_with_a_cursor(
    api: Api, brand: dict[str, Any], history: dict[str, Any]
) -> None:
    whole = _brand_logs(api, brand)

    pages = all_pages(api, _logs_path(brand), {"limit": 4})

    assert [len(p) for p in pages] == [4, 2]
    assert [e["id"] for page in pages for e in page] == [e["id"] for e in whole]


def test_brand_log_pages_are_stable_when_entries_share_a_timestamp(
    api: Api, brand: dict[str, Any], frozen_clock: Any
) -> None:
    # The clock is frozen: every entry has the same createdAt.
    ticket = make_ticket(api, brand)
    for i in range(10):
        patch_ticket(api, brand, ticket, title=f"title {i}")

    pages = all_pages(api, _logs_path(brand), {"limit": 3})

    assert [len(p) for p in pages] == [3, 3, 3, 2]
    ids = [e["id"] for page in pages for e in page]
    assert len(set(ids)) == 11
    assert {e["createdAt"] for page in pages for e in page} == {pages[0][0]["createdAt"]}


def test_brand_log_paging_keeps_the_filters(
    api: Api, brand: dict[str, Any], history: dict[str, Any]
) -> None:
    pages = all_pages(api, _logs_path(brand), {"limit": 1, "entityType": "ticket"})

    assert [len(p) for p in pages] == [1, 1, 1, 1, 1]
    assert {e["entityType"] for page in pages for e in page} == {"ticket"}


@pytest.mark.parametrize("limit", ["0", "101", "abc", "-5"])
def test_brand_log_limit_outside_1_to_100_is_422(
    api: Api, brand: dict[str, Any], limit: str
) -> None:
    response = api.get(_logs_path(brand), params={"limit": limit})

    assert error_fields(problem(response, 422, "validation_error")) == ["limit"]


@pytest.mark.parametrize("limit", [1, 100])
def test_brand_log_limit_bounds_are_accepted(
    api: Api, brand: dict[str, Any], history: dict[str, Any], limit: int
) -> None:
    page = api.ok("get", _logs_path(brand), params={"limit": limit})

    assert len(page["data"]) == min(limit, 6)


def _encode(raw: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(raw).encode()).rstrip(b"=").decode()


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage!",
        "abc",
        "eyJ4IjoxfQ",
        # Forged with this brand's log query, so only the value or id is wrong.
        ["/logs:createdAt:desc", "2026-01-01T00:00:00", "log_x"],
        ["/logs:createdAt:desc", 5, "log_x"],
        ["/logs:createdAt:desc", None, "log_x"],
        ["/logs:createdAt:desc", "2026-01-01T00:00:00+00:00", "log_\u0000"],
        ["/logs:createdAt:desc", "2026-01-01T00:00:00+00:00", ""],
    ],
)
def test_brand_log_malformed_or_forged_cursor_is_400(
    api: Api, brand: dict[str, Any], cursor: str | list[Any]
) -> None:
    make_ticket(api, brand)
    if isinstance(cursor, list):
        cursor = _encode([brand["id"] + cursor[0], *cursor[1:]])

    response = api.get(_logs_path(brand), params={"cursor": cursor})

    problem(response, 400, "invalid_cursor")


def test_brand_log_refuses_a_cursor_of_a_ticket_list_with_another_sort(
    api: Api, brand: dict[str, Any]
) -> None:
    for _ in range(2):
        make_ticket(api, brand)
    tickets = api.ok("get", f"/brands/{brand['id']}/tickets", params={"limit": 1, "sort": "title"})

    response = api.get(_logs_path(brand), params={"cursor": tickets["pagination"]["cursor"]})

    problem(response, 400, "invalid_cursor")


@pytest.mark.parametrize(
    ("param", "value"),
    [
        ("performerType", "robot"),
        ("startDate", "yesterday"),
        ("endDate", "2026-13-45"),
        ("startDate", "9999-12-31T23:59:59-05:00"),
        ("endDate", "0001-01-01T00:30:00+01:00"),
    ],
)
def test_brand_log_bad_filter_values_are_422(
    api: Api, brand: dict[str, Any], param: str, value: str
) -> None:
    response = api.get(_logs_path(brand), params={param: value})

    assert error_fields(problem(response, 422)) == [param]


@pytest.mark.parametrize(
    ("param", "value"),
    [("entityId", "tkt_\x00"), ("event", "ticket.\x00"), ("entityType", "\x00")],
)
def test_brand_log_filter_with_a_nul_character_is_refused(
    api: Api, brand: dict[str, Any], param: str, value: str
) -> None:
    response = api.get(_logs_path(brand), params={param: value})

    problem(response, 400, "invalid_characters")


def _next_link(response: Any) -> str | None:
    link = response.headers.get("link")
    if link is None:
        return None
    url, rel = link.split(";", 1)
    assert rel.strip() == 'rel="next"'
    return url.strip().removeprefix("<").removesuffix(">")


def test_ticket_history_honours_limit_and_pages_by_link_without_gaps_or_repeats(
    api: Api, brand: dict[str, Any]
) -> None:
    ticket = make_ticket(api, brand)
    for i in range(6):
        api.ok("patch", ticket_path(brand, ticket), json={"title": f"Title {i}"})
    everything = _ticket_logs(api, brand, ticket)
    assert len(everything) == 7

    first = api.get(f"{ticket_path(brand, ticket)}/logs", params={"limit": 3})
    assert first.status_code == 200
    seen = [e["id"] for e in first.json()]
    assert len(seen) == 3
    url = _next_link(first)
    while url is not None:
        page = api.client.get(url, headers={"Authorization": f"Bearer {api.key}"})
        assert page.status_code == 200
        assert len(page.json()) <= 3
        seen += [e["id"] for e in page.json()]
        url = _next_link(page)

    assert seen == [e["id"] for e in everything]


def test_ticket_history_refuses_another_tickets_cursor(api: Api, brand: dict[str, Any]) -> None:
    first, second = make_ticket(api, brand), make_ticket(api, brand)
    api.ok("patch", ticket_path(brand, first), json={"title": "Changed"})
    page = api.get(f"{ticket_path(brand, first)}/logs", params={"limit": 1})
    url = _next_link(page)
    assert url is not None
    cursor = url.split("cursor=", 1)[1].split("&", 1)[0]

    response = api.get(f"{ticket_path(brand, second)}/logs", params={"cursor": cursor})

    problem(response, 400, "invalid_cursor")

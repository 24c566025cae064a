"""Listing tickets: filters and query validation."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Api, make_status, make_ticket
from tests.tickets.helpers import (
    add_member,
    error_fields,
    patch_ticket,
    problem,
    tickets_path,
)


def _titles(api: Api, brand: dict[str, Any], **params: Any) -> list[str]:
    page = api.ok("get", tickets_path(brand), params={"limit": 100, **params})
    return sorted(t["title"] for t in page["data"])


@pytest.fixture
def by_status(api: Api, brand: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """One ticket in each system status and one in a custom status, titled by its key."""
    make_status(api, brand, name="In Progress", key="in_progress")
    return {
        key: make_ticket(api, brand, title=key, status=key)
        for key in ["open", "pending", "in_progress", "resolved", "closed"]
    }


def test_list_returns_the_envelope_newest_first_by_default(
    api: Api, brand: dict[str, Any], frozen_clock: Any
) -> None:
    first = make_ticket(api, brand, title="first")
    frozen_clock.advance(minutes=1)
    second = make_ticket(api, brand, title="second")

    page = api.ok("get", tickets_path(brand))

    assert [t["id"] for t in page["data"]] == [second["id"], first["id"]]
    assert page["pagination"] == {"hasMore": False, "nextCursor": None, "cursor": None}
    assert page["data"][0] == second


def test_list_filters_by_one_status_key(
    api: Api, brand: dict[str, Any], by_status: dict[str, dict[str, Any]]
) -> None:
    assert _titles(api, brand, status="pending") == ["pending"]
    assert _titles(api, brand, status="in_progress") == ["in_progress"]


def test_list_filters_by_a_comma_list_of_status_keys(
    api: Api, brand: dict[str, Any], by_status: dict[str, dict[str, Any]]
) -> None:
    assert _titles(api, brand, status="open,closed") == ["closed", "open"]
    assert _titles(api, brand, status=" resolved , pending ") == ["pending", "resolved"]


def test_list_status_active_means_open_pending_and_custom_statuses(
    api: Api, brand: dict[str, Any], by_status: dict[str, dict[str, Any]]
) -> None:
    assert _titles(api, brand, status="active") == ["in_progress", "open", "pending"]


def test_list_status_inactive_means_resolved_and_closed(
    api: Api, brand: dict[str, Any], by_status: dict[str, dict[str, Any]]
) -> None:
    assert _titles(api, brand, status="inactive") == ["closed", "resolved"]


def test_list_without_status_filter_shows_every_status(
    api: Api, brand: dict[str, Any], by_status: dict[str, dict[str, Any]]
) -> None:
    assert _titles(api, brand) == sorted(by_status)


def test_list_with_an_unknown_status_key_is_422(
    api: Api, brand: dict[str, Any], by_status: dict[str, dict[str, Any]]
) -> None:
    response = api.get(tickets_path(brand), params={"status": "open,bogus"})

    assert error_fields(problem(response, 422)) == ["status"]


def test_list_filters_by_status_id(
    api: Api,
    brand: dict[str, Any],
    statuses: dict[str, dict[str, Any]],
    by_status: dict[str, dict[str, Any]],
) -> None:
    custom_id = by_status["in_progress"]["statusId"]

    assert _titles(api, brand, statusId=statuses["closed"]["id"]) == ["closed"]
    assert _titles(api, brand, statusId=f"{custom_id},{statuses['open']['id']}") == [
        "in_progress",
        "open",
    ]


def test_list_with_a_status_id_of_another_brand_is_422(
    api: Api,
    brand: dict[str, Any],
    other_api: Api,
    other_brand: dict[str, Any],
) -> None:
    foreign = other_api.ok("get", f"/brands/{other_brand['id']}/statuses")[0]["id"]

    response = api.get(tickets_path(brand), params={"statusId": foreign})

    assert error_fields(problem(response, 422)) == ["statusId"]


def test_list_filters_by_one_priority_and_by_a_comma_list(api: Api, brand: dict[str, Any]) -> None:
    for priority in ["low", "normal", "medium", "high", "urgent"]:
        make_ticket(api, brand, title=priority, priority=priority)

    assert _titles(api, brand, priority="high") == ["high"]
    assert _titles(api, brand, priority="urgent,low") == ["low", "urgent"]


def test_list_with_an_unknown_priority_is_422(api: Api, brand: dict[str, Any]) -> None:
    response = api.get(tickets_path(brand), params={"priority": "normal,critical"})

    assert error_fields(problem(response, 422)) == ["priority"]


@pytest.fixture
def assigned(api: Api, brand: dict[str, Any]) -> dict[str, Any]:
    """Tickets assigned to a member, to a team alias, and unassigned ones."""
    member = add_member(api, "dana@acme.com", "Dana")
    make_ticket(api, brand, title="dana", assigneeId=member["id"])
    make_ticket(api, brand, title="billing", assigneeEmail="billing-team@company.com")
    make_ticket(api, brand, title="nobody")
    reassigned = make_ticket(api, brand, title="unassigned later", assigneeId=member["id"])
    patch_ticket(api, brand, reassigned, assigneeId=None)
    return member


def test_list_filters_by_assignee_id(
    api: Api, brand: dict[str, Any], assigned: dict[str, Any]
) -> None:
    assert _titles(api, brand, assigneeId=assigned["id"]) == ["dana"]
    assert _titles(api, brand, assigneeId="user_nobody") == []


def test_list_assignee_id_null_means_unassigned(
    api: Api, brand: dict[str, Any], assigned: dict[str, Any]
) -> None:
    assert _titles(api, brand, assigneeId="null") == ["nobody", "unassigned later"]


def test_list_filters_by_assignee_email(
    api: Api, brand: dict[str, Any], assigned: dict[str, Any]
) -> None:
    assert _titles(api, brand, assigneeEmail="billing-team@company.com") == ["billing"]
    assert _titles(api, brand, assigneeEmail="Dana@Acme.com") == ["dana"]


def test_list_filters_by_created_by(api: Api, brand: dict[str, Any]) -> None:
    issued = api.ok("post", "/accounts/me/api-keys", 201, json={"name": "Importer"})
    importer = Api(api.client, issued["key"], api.account_id)
    make_ticket(importer, brand, title="imported")
    make_ticket(api, brand, title="manual")

    assert _titles(api, brand, createdBy="Importer") == ["imported"]
    assert _titles(api, brand, createdBy="Default key") == ["manual"]
    assert _titles(api, brand, createdBy="nobody") == []


def test_list_filters_by_created_after_and_before(
    api: Api, brand: dict[str, Any], frozen_clock: Any
) -> None:
    # 2026-01-15 09:00, then one day later each.
    for title in ["day1", "day2", "day3", "day4"]:
        make_ticket(api, brand, title=title)
        frozen_clock.advance(days=1)

    assert _titles(api, brand, createdAfter="2026-01-16T08:00:00Z") == ["day2", "day3", "day4"]
    assert _titles(api, brand, createdBefore="2026-01-16T10:00:00Z") == ["day1", "day2"]
    assert _titles(
        api, brand, createdAfter="2026-01-16T08:00:00Z", createdBefore="2026-01-18T08:00:00Z"
    ) == ["day2", "day3"]
    # Another offset names the same instant; dates without a zone are UTC.
    assert _titles(api, brand, createdAfter="2026-01-17T10:00:00+02:00") == ["day3", "day4"]
    assert _titles(api, brand, createdAfter="2026-01-17T08:00:00") == ["day3", "day4"]


def test_list_accepts_plain_dates_for_created_after_and_before(
    api: Api, brand: dict[str, Any], frozen_clock: Any
) -> None:
    for title in ["day1", "day2", "day3"]:
        make_ticket(api, brand, title=title)
        frozen_clock.advance(days=1)

    assert _titles(api, brand, createdAfter="2026-01-16") == ["day2", "day3"]
    assert _titles(api, brand, createdBefore="2026-01-16") == ["day1"]


@pytest.mark.parametrize(
    ("param", "value"),
    [
        ("createdAfter", "last tuesday"),
        ("createdBefore", "2026-02-30"),
        ("createdAfter", "9999-12-31T23:59:59-05:00"),
        ("createdBefore", "0001-01-01T00:30:00+01:00"),
    ],
)
def test_list_with_a_malformed_or_out_of_range_date_is_422(
    api: Api, brand: dict[str, Any], param: str, value: str
) -> None:
    response = api.get(tickets_path(brand), params={param: value})

    assert error_fields(problem(response, 422)) == [param]


def test_list_ignores_empty_filters(api: Api, brand: dict[str, Any]) -> None:
    make_ticket(api, brand, title="a")
    make_ticket(api, brand, title="b", status="closed")
    empty = ["status", "statusId", "priority", "assigneeId", "assigneeEmail", "createdBy"]

    assert _titles(api, brand, **dict.fromkeys(empty, ""), search="  ") == ["a", "b"]


@pytest.mark.parametrize(
    "param",
    ["search", "status", "statusId", "priority", "assigneeId", "assigneeEmail", "createdBy"],
)
def test_list_refuses_a_nul_character_in_a_filter(
    api: Api, brand: dict[str, Any], param: str
) -> None:
    make_ticket(api, brand)

    response = api.get(tickets_path(brand), params={param: "a\x00b"})

    problem(response, 400, "invalid_characters")


def test_list_search_matches_title_and_body_case_insensitively(
    api: Api, brand: dict[str, Any]
) -> None:
    make_ticket(api, brand, title="Refund for order", body="Arrived broken")
    make_ticket(api, brand, title="Question", body="Can I get a REFUND?")
    make_ticket(api, brand, title="Login issue", body=None)

    assert _titles(api, brand, search="refund") == ["Question", "Refund for order"]
    assert _titles(api, brand, search="BROKEN") == ["Refund for order"]
    assert _titles(api, brand, search="login") == ["Login issue"]
    assert _titles(api, brand, search="nothing like this") == []


def test_list_search_matches_words_by_prefix_and_ignores_punctuation(
    api: Api, brand: dict[str, Any]
) -> None:
    make_ticket(api, brand, title="100% refund", body="-")
    make_ticket(api, brand, title="1000 refunds", body="-")
    make_ticket(api, brand, title="snake_case field", body="-")
    make_ticket(api, brand, title="snakeXcase field", body="-")

    # Wildcard characters are punctuation, never wildcards; words match as prefixes.
    assert _titles(api, brand, search="100%") == ["100% refund", "1000 refunds"]
    assert _titles(api, brand, search="refunds") == ["1000 refunds"]
    assert _titles(api, brand, search="snake case") == ["snake_case field"]
    assert _titles(api, brand, search="%") == []
    assert _titles(api, brand, search="_") == []


def test_list_search_requires_every_word(api: Api, brand: dict[str, Any]) -> None:
    make_ticket(api, brand, title="Refund for order 1042", body="-")
    make_ticket(api, brand, title="Refund policy question", body="-")

    assert _titles(api, brand, search="refund 1042") == ["Refund for order 1042"]
    assert _titles(api, brand, search="REFUND") == [
        "Refund for order 1042",
        "Refund policy question",
    ]


def test_list_search_finds_the_requester_by_any_part_of_the_email(
    api: Api, brand: dict[str, Any]
) -> None:
    make_ticket(api, brand, title="Billing", customerEmail="ann.lee@example.org")
    make_ticket(api, brand, title="Other", customerEmail="bob@elsewhere.net")

    assert _titles(api, brand, search="ann.lee@example.org") == ["Billing"]
    assert _titles(api, brand, search="example.org") == ["Billing"]
    assert _titles(api, brand, search="lee") == ["Billing"]


def test_list_filters_combine(api: Api, brand: dict[str, Any]) -> None:
    make_ticket(api, brand, title="urgent open refund", priority="urgent")
    make_ticket(api, brand, title="urgent closed refund", priority="urgent", status="closed")
    make_ticket(api, brand, title="low open refund", priority="low")

    assert _titles(api, brand, priority="urgent", status="active", search="refund") == [
        "urgent open refund"
    ]


@pytest.mark.parametrize("limit", ["0", "101", "-1", "abc", "2.5"])
def test_list_limit_outside_1_to_100_or_not_a_number_is_422(
    api: Api, brand: dict[str, Any], limit: str
) -> None:
    response = api.get(tickets_path(brand), params={"limit": limit})

    assert error_fields(problem(response, 422, "validation_error")) == ["limit"]


@pytest.mark.parametrize("limit", [1, 100])
def test_list_limit_bounds_1_and_100_are_accepted(
    api: Api, brand: dict[str, Any], limit: int
) -> None:
    make_ticket(api, brand)
    make_ticket(api, brand)

    page = api.ok("get", tickets_path(brand), params={"limit": limit})

    assert len(page["data"]) == min(limit, 2)
    assert page["pagination"]["hasMore"] is (limit == 1)


@pytest.mark.parametrize(("param", "value"), [("sort", "customer"), ("order", "up")])
def test_list_unknown_sort_or_order_is_422(
    api: Api, brand: dict[str, Any], param: str, value: str
) -> None:
    response = api.get(tickets_path(brand), params={param: value})

    assert error_fields(problem(response, 422)) == [param]


def test_list_only_shows_tickets_of_the_brand(api: Api, brand: dict[str, Any]) -> None:
    second = api.ok("post", "/brands", 201, json={"name": "Second Brand"})
    mine = make_ticket(api, brand, title="mine")
    make_ticket(api, second, title="theirs")

    assert [t["id"] for t in api.ok("get", tickets_path(brand))["data"]] == [mine["id"]]


def test_list_filters_by_source_and_requester_email(api: Api, brand: dict[str, Any]) -> None:
    make_ticket(api, brand, title="From the web", source="web", customerEmail="Ann@Example.com")
    make_ticket(api, brand, title="From the API", customerEmail="bob@example.com")

    assert _titles(api, brand, source="web") == ["From the web"]
    assert _titles(api, brand, customerEmail="ann@example.com") == ["From the web"]
    assert _titles(api, brand, hasAttachments="false") == ["From the API", "From the web"]
    assert _titles(api, brand, hasAttachments="true") == []
    assert _titles(api, brand, isSpam="true") == []


def test_list_refuses_an_unknown_source(api: Api, brand: dict[str, Any]) -> None:
    response = api.get(tickets_path(brand), params={"source": "carrier-pigeon"})

    assert error_fields(problem(response, 422)) == ["source"]

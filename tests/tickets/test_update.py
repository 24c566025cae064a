"""Reading, changing and soft-deleting one ticket."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session

from tests.conftest import Api, make_status, make_ticket
from tests.tickets.helpers import (
    add_member,
    error_fields,
    events_of,
    get_ticket,
    patch_ticket,
    problem,
    ticket_path,
    tickets_path,
)


def _logs(api: Api, brand: dict[str, Any], ticket: dict[str, Any]) -> list[dict[str, Any]]:
    return api.ok("get", f"{ticket_path(brand, ticket)}/logs")  # type: ignore[no-any-return]


def test_get_returns_the_ticket_with_its_status(
    api: Api, brand: dict[str, Any], statuses: dict[str, dict[str, Any]]
) -> None:
    ticket = make_ticket(api, brand)

    got = get_ticket(api, brand, ticket)

    assert got["id"] == ticket["id"]
    assert got["statusRef"] == statuses["open"]


def test_get_of_an_unknown_ticket_is_404(api: Api, brand: dict[str, Any]) -> None:
    problem(api.get(ticket_path(brand, "tkt_doesnotexist")), 404, "ticket_not_found")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("title", "Checkout fails on Safari"),
        ("body", "Steps: open checkout, press pay."),
        ("priority", "urgent"),
        ("priority", "low"),
    ],
)
def test_patch_changes_a_plain_field(
    api: Api, brand: dict[str, Any], field: str, value: str
) -> None:
    ticket = make_ticket(api, brand)

    updated = patch_ticket(api, brand, ticket, **{field: value})

    assert updated[field] == value
    assert updated["version"] == 2
    assert updated["updatedAt"] >= ticket["updatedAt"]
    assert get_ticket(api, brand, ticket)[field] == value


def test_patch_body_null_clears_the_body(api: Api, brand: dict[str, Any]) -> None:
    ticket = make_ticket(api, brand, body="something")

    assert patch_ticket(api, brand, ticket, body=None)["body"] is None
    assert get_ticket(api, brand, ticket)["body"] is None


@pytest.mark.parametrize("field", ["title", "priority", "status", "statusId"])
def test_patch_refuses_null_for_required_fields(
    api: Api, brand: dict[str, Any], field: str
) -> None:
    ticket = make_ticket(api, brand)

    response = api.patch(ticket_path(brand, ticket), json={field: None})

    assert error_fields(problem(response, 422)) == [field]
    assert get_ticket(api, brand, ticket) == ticket


def test_patch_status_by_key(
    api: Api, brand: dict[str, Any], statuses: dict[str, dict[str, Any]]
) -> None:
    ticket = make_ticket(api, brand)

    updated = patch_ticket(api, brand, ticket, status="resolved")

    assert updated["status"] == "resolved"
    assert updated["statusId"] == statuses["resolved"]["id"]
    assert updated["statusRef"]["isActive"] is False


def test_patch_status_by_id_including_a_custom_status(api: Api, brand: dict[str, Any]) -> None:
    custom = make_status(api, brand, name="Waiting on Engineering", key="waiting_eng")
    ticket = make_ticket(api, brand)

    updated = patch_ticket(api, brand, ticket, statusId=custom["id"])

    assert updated["status"] == "waiting_eng"
    assert updated["statusRef"]["name"] == "Waiting on Engineering"
    assert get_ticket(api, brand, ticket)["statusId"] == custom["id"]


def test_any_status_can_follow_any_other(
    api: Api, brand: dict[str, Any], statuses: dict[str, dict[str, Any]]
) -> None:
    make_status(api, brand)
    ticket = make_ticket(api, brand, status="closed")

    for key in ["open", "closed", "pending", "in_progress", "resolved", "in_progress", "open"]:
        assert patch_ticket(api, brand, ticket, status=key)["status"] == key


def test_leaving_closed_clears_the_close_reason(api: Api, brand: dict[str, Any]) -> None:
    ticket = make_ticket(api, brand, status="closed", closeReason="no_response")

    reopened = patch_ticket(api, brand, ticket, status="open")

    assert reopened["closeReason"] is None


def test_patch_close_reason_on_a_closed_ticket(api: Api, brand: dict[str, Any]) -> None:
    ticket = make_ticket(api, brand)

    closed = patch_ticket(api, brand, ticket, status="closed", closeReason="out_of_scope")

    assert (closed["status"], closed["closeReason"]) == ("closed", "out_of_scope")


def test_patch_close_reason_on_an_open_ticket_is_refused(api: Api, brand: dict[str, Any]) -> None:
    ticket = make_ticket(api, brand)

    response = api.patch(ticket_path(brand, ticket), json={"closeReason": "duplicate"})

    assert error_fields(problem(response, 422)) == ["closeReason"]
    assert get_ticket(api, brand, ticket) == ticket


def test_patch_assignee_email_takes_any_address(api: Api, brand: dict[str, Any]) -> None:
    ticket = make_ticket(api, brand)

    updated = patch_ticket(api, brand, ticket, assigneeEmail="billing-team@company.com")

    assert updated["assigneeEmail"] == "billing-team@company.com"
    assert updated["assigneeId"] is None


def test_patch_assignee_email_links_the_member_with_that_email(
    api: Api, brand: dict[str, Any]
) -> None:
    member = add_member(api, "dana@acme.com", "Dana")
    ticket = make_ticket(api, brand)

    updated = patch_ticket(api, brand, ticket, assigneeEmail="DANA@acme.com")

    assert updated["assigneeId"] == member["id"]
    assert updated["assigneeEmail"] == "dana@acme.com"


def test_patch_assignee_email_does_not_link_a_member_of_another_account(
    api: Api, brand: dict[str, Any], other_api: Api
) -> None:
    add_member(other_api, "outsider@globex.com")
    ticket = make_ticket(api, brand)

    updated = patch_ticket(api, brand, ticket, assigneeEmail="outsider@globex.com")

    assert (updated["assigneeId"], updated["assigneeEmail"]) == (None, "outsider@globex.com")


def test_patch_assignee_id_sets_the_members_email(api: Api, brand: dict[str, Any]) -> None:
    member = add_member(api, "lee@acme.com", "Lee")
    ticket = make_ticket(api, brand)

    updated = patch_ticket(api, brand, ticket, assigneeId=member["id"])

    assert (updated["assigneeId"], updated["assigneeEmail"]) == (member["id"], "lee@acme.com")


def test_patch_unknown_assignee_id_is_refused(api: Api, brand: dict[str, Any]) -> None:
    ticket = make_ticket(api, brand)

    response = api.patch(ticket_path(brand, ticket), json={"assigneeId": "user_ghost"})

    assert error_fields(problem(response, 422, "unknown_assignee")) == ["assigneeId"]
    assert get_ticket(api, brand, ticket) == ticket


def test_patch_assignee_id_of_another_accounts_member_is_refused(
    api: Api, brand: dict[str, Any], other_api: Api
) -> None:
    outsider = add_member(other_api, "outsider@globex.com")
    ticket = make_ticket(api, brand)

    response = api.patch(ticket_path(brand, ticket), json={"assigneeId": outsider["id"]})

    problem(response, 422, "unknown_assignee")
    assert get_ticket(api, brand, ticket) == ticket


@pytest.mark.parametrize(
    "unassign",
    [{"assigneeId": None}, {"assigneeEmail": None}, {"assigneeId": None, "assigneeEmail": None}],
)
def test_patch_null_assignee_unassigns(
    api: Api, brand: dict[str, Any], unassign: dict[str, Any]
) -> None:
    member = add_member(api, "lee@acme.com")
    ticket = make_ticket(api, brand, assigneeId=member["id"])
    assert ticket["assigneeId"] == member["id"]

    updated = patch_ticket(api, brand, ticket, **unassign)

    assert (updated["assigneeId"], updated["assigneeEmail"]) == (None, None)


def test_patch_assignee_id_and_email_that_disagree_is_refused(
    api: Api, brand: dict[str, Any]
) -> None:
    member = add_member(api, "lee@acme.com")
    ticket = make_ticket(api, brand)

    response = api.patch(
        ticket_path(brand, ticket),
        json={"assigneeId": member["id"], "assigneeEmail": "someone@acme.com"},
    )

    assert error_fields(problem(response, 422)) == ["assigneeEmail"]
    assert get_ticket(api, brand, ticket) == ticket


@pytest.mark.parametrize("field", ["customFields", "metadata"])
def test_patch_merges_maps_and_null_removes_a_key(
    api: Api, brand: dict[str, Any], field: str
) -> None:
    ticket = make_ticket(api, brand, **{field: {"keep": 1, "change": "old", "drop": True}})

    updated = patch_ticket(
        api, brand, ticket, **{field: {"change": "new", "drop": None, "add": [1]}}
    )

    assert updated[field] == {"keep": 1, "change": "new", "add": [1]}
    assert get_ticket(api, brand, ticket)[field] == {"keep": 1, "change": "new", "add": [1]}


def test_patch_custom_fields_refuses_an_invalid_requester_email(
    api: Api, brand: dict[str, Any]
) -> None:
    ticket = make_ticket(api, brand, customFields={"requesterEmail": "sam@example.org"})

    response = api.patch(
        ticket_path(brand, ticket), json={"customFields": {"requesterEmail": "sam at example"}}
    )

    assert error_fields(problem(response, 422)) == ["customFields.requesterEmail"]
    assert get_ticket(api, brand, ticket) == ticket
    removed = patch_ticket(api, brand, ticket, customFields={"requesterEmail": None})
    assert removed["customFields"] == {}


def test_patch_due_at_sets_and_null_clears_it(api: Api, brand: dict[str, Any]) -> None:
    ticket = make_ticket(api, brand)

    due = patch_ticket(api, brand, ticket, dueAt="2026-02-01T17:00:00Z")
    cleared = patch_ticket(api, brand, ticket, dueAt=None)

    assert due["dueAt"].startswith("2026-02-01T17:00:00")
    assert cleared["dueAt"] is None
    assert cleared["version"] == 3


def test_patch_links_replaces_the_list_in_both_wire_forms(api: Api, brand: dict[str, Any]) -> None:
    ticket = make_ticket(api, brand, links=["https://example.com/old"])

    updated = patch_ticket(
        api,
        brand,
        ticket,
        links=["https://example.com/new", {"url": "https://x.example/1", "title": "One"}],
    )

    assert updated["links"] == [
        {"url": "https://example.com/new"},
        {"url": "https://x.example/1", "title": "One"},
    ]
    assert patch_ticket(api, brand, ticket, links=[])["links"] == []


@pytest.mark.parametrize(
    "same",
    [
        {"title": "Cannot log in"},
        {"status": "open"},
        {"priority": "normal"},
        {"customFields": {}},
        {"metadata": {"absent": None}},
        {"assigneeId": None},
        {"links": []},
        {"dueAt": None},
    ],
)
def test_patch_that_changes_nothing_writes_no_activity_no_event_and_keeps_version(
    api: Api, brand: dict[str, Any], session: Session, same: dict[str, Any]
) -> None:
    ticket = make_ticket(api, brand)

    updated = patch_ticket(api, brand, ticket, **same)

    assert updated == ticket
    assert get_ticket(api, brand, ticket)["version"] == 1
    assert [e.type for e in events_of(session, ticket["id"])] == ["ticket.created"]
    assert [log["event"] for log in _logs(api, brand, ticket)] == ["ticket.created"]


def test_seed_example_assigns_billing_team_and_moves_to_in_progress_in_one_patch(
    api: Api, brand: dict[str, Any], session: Session
) -> None:
    in_progress = make_status(api, brand, name="In Progress", key="in_progress", color="#8b5cf6")
    ticket = make_ticket(api, brand)

    updated = patch_ticket(
        api, brand, ticket, assigneeEmail="billing-team@company.com", status="in_progress"
    )

    assert updated["assigneeEmail"] == "billing-team@company.com"
    assert updated["status"] == "in_progress"
    assert updated["statusId"] == in_progress["id"]
    assert updated["version"] == 2
    events = events_of(session, ticket["id"])
    assert [e.type for e in events] == ["ticket.created", "ticket.updated"]
    assert sorted(events[1].data["changes"]) == ["assigneeEmail", "status"]
    [entry] = [log for log in _logs(api, brand, ticket) if log["event"] == "ticket.updated"]
    assert entry["changes"] == {
        "assigneeEmail": {"old": None, "new": "billing-team@company.com"},
        "status": {"old": "open", "new": "in_progress"},
    }


def test_patch_several_fields_bumps_the_version_once(api: Api, brand: dict[str, Any]) -> None:
    ticket = make_ticket(api, brand)

    updated = patch_ticket(api, brand, ticket, title="New", priority="high", status="pending")

    assert (updated["title"], updated["priority"], updated["status"]) == ("New", "high", "pending")
    assert updated["version"] == 2


def test_patch_of_an_unknown_ticket_is_404(api: Api, brand: dict[str, Any]) -> None:
    response = api.patch(ticket_path(brand, "tkt_doesnotexist"), json={"title": "x"})

    problem(response, 404, "ticket_not_found")


def test_soft_delete_returns_the_ticket_with_deleted_at(api: Api, brand: dict[str, Any]) -> None:
    ticket = make_ticket(api, brand)

    deleted = api.ok("delete", ticket_path(brand, ticket))

    assert deleted["id"] == ticket["id"]
    assert deleted["deletedAt"] is not None
    assert deleted["version"] == 2


def test_deleted_ticket_is_404_and_absent_from_lists(api: Api, brand: dict[str, Any]) -> None:
    kept = make_ticket(api, brand, title="kept")
    gone = make_ticket(api, brand, title="gone")

    api.ok("delete", ticket_path(brand, gone))

    problem(api.get(ticket_path(brand, gone)), 404, "ticket_not_found")
    problem(api.patch(ticket_path(brand, gone), json={"title": "again"}), 404, "ticket_not_found")
    problem(api.get(f"{ticket_path(brand, gone)}/logs"), 404, "ticket_not_found")
    assert [t["id"] for t in api.ok("get", tickets_path(brand))["data"]] == [kept["id"]]


def test_deleting_twice_is_404_the_second_time(
    api: Api, brand: dict[str, Any], session: Session
) -> None:
    ticket = make_ticket(api, brand)
    api.ok("delete", ticket_path(brand, ticket))

    problem(api.delete(ticket_path(brand, ticket)), 404, "ticket_not_found")

    assert [e.type for e in events_of(session, ticket["id"])] == [
        "ticket.created",
        "ticket.deleted",
    ]


def test_delete_writes_a_ticket_deleted_event_row(
    api: Api, brand: dict[str, Any], session: Session
) -> None:
    ticket = make_ticket(api, brand)

    deleted = api.ok("delete", ticket_path(brand, ticket))

    event = events_of(session, ticket["id"])[-1]
    assert event.type == "ticket.deleted"
    assert event.brand_id == brand["id"]
    assert event.sequence == 2
    assert event.data["id"] == ticket["id"]
    assert event.data["ticketNumber"] == ticket["ticketNumber"]
    assert event.data["deletedAt"] == deleted["deletedAt"]
    assert event.data["ticket"]["deletedAt"] == deleted["deletedAt"]


def test_delete_of_a_ticket_in_another_brand_of_the_account_is_404(
    api: Api, brand: dict[str, Any]
) -> None:
    second = api.ok("post", "/brands", 201, json={"name": "Second Brand"})
    ticket = make_ticket(api, second)

    problem(api.delete(ticket_path(brand, ticket)), 404, "ticket_not_found")

    assert get_ticket(api, second, ticket) == ticket

"""Outbox rows written by ticket changes, in the same transaction as the change."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session

from tests.conftest import Api, make_status, make_ticket
from tests.tickets.helpers import (
    add_member,
    event_types,
    events_of,
    events_of_brand,
    log_rows_of_brand,
    patch_ticket,
    problem,
    ticket_path,
    tickets_path,
)


def test_ticket_created_event_carries_the_reference_fields_and_the_whole_ticket(
    api: Api, brand: dict[str, Any], session: Session
) -> None:
    ticket = make_ticket(
        api,
        brand,
        title="Broken zipper",
        priority="high",
        source="web",
        customerEmail="jane@example.com",
        customerName="Jane",
    )

    [event] = events_of(session, ticket["id"])

    assert event.type == "ticket.created"
    assert event.id.startswith("evt_")
    assert event.brand_id == brand["id"]
    assert event.sequence == 1
    assert event.created_at is not None
    data = event.data
    assert data["id"] == ticket["id"]
    assert data["ticketNumber"] == 1001
    assert isinstance(data["ticketNumber"], int)
    assert data["title"] == "Broken zipper"
    assert data["status"] == "open"
    assert data["priority"] == "high"
    assert data["source"] == "web"
    assert data["createdAt"] == ticket["createdAt"]
    assert data["customerEmail"] == "jane@example.com"
    assert data["customerName"] == "Jane"
    assert data["customerId"] == ticket["customerId"]
    assert data["customerId"].startswith("cus_")
    assert data["ticket"] == ticket
    assert data["ticket"]["brandId"] == brand["id"]
    assert data["ticket"]["statusRef"]["key"] == "open"


def test_ticket_created_event_without_customer_has_null_customer_fields(
    api: Api, brand: dict[str, Any], session: Session
) -> None:
    ticket = make_ticket(api, brand)

    data = events_of(session, ticket["id"])[0].data

    assert (data["customerId"], data["customerEmail"], data["customerName"]) == (None, None, None)


def test_ticket_updated_event_lists_changes_previous_values_and_the_ticket(
    api: Api, brand: dict[str, Any], session: Session
) -> None:
    member = add_member(api, "dana@acme.com")
    ticket = make_ticket(api, brand, customerEmail="jane@example.com")

    updated = patch_ticket(
        api, brand, ticket, title="New title", priority="urgent", assigneeId=member["id"]
    )

    event = events_of(session, ticket["id"])[-1]
    assert event.type == "ticket.updated"
    data = event.data
    assert sorted(data["changes"]) == ["assigneeEmail", "assigneeId", "priority", "title"]
    assert data["previous"] == {
        "title": "Cannot log in",
        "priority": "normal",
        "assigneeId": None,
        "assigneeEmail": None,
    }
    assert data["ticket"] == updated
    assert data["id"] == ticket["id"]
    assert data["ticketNumber"] == ticket["ticketNumber"]
    assert (data["title"], data["priority"], data["status"]) == ("New title", "urgent", "open")
    assert data["assigneeId"] == member["id"]
    assert data["updatedAt"] == updated["updatedAt"]
    assert data["customerEmail"] == "jane@example.com"


def test_status_change_event_names_status_with_its_previous_key(
    api: Api, brand: dict[str, Any], session: Session
) -> None:
    ticket = make_ticket(api, brand)

    patch_ticket(api, brand, ticket, status="pending")

    data = events_of(session, ticket["id"])[-1].data
    assert data["changes"] == ["status"]
    assert data["previous"] == {"status": "open"}
    assert data["status"] == "pending"


def test_moving_to_closed_also_emits_ticket_closed(
    api: Api, brand: dict[str, Any], session: Session
) -> None:
    ticket = make_ticket(api, brand)

    closed = patch_ticket(api, brand, ticket, status="closed", closeReason="customer_left")

    events = events_of(session, ticket["id"])
    assert [e.type for e in events] == ["ticket.created", "ticket.updated", "ticket.closed"]
    assert events[2].data["ticket"] == closed
    assert events[2].data["changes"] == events[1].data["changes"]
    assert events[2].sequence == events[1].sequence == closed["version"]


def test_moving_to_resolved_emits_no_closed_event(
    api: Api, brand: dict[str, Any], session: Session
) -> None:
    ticket = make_ticket(api, brand)

    patch_ticket(api, brand, ticket, status="resolved")

    assert event_types(session, ticket["id"]) == ["ticket.created", "ticket.updated"]


@pytest.mark.parametrize("done", ["resolved", "closed"])
@pytest.mark.parametrize("active", ["open", "pending", "in_progress"])
def test_a_done_ticket_becoming_active_again_emits_ticket_reopened(
    api: Api, brand: dict[str, Any], session: Session, done: str, active: str
) -> None:
    make_status(api, brand)
    ticket = make_ticket(api, brand, status=done)

    patch_ticket(api, brand, ticket, status=active)

    assert event_types(session, ticket["id"]) == [
        "ticket.created",
        "ticket.updated",
        "ticket.reopened",
    ]


@pytest.mark.parametrize(
    ("start", "target"), [("open", "pending"), ("resolved", "closed"), ("pending", "open")]
)
def test_moves_that_do_not_reopen_emit_no_reopened_event(
    api: Api, brand: dict[str, Any], session: Session, start: str, target: str
) -> None:
    ticket = make_ticket(api, brand, status=start)

    patch_ticket(api, brand, ticket, status=target)

    assert "ticket.reopened" not in event_types(session, ticket["id"])


def test_event_sequence_equals_the_ticket_version_and_increases(
    api: Api, brand: dict[str, Any], session: Session
) -> None:
    ticket = make_ticket(api, brand)
    versions = [ticket["version"]]
    for change in [{"title": "a"}, {"status": "closed"}, {"status": "open"}, {"priority": "low"}]:
        versions.append(patch_ticket(api, brand, ticket, **change)["version"])
    versions.append(api.ok("delete", ticket_path(brand, ticket))["version"])

    events = events_of(session, ticket["id"])

    assert versions == [1, 2, 3, 4, 5, 6]
    assert [e.type for e in events] == [
        "ticket.created",
        "ticket.updated",
        "ticket.updated",
        "ticket.closed",
        "ticket.updated",
        "ticket.reopened",
        "ticket.updated",
        "ticket.deleted",
    ]
    assert [e.sequence for e in events] == [1, 2, 3, 3, 4, 4, 5, 6]
    positions = [e.position for e in events]
    assert positions == sorted(positions)
    assert len(set(positions)) == len(positions)
    for event in events:
        assert event.data["ticket"]["version"] == event.sequence


@pytest.mark.parametrize(
    "bad",
    [
        {"assigneeId": "user_ghost"},
        {"status": "no_such_status"},
        {"statusId": "sts_doesnotexist"},
        {"closeReason": "duplicate"},
        {"title": None},
        {"title": "x" * 501},
        {"priority": "extreme"},
        {"title": "fine", "unknownField": 1},
        {},
    ],
)
def test_a_refused_patch_writes_no_event_and_no_activity(
    api: Api, brand: dict[str, Any], session: Session, bad: dict[str, Any]
) -> None:
    ticket = make_ticket(api, brand)
    events_before = len(events_of_brand(session, brand["id"]))
    logs_before = len(log_rows_of_brand(session, brand["id"]))

    response = api.patch(ticket_path(brand, ticket), json=bad)

    problem(response, 422)
    assert len(events_of_brand(session, brand["id"])) == events_before
    assert len(log_rows_of_brand(session, brand["id"])) == logs_before
    assert api.ok("get", ticket_path(brand, ticket)) == ticket


@pytest.mark.parametrize(
    "bad",
    [
        {"title": "x", "status": "nope"},
        {"title": "x", "assigneeId": "user_ghost"},
        {"title": "x", "customFields": {"requesterEmail": "bad"}},
        {"title": "x", "closeReason": "duplicate"},
    ],
)
def test_a_refused_create_writes_no_ticket_no_event_no_activity_and_uses_no_number(
    api: Api, brand: dict[str, Any], session: Session, bad: dict[str, Any]
) -> None:
    problem(api.post(tickets_path(brand), json=bad), 422)

    assert events_of_brand(session, brand["id"]) == []
    assert log_rows_of_brand(session, brand["id"]) == []
    assert api.ok("get", tickets_path(brand))["data"] == []
    assert make_ticket(api, brand)["ticketNumber"] == 1001


def test_a_refused_delete_writes_no_event(
    api: Api, brand: dict[str, Any], other_api: Api, session: Session
) -> None:
    ticket = make_ticket(api, brand)

    problem(other_api.delete(ticket_path(brand, ticket)), 404)

    assert event_types(session, ticket["id"]) == ["ticket.created"]
    assert api.ok("get", ticket_path(brand, ticket)) == ticket

"""Auto-reopen (seed: "Auto-Reopen on Customer Reply"): a customer's public reply to a
pending, resolved or closed ticket moves it back to open in the same transaction, through
the one ticket-change function."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from tests.comments.helpers import (
    Json,
    events_of,
    post_comment,
    system_comments,
    ticket_logs,
    ticket_of,
)
from tests.conftest import Api, make_status, make_ticket


def customer_reply(api: Api, brand: Json, ticket: Json, **extra: object) -> Json:
    return post_comment(api, brand, ticket, authorType="CUSTOMER", body="Still broken", **extra)


def ticket_in(api: Api, brand: Json, status: str) -> Json:
    return make_ticket(api, brand, status=status, customerEmail="jane@example.com")


@pytest.mark.parametrize("status", ["pending", "resolved", "closed"])
def test_a_customer_reply_reopens_the_ticket(api: Api, brand: Json, status: str) -> None:
    ticket = ticket_in(api, brand, status)

    customer_reply(api, brand, ticket)

    after = ticket_of(api, brand, ticket)
    assert after["status"] == "open"
    assert after["statusRef"]["key"] == "open"


def test_reopening_a_closed_ticket_clears_its_close_reason(
    api: Api, brand: Json, session: Session
) -> None:
    ticket = make_ticket(api, brand, status="closed", closeReason="no_response")

    customer_reply(api, brand, ticket)

    after = ticket_of(api, brand, ticket)
    assert (after["status"], after["closeReason"]) == ("open", None)
    (event,) = events_of(session, ticket["id"], "ticket.updated")
    assert event.data["changes"] == ["status", "closeReason"]


@pytest.mark.parametrize("status", ["pending", "resolved", "closed"])
def test_reopening_writes_an_auto_reopen_activity_entry(api: Api, brand: Json, status: str) -> None:
    ticket = ticket_in(api, brand, status)

    comment = customer_reply(api, brand, ticket)

    entries = [e for e in ticket_logs(api, brand, ticket) if e["event"] == "ticket.updated"]
    (entry,) = entries
    assert entry["source"] == "auto-reopen"
    assert entry["changes"]["status"] == {"old": status, "new": "open"}
    assert entry["metadata"] == {"commentId": comment["id"], "trigger": "auto-reopen"}


@pytest.mark.parametrize("status", ["pending", "resolved", "closed"])
def test_reopening_emits_ticket_updated_and_ticket_reopened(
    api: Api, brand: Json, session: Session, status: str
) -> None:
    ticket = ticket_in(api, brand, status)

    customer_reply(api, brand, ticket)

    after = ticket_of(api, brand, ticket)
    types = [e.type for e in events_of(session, ticket["id"])]
    assert types == [
        "ticket.created",
        "comment.created",
        "ticket.comment.created",
        "ticket.updated",
        "ticket.reopened",
    ]
    updated, reopened = events_of(session, ticket["id"], "ticket.updated", "ticket.reopened")
    for event in (updated, reopened):
        assert event.data["changes"] == ["status"]
        assert event.data["previous"] == {"status": status}
        assert event.data["status"] == "open"
        assert event.data["trigger"] == "auto-reopen"
        assert event.sequence == after["version"]
    assert updated.data["ticket"] == after


@pytest.mark.parametrize("status", ["pending", "resolved", "closed"])
def test_reopening_writes_a_system_comment_after_the_reply(
    api: Api, brand: Json, status: str
) -> None:
    ticket = ticket_in(api, brand, status)

    reply = customer_reply(api, brand, ticket)

    (system,) = system_comments(api, brand, ticket)
    name = status.capitalize()
    assert system["body"] == f"Status changed from {name} to Open by auto-reopen (customer reply)"
    assert system["metadata"]["trigger"] == "auto-reopen"
    assert system["metadata"]["source"] == "auto-reopen"
    assert system["createdAt"] > reply["createdAt"]


@pytest.mark.parametrize("status", ["open", "in_progress"])
def test_a_customer_reply_leaves_open_and_custom_statuses_alone(
    api: Api, brand: Json, session: Session, status: str
) -> None:
    make_status(api, brand)
    ticket = make_ticket(api, brand, status=status)

    customer_reply(api, brand, ticket)

    assert ticket_of(api, brand, ticket)["status"] == status
    assert events_of(session, ticket["id"], "ticket.updated", "ticket.reopened") == []
    assert system_comments(api, brand, ticket) == []


@pytest.mark.parametrize("status", ["pending", "resolved", "closed"])
def test_an_agent_reply_never_reopens(api: Api, brand: Json, session: Session, status: str) -> None:
    ticket = ticket_in(api, brand, status)

    post_comment(api, brand, ticket, authorType="AGENT")

    assert ticket_of(api, brand, ticket)["status"] == status
    assert events_of(session, ticket["id"], "ticket.updated", "ticket.reopened") == []


@pytest.mark.parametrize("status", ["pending", "resolved", "closed"])
def test_an_internal_note_never_reopens(
    api: Api, brand: Json, session: Session, status: str
) -> None:
    ticket = ticket_in(api, brand, status)

    post_comment(api, brand, ticket, isInternal=True)

    assert ticket_of(api, brand, ticket)["status"] == status
    assert events_of(session, ticket["id"], "ticket.updated", "ticket.reopened") == []


def test_set_status_given_with_a_customer_reply_wins_over_auto_reopen(
    api: Api, brand: Json, session: Session
) -> None:
    ticket = ticket_in(api, brand, "resolved")

    customer_reply(api, brand, ticket, setStatus="closed")

    assert ticket_of(api, brand, ticket)["status"] == "closed"
    (entry,) = [e for e in ticket_logs(api, brand, ticket) if e["event"] == "ticket.updated"]
    assert entry["source"] == "api"
    assert entry["metadata"]["trigger"] == "comment"
    assert events_of(session, ticket["id"], "ticket.reopened") == []


def test_a_customer_reply_with_set_status_of_the_current_status_keeps_it(
    api: Api, brand: Json, session: Session
) -> None:
    ticket = ticket_in(api, brand, "pending")

    customer_reply(api, brand, ticket, setStatus="pending")

    assert ticket_of(api, brand, ticket)["status"] == "pending"
    assert events_of(session, ticket["id"], "ticket.updated") == []

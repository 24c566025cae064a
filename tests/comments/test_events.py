"""What a new comment writes besides itself: its activity entry, `comment.created` and
`ticket.comment.created` (the reference payload), in order, with the ticket's version."""

from __future__ import annotations

from sqlalchemy.orm import Session

from tests.comments.helpers import (
    Json,
    event_types,
    events_of,
    patch_ticket,
    post_comment,
    ticket_logs,
    ticket_of,
)
from tests.conftest import Api, make_ticket


def test_a_comment_writes_comment_created_and_ticket_comment_created(
    api: Api, brand: Json, session: Session
) -> None:
    ticket = make_ticket(api, brand)

    post_comment(api, brand, ticket)

    assert event_types(session, ticket["id"]) == [
        "ticket.created",
        "comment.created",
        "ticket.comment.created",
    ]


def test_ticket_comment_created_carries_the_reference_payload(
    api: Api, brand: Json, session: Session
) -> None:
    ticket = make_ticket(api, brand, customerEmail="jane@example.com", customerName="Jane")

    comment = post_comment(api, brand, ticket, authorId="user_x", body="Hello Jane")

    (event,) = events_of(session, ticket["id"], "ticket.comment.created")
    assert event.brand_id == brand["id"]
    assert event.data == {
        "ticketId": ticket["id"],
        "ticketNumber": f"{brand['ticketPrefix']}-{ticket['ticketNumber']}",
        "comment": {
            "id": comment["id"],
            "body": "Hello Jane",
            "authorId": "user_x",
            "authorType": "AGENT",
            "isInternal": False,
            "createdAt": comment["createdAt"],
        },
        "customerId": ticket["customerId"],
        "customerEmail": "jane@example.com",
        "customerName": "Jane",
    }
    assert isinstance(event.data["ticketNumber"], str)


def test_comment_created_carries_the_comment_its_ticket_and_customer(
    api: Api, brand: Json, session: Session
) -> None:
    ticket = make_ticket(api, brand, customerEmail="jane@example.com", customerName="Jane")

    comment = post_comment(api, brand, ticket, isInternal=True)

    (event,) = events_of(session, ticket["id"], "comment.created")
    assert event.data == {
        **comment,
        "ticketId": ticket["id"],
        "ticketNumber": f"{brand['ticketPrefix']}-{ticket['ticketNumber']}",
        "customerId": ticket["customerId"],
        "customerEmail": "jane@example.com",
        "customerName": "Jane",
    }


def test_comment_events_carry_the_ticket_version_as_sequence(
    api: Api, brand: Json, session: Session
) -> None:
    ticket = make_ticket(api, brand)

    post_comment(api, brand, ticket)
    post_comment(api, brand, ticket)

    version = ticket_of(api, brand, ticket)["version"]
    events = events_of(session, ticket["id"], "comment.created", "ticket.comment.created")
    assert [e.sequence for e in events] == [2, 2, 3, 3]
    assert version == 3


def test_a_comment_has_an_activity_entry_in_the_ticket_history(api: Api, brand: Json) -> None:
    ticket = make_ticket(api, brand)

    comment = post_comment(api, brand, ticket, isInternal=True)

    entry = ticket_logs(api, brand, ticket)[-1]
    assert entry["event"] == "comment.created"
    assert (entry["entityType"], entry["entityId"]) == ("comment", comment["id"])
    assert entry["ticketId"] == ticket["id"]
    assert entry["performedBy"]["type"] == "api"
    assert entry["source"] == "api"
    assert entry["metadata"] == {"authorType": "AGENT", "isInternal": True}


def test_comment_activity_is_listed_in_the_brand_log(api: Api, brand: Json) -> None:
    ticket = make_ticket(api, brand)
    comment = post_comment(api, brand, ticket)

    logs = api.ok("get", f"/brands/{brand['id']}/logs", params={"entityType": "comment"})["data"]

    assert [(e["event"], e["entityId"]) for e in logs] == [("comment.created", comment["id"])]


def test_comment_count_ignores_system_comments(api: Api, brand: Json) -> None:
    ticket = make_ticket(api, brand)
    patch_ticket(api, brand, ticket, status="pending")
    patch_ticket(api, brand, ticket, status="open")
    post_comment(api, brand, ticket)

    assert ticket_of(api, brand, ticket)["commentCount"] == 1

"""`setStatus`: a comment and a status change in one transaction, or neither."""

from __future__ import annotations

from sqlalchemy.orm import Session

from tests.comments.helpers import (
    Json,
    comments_path,
    error_fields,
    events_of,
    list_comments,
    post_comment,
    problem,
    system_comments,
    ticket_logs,
    ticket_of,
    written,
)
from tests.conftest import Api, make_status, make_ticket


def test_set_status_changes_the_status_with_the_comment(
    api: Api, brand: Json, session: Session
) -> None:
    ticket = make_ticket(api, brand)

    comment = post_comment(api, brand, ticket, body="Waiting on you", setStatus="pending")

    after = ticket_of(api, brand, ticket)
    assert after["status"] == "pending"
    assert after["commentCount"] == 1
    (entry,) = [e for e in ticket_logs(api, brand, ticket) if e["event"] == "ticket.updated"]
    assert entry["changes"] == {"status": {"old": "open", "new": "pending"}}
    assert entry["metadata"] == {"commentId": comment["id"], "trigger": "comment"}
    (event,) = events_of(session, ticket["id"], "ticket.updated")
    assert event.data["trigger"] == "comment"
    assert event.sequence == after["version"] == ticket["version"] + 2


def test_set_status_takes_any_status_of_the_brand_including_custom_ones(
    api: Api, brand: Json
) -> None:
    make_status(api, brand)
    ticket = make_ticket(api, brand)

    post_comment(api, brand, ticket, setStatus="in_progress")
    post_comment(api, brand, ticket, setStatus="resolved")
    post_comment(api, brand, ticket, setStatus="closed")

    assert ticket_of(api, brand, ticket)["status"] == "closed"
    assert [c["metadata"]["to"] for c in system_comments(api, brand, ticket)] == [
        "in_progress",
        "resolved",
        "closed",
    ]


def test_the_comment_comes_before_the_system_comment_of_its_status_change(
    api: Api, brand: Json, frozen_clock: object
) -> None:
    ticket = make_ticket(api, brand)

    comment = post_comment(api, brand, ticket, setStatus="resolved")

    listed = list_comments(api, brand, ticket)
    assert [c["authorType"] for c in listed] == ["AGENT", "SYSTEM"]
    assert listed[0] == comment
    assert listed[1]["body"] == "Status changed from Open to Resolved with a comment"


def test_an_internal_note_can_set_the_status(api: Api, brand: Json) -> None:
    ticket = make_ticket(api, brand)

    post_comment(api, brand, ticket, isInternal=True, setStatus="pending")

    assert ticket_of(api, brand, ticket)["status"] == "pending"


def test_an_unknown_set_status_is_a_422_and_stores_no_comment(
    api: Api, brand: Json, session: Session
) -> None:
    ticket = make_ticket(api, brand)
    before = written(session, brand)

    response = api.post(comments_path(brand, ticket), json={"body": "hi", "setStatus": "nope"})

    body = problem(response, 422, "unknown_status")
    assert error_fields(body) == ["setStatus"]
    assert written(session, brand) == before
    assert list_comments(api, brand, ticket) == []
    assert ticket_of(api, brand, ticket) == ticket


def test_a_status_key_of_another_brand_is_unknown_here(
    api: Api, brand: Json, session: Session
) -> None:
    sibling = api.ok("post", "/brands", 201, json={"name": "Sibling"})
    make_status(api, sibling, name="Elsewhere", key="elsewhere")
    ticket = make_ticket(api, brand)
    before = written(session, brand)

    problem(
        api.post(comments_path(brand, ticket), json={"body": "x", "setStatus": "elsewhere"}),
        422,
        "unknown_status",
    )

    assert written(session, brand) == before
    assert ticket_of(api, brand, ticket) == ticket

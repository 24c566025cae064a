"""Editing and deleting comments: what may change, the activity and events it writes,
and what it does to the ticket."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from tests.comments.helpers import (
    Json,
    comment_path,
    events_of,
    list_comments,
    patch_ticket,
    post_comment,
    problem,
    stored_comment,
    system_comments,
    ticket_logs,
    ticket_of,
    written,
)
from tests.conftest import Api, make_ticket


def test_the_body_can_be_edited(api: Api, brand: Json, frozen_clock: Any) -> None:
    ticket = make_ticket(api, brand)
    comment = post_comment(api, brand, ticket, body="Typo here")
    frozen_clock.advance(minutes=1)

    edited = api.ok("patch", comment_path(brand, ticket, comment), json={"body": "Fixed"})

    assert edited["body"] == "Fixed"
    assert edited["updatedAt"] > comment["updatedAt"]
    assert edited["createdAt"] == comment["createdAt"]
    assert api.ok("get", comment_path(brand, ticket, comment)) == edited


def test_links_are_replaced_in_either_form(api: Api, brand: Json) -> None:
    ticket = make_ticket(api, brand)
    comment = post_comment(api, brand, ticket, links=["https://old.example"])

    edited = api.ok(
        "patch",
        comment_path(brand, ticket, comment),
        json={"links": ["https://new.example", {"url": "https://b.example", "title": "B"}]},
    )

    assert edited["links"] == [
        {"url": "https://new.example"},
        {"url": "https://b.example", "title": "B"},
    ]


def test_metadata_merges_and_null_removes_a_key(api: Api, brand: Json) -> None:
    ticket = make_ticket(api, brand)
    comment = post_comment(api, brand, ticket, metadata={"a": 1, "b": 2})

    edited = api.ok(
        "patch", comment_path(brand, ticket, comment), json={"metadata": {"b": None, "c": 3}}
    )

    assert edited["metadata"] == {"a": 1, "c": 3, "isInternal": False}


def test_metadata_sent_back_with_the_same_is_internal_is_accepted(api: Api, brand: Json) -> None:
    ticket = make_ticket(api, brand)
    note = post_comment(api, brand, ticket, isInternal=True)

    edited = api.ok(
        "patch",
        comment_path(brand, ticket, note),
        json={"metadata": {**note["metadata"], "pinned": True}},
    )

    assert edited["metadata"] == {"isInternal": True, "pinned": True}
    assert edited["isInternal"] is True


def test_an_internal_note_cannot_become_public_by_an_edit(
    api: Api, brand: Json, session: Session
) -> None:
    ticket = make_ticket(api, brand)
    note = post_comment(api, brand, ticket, isInternal=True)
    before = written(session, brand)

    response = api.patch(
        comment_path(brand, ticket, note), json={"metadata": {"isInternal": False}}
    )

    body = problem(response, 422, "internal_flag_immutable")
    assert body["errors"][0]["field"] == "metadata.isInternal"
    assert written(session, brand) == before
    assert api.ok("get", comment_path(brand, ticket, note)) == note


def test_an_edit_writes_an_activity_entry_and_a_comment_updated_event(
    api: Api, brand: Json, session: Session
) -> None:
    ticket = make_ticket(api, brand, customerEmail="jane@example.com")
    comment = post_comment(api, brand, ticket, body="old")

    edited = api.ok("patch", comment_path(brand, ticket, comment), json={"body": "new"})

    entry = ticket_logs(api, brand, ticket)[-1]
    assert (entry["event"], entry["entityType"], entry["entityId"]) == (
        "comment.updated",
        "comment",
        comment["id"],
    )
    assert entry["ticketId"] == ticket["id"]
    assert entry["changes"] == {"body": {"old": "old", "new": "new"}}
    (event,) = events_of(session, ticket["id"], "comment.updated")
    assert event.data["id"] == comment["id"]
    assert event.data["body"] == "new"
    assert event.data["changes"] == ["body"]
    assert event.data["ticketId"] == ticket["id"]
    assert event.data["customerEmail"] == "jane@example.com"
    after = ticket_of(api, brand, ticket)
    assert event.sequence == after["version"] == ticket["version"] + 2
    assert edited["body"] == "new"


def test_an_edit_that_changes_nothing_writes_nothing(
    api: Api, brand: Json, session: Session
) -> None:
    ticket = make_ticket(api, brand)
    comment = post_comment(api, brand, ticket, body="same", metadata={"a": 1})
    before, version = written(session, brand), ticket_of(api, brand, ticket)["version"]

    edited = api.ok(
        "patch", comment_path(brand, ticket, comment), json={"body": "same", "metadata": {"a": 1}}
    )

    assert edited == comment
    assert written(session, brand) == before
    assert ticket_of(api, brand, ticket)["version"] == version


def test_a_system_comment_cannot_be_edited(api: Api, brand: Json, session: Session) -> None:
    ticket = make_ticket(api, brand)
    patch_ticket(api, brand, ticket, status="pending")
    (system,) = system_comments(api, brand, ticket)
    before = written(session, brand)

    problem(
        api.patch(comment_path(brand, ticket, system), json={"body": "rewritten"}),
        422,
        "system_comment_immutable",
    )

    assert written(session, brand) == before
    assert api.ok("get", comment_path(brand, ticket, system)) == system


def test_a_system_comment_cannot_be_deleted(api: Api, brand: Json, session: Session) -> None:
    ticket = make_ticket(api, brand)
    patch_ticket(api, brand, ticket, status="pending")
    (system,) = system_comments(api, brand, ticket)
    before = written(session, brand)

    problem(api.delete(comment_path(brand, ticket, system)), 422, "system_comment_immutable")

    assert written(session, brand) == before
    assert system_comments(api, brand, ticket) == [system]


def test_delete_is_soft_hides_the_comment_and_returns_it(
    api: Api, brand: Json, session: Session
) -> None:
    ticket = make_ticket(api, brand)
    kept = post_comment(api, brand, ticket, body="keep")
    gone = post_comment(api, brand, ticket, body="remove")

    response = api.delete(comment_path(brand, ticket, gone))

    assert response.status_code == 200
    assert response.json() == gone
    assert list_comments(api, brand, ticket) == [kept]
    problem(api.get(comment_path(brand, ticket, gone)), 404, "comment_not_found")
    assert stored_comment(session, gone["id"]).deleted_at is not None


def test_delete_lowers_comment_count_and_records_the_deletion(
    api: Api, brand: Json, session: Session
) -> None:
    ticket = make_ticket(api, brand, customerEmail="jane@example.com")
    post_comment(api, brand, ticket)
    gone = post_comment(api, brand, ticket)
    before = ticket_of(api, brand, ticket)

    api.ok("delete", comment_path(brand, ticket, gone))

    after = ticket_of(api, brand, ticket)
    assert after["commentCount"] == before["commentCount"] - 1 == 1
    assert after["version"] == before["version"] + 1
    entry = ticket_logs(api, brand, ticket)[-1]
    assert (entry["event"], entry["entityId"]) == ("comment.deleted", gone["id"])
    (event,) = events_of(session, ticket["id"], "comment.deleted")
    assert event.data["id"] == gone["id"]
    assert event.data["deletedAt"] is not None
    assert event.data["customerEmail"] == "jane@example.com"
    assert event.sequence == after["version"]


def test_a_deleted_comment_cannot_be_deleted_or_edited_again(
    api: Api, brand: Json, session: Session
) -> None:
    ticket = make_ticket(api, brand)
    gone = post_comment(api, brand, ticket)
    api.ok("delete", comment_path(brand, ticket, gone))
    before = written(session, brand)

    problem(api.delete(comment_path(brand, ticket, gone)), 404, "comment_not_found")
    problem(api.patch(comment_path(brand, ticket, gone), json={"body": "x"}), 404)

    assert written(session, brand) == before
    assert ticket_of(api, brand, ticket)["commentCount"] == 0

"""SYSTEM comments: every status change, whoever makes it, is recorded in the ticket's
thread as an internal note that is neither counted nor announced as a comment."""

from __future__ import annotations

from sqlalchemy.orm import Session

from tests.comments.helpers import (
    Json,
    events_of,
    list_comments,
    patch_ticket,
    post_comment,
    system_comments,
    ticket_of,
)
from tests.conftest import Api, make_status, make_ticket


def test_a_status_change_by_patch_writes_a_system_comment(
    api: Api, brand: Json, session: Session
) -> None:
    ticket = make_ticket(api, brand)

    patch_ticket(api, brand, ticket, status="pending")

    (system,) = list_comments(api, brand, ticket)
    assert system["authorType"] == "SYSTEM"
    assert system["body"] == "Status changed from Open to Pending"
    assert system["isInternal"] is True
    assert system["authorId"] is None
    assert system["ticketId"] == ticket["id"]
    metadata = system["metadata"]
    assert metadata["kind"] == "status_change"
    assert (metadata["from"], metadata["to"]) == ("open", "pending")
    assert (metadata["fromName"], metadata["toName"]) == ("Open", "Pending")
    assert metadata["trigger"] is None
    assert metadata["source"] == "api"
    assert metadata["performedBy"]["type"] == "api"
    assert metadata["isInternal"] is True


def test_a_system_comment_uses_the_current_status_names(api: Api, brand: Json) -> None:
    statuses = {s["key"]: s for s in api.ok("get", f"/brands/{brand['id']}/statuses")}
    api.ok(
        "patch",
        f"/brands/{brand['id']}/statuses/{statuses['pending']['id']}",
        json={"name": "Waiting on customer"},
    )
    ticket = make_ticket(api, brand)

    patch_ticket(api, brand, ticket, status="pending")

    (system,) = system_comments(api, brand, ticket)
    assert system["body"] == "Status changed from Open to Waiting on customer"


def test_changes_other_than_status_write_no_system_comment(api: Api, brand: Json) -> None:
    ticket = make_ticket(api, brand)

    patch_ticket(api, brand, ticket, title="Renamed", priority="high")

    assert list_comments(api, brand, ticket) == []


def test_a_system_comment_is_not_counted_and_emits_no_comment_event(
    api: Api, brand: Json, session: Session
) -> None:
    ticket = make_ticket(api, brand)

    after = patch_ticket(api, brand, ticket, status="resolved")

    assert after["commentCount"] == 0
    assert ticket_of(api, brand, ticket)["version"] == ticket["version"] + 1
    types = [e.type for e in events_of(session, ticket["id"])]
    assert not [t for t in types if "comment" in t]


def test_deleting_a_status_writes_a_system_comment_on_each_moved_ticket(
    api: Api, brand: Json
) -> None:
    status = make_status(api, brand)
    tickets = [make_ticket(api, brand, status="in_progress") for _ in range(2)]

    api.ok(
        "delete",
        f"/brands/{brand['id']}/statuses/{status['id']}",
        params={"replacementStatusKey": "pending"},
    )

    for ticket in tickets:
        (system,) = system_comments(api, brand, ticket)
        assert system["body"] == (
            "Status changed from In Progress to Pending because the status In Progress was deleted"
        )
        assert system["metadata"]["trigger"] == "status_deleted"
        assert (system["metadata"]["from"], system["metadata"]["to"]) == (
            "in_progress",
            "pending",
        )


def test_every_status_change_adds_one_system_comment_in_order(
    api: Api, brand: Json, frozen_clock: object
) -> None:
    ticket = make_ticket(api, brand)
    for status in ("pending", "resolved", "closed", "open"):
        patch_ticket(api, brand, ticket, status=status)

    changes = [
        (c["metadata"]["from"], c["metadata"]["to"]) for c in system_comments(api, brand, ticket)
    ]
    assert changes == [
        ("open", "pending"),
        ("pending", "resolved"),
        ("resolved", "closed"),
        ("closed", "open"),
    ]


def test_threaded_lists_show_system_comments_at_the_top_level(api: Api, brand: Json) -> None:
    ticket = make_ticket(api, brand)
    comment = post_comment(api, brand, ticket, setStatus="pending")

    threaded = api.ok("get", f"/brands/{brand['id']}/tickets/{ticket['id']}/comments?threaded=true")

    assert [(c["id"] == comment["id"], c["authorType"]) for c in threaded] == [
        (True, "AGENT"),
        (False, "SYSTEM"),
    ]

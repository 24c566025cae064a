"""Watchers are notified (one `notification.requested` outbox row per recipient) of new
comments and of status changes, per their flags, never of their own actions."""

from __future__ import annotations

from sqlalchemy.orm import Session

from dispatch.brands.models import Brand
from dispatch.core.actor import Actor, ActorKind, Channel
from dispatch.statuses import loading as statuses_loading
from dispatch.tickets.models import Ticket
from dispatch.tickets.workflow import TicketChange, apply_changes
from tests.comments.helpers import (
    Json,
    add_member,
    comments_path,
    patch_ticket,
    post_comment,
    problem,
    ticket_of,
)
from tests.conftest import Api, make_status, make_ticket
from tests.watchers.helpers import add_watcher, notifications, recipients


def test_a_new_comment_notifies_every_watcher_who_wants_comments(
    api: Api, brand: Json, session: Session
) -> None:
    member = add_member(api, "dana@acme.com", "Dana")
    ticket = make_ticket(api, brand)
    add_watcher(api, brand, ticket, memberId=member["id"])
    add_watcher(api, brand, ticket, memberEmail="ops@example.com")
    add_watcher(api, brand, ticket, memberEmail="quiet@example.com", notifyOnComment=False)

    comment = post_comment(api, brand, ticket, body="Update")

    rows = notifications(session, ticket)
    assert [r.data["recipient"] for r in rows] == ["dana@acme.com", "ops@example.com"]
    first = rows[0]
    assert first.brand_id == brand["id"]
    assert first.ticket_id == ticket["id"]
    assert first.sequence == ticket_of(api, brand, ticket)["version"]
    assert first.data["channel"] == "email"
    assert first.data["memberId"] == member["id"]
    assert first.data["memberName"] == "Dana"
    assert first.data["reason"] == "comment"
    assert first.data["ticketId"] == ticket["id"]
    assert first.data["ticketNumber"] == f"{brand['ticketPrefix']}-{ticket['ticketNumber']}"
    assert first.data["commentId"] == comment["id"]
    assert first.data["isInternal"] is False
    assert rows[1].data["memberId"] is None


def test_the_author_of_a_comment_is_not_notified_of_it(
    api: Api, brand: Json, session: Session
) -> None:
    member = add_member(api, "dana@acme.com")
    ticket = make_ticket(api, brand, customerEmail="jane@example.com")
    add_watcher(api, brand, ticket, memberId=member["id"])
    add_watcher(api, brand, ticket, memberEmail="jane@example.com")
    add_watcher(api, brand, ticket, memberEmail="ops@example.com")

    post_comment(api, brand, ticket, authorId=member["id"])
    post_comment(api, brand, ticket, authorType="CUSTOMER")

    assert recipients(session, ticket, "comment") == [
        "jane@example.com",
        "ops@example.com",
        "dana@acme.com",
        "ops@example.com",
    ]


def test_an_internal_note_notifies_watchers_and_says_it_is_internal(
    api: Api, brand: Json, session: Session
) -> None:
    ticket = make_ticket(api, brand)
    add_watcher(api, brand, ticket, memberEmail="ops@example.com")

    post_comment(api, brand, ticket, isInternal=True)

    (row,) = notifications(session, ticket)
    assert row.data["isInternal"] is True


def test_a_status_change_notifies_watchers_who_want_status_changes(
    api: Api, brand: Json, session: Session
) -> None:
    ticket = make_ticket(api, brand)
    add_watcher(api, brand, ticket, memberEmail="a@example.com")
    add_watcher(api, brand, ticket, memberEmail="quiet@example.com", notifyOnStatusChange=False)

    after = patch_ticket(api, brand, ticket, status="resolved")

    (row,) = notifications(session, ticket)
    assert row.data["recipient"] == "a@example.com"
    assert row.data["reason"] == "status_change"
    assert row.data["changes"] == {"status": {"old": "open", "new": "resolved"}}
    assert (row.data["fromName"], row.data["toName"]) == ("Open", "Resolved")
    assert row.data["trigger"] is None
    assert "commentId" not in row.data
    assert row.sequence == after["version"]


def test_changes_other_than_status_notify_nobody(api: Api, brand: Json, session: Session) -> None:
    ticket = make_ticket(api, brand)
    add_watcher(api, brand, ticket, memberEmail="a@example.com")

    patch_ticket(api, brand, ticket, priority="urgent", title="New")

    assert notifications(session, ticket) == []


def test_a_comment_with_set_status_notifies_of_both(
    api: Api, brand: Json, session: Session
) -> None:
    ticket = make_ticket(api, brand)
    add_watcher(api, brand, ticket, memberEmail="a@example.com")

    post_comment(api, brand, ticket, setStatus="pending")

    assert [r.data["reason"] for r in notifications(session, ticket)] == [
        "comment",
        "status_change",
    ]


def test_auto_reopen_notifies_watchers_of_the_reply_and_the_reopen(
    api: Api, brand: Json, session: Session
) -> None:
    ticket = make_ticket(api, brand, status="resolved", customerEmail="jane@example.com")
    add_watcher(api, brand, ticket, memberEmail="a@example.com")

    post_comment(api, brand, ticket, authorType="CUSTOMER")

    comment_row, status_row = notifications(session, ticket)
    assert comment_row.data["reason"] == "comment"
    assert comment_row.data["authorType"] == "CUSTOMER"
    assert status_row.data["reason"] == "status_change"
    assert status_row.data["trigger"] == "auto-reopen"
    assert status_row.data["changes"]["status"] == {"old": "resolved", "new": "open"}


def test_deleting_a_status_notifies_the_watchers_of_moved_tickets(
    api: Api, brand: Json, session: Session
) -> None:
    status = make_status(api, brand)
    ticket = make_ticket(api, brand, status="in_progress")
    add_watcher(api, brand, ticket, memberEmail="a@example.com")

    api.ok(
        "delete",
        f"/brands/{brand['id']}/statuses/{status['id']}",
        params={"replacementStatusKey": "open"},
    )

    (row,) = notifications(session, ticket)
    assert row.data["trigger"] == "status_deleted"
    assert row.data["changes"]["status"] == {"old": "in_progress", "new": "open"}


def test_the_person_who_changes_the_status_is_not_notified(
    api: Api, brand: Json, session: Session
) -> None:
    ticket = make_ticket(api, brand)
    add_watcher(api, brand, ticket, memberEmail="dana@acme.com")
    add_watcher(api, brand, ticket, memberEmail="ops@example.com")
    model = session.get(Ticket, ticket["id"])
    brand_model = session.get(Brand, brand["id"])
    assert model is not None
    assert brand_model is not None
    dana = Actor(
        ActorKind.MEMBER, Channel.DASHBOARD, api.account_id, email="Dana@Acme.com", name="Dana"
    )
    pending = statuses_loading.resolve(session, brand["id"], key="pending")

    apply_changes(session, dana, brand_model, model, TicketChange(status=pending))
    session.commit()

    assert recipients(session, ticket, "status_change") == ["ops@example.com"]


def test_a_refused_comment_notifies_nobody(api: Api, brand: Json, session: Session) -> None:
    ticket = make_ticket(api, brand)
    add_watcher(api, brand, ticket, memberEmail="a@example.com")

    problem(api.post(comments_path(brand, ticket), json={"body": "x", "setStatus": "bogus"}), 422)

    assert notifications(session, ticket) == []


def test_a_ticket_without_watchers_writes_no_notification(
    api: Api, brand: Json, session: Session
) -> None:
    ticket = make_ticket(api, brand)

    post_comment(api, brand, ticket, setStatus="pending")

    assert notifications(session, ticket) == []

"""A comment posted to a ticket that was merged away lands on the ticket it was merged
into, following the chain, and says where it was sent."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm import Session

from dispatch.tickets.models import Ticket
from tests.comments.helpers import (
    Json,
    comments_path,
    list_comments,
    post_comment,
    problem,
    ticket_logs,
    ticket_of,
    written,
)
from tests.conftest import Api, make_ticket


def merge(session: Session, source: Json, target: Json) -> None:
    session.execute(
        update(Ticket).where(Ticket.id == source["id"]).values(merged_into_id=target["id"])
    )
    session.flush()


def test_a_comment_on_a_merged_ticket_lands_on_its_target(
    api: Api, brand: Json, session: Session
) -> None:
    source = make_ticket(api, brand, title="Duplicate")
    target = make_ticket(api, brand, title="Original")
    merge(session, source, target)

    comment = post_comment(api, brand, source, body="Any news?")

    assert comment["ticketId"] == target["id"]
    assert comment["metadata"]["redirectedFrom"] == source["id"]
    assert list_comments(api, brand, target) == [comment]
    assert list_comments(api, brand, source) == []
    assert ticket_of(api, brand, target)["commentCount"] == 1
    assert ticket_of(api, brand, source)["commentCount"] == 0
    entry = ticket_logs(api, brand, target)[-1]
    assert entry["event"] == "comment.created"
    assert entry["metadata"]["redirectedFrom"] == source["id"]


def test_the_merge_chain_is_followed_to_its_end(api: Api, brand: Json, session: Session) -> None:
    first, middle, last = (make_ticket(api, brand, title=t) for t in ("A", "B", "C"))
    merge(session, first, middle)
    merge(session, middle, last)

    comment = post_comment(api, brand, first)

    assert comment["ticketId"] == last["id"]
    assert comment["metadata"]["redirectedFrom"] == first["id"]


def test_a_customer_reply_to_a_merged_ticket_reopens_the_target(
    api: Api, brand: Json, session: Session
) -> None:
    source = make_ticket(api, brand, status="closed")
    target = make_ticket(api, brand, status="resolved")
    merge(session, source, target)

    post_comment(api, brand, source, authorType="CUSTOMER")

    assert ticket_of(api, brand, target)["status"] == "open"
    assert ticket_of(api, brand, source)["status"] == "closed"


def test_a_merge_target_that_was_deleted_makes_the_comment_404(
    api: Api, brand: Json, session: Session
) -> None:
    source = make_ticket(api, brand)
    target = make_ticket(api, brand)
    merge(session, source, target)
    api.ok("delete", f"/brands/{brand['id']}/tickets/{target['id']}")
    before = written(session, brand)

    problem(api.post(comments_path(brand, source), json={"body": "x"}), 404, "ticket_not_found")

    assert written(session, brand) == before


def test_a_merge_cycle_is_404_not_a_hang(api: Api, brand: Json, session: Session) -> None:
    one, two = make_ticket(api, brand), make_ticket(api, brand)
    merge(session, one, two)
    merge(session, two, one)
    before = written(session, brand)

    problem(api.post(comments_path(brand, one), json={"body": "x"}), 404, "ticket_not_found")

    assert written(session, brand) == before

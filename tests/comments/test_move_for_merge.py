"""`comments.repository.move_to_ticket`, for the ticket merge: a ticket's conversation moves to
another ticket, its status history stays, and both comment counts stay right."""

from __future__ import annotations

from sqlalchemy.orm import Session

from dispatch.brands.models import Brand
from dispatch.comments import repository
from dispatch.tickets.models import Ticket
from tests.comments.helpers import (
    Json,
    comment_path,
    list_comments,
    patch_ticket,
    post_comment,
    stored_comment,
    system_comments,
    ticket_of,
)
from tests.conftest import Api, make_ticket


def test_moving_comments_keeps_the_status_history_and_the_counts_right(
    api: Api, brand: Json, session: Session
) -> None:
    source = make_ticket(api, brand, title="Duplicate")
    target = make_ticket(api, brand, title="Original")
    early = post_comment(api, brand, target, body="target first")
    question = post_comment(api, brand, source, body="source question")
    reply = post_comment(api, brand, source, body="source reply", parentId=question["id"])
    gone = post_comment(api, brand, source, body="deleted")
    api.ok("delete", comment_path(brand, source, gone))
    patch_ticket(api, brand, source, status="pending")
    late = post_comment(api, brand, target, body="target later")
    brand_model = session.get(Brand, brand["id"])
    source_model, target_model = (
        session.get(Ticket, source["id"]),
        session.get(Ticket, target["id"]),
    )
    assert brand_model is not None
    assert source_model is not None
    assert target_model is not None

    moved = repository.move_to_ticket(session, brand_model.id, source_model, target_model)
    session.flush()

    assert moved == 2
    assert [c["id"] for c in list_comments(api, brand, target)] == [
        early["id"],
        question["id"],
        reply["id"],
        late["id"],
    ]
    assert list_comments(api, brand, target)[2]["parentId"] == question["id"]
    assert [c["authorType"] for c in list_comments(api, brand, source)] == ["SYSTEM"]
    assert system_comments(api, brand, target) == []
    assert ticket_of(api, brand, source)["commentCount"] == 0
    assert ticket_of(api, brand, target)["commentCount"] == 4
    assert stored_comment(session, gone["id"]).ticket_id == target["id"]

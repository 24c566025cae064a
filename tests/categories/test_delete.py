"""Deleting a category (soft): every ticket in it leaves it through the ticket workflow,
with an activity entry and a `ticket.updated` event each; other tickets are untouched."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session

from dispatch.categories import service as categories_service
from tests.categories.helpers import (
    Json,
    activity,
    categories_path,
    count_rows,
    events_of_type,
    list_categories,
    set_ticket_columns,
    stored_category_id,
    ticket_events,
)
from tests.conftest import Api, make_ticket
from tests.statuses.helpers import assert_problem, ticket_logs


def delete(api: Api, brand: Json, category: Json) -> None:
    assert api.ok("delete", categories_path(brand, f"/{category['id']}"), 204) is None


def ticket_in(api: Api, brand: Json, session: Session, category: Json, **body: Any) -> Json:
    ticket = make_ticket(api, brand, **body)
    set_ticket_columns(session, ticket, category_id=category["id"])
    return ticket


def test_a_deleted_category_is_gone_from_list_get_and_stats(
    api: Api, brand: Json, billing: Json, shipping: Json
) -> None:
    delete(api, brand, billing)

    (left,) = list_categories(api, brand)
    assert {**left, "updatedAt": None} == {**shipping, "sortOrder": 0, "updatedAt": None}
    assert_problem(api.get(categories_path(brand, f"/{billing['id']}")), 404, "category_not_found")
    stats = api.ok("get", categories_path(brand, "/stats"))
    assert [s["id"] for s in stats] == [shipping["id"]]


def test_tickets_of_the_category_become_uncategorized(
    api: Api, brand: Json, session: Session, billing: Json, shipping: Json
) -> None:
    mine = [ticket_in(api, brand, session, billing, title=f"Invoice {i}") for i in range(3)]
    other = ticket_in(api, brand, session, shipping)

    delete(api, brand, billing)

    assert [stored_category_id(session, t) for t in mine] == [None, None, None]
    assert stored_category_id(session, other) == shipping["id"]


def test_each_ticket_gets_an_activity_entry_and_an_updated_event_saying_why(
    api: Api, brand: Json, session: Session, billing: Json
) -> None:
    ticket = ticket_in(api, brand, session, billing)

    delete(api, brand, billing)

    entry = ticket_logs(api, brand, ticket)[-1]
    assert entry["event"] == "ticket.updated"
    assert entry["changes"] == {"categoryId": {"old": billing["id"], "new": None}}
    assert entry["metadata"] == {"deletedCategoryId": billing["id"], "trigger": "category_deleted"}
    assert entry["performedBy"]["type"] == "api"
    updated = [e for e in ticket_events(session, ticket) if e.type == "ticket.updated"]
    assert len(updated) == 1
    assert updated[0].data["changes"] == ["categoryId"]
    assert updated[0].data["trigger"] == "category_deleted"
    assert updated[0].sequence == ticket["version"] + 1


def test_tickets_of_other_categories_get_no_entry_or_event(
    api: Api, brand: Json, session: Session, billing: Json, shipping: Json
) -> None:
    other = ticket_in(api, brand, session, shipping)
    uncategorized = make_ticket(api, brand)
    before = {t["id"]: len(ticket_events(session, t)) for t in (other, uncategorized)}

    delete(api, brand, billing)

    assert {t["id"]: len(ticket_events(session, t)) for t in (other, uncategorized)} == before
    assert [e["event"] for e in ticket_logs(api, brand, other)] == ["ticket.created"]


def test_deletion_moves_every_ticket_even_beyond_one_batch(
    api: Api,
    brand: Json,
    session: Session,
    billing: Json,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(categories_service, "REASSIGN_BATCH", 2)
    tickets = [ticket_in(api, brand, session, billing, title=f"T{i}") for i in range(5)]

    delete(api, brand, billing)

    assert {stored_category_id(session, t) for t in tickets} == {None}
    assert len(events_of_type(session, brand["id"], "ticket.updated")) == 5
    (deleted,) = events_of_type(session, brand["id"], "category.deleted")
    assert deleted.data["ticketCount"] == 5


def test_deleted_tickets_leave_the_category_too_but_are_not_counted(
    api: Api, brand: Json, session: Session, billing: Json
) -> None:
    live = ticket_in(api, brand, session, billing)
    gone = ticket_in(api, brand, session, billing)
    api.ok("delete", f"/brands/{brand['id']}/tickets/{gone['id']}")

    delete(api, brand, billing)

    assert stored_category_id(session, live) is None
    assert stored_category_id(session, gone) is None
    (deleted,) = events_of_type(session, brand["id"], "category.deleted")
    assert deleted.data["ticketCount"] == 1


def test_deletion_is_recorded_as_an_activity_entry_and_an_event(
    api: Api, brand: Json, session: Session, billing: Json
) -> None:
    ticket_in(api, brand, session, billing)
    delete(api, brand, billing)

    (event,) = events_of_type(session, brand["id"], "category.deleted")
    assert (event.data["id"], event.data["key"]) == (billing["id"], "billing")
    (entry,) = activity(session, brand["id"], event="category.deleted")
    assert (entry.entity_type, entry.entity_id) == ("category", billing["id"])
    assert entry.metadata_ == {"ticketCount": 1}


def test_a_deleted_category_cannot_be_changed_or_deleted_again(
    api: Api, brand: Json, session: Session, billing: Json
) -> None:
    delete(api, brand, billing)
    rows = count_rows(session, brand["id"])
    path = categories_path(brand, f"/{billing['id']}")

    assert_problem(api.delete(path), 404, "category_not_found")
    assert_problem(api.patch(path, json={"name": "Back"}), 404, "category_not_found")
    assert count_rows(session, brand["id"]) == rows

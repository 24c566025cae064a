"""Deleting custom statuses: the replacement, moving every ticket through the one ticket-change
function (activity entry + `ticket.updated` each), permanence, and what stays untouched."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch.statuses import service as statuses_service
from dispatch.tickets.models import Ticket
from tests.conftest import Api, make_status, make_ticket
from tests.statuses.helpers import (
    Json,
    assert_problem,
    brand_events,
    by_key,
    get_ticket,
    list_statuses,
    stats_by_key,
    status_changes_in_log,
    statuses_path,
    ticket_events,
    ticket_logs,
    tickets_path,
)


def stored_status_id(session: Session, ticket_id: str) -> str:
    """The ticket's status straight from the table (also for deleted tickets)."""
    return session.execute(select(Ticket.status_id).where(Ticket.id == ticket_id)).scalar_one()


def delete_status(api: Api, brand: Json, status: Json, **params: str) -> Json:
    deleted: Json = api.ok("delete", statuses_path(brand, f"/{status['id']}"), params=params)
    return deleted


@pytest.mark.parametrize("replacement", ["open", "pending", "resolved", "closed", "waiting_eng"])
def test_any_other_status_can_be_the_replacement(
    api: Api, brand: Json, session: Session, waiting_eng: Json, in_progress: Json, replacement: str
) -> None:
    target = by_key(api, brand)[replacement]
    ticket = make_ticket(api, brand, status="in_progress")

    result = delete_status(api, brand, in_progress, replacementStatusKey=replacement)
    assert (result["replacementStatusId"], result["movedTicketCount"]) == (target["id"], 1)

    got = get_ticket(api, brand, ticket)
    assert (got["status"], got["statusId"]) == (replacement, target["id"])
    assert got["statusRef"]["isActive"] is target["isActive"]
    types = [e.type for e in ticket_events(session, ticket["id"]) if e.type != "ticket.created"]
    # Reaching closed is a close, like any other way of closing a ticket.
    assert types == (
        ["ticket.updated", "ticket.closed"] if replacement == "closed" else ["ticket.updated"]
    )


def test_moved_tickets_say_in_their_activity_entry_and_event_why_they_moved(
    api: Api, brand: Json, session: Session, in_progress: Json
) -> None:
    ticket = make_ticket(api, brand, status="in_progress")
    delete_status(api, brand, in_progress, replacementStatusKey="open")

    entry = ticket_logs(api, brand, ticket)[-1]
    assert entry["event"] == "ticket.updated"
    assert entry["changes"] == {"status": {"old": "in_progress", "new": "open"}}
    assert entry["metadata"] == {"deletedStatusId": in_progress["id"], "trigger": "status_deleted"}
    assert entry["performedBy"]["type"] == "api"
    (event,) = ticket_events(session, ticket["id"], "ticket.updated")
    assert event.data["trigger"] == "status_deleted"
    assert event.data["changes"] == ["status"]
    assert event.sequence == ticket["version"] + 1


def test_deletion_moves_every_ticket_even_beyond_one_batch(
    api: Api,
    brand: Json,
    session: Session,
    in_progress: Json,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(statuses_service, "REASSIGN_BATCH", 2)
    tickets = [make_ticket(api, brand, status="in_progress", title=f"T{i}") for i in range(5)]

    result = delete_status(api, brand, in_progress, replacementStatusKey="pending")
    assert result["movedTicketCount"] == 5
    for ticket in tickets:
        assert get_ticket(api, brand, ticket)["status"] == "pending"
        assert len(ticket_events(session, ticket["id"], "ticket.updated")) == 1
        assert status_changes_in_log(api, brand, ticket) == [("in_progress", "pending")]
    assert stats_by_key(api, brand)["pending"] == 5


def test_only_deleted_tickets_on_the_status_need_no_replacement_and_go_to_open(
    api: Api, brand: Json, session: Session, statuses: dict[str, Json], in_progress: Json
) -> None:
    ticket = make_ticket(api, brand, status="in_progress")
    api.ok("delete", tickets_path(brand, f"/{ticket['id']}"))

    result = delete_status(api, brand, in_progress)
    assert (result["movedTicketCount"], result["replacementStatusId"]) == (0, None)
    assert stored_status_id(session, ticket["id"]) == statuses["open"]["id"]
    assert stats_by_key(api, brand) == {"open": 0, "pending": 0, "resolved": 0, "closed": 0}


def test_deleted_tickets_move_to_the_replacement_but_are_not_counted_as_moved(
    api: Api, brand: Json, session: Session, statuses: dict[str, Json], in_progress: Json
) -> None:
    live = make_ticket(api, brand, status="in_progress")
    gone = make_ticket(api, brand, status="in_progress")
    api.ok("delete", tickets_path(brand, f"/{gone['id']}"))

    result = delete_status(api, brand, in_progress, replacementStatusKey="resolved")
    assert result["movedTicketCount"] == 1
    assert stored_status_id(session, live["id"]) == statuses["resolved"]["id"]
    assert stored_status_id(session, gone["id"]) == statuses["resolved"]["id"]
    assert stats_by_key(api, brand)["resolved"] == 1


def test_a_custom_status_can_replace_another_custom_status(
    api: Api, brand: Json, in_progress: Json, waiting_eng: Json
) -> None:
    ticket = make_ticket(api, brand, status="waiting_eng")
    result = delete_status(api, brand, waiting_eng, replacementStatusId=in_progress["id"])
    assert result["replacementStatusKey"] == "in_progress"
    assert get_ticket(api, brand, ticket)["statusId"] == in_progress["id"]
    assert stats_by_key(api, brand)["in_progress"] == 1


def test_deletion_is_recorded_as_a_status_deleted_event_and_activity_entry(
    api: Api, brand: Json, session: Session, statuses: dict[str, Json], in_progress: Json
) -> None:
    make_ticket(api, brand, status="in_progress")
    make_ticket(api, brand, status="in_progress")
    delete_status(api, brand, in_progress, replacementStatusKey="pending")

    (event,) = brand_events(session, brand["id"], "status.deleted")
    assert event.data["id"] == in_progress["id"]
    assert event.data["key"] == "in_progress"
    assert event.data["replacementStatusId"] == statuses["pending"]["id"]
    assert event.data["movedTicketCount"] == 2
    logs = api.ok(
        "get",
        f"/brands/{brand['id']}/logs",
        params={"entityType": "status", "event": "status.deleted"},
    )["data"]
    assert [(e["entityId"], e["metadata"]["movedTicketCount"]) for e in logs] == [
        (in_progress["id"], 2)
    ]


def test_deleting_a_status_leaves_tickets_of_other_statuses_and_brands_alone(
    api: Api, brand: Json, sibling_brand: Json, session: Session, in_progress: Json
) -> None:
    sibling_status = make_status(api, sibling_brand, name="In Progress", key="in_progress")
    elsewhere = make_ticket(api, sibling_brand, status="in_progress")
    here = make_ticket(api, brand, status="pending")
    make_ticket(api, brand, status="in_progress")

    delete_status(api, brand, in_progress, replacementStatusKey="open")
    assert get_ticket(api, sibling_brand, elsewhere) == elsewhere
    assert get_ticket(api, brand, here) == here
    assert ticket_events(session, elsewhere["id"], "ticket.updated") == []
    assert api.ok("get", statuses_path(sibling_brand, f"/{sibling_status['id']}"))
    assert stats_by_key(api, sibling_brand)["in_progress"] == 1


def test_status_of_another_brand_or_account_cannot_be_deleted(
    api: Api,
    brand: Json,
    sibling_brand: Json,
    other_api: Api,
    other_brand: Json,
    in_progress: Json,
) -> None:
    sibling_status = make_status(api, sibling_brand, name="Mine", key="mine")
    theirs = make_status(other_api, other_brand, name="Theirs", key="theirs")
    # Through the wrong brand: not found.
    assert_problem(
        api.delete(statuses_path(brand, f"/{sibling_status['id']}")), 404, "status_not_found"
    )
    assert_problem(api.delete(statuses_path(brand, f"/{theirs['id']}")), 404, "status_not_found")
    # Through a brand of another account: not found either, never forbidden.
    response = api.delete(statuses_path(other_brand, f"/{theirs['id']}"))
    assert response.status_code == 404
    assert "theirs" in [s["key"] for s in list_statuses(other_api, other_brand)]
    assert "mine" in [s["key"] for s in list_statuses(api, sibling_brand)]
    assert "in_progress" in [s["key"] for s in list_statuses(api, brand)]

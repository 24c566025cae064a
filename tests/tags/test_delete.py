"""Deleting a tag (soft) takes it off every ticket, with a `tag.removed_from_ticket`
activity entry per ticket."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from dispatch.tags import service as tags_service
from tests.categories.helpers import Json, activity, count_rows, events_of_type
from tests.conftest import Api, make_ticket
from tests.statuses.helpers import assert_problem, ticket_logs
from tests.tags.helpers import counts, link_rows, linked_names, list_tags, tag_ticket, tags_path


def delete(api: Api, brand: Json, tag: Json) -> None:
    assert api.ok("delete", tags_path(brand, f"/{tag['id']}"), 204) is None


def test_a_deleted_tag_is_gone_from_list_get_and_stats(
    api: Api, brand: Json, vip: Json, bug: Json
) -> None:
    delete(api, brand, bug)

    assert list_tags(api, brand) == [vip]
    assert_problem(api.get(tags_path(brand, f"/{bug['id']}")), 404, "tag_not_found")
    assert counts(api, brand) == {"VIP": 0}


def test_deletion_takes_the_tag_off_its_tickets_and_leaves_other_tags(
    api: Api, brand: Json, session: Session, vip: Json, bug: Json
) -> None:
    first, second = make_ticket(api, brand, title="One"), make_ticket(api, brand, title="Two")
    tag_ticket(api, session, brand, first, vip, bug)
    tag_ticket(api, session, brand, second, bug)

    delete(api, brand, bug)

    assert linked_names(session, first) == ["VIP"]
    assert linked_names(session, second) == []
    assert link_rows(session, bug) == 0


def test_each_ticket_gets_a_removed_from_ticket_entry(
    api: Api, brand: Json, session: Session, vip: Json, bug: Json
) -> None:
    first, second = make_ticket(api, brand, title="One"), make_ticket(api, brand, title="Two")
    tag_ticket(api, session, brand, first, vip, bug)
    tag_ticket(api, session, brand, second, bug)

    delete(api, brand, bug)

    removed = activity(session, brand["id"], event="tag.removed_from_ticket")
    assert sorted(e.ticket_id for e in removed) == sorted([first["id"], second["id"]])
    assert {(e.entity_type, e.entity_id) for e in removed} == {("tag", bug["id"])}
    assert all(e.metadata_ == {"tagName": "bug"} for e in removed)
    # The entries are part of each ticket's history.
    assert ticket_logs(api, brand, second)[-1]["event"] == "tag.removed_from_ticket"


def test_deletion_is_recorded_as_an_event_and_an_activity_entry(
    api: Api, brand: Json, session: Session, bug: Json
) -> None:
    ticket = make_ticket(api, brand)
    tag_ticket(api, session, brand, ticket, bug)

    delete(api, brand, bug)

    (event,) = events_of_type(session, brand["id"], "tag.deleted")
    assert (event.data["id"], event.data["name"], event.data["ticketCount"]) == (
        bug["id"],
        "bug",
        1,
    )
    (entry,) = activity(session, brand["id"], event="tag.deleted")
    assert (entry.entity_id, entry.ticket_id) == (bug["id"], None)


def test_deletion_reaches_every_ticket_even_beyond_one_batch(
    api: Api, brand: Json, session: Session, bug: Json, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tags_service, "RELINK_BATCH", 2)
    tickets = [make_ticket(api, brand, title=f"T{i}") for i in range(5)]
    for ticket in tickets:
        tag_ticket(api, session, brand, ticket, bug)

    delete(api, brand, bug)

    assert [linked_names(session, t) for t in tickets] == [[]] * 5
    assert len(activity(session, brand["id"], event="tag.removed_from_ticket")) == 5


def test_deleted_tickets_lose_the_tag_too(
    api: Api, brand: Json, session: Session, bug: Json
) -> None:
    ticket = make_ticket(api, brand)
    tag_ticket(api, session, brand, ticket, bug)
    api.ok("delete", f"/brands/{brand['id']}/tickets/{ticket['id']}")

    delete(api, brand, bug)

    assert link_rows(session, bug) == 0


def test_a_deleted_tag_cannot_be_changed_or_deleted_again(
    api: Api, brand: Json, session: Session, bug: Json
) -> None:
    delete(api, brand, bug)
    rows = count_rows(session, brand["id"])
    path = tags_path(brand, f"/{bug['id']}")

    assert_problem(api.delete(path), 404, "tag_not_found")
    assert_problem(api.patch(path, json={"name": "back"}), 404, "tag_not_found")
    assert count_rows(session, brand["id"]) == rows

"""The service functions the ticket service calls: resolve_names (tickets name tags by
name), set_ticket_tags / add_ticket_tags (the ticket<->tag links) and tags_for_tickets."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Connection, event
from sqlalchemy.orm import Session

from dispatch.core.errors import ValidationFailed
from dispatch.tags import repository, service
from dispatch.tags.errors import TagExists
from dispatch.tags.schemas import TagCreate
from tests.categories.helpers import (
    Json,
    activity,
    actor_of,
    count_rows,
    events_of_type,
    load_brand,
    load_ticket,
)
from tests.conftest import Api, make_ticket
from tests.tags.helpers import linked_names, list_tags, load_tag, make_tag, tag_names, tags_path


def resolve(api: Api, session: Session, brand: Json, names: list[Any]) -> list[str]:
    """Resolve names; return the ids of the tags, in order."""
    tags = service.resolve_names(session, actor_of(api), load_brand(session, brand), names)
    session.commit()
    return [t.id for t in tags]


# --- resolve_names ------------------------------------------------------------------------


def test_known_names_are_found_without_regard_to_case(
    api: Api, session: Session, brand: Json, vip: Json, bug: Json
) -> None:
    assert resolve(api, session, brand, ["vip", " BUG "]) == [vip["id"], bug["id"]]
    assert tag_names(api, brand) == ["bug", "VIP"]


def test_unknown_names_create_tags_with_their_activity_and_events(
    api: Api, session: Session, brand: Json, vip: Json
) -> None:
    ids = resolve(api, session, brand, ["  Refund ", "VIP", "Angry customer"])

    assert tag_names(api, brand) == ["Angry customer", "Refund", "VIP"]
    by_name = {t["name"]: t["id"] for t in list_tags(api, brand)}
    assert ids == [by_name["Refund"], vip["id"], by_name["Angry customer"]]
    created = events_of_type(session, brand["id"], "tag.created")
    assert [e.data["name"] for e in created] == ["VIP", "Refund", "Angry customer"]
    entries = activity(session, brand["id"], event="tag.created")
    assert [e.entity_id for e in entries][1:] == [by_name["Refund"], by_name["Angry customer"]]


def test_duplicates_collapse_and_order_is_kept(
    api: Api, session: Session, brand: Json, vip: Json
) -> None:
    ids = resolve(api, session, brand, ["new", "VIP", "NEW", "vip", "New "])

    (new,) = [t for t in list_tags(api, brand) if t["name"] == "new"]
    assert ids == [new["id"], vip["id"]]


def test_no_names_resolve_to_no_tags(api: Api, session: Session, brand: Json) -> None:
    assert resolve(api, session, brand, []) == []


def test_a_deleted_tags_name_makes_a_new_tag(
    api: Api, session: Session, brand: Json, vip: Json
) -> None:
    api.ok("delete", tags_path(brand, f"/{vip['id']}"), 204)
    (new_id,) = resolve(api, session, brand, ["VIP"])
    assert new_id != vip["id"]


def test_tags_of_another_brand_are_not_used(
    api: Api, session: Session, brand: Json, sibling_brand: Json
) -> None:
    theirs = make_tag(api, sibling_brand, "outlet")
    (mine,) = resolve(api, session, brand, ["outlet"])
    assert mine != theirs["id"]
    assert tag_names(api, brand) == ["outlet"]


@pytest.mark.parametrize(
    "bad", ["", "   ", "x" * 51, 7, None, ["nested"], "line\nbreak", "nul\x00"]
)
def test_a_bad_name_is_a_422_on_tags_and_creates_nothing(
    api: Api, session: Session, brand: Json, vip: Json, bad: Any
) -> None:
    rows = count_rows(session, brand["id"])

    with pytest.raises(ValidationFailed) as raised:
        resolve(api, session, brand, ["fresh", bad])

    assert raised.value.status == 422
    assert raised.value.errors == [{"field": "tags", "message": raised.value.message}]
    session.rollback()
    assert tag_names(api, brand) == ["VIP"]
    assert count_rows(session, brand["id"]) == rows


def test_more_than_a_hundred_names_are_refused(api: Api, session: Session, brand: Json) -> None:
    with pytest.raises(ValidationFailed, match="at most 100"):
        resolve(api, session, brand, [f"t{i}" for i in range(101)])
    session.rollback()
    assert tag_names(api, brand) == []


def test_a_name_created_by_a_concurrent_request_is_used_not_duplicated(
    api: Api, session: Session, brand: Json, vip: Json, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Our lookup ran before the other request committed; the unique index catches it."""
    original = repository.find_by_names
    calls: list[int] = []

    def stale_first(*args: Any) -> Any:
        calls.append(1)
        return [] if len(calls) == 1 else original(*args)

    monkeypatch.setattr(repository, "find_by_names", stale_first)

    assert resolve(api, session, brand, ["vip"]) == [vip["id"]]
    assert [t["id"] for t in list_tags(api, brand)] == [vip["id"]]


def test_a_create_racing_another_with_the_same_name_is_409(
    api: Api, session: Session, brand: Json, vip: Json, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(repository, "name_taken", lambda *_args, **_kw: False)

    with pytest.raises(TagExists):
        service.create_tag(
            session, actor_of(api), load_brand(session, brand), TagCreate(name="Vip")
        )


# --- set_ticket_tags / add_ticket_tags ----------------------------------------------------


def set_tags(api: Api, session: Session, brand: Json, ticket: Json, *tags: Json) -> Any:
    result = service.set_ticket_tags(
        session,
        actor_of(api),
        load_brand(session, brand),
        load_ticket(session, ticket),
        [load_tag(session, t) for t in tags],
    )
    session.commit()
    return [[t.name for t in part] for part in result]


def test_set_ticket_tags_makes_the_tags_exactly_those_given(
    api: Api, session: Session, brand: Json, vip: Json, bug: Json, defect: Json
) -> None:
    ticket = make_ticket(api, brand)

    assert set_tags(api, session, brand, ticket, vip, bug) == [["VIP", "bug"], []]
    assert linked_names(session, ticket) == ["bug", "VIP"]
    assert set_tags(api, session, brand, ticket, bug, defect) == [["Defect"], ["VIP"]]
    assert linked_names(session, ticket) == ["bug", "Defect"]
    assert set_tags(api, session, brand, ticket) == [[], ["bug", "Defect"]]
    assert linked_names(session, ticket) == []


def test_set_ticket_tags_writes_an_entry_per_added_and_removed_tag(
    api: Api, session: Session, brand: Json, vip: Json, bug: Json
) -> None:
    ticket = make_ticket(api, brand)
    set_tags(api, session, brand, ticket, vip)
    set_tags(api, session, brand, ticket, bug)

    entries = [
        (e.event, e.entity_id)
        for e in activity(session, brand["id"], ticket_id=ticket["id"])
        if e.event.startswith("tag.")
    ]
    assert entries == [
        ("tag.added_to_ticket", vip["id"]),
        ("tag.removed_from_ticket", vip["id"]),
        ("tag.added_to_ticket", bug["id"]),
    ]
    logs = api.ok("get", f"/brands/{brand['id']}/tickets/{ticket['id']}/logs")
    assert logs[-1]["event"] == "tag.added_to_ticket"
    assert logs[-1]["entityType"] == "tag"
    assert logs[-1]["metadata"] == {"tagName": "bug"}


def test_setting_the_same_tags_again_changes_and_writes_nothing(
    api: Api, session: Session, brand: Json, vip: Json, bug: Json
) -> None:
    ticket = make_ticket(api, brand)
    set_tags(api, session, brand, ticket, vip, bug)
    rows = count_rows(session, brand["id"])

    assert set_tags(api, session, brand, ticket, bug, vip, bug) == [[], []]
    assert count_rows(session, brand["id"]) == rows


def test_add_ticket_tags_keeps_the_tags_the_ticket_has(
    api: Api, session: Session, brand: Json, vip: Json, bug: Json, defect: Json
) -> None:
    ticket = make_ticket(api, brand)
    set_tags(api, session, brand, ticket, vip)

    added, removed = service.add_ticket_tags(
        session,
        actor_of(api),
        load_brand(session, brand),
        load_ticket(session, ticket),
        [load_tag(session, t) for t in (bug, vip, defect)],
    )

    assert ([t.name for t in added], removed) == (["bug", "Defect"], [])
    assert linked_names(session, ticket) == ["bug", "Defect", "VIP"]


def test_tags_of_another_brand_or_deleted_tags_cannot_be_set(
    api: Api, session: Session, brand: Json, vip: Json, bug: Json, sibling_brand: Json
) -> None:
    ticket = make_ticket(api, brand)
    set_tags(api, session, brand, ticket, vip)
    theirs = make_tag(api, sibling_brand, "outlet")
    api.ok("delete", tags_path(brand, f"/{bug['id']}"), 204)
    rows = count_rows(session, brand["id"])

    for stranger in (theirs, bug):
        for function in (service.set_ticket_tags, service.add_ticket_tags):
            with pytest.raises(ValidationFailed) as raised:
                function(
                    session,
                    actor_of(api),
                    load_brand(session, brand),
                    load_ticket(session, ticket),
                    [load_tag(session, stranger)],
                )
            assert raised.value.errors is not None
            assert raised.value.errors[0]["field"] == "tags"
            session.rollback()

    assert linked_names(session, ticket) == ["VIP"]
    assert count_rows(session, brand["id"]) == rows


def test_a_ticket_of_another_brand_cannot_be_tagged_through_this_brand(
    api: Api, session: Session, brand: Json, vip: Json, sibling_brand: Json
) -> None:
    theirs = make_ticket(api, sibling_brand)
    with pytest.raises(ValidationFailed):
        set_tags(api, session, brand, theirs, vip)
    session.rollback()
    assert linked_names(session, theirs) == []


# --- tags_for_tickets ---------------------------------------------------------------------


def test_tags_for_tickets_gives_each_ticket_its_tags_by_name(
    api: Api, session: Session, brand: Json, vip: Json, bug: Json, defect: Json
) -> None:
    first, second, bare = (make_ticket(api, brand, title=t) for t in ("One", "Two", "Bare"))
    set_tags(api, session, brand, first, vip, defect, bug)
    set_tags(api, session, brand, second, bug)

    found = service.tags_for_tickets(session, [first["id"], second["id"], bare["id"], "tkt_x"])

    assert {ticket_id: [t.name for t in tags] for ticket_id, tags in found.items()} == {
        first["id"]: ["bug", "Defect", "VIP"],
        second["id"]: ["bug"],
        bare["id"]: [],
        "tkt_x": [],
    }
    assert service.tags_for_tickets(session, []) == {}


def test_tags_for_tickets_is_one_query_for_any_number_of_tickets(
    api: Api, session: Session, connection: Connection, brand: Json, vip: Json, bug: Json
) -> None:
    tickets = [make_ticket(api, brand, title=f"T{i}") for i in range(6)]
    for ticket in tickets:
        set_tags(api, session, brand, ticket, vip, bug)
    sent: list[str] = []

    def record(*args: Any) -> None:
        if not args[2].startswith(("SAVEPOINT", "RELEASE")):
            sent.append(args[2])

    event.listen(connection, "before_cursor_execute", record)
    try:
        found = service.tags_for_tickets(session, [t["id"] for t in tickets])
    finally:
        event.remove(connection, "before_cursor_execute", record)

    assert len(sent) == 1, sent
    assert all(len(tags) == 2 for tags in found.values())

"""Watchers of a ticket: add, list, change flags, remove; identified by email."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy.orm import Session

from tests.comments.helpers import (
    Json,
    add_member,
    error_fields,
    events_of,
    problem,
    ticket_logs,
    ticket_of,
    written,
)
from tests.conftest import Api, make_ticket
from tests.watchers.helpers import add_watcher, list_watchers, watchers_path

WATCHER_FIELDS = {
    "id",
    "ticketId",
    "memberId",
    "memberEmail",
    "memberName",
    "addedBy",
    "addedAt",
    "notifyOnComment",
    "notifyOnStatusChange",
}


def test_a_team_member_is_added_by_id_with_the_members_email_and_name(
    api: Api, brand: Json
) -> None:
    member = add_member(api, "dana@acme.com", "Dana Scully")
    ticket = make_ticket(api, brand)
    key_name = api.ok("get", "/accounts/me/api-keys")[0]["name"]

    watcher = add_watcher(api, brand, ticket, memberId=member["id"])

    assert set(watcher) == WATCHER_FIELDS
    assert watcher["ticketId"] == ticket["id"]
    assert watcher["memberId"] == member["id"]
    assert watcher["memberEmail"] == "dana@acme.com"
    assert watcher["memberName"] == "Dana Scully"
    assert watcher["notifyOnComment"] is True
    assert watcher["notifyOnStatusChange"] is True
    assert watcher["addedBy"] == key_name
    assert datetime.fromisoformat(watcher["addedAt"]).tzinfo is not None


def test_an_email_of_a_team_member_links_to_the_member(api: Api, brand: Json) -> None:
    member = add_member(api, "dana@acme.com", "Dana Scully")
    ticket = make_ticket(api, brand)

    watcher = add_watcher(api, brand, ticket, memberEmail="Dana@Acme.com")

    assert (watcher["memberId"], watcher["memberEmail"]) == (member["id"], "dana@acme.com")
    assert watcher["memberName"] == "Dana Scully"


def test_any_email_can_watch_without_being_a_member(api: Api, brand: Json) -> None:
    ticket = make_ticket(api, brand)

    watcher = add_watcher(
        api, brand, ticket, memberEmail="ops@example.com", memberName="Ops", notifyOnComment=False
    )

    assert watcher["memberId"] is None
    assert (watcher["memberEmail"], watcher["memberName"]) == ("ops@example.com", "Ops")
    assert (watcher["notifyOnComment"], watcher["notifyOnStatusChange"]) == (False, True)


def test_member_id_and_matching_email_together_are_accepted(api: Api, brand: Json) -> None:
    member = add_member(api, "dana@acme.com")
    ticket = make_ticket(api, brand)

    watcher = add_watcher(api, brand, ticket, memberId=member["id"], memberEmail="dana@acme.com")

    assert watcher["memberId"] == member["id"]


def test_watchers_are_listed_in_the_order_they_were_added(api: Api, brand: Json) -> None:
    ticket = make_ticket(api, brand)
    first = add_watcher(api, brand, ticket, memberEmail="a@example.com")
    second = add_watcher(api, brand, ticket, memberEmail="b@example.com")

    assert list_watchers(api, brand, ticket) == [first, second]
    assert list_watchers(api, brand, make_ticket(api, brand)) == []


def test_adding_writes_an_activity_entry_and_an_event(
    api: Api, brand: Json, session: Session
) -> None:
    ticket = make_ticket(api, brand)

    watcher = add_watcher(api, brand, ticket, memberEmail="a@example.com")

    entry = ticket_logs(api, brand, ticket)[-1]
    assert (entry["event"], entry["entityType"], entry["entityId"]) == (
        "watcher.created",
        "watcher",
        watcher["id"],
    )
    assert entry["metadata"]["memberEmail"] == "a@example.com"
    (event,) = events_of(session, ticket["id"], "watcher.created")
    assert event.data == watcher


@pytest.mark.parametrize("email", ["a@example.com", "A@Example.COM"])
def test_the_same_email_twice_is_a_409(api: Api, brand: Json, session: Session, email: str) -> None:
    ticket = make_ticket(api, brand)
    first = add_watcher(api, brand, ticket, memberEmail="a@example.com")
    before = written(session, brand)

    problem(
        api.post(watchers_path(brand, ticket), json={"memberEmail": email}), 409, "watcher_exists"
    )

    assert written(session, brand) == before
    assert list_watchers(api, brand, ticket) == [first]


def test_a_member_watching_by_email_cannot_be_added_again_by_id(
    api: Api, brand: Json, session: Session
) -> None:
    member = add_member(api, "dana@acme.com")
    ticket = make_ticket(api, brand)
    add_watcher(api, brand, ticket, memberEmail="dana@acme.com")
    before = written(session, brand)

    response = api.post(watchers_path(brand, ticket), json={"memberId": member["id"]})

    problem(response, 409, "watcher_exists")
    assert written(session, brand) == before


def test_the_same_email_may_watch_two_tickets(api: Api, brand: Json) -> None:
    one, two = make_ticket(api, brand), make_ticket(api, brand)

    add_watcher(api, brand, one, memberEmail="a@example.com")
    add_watcher(api, brand, two, memberEmail="a@example.com")

    assert len(list_watchers(api, brand, two)) == 1


@pytest.mark.parametrize("ref", ["memberId", "id", "memberEmail"])
def test_flags_change_by_member_id_watcher_id_or_email(api: Api, brand: Json, ref: str) -> None:
    member = add_member(api, "dana@acme.com")
    ticket = make_ticket(api, brand)
    watcher = add_watcher(api, brand, ticket, memberId=member["id"])

    updated = api.ok(
        "patch", watchers_path(brand, ticket, watcher[ref]), json={"notifyOnComment": False}
    )

    assert (updated["notifyOnComment"], updated["notifyOnStatusChange"]) == (False, True)
    assert list_watchers(api, brand, ticket) == [updated]


def test_a_flag_change_writes_an_activity_entry_and_an_event(
    api: Api, brand: Json, session: Session
) -> None:
    ticket = make_ticket(api, brand)
    watcher = add_watcher(api, brand, ticket, memberEmail="a@example.com")

    api.ok(
        "patch",
        watchers_path(brand, ticket, "a@example.com"),
        json={"notifyOnStatusChange": False, "notifyOnComment": True},
    )

    entry = ticket_logs(api, brand, ticket)[-1]
    assert entry["event"] == "watcher.updated"
    assert entry["changes"] == {"notifyOnStatusChange": {"old": True, "new": False}}
    (event,) = events_of(session, ticket["id"], "watcher.updated")
    assert event.data["changes"] == ["notifyOnStatusChange"]
    assert event.data["id"] == watcher["id"]


def test_a_flag_change_to_the_same_value_writes_nothing(
    api: Api, brand: Json, session: Session
) -> None:
    ticket = make_ticket(api, brand)
    watcher = add_watcher(api, brand, ticket, memberEmail="a@example.com")
    before = written(session, brand)

    same = api.ok(
        "patch", watchers_path(brand, ticket, watcher["id"]), json={"notifyOnComment": True}
    )

    assert same == watcher
    assert written(session, brand) == before


@pytest.mark.parametrize("ref", ["memberId", "id", "memberEmail"])
def test_a_watcher_is_removed_by_member_id_watcher_id_or_email(
    api: Api, brand: Json, session: Session, ref: str
) -> None:
    member = add_member(api, "dana@acme.com")
    ticket = make_ticket(api, brand)
    watcher = add_watcher(api, brand, ticket, memberId=member["id"])
    kept = add_watcher(api, brand, ticket, memberEmail="other@example.com")

    response = api.delete(watchers_path(brand, ticket, watcher[ref]))

    assert response.status_code == 204
    assert response.content == b""
    assert list_watchers(api, brand, ticket) == [kept]
    entry = ticket_logs(api, brand, ticket)[-1]
    assert (entry["event"], entry["entityId"]) == ("watcher.deleted", watcher["id"])
    (event,) = events_of(session, ticket["id"], "watcher.deleted")
    assert event.data["memberEmail"] == "dana@acme.com"


def test_a_removed_watcher_can_be_added_again(api: Api, brand: Json) -> None:
    ticket = make_ticket(api, brand)
    add_watcher(api, brand, ticket, memberEmail="a@example.com")
    api.ok("delete", watchers_path(brand, ticket, "a@example.com"), 204)

    again = add_watcher(api, brand, ticket, memberEmail="a@example.com")

    assert list_watchers(api, brand, ticket) == [again]


@pytest.mark.parametrize("method", ["patch", "delete"])
def test_an_unknown_watcher_is_404(api: Api, brand: Json, session: Session, method: str) -> None:
    ticket = make_ticket(api, brand)
    add_watcher(api, brand, ticket, memberEmail="a@example.com")
    before = written(session, brand)
    path = watchers_path(brand, ticket, "nobody@example.com")

    response = (
        api.patch(path, json={"notifyOnComment": False}) if method == "patch" else api.delete(path)
    )

    problem(response, 404, "watcher_not_found")
    assert written(session, brand) == before


def test_a_watcher_of_another_ticket_is_not_found_through_this_one(
    api: Api, brand: Json, session: Session
) -> None:
    ticket, other = make_ticket(api, brand), make_ticket(api, brand)
    watcher = add_watcher(api, brand, other, memberEmail="a@example.com")
    before = written(session, brand)

    problem(api.delete(watchers_path(brand, ticket, watcher["id"])), 404, "watcher_not_found")

    assert written(session, brand) == before
    assert list_watchers(api, brand, other) == [watcher]


BAD_ADDS: list[tuple[Json, str, str | None]] = [
    ({}, "body", None),
    ({"memberName": "Nobody"}, "body", None),
    ({"memberEmail": "not-an-email"}, "memberEmail", None),
    ({"memberId": "user_ghost"}, "memberId", "unknown_member"),
    ({"memberEmail": "a@example.com", "notifyOnComment": "often"}, "notifyOnComment", None),
    ({"memberEmail": "a@example.com", "role": "admin"}, "role", None),
    ({"memberEmail": "a@example.com", "memberName": "n" * 201}, "memberName", None),
    ({"memberEmail": "a@example.com", "memberName": "a\x00b"}, "memberName", None),
]


@pytest.mark.parametrize(("bad", "field", "code"), BAD_ADDS)
def test_a_refused_add_names_the_field_and_adds_nothing(
    api: Api, brand: Json, session: Session, bad: Json, field: str, code: str | None
) -> None:
    ticket = make_ticket(api, brand)
    before = written(session, brand)

    body = problem(api.post(watchers_path(brand, ticket), json=bad), 422, code)

    assert field in error_fields(body)
    assert written(session, brand) == before
    assert list_watchers(api, brand, ticket) == []


def test_a_member_id_with_another_members_email_is_refused(
    api: Api, brand: Json, session: Session
) -> None:
    member = add_member(api, "dana@acme.com")
    ticket = make_ticket(api, brand)
    before = written(session, brand)

    response = api.post(
        watchers_path(brand, ticket), json={"memberId": member["id"], "memberEmail": "x@acme.com"}
    )

    assert error_fields(problem(response, 422)) == ["memberEmail"]
    assert written(session, brand) == before


def test_a_member_of_another_account_is_unknown(
    api: Api, brand: Json, other_api: Api, session: Session
) -> None:
    stranger = add_member(other_api, "spy@globex.com")
    ticket = make_ticket(api, brand)
    before = written(session, brand)

    response = api.post(watchers_path(brand, ticket), json={"memberId": stranger["id"]})

    problem(response, 422, "unknown_member")
    assert written(session, brand) == before


@pytest.mark.parametrize(
    "bad",
    [{}, {"notifyOnComment": None}, {"notifyOnComment": "sometimes"}, {"memberEmail": "b@x.com"}],
)
def test_a_refused_flag_change_changes_nothing(
    api: Api, brand: Json, session: Session, bad: Json
) -> None:
    ticket = make_ticket(api, brand)
    watcher = add_watcher(api, brand, ticket, memberEmail="a@example.com")
    before = written(session, brand)

    problem(api.patch(watchers_path(brand, ticket, watcher["id"]), json=bad), 422)

    assert written(session, brand) == before
    assert list_watchers(api, brand, ticket) == [watcher]


def _attempt(api: Api, path_ticket: str, brand: Json, method: str) -> object:
    if method == "list":
        return api.get(watchers_path(brand, path_ticket))
    if method == "add":
        return api.post(watchers_path(brand, path_ticket), json={"memberEmail": "spy@x.com"})
    if method == "patch":
        return api.patch(
            watchers_path(brand, path_ticket, "a@example.com"), json={"notifyOnComment": False}
        )
    return api.delete(watchers_path(brand, path_ticket, "a@example.com"))


@pytest.mark.parametrize("method", ["list", "add", "patch", "delete"])
def test_another_account_or_brand_gets_404(
    api: Api,
    brand: Json,
    other_api: Api,
    other_brand: Json,
    session: Session,
    method: str,
) -> None:
    sibling = api.ok("post", "/brands", 201, json={"name": "Sibling"})
    ticket = make_ticket(api, brand)
    watcher = add_watcher(api, brand, ticket, memberEmail="a@example.com")
    before = written(session, brand)

    problem(_attempt(other_api, ticket["id"], brand, method), 404, "brand_not_found")
    problem(_attempt(other_api, ticket["id"], other_brand, method), 404, "ticket_not_found")
    problem(_attempt(api, ticket["id"], sibling, method), 404, "ticket_not_found")

    assert written(session, brand) == before
    assert list_watchers(api, brand, ticket) == [watcher]


@pytest.mark.parametrize("method", ["list", "add", "patch", "delete"])
def test_watchers_of_a_deleted_ticket_are_404(
    api: Api, brand: Json, session: Session, method: str
) -> None:
    ticket = make_ticket(api, brand)
    add_watcher(api, brand, ticket, memberEmail="a@example.com")
    api.ok("delete", f"/brands/{brand['id']}/tickets/{ticket['id']}")
    before = written(session, brand)

    problem(_attempt(api, ticket["id"], brand, method), 404, "ticket_not_found")

    assert written(session, brand) == before


def test_watchers_do_not_change_the_ticket(api: Api, brand: Json) -> None:
    ticket = make_ticket(api, brand)

    add_watcher(api, brand, ticket, memberEmail="a@example.com")

    assert ticket_of(api, brand, ticket) == ticket

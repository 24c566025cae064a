"""Comments of other brands and accounts are 404; bad input is a clear 4xx and changes
nothing."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session

from tests.comments.helpers import (
    Json,
    comment_path,
    comments_path,
    error_fields,
    list_comments,
    post_comment,
    problem,
    ticket_of,
    written,
)
from tests.conftest import Api, make_ticket


def _call(api: Api, action: str, path: str) -> Any:
    if action == "list":
        return api.get(path)
    if action == "create":
        return api.post(path, json={"body": "hijack"})
    raise AssertionError(action)


def _call_one(api: Api, action: str, path: str) -> Any:
    if action == "get":
        return api.get(path)
    if action == "patch":
        return api.patch(path, json={"body": "hijacked"})
    return api.delete(path)


@pytest.mark.parametrize("action", ["list", "create"])
def test_another_account_gets_404_for_a_tickets_comments(
    api: Api,
    brand: Json,
    other_api: Api,
    other_brand: Json,
    session: Session,
    action: str,
) -> None:
    ticket = make_ticket(api, brand)
    post_comment(api, brand, ticket)
    before = written(session, brand)

    problem(_call(other_api, action, comments_path(brand, ticket)), 404, "brand_not_found")
    problem(_call(other_api, action, comments_path(other_brand, ticket)), 404, "ticket_not_found")

    assert written(session, brand) == before


@pytest.mark.parametrize("action", ["get", "patch", "delete"])
def test_another_account_gets_404_for_a_comment(
    api: Api,
    brand: Json,
    other_api: Api,
    other_brand: Json,
    session: Session,
    action: str,
) -> None:
    ticket = make_ticket(api, brand)
    comment = post_comment(api, brand, ticket)
    before = written(session, brand)

    problem(_call_one(other_api, action, comment_path(brand, ticket, comment)), 404)
    problem(_call_one(other_api, action, comment_path(other_brand, ticket, comment)), 404)

    assert written(session, brand) == before
    assert api.ok("get", comment_path(brand, ticket, comment)) == comment


@pytest.mark.parametrize("action", ["get", "patch", "delete"])
def test_a_comment_through_another_brand_of_the_same_account_is_404(
    api: Api, brand: Json, session: Session, action: str
) -> None:
    sibling = api.ok("post", "/brands", 201, json={"name": "Sibling"})
    ticket = make_ticket(api, brand)
    comment = post_comment(api, brand, ticket)
    before = written(session, brand)

    response = _call_one(api, action, comment_path(sibling, ticket, comment))

    problem(response, 404, "ticket_not_found")
    assert written(session, brand) == before
    assert api.ok("get", comment_path(brand, ticket, comment)) == comment


def test_a_key_scoped_to_another_brand_cannot_reach_the_comments(
    api: Api, brand: Json, session: Session
) -> None:
    sibling = api.ok("post", "/brands", 201, json={"name": "Sibling"})
    created = api.ok(
        "post",
        "/accounts/me/api-keys",
        201,
        json={"name": "Sibling only", "allBrands": False, "brandIds": [sibling["id"]]},
    )
    scoped = Api(api.client, created["key"], api.account_id)
    ticket = make_ticket(api, brand)
    before = written(session, brand)

    problem(scoped.get(comments_path(brand, ticket)), 404)
    problem(scoped.post(comments_path(brand, ticket), json={"body": "x"}), 404)

    assert written(session, brand) == before


@pytest.mark.parametrize("action", ["list", "create"])
def test_comments_of_a_deleted_ticket_are_404(
    api: Api, brand: Json, session: Session, action: str
) -> None:
    ticket = make_ticket(api, brand)
    post_comment(api, brand, ticket)
    api.ok("delete", f"/brands/{brand['id']}/tickets/{ticket['id']}")
    before = written(session, brand)

    problem(_call(api, action, comments_path(brand, ticket)), 404, "ticket_not_found")

    assert written(session, brand) == before


@pytest.mark.parametrize("action", ["get", "patch", "delete"])
def test_a_comment_of_a_deleted_ticket_is_404(
    api: Api, brand: Json, session: Session, action: str
) -> None:
    ticket = make_ticket(api, brand)
    comment = post_comment(api, brand, ticket)
    api.ok("delete", f"/brands/{brand['id']}/tickets/{ticket['id']}")
    before = written(session, brand)

    problem(_call_one(api, action, comment_path(brand, ticket, comment)), 404, "ticket_not_found")

    assert written(session, brand) == before


def test_an_unknown_ticket_is_404(api: Api, brand: Json) -> None:
    problem(api.post(comments_path(brand, "tkt_nope"), json={"body": "x"}), 404, "ticket_not_found")
    problem(api.get(comments_path(brand, "tkt_nope")), 404, "ticket_not_found")


BAD_CREATES: list[tuple[Json, str, str | None]] = [
    ({}, "body", None),
    ({"body": ""}, "body", None),
    ({"body": "   "}, "body", None),
    ({"body": None}, "body", None),
    ({"body": "x" * 100_001}, "body", None),
    ({"body": "x", "authorType": "ROBOT"}, "authorType", None),
    ({"body": "x", "authorType": "SYSTEM"}, "authorType", "system_author_reserved"),
    (
        {"body": "x", "authorType": "CUSTOMER", "isInternal": True},
        "isInternal",
        "customer_internal_note",
    ),
    (
        {"body": "x", "authorType": "CUSTOMER", "metadata": {"isInternal": True}},
        "isInternal",
        "customer_internal_note",
    ),
    ({"body": "x", "isInternal": True, "metadata": {"isInternal": False}}, "isInternal", None),
    ({"body": "x", "metadata": {"isInternal": "yes"}}, "metadata.isInternal", None),
    ({"body": "x", "isInternal": "perhaps"}, "isInternal", None),
    ({"body": "x", "parentId": "cmt_nope"}, "parentId", "unknown_parent_comment"),
    ({"body": "x", "authorEmail": "not-an-email"}, "authorEmail", None),
    ({"body": "x", "cc": ["not-an-email"]}, "cc.0", None),
    ({"body": "x", "cc": "a@example.com"}, "cc", None),
    ({"body": "x", "isInternal": True, "cc": ["a@example.com"]}, "cc", None),
    ({"body": "x", "links": [{"title": "no url"}]}, "links", None),
    ({"body": "x", "links": "https://x.example"}, "links", None),
    ({"body": "x", "source": "carrier-pigeon"}, "source", None),
    ({"body": "x", "metadata": "nope"}, "metadata", None),
    ({"body": "x", "unknownField": 1}, "unknownField", None),
    ({"body": "x\x00y"}, "body", None),
    ({"body": "x", "authorName": "n" * 201}, "authorName", None),
    ({"body": "x", "setStatus": ""}, "setStatus", None),
]


@pytest.mark.parametrize(("bad", "field", "code"), BAD_CREATES)
def test_a_refused_create_names_the_field_and_stores_nothing(
    api: Api, brand: Json, session: Session, bad: Json, field: str, code: str | None
) -> None:
    ticket = make_ticket(api, brand, status="resolved")
    before = written(session, brand)

    body = problem(api.post(comments_path(brand, ticket), json=bad), 422, code)

    assert any(f == field or f.startswith(f"{field}.") for f in error_fields(body)), body
    assert written(session, brand) == before
    assert list_comments(api, brand, ticket) == []
    assert ticket_of(api, brand, ticket) == ticket


def test_a_parent_from_another_ticket_is_refused(api: Api, brand: Json, session: Session) -> None:
    ticket = make_ticket(api, brand)
    other = make_ticket(api, brand)
    elsewhere = post_comment(api, brand, other)
    before = written(session, brand)

    response = api.post(
        comments_path(brand, ticket), json={"body": "x", "parentId": elsewhere["id"]}
    )

    problem(response, 422, "unknown_parent_comment")
    assert written(session, brand) == before


def test_a_deleted_parent_is_refused(api: Api, brand: Json, session: Session) -> None:
    ticket = make_ticket(api, brand)
    parent = post_comment(api, brand, ticket)
    api.ok("delete", comment_path(brand, ticket, parent))
    before = written(session, brand)

    response = api.post(comments_path(brand, ticket), json={"body": "x", "parentId": parent["id"]})

    problem(response, 422, "unknown_parent_comment")
    assert written(session, brand) == before


BAD_UPDATES: list[tuple[Json, str]] = [
    ({}, "body"),
    ({"body": None}, "body"),
    ({"body": ""}, "body"),
    ({"body": "x" * 100_001}, "body"),
    ({"links": ["x", {"nourl": 1}]}, "links"),
    ({"metadata": []}, "metadata"),
    ({"authorType": "CUSTOMER"}, "authorType"),
    ({"isInternal": True}, "isInternal"),
    ({"setStatus": "closed"}, "setStatus"),
]


@pytest.mark.parametrize(("bad", "field"), BAD_UPDATES)
def test_a_refused_update_names_the_field_and_changes_nothing(
    api: Api, brand: Json, session: Session, bad: Json, field: str
) -> None:
    ticket = make_ticket(api, brand)
    comment = post_comment(api, brand, ticket)
    before = written(session, brand)

    body = problem(api.patch(comment_path(brand, ticket, comment), json=bad), 422)

    assert any(f.startswith(field) for f in error_fields(body)), body
    assert written(session, brand) == before
    assert api.ok("get", comment_path(brand, ticket, comment)) == comment

"""POST /fields/{entityType}/reorder {keys}: full or partial lists; returns the list."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from tests.categories.helpers import Json, activity, count_rows
from tests.conftest import Api
from tests.fields.helpers import everything, fields_path, keys, list_fields, make_field
from tests.statuses.helpers import assert_problem, error_fields


@pytest.fixture
def four(api: Api, brand: Json) -> list[str]:
    for key in ("a", "b", "c", "d"):
        make_field(api, brand, key=key, label=key.upper())
    make_field(api, brand, "contact", key="a", label="Contact A")
    return ["a", "b", "c", "d"]


def reorder(api: Api, brand: Json, order: list[str], entity_type: str = "ticket") -> list[str]:
    listed = api.ok("post", fields_path(brand, f"/{entity_type}/reorder"), json={"keys": order})
    return [f["key"] for f in listed]


def test_a_full_list_sets_the_whole_order_and_returns_it(
    api: Api, brand: Json, four: list[str]
) -> None:
    assert reorder(api, brand, ["d", "c", "a", "b"]) == ["d", "c", "a", "b"]
    listed = list_fields(api, brand)
    assert [(f["key"], f["sortOrder"]) for f in listed] == [("d", 0), ("c", 1), ("a", 2), ("b", 3)]


@pytest.mark.parametrize(
    ("partial", "expected"),
    [
        (["d", "b"], ["a", "d", "c", "b"]),
        (["c", "a"], ["c", "b", "a", "d"]),
        (["b"], ["a", "b", "c", "d"]),
    ],
)
def test_a_partial_list_permutes_its_members_among_the_slots_they_hold(
    api: Api, brand: Json, four: list[str], partial: list[str], expected: list[str]
) -> None:
    assert reorder(api, brand, partial) == expected
    assert keys(api, brand) == expected


def test_reorder_touches_one_entity_type_and_records_each_moved_field(
    api: Api, brand: Json, session: Session, four: list[str]
) -> None:
    contact_before = list_fields(api, brand, "contact")

    reorder(api, brand, ["b", "a"], "ticket")

    assert list_fields(api, brand, "contact") == contact_before
    moved = activity(session, brand["id"], event="field.updated")
    assert sorted((e.metadata_ or {})["key"] for e in moved) == ["a", "b"]


def test_the_customer_alias_reorders_contact_fields(api: Api, brand: Json, four: list[str]) -> None:
    make_field(api, brand, "contact", key="b", label="Contact B")
    assert reorder(api, brand, ["b", "a"], "customer") == ["b", "a"]
    assert keys(api, brand, "contact") == ["b", "a"]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"keys": []}, "validation_error"),
        ({"keys": ["a", "a"]}, "validation_error"),
        ({"keys": "a"}, "validation_error"),
        ({}, "validation_error"),
        ({"keys": ["a", "zz"]}, "validation_error"),
    ],
)
def test_a_bad_reorder_is_422_and_changes_nothing(
    api: Api, brand: Json, session: Session, four: list[str], body: Json, code: str
) -> None:
    before, rows = everything(api, brand), count_rows(session, brand["id"])

    response = api.post(fields_path(brand, "/ticket/reorder"), json=body)

    assert error_fields(assert_problem(response, 422, code)) == {"keys"}
    assert everything(api, brand) == before
    assert count_rows(session, brand["id"]) == rows


def test_keys_of_another_brand_are_unknown_here(
    api: Api, brand: Json, session: Session, four: list[str]
) -> None:
    sibling = api.ok("post", "/brands", 201, json={"name": "Acme Outlet"})
    make_field(api, sibling, key="only_there", label="Only there")
    before, rows = everything(api, brand), count_rows(session, brand["id"])

    response = api.post(fields_path(brand, "/ticket/reorder"), json={"keys": ["only_there", "a"]})

    assert "only_there" in assert_problem(response, 422, "validation_error")["message"]
    assert everything(api, brand) == before
    assert count_rows(session, brand["id"]) == rows

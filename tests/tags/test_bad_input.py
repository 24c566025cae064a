"""Refused input and isolation for tags: problem+json with a stable code, nothing changed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy.orm import Session

from tests.categories.helpers import Json, count_rows
from tests.conftest import Api
from tests.statuses.helpers import assert_problem, error_fields
from tests.tags.helpers import list_tags, make_tag, tags_path


@pytest.fixture
def unchanged(api: Api, brand: Json, session: Session, bug: Json) -> Iterator[None]:
    before, rows = list_tags(api, brand), count_rows(session, brand["id"])
    yield
    assert list_tags(api, brand) == before
    assert count_rows(session, brand["id"]) == rows


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 51}, "name"),
        ({"name": "İ" * 30}, "name"),  # lowercases to 60 characters
        ({"name": None}, "name"),
        ({"name": ["a"]}, "name"),
        ({"name": "tab\there"}, "name"),
        ({"name": "nul\x00"}, "name"),
        ({"name": "ok", "color": "yellow"}, "color"),
        ({"name": "ok", "color": "#fff"}, "color"),
        ({"name": "ok", "ticketCount": 1}, "ticketCount"),
    ],
)
def test_create_refuses_bad_fields_naming_them(
    api: Api, brand: Json, unchanged: None, body: Json, field: str
) -> None:
    response = api.post(tags_path(brand), json=body)
    assert error_fields(assert_problem(response, 422, "validation_error")) == {field}


@pytest.mark.parametrize("name", ["VIP", "vip", "Vip", "  vIP  ", "BUG"])
def test_create_refuses_a_name_taken_without_regard_to_case(
    api: Api, brand: Json, vip: Json, unchanged: None, name: str
) -> None:
    assert_problem(api.post(tags_path(brand), json={"name": name}), 409, "tag_exists")


@pytest.mark.parametrize(
    "body", [{"name": None}, {"name": ""}, {"name": "x" * 51}, {"color": "red"}, {"id": "tag_x"}]
)
def test_update_refuses_bad_fields(
    api: Api, brand: Json, bug: Json, unchanged: None, body: Json
) -> None:
    response = api.patch(tags_path(brand, f"/{bug['id']}"), json=body)
    assert error_fields(assert_problem(response, 422, "validation_error")) == set(body)


def test_a_rename_to_a_name_of_another_tag_is_409(
    api: Api, brand: Json, vip: Json, bug: Json, unchanged: None
) -> None:
    response = api.patch(tags_path(brand, f"/{bug['id']}"), json={"name": " vip "})
    assert_problem(response, 409, "tag_exists")


def _calls(path: str) -> list[tuple[str, str, Json | None]]:
    return [
        ("get", path, None),
        ("patch", path, {"name": "Hijacked"}),
        ("delete", path, None),
        ("post", f"{path}/merge", {"sourceTagIds": ["tag_whatever"]}),
    ]


def _call(api: Api, method: str, path: str, body: Json | None) -> Any:
    return getattr(api, method)(path, json=body) if body is not None else getattr(api, method)(path)


def test_another_account_gets_404_for_everything(
    api: Api, brand: Json, other_api: Api, other_brand: Json, bug: Json, unchanged: None
) -> None:
    for method, path, body in _calls(tags_path(brand, f"/{bug['id']}")):
        assert_problem(_call(other_api, method, path, body), 404, "brand_not_found")
    for method, path, body in _calls(tags_path(other_brand, f"/{bug['id']}")):
        assert_problem(_call(other_api, method, path, body), 404, "tag_not_found")
    for method, path, body in [
        ("get", tags_path(brand), None),
        ("get", tags_path(brand, "/stats"), None),
        ("post", tags_path(brand), {"name": "spam"}),
        ("post", tags_path(brand, "/merge"), {"sourceTagIds": [bug["id"]], "targetTagId": "x"}),
    ]:
        assert_problem(_call(other_api, method, path, body), 404, "brand_not_found")
    assert other_api.ok("get", tags_path(other_brand)) == []


def test_a_tag_of_another_brand_of_the_account_is_404_through_this_brand(
    api: Api, brand: Json, session: Session, sibling_brand: Json
) -> None:
    theirs = make_tag(api, sibling_brand, "outlet")
    before, rows = list_tags(api, sibling_brand), count_rows(session, sibling_brand["id"])

    for method, path, body in _calls(tags_path(brand, f"/{theirs['id']}")):
        assert_problem(_call(api, method, path, body), 404, "tag_not_found")

    assert list_tags(api, sibling_brand) == before
    assert count_rows(session, sibling_brand["id"]) == rows

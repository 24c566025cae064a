"""Refused input and isolation: every case answers problem+json with a stable code, and
nothing changes (categories listed again, no event or activity entry written)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy.orm import Session

from tests.categories.helpers import (
    Json,
    categories_path,
    count_rows,
    list_categories,
    make_category,
)
from tests.conftest import Api
from tests.statuses.helpers import assert_problem, error_fields


@pytest.fixture
def unchanged(api: Api, brand: Json, session: Session, shipping: Json) -> Iterator[None]:
    """Snapshot the brand's categories, events and activity; compare after the test."""
    before, rows = list_categories(api, brand), count_rows(session, brand["id"])
    yield
    assert list_categories(api, brand) == before
    assert count_rows(session, brand["id"]) == rows


# --- Create -------------------------------------------------------------------------------


@pytest.mark.parametrize("color", ["red", "#12345", "#gggggg", "8b5cf6", "#8b5cf6ff", "", 12])
def test_create_refuses_an_invalid_color(
    api: Api, brand: Json, unchanged: None, color: Any
) -> None:
    response = api.post(categories_path(brand), json={"name": "New", "color": color})
    assert error_fields(assert_problem(response, 422, "validation_error")) == {"color"}


@pytest.mark.parametrize(
    "key", ["Billing", "in-progress", "in progress", "a" * 51, "ü", "", "x.y", 7]
)
def test_create_refuses_an_invalid_key(api: Api, brand: Json, unchanged: None, key: Any) -> None:
    response = api.post(categories_path(brand), json={"name": "New", "key": key})
    assert error_fields(assert_problem(response, 422, "validation_error")) == {"key"}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"name": None}, "name"),
        ({"name": 5}, "name"),
        ({"name": "New", "description": "d" * 1001}, "description"),
        ({"name": "New", "sortOrder": -1}, "sortOrder"),
        ({"name": "New", "sortOrder": "first"}, "sortOrder"),
        ({"name": "New", "ticketCount": 3}, "ticketCount"),
        ({"name": "New", "brandId": "br_other"}, "brandId"),
        ({"name": "New\x00"}, "name"),
    ],
)
def test_create_refuses_bad_fields_naming_them(
    api: Api, brand: Json, unchanged: None, body: Json, field: str
) -> None:
    response = api.post(categories_path(brand), json=body)
    assert field in error_fields(assert_problem(response, 422, "validation_error"))


@pytest.mark.parametrize("key", ["billing", "shipping"])
def test_create_refuses_a_key_taken_by_a_live_category(
    api: Api, brand: Json, billing: Json, unchanged: None, key: str
) -> None:
    response = api.post(categories_path(brand), json={"name": "Something new", "key": key})
    assert key in assert_problem(response, 409, "category_key_taken")["message"]


@pytest.mark.parametrize("name", ["Shipping", "shipping", "SHIPPING", "  Shipping  "])
def test_create_refuses_a_name_taken_without_regard_to_case(
    api: Api, brand: Json, unchanged: None, name: str
) -> None:
    response = api.post(categories_path(brand), json={"name": name})
    assert_problem(response, 409, "category_name_taken")


def test_a_body_that_is_not_json_is_400(api: Api, brand: Json, unchanged: None) -> None:
    response = api.post(
        categories_path(brand), content=b"{name", headers={"content-type": "application/json"}
    )
    assert_problem(response, 400, "invalid_json")


# --- Update -------------------------------------------------------------------------------


def test_the_key_cannot_change(api: Api, brand: Json, shipping: Json, unchanged: None) -> None:
    response = api.patch(categories_path(brand, f"/{shipping['id']}"), json={"key": "parcels"})
    assert error_fields(assert_problem(response, 422, "category_key_immutable")) == {"key"}


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({"name": None}, "name", "validation_error"),
        ({"name": ""}, "name", "validation_error"),
        ({"color": "blue"}, "color", "validation_error"),
        ({"sortOrder": -2}, "sortOrder", "validation_error"),
        ({"id": "cat_other"}, "id", "validation_error"),
        ({"description": "d" * 1001}, "description", "validation_error"),
    ],
)
def test_update_refuses_bad_fields(
    api: Api, brand: Json, shipping: Json, unchanged: None, body: Json, field: str, code: str
) -> None:
    response = api.patch(categories_path(brand, f"/{shipping['id']}"), json=body)
    assert field in error_fields(assert_problem(response, 422, code))


def test_update_refuses_a_name_of_another_category(
    api: Api, brand: Json, billing: Json, shipping: Json, unchanged: None
) -> None:
    response = api.patch(categories_path(brand, f"/{shipping['id']}"), json={"name": "BILLING"})
    assert_problem(response, 409, "category_name_taken")


def test_the_stats_format_must_be_list_or_map(api: Api, brand: Json, unchanged: None) -> None:
    response = api.get(categories_path(brand, "/stats"), params={"format": "csv"})
    assert error_fields(assert_problem(response, 422, "validation_error")) == {"format"}


# --- Isolation ----------------------------------------------------------------------------


def _calls(path: str) -> list[tuple[str, str, Json | None]]:
    return [
        ("get", path, None),
        ("patch", path, {"name": "Hijacked"}),
        ("delete", path, None),
    ]


def _call(api: Api, method: str, path: str, body: Json | None) -> Any:
    return getattr(api, method)(path, json=body) if body is not None else getattr(api, method)(path)


def test_another_account_gets_404_for_everything(
    api: Api,
    brand: Json,
    other_api: Api,
    other_brand: Json,
    shipping: Json,
    unchanged: None,
) -> None:
    own = categories_path(brand, f"/{shipping['id']}")
    through_theirs = categories_path(other_brand, f"/{shipping['id']}")
    for method, path, body in _calls(own):
        assert_problem(_call(other_api, method, path, body), 404, "brand_not_found")
    for method, path, body in _calls(through_theirs):
        assert_problem(_call(other_api, method, path, body), 404, "category_not_found")
    for method, path, body in [
        ("get", categories_path(brand), None),
        ("get", categories_path(brand, "/stats"), None),
        ("post", categories_path(brand), {"name": "Spam"}),
        ("post", categories_path(brand, "/reorder"), {"categoryIds": [shipping["id"]]}),
    ]:
        assert_problem(_call(other_api, method, path, body), 404, "brand_not_found")
    # Their own brand knows nothing of ours.
    assert other_api.ok("get", categories_path(other_brand)) == []
    assert_problem(
        other_api.post(
            categories_path(other_brand, "/reorder"), json={"categoryIds": [shipping["id"]]}
        ),
        422,
        "unknown_category",
    )


def test_a_category_of_another_brand_of_the_account_is_404_through_this_brand(
    api: Api, brand: Json, session: Session, sibling_brand: Json, shipping: Json
) -> None:
    theirs = make_category(api, sibling_brand, name="Outlet only")
    before, rows = list_categories(api, sibling_brand), count_rows(session, sibling_brand["id"])

    for method, path, body in _calls(categories_path(brand, f"/{theirs['id']}")):
        assert_problem(_call(api, method, path, body), 404, "category_not_found")

    assert list_categories(api, sibling_brand) == before
    assert count_rows(session, sibling_brand["id"]) == rows


def test_a_brand_scoped_key_gets_404_outside_its_brand(
    api: Api, brand: Json, shipping: Json, unchanged: None
) -> None:
    allowed = api.ok("post", "/brands", 201, json={"name": "Allowed Brand"})
    issued = api.ok(
        "post", "/accounts/me/api-keys", 201, json={"name": "Scoped", "brandIds": [allowed["id"]]}
    )
    scoped = Api(api.client, issued["key"], api.account_id)

    assert_problem(scoped.get(categories_path(brand)), 404, "brand_not_found")
    assert_problem(
        scoped.patch(categories_path(brand, f"/{shipping['id']}"), json={"name": "X"}),
        404,
        "brand_not_found",
    )
    assert scoped.ok("get", categories_path(allowed)) == []


def test_without_a_key_the_categories_api_is_401(api: Api, brand: Json, unchanged: None) -> None:
    response = api.client.get(f"/v1{categories_path(brand)}")
    assert_problem(response, 401, "authentication_error")

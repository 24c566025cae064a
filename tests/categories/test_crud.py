"""Categories: create, read, list, change; keys (given or derived, immutable, unique among
live categories) and names (unique without regard to case); activity entries and events."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session

from tests.categories.helpers import (
    Json,
    activity,
    categories_path,
    events_of_type,
    list_categories,
    make_category,
    names,
)
from tests.conftest import Api
from tests.statuses.helpers import assert_problem


def test_create_returns_the_category_with_every_field(
    api: Api, brand: Json, frozen_clock: Any
) -> None:
    created = make_category(
        api, brand, name="Billing", key="billing", color="#22C55E", description="Invoices"
    )

    assert created["id"].startswith("cat_")
    assert created == {
        "id": created["id"],
        "brandId": brand["id"],
        "key": "billing",
        "name": "Billing",
        "color": "#22c55e",
        "description": "Invoices",
        "sortOrder": 0,
        "createdAt": "2026-01-15T09:00:00Z",
        "updatedAt": "2026-01-15T09:00:00Z",
    }


def test_a_created_category_is_listed_and_can_be_fetched(
    api: Api, brand: Json, billing: Json
) -> None:
    assert list_categories(api, brand) == [billing]
    assert api.ok("get", categories_path(brand, f"/{billing['id']}")) == billing


def test_color_and_description_are_optional(api: Api, brand: Json) -> None:
    created = make_category(api, brand, name="General")
    assert (created["color"], created["description"]) == (None, None)


def test_a_brand_without_categories_lists_none(api: Api, brand: Json) -> None:
    assert list_categories(api, brand) == []


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Billing & Payments", "billing_payments"),
        ("  Tier-1 Support  ", "tier_1_support"),
        ("Customer's Issues", "customers_issues"),
        ("Über Größe", "uber_grosse"),
        ("Bugs 2.0", "bugs_2_0"),
        ("!!!", "category"),
        ("x" * 100, "x" * 50),
    ],
)
def test_the_key_is_derived_from_the_name_when_omitted(
    api: Api, brand: Json, name: str, key: str
) -> None:
    assert make_category(api, brand, name=name)["key"] == key


def test_a_derived_key_that_is_taken_gets_the_next_free_suffix(api: Api, brand: Json) -> None:
    first = make_category(api, brand, name="Billing Payments")
    second = make_category(api, brand, name="Billing & Payments")
    third = make_category(api, brand, name="Billing - Payments")

    assert [first["key"], second["key"], third["key"]] == [
        "billing_payments",
        "billing_payments_2",
        "billing_payments_3",
    ]


def test_a_suffixed_derived_key_stays_within_fifty_characters(api: Api, brand: Json) -> None:
    make_category(api, brand, name="a" * 60)
    second = make_category(api, brand, name="a" * 61)
    assert second["key"] == "a" * 48 + "_2"


def test_a_given_key_is_kept_as_given(api: Api, brand: Json) -> None:
    created = make_category(api, brand, name="Billing & Payments", key="billing")
    assert created["key"] == "billing"


def test_new_categories_go_last(api: Api, brand: Json, returns: Json) -> None:
    assert names(api, brand) == ["Billing", "Shipping", "Returns"]
    assert [c["sortOrder"] for c in list_categories(api, brand)] == [0, 1, 2]


@pytest.mark.parametrize(
    ("sort_order", "expected"),
    [
        (0, ["New", "Billing", "Shipping", "Returns"]),
        (1, ["Billing", "New", "Shipping", "Returns"]),
        (3, ["Billing", "Shipping", "Returns", "New"]),
        (99, ["Billing", "Shipping", "Returns", "New"]),
    ],
)
def test_a_sort_order_on_create_places_the_category_there(
    api: Api, brand: Json, returns: Json, sort_order: int, expected: list[str]
) -> None:
    created = make_category(api, brand, name="New", sortOrder=sort_order)

    listed = list_categories(api, brand)
    assert [c["name"] for c in listed] == expected
    assert [c["sortOrder"] for c in listed] == [0, 1, 2, 3]
    assert created["sortOrder"] == expected.index("New")


def test_patch_changes_name_color_and_description(
    api: Api, brand: Json, billing: Json, frozen_clock: Any
) -> None:
    frozen_clock.advance(minutes=5)
    updated = api.ok(
        "patch",
        categories_path(brand, f"/{billing['id']}"),
        json={"name": "Invoices", "color": "#3B82F6", "description": "Money matters"},
    )

    assert (updated["name"], updated["color"], updated["description"]) == (
        "Invoices",
        "#3b82f6",
        "Money matters",
    )
    assert updated["key"] == "billing"
    assert updated["updatedAt"] == "2026-01-15T09:05:00Z"
    assert updated["createdAt"] == billing["createdAt"]
    assert api.ok("get", categories_path(brand, f"/{billing['id']}")) == updated


def test_patch_with_null_clears_color_and_description(
    api: Api, brand: Json, shipping: Json
) -> None:
    path = categories_path(brand, f"/{shipping['id']}")
    api.ok("patch", path, json={"color": "#111111"})

    updated = api.ok("patch", path, json={"color": None, "description": None})

    assert (updated["color"], updated["description"]) == (None, None)


def test_patch_accepts_the_unchanged_key(api: Api, brand: Json, billing: Json) -> None:
    updated = api.ok(
        "patch", categories_path(brand, f"/{billing['id']}"), json={"key": "billing", "name": "B"}
    )
    assert (updated["key"], updated["name"]) == ("billing", "B")


def test_a_category_can_be_renamed_to_its_own_name_in_another_case(
    api: Api, brand: Json, billing: Json
) -> None:
    updated = api.ok("patch", categories_path(brand, f"/{billing['id']}"), json={"name": "BILLING"})
    assert updated["name"] == "BILLING"


@pytest.mark.parametrize(
    ("sort_order", "expected"),
    [
        (0, ["Returns", "Billing", "Shipping"]),
        (1, ["Billing", "Returns", "Shipping"]),
        (50, ["Billing", "Shipping", "Returns"]),
    ],
)
def test_patch_sort_order_moves_the_category(
    api: Api, brand: Json, returns: Json, sort_order: int, expected: list[str]
) -> None:
    api.ok("patch", categories_path(brand, f"/{returns['id']}"), json={"sortOrder": sort_order})

    listed = list_categories(api, brand)
    assert [c["name"] for c in listed] == expected
    assert [c["sortOrder"] for c in listed] == [0, 1, 2]


def test_a_patch_that_changes_nothing_writes_nothing(
    api: Api, brand: Json, session: Session, billing: Json
) -> None:
    path = categories_path(brand, f"/{billing['id']}")

    assert api.ok("patch", path, json={"name": "Billing", "color": "#22c55e"}) == billing
    assert api.ok("patch", path, json={}) == billing
    assert events_of_type(session, brand["id"], "category.updated") == []


def test_create_and_update_write_an_activity_entry_and_an_event(
    api: Api, brand: Json, session: Session, billing: Json
) -> None:
    api.ok("patch", categories_path(brand, f"/{billing['id']}"), json={"name": "Invoices"})

    (created,) = events_of_type(session, brand["id"], "category.created")
    assert created.data["id"] == billing["id"]
    assert created.data["key"] == "billing"
    (updated,) = events_of_type(session, brand["id"], "category.updated")
    assert updated.data["name"] == "Invoices"
    assert updated.data["changes"] == ["name"]
    assert updated.data["previous"] == {"name": "Billing"}

    entries = activity(session, brand["id"], entity_type="category", entity_id=billing["id"])
    assert [e.event for e in entries] == ["category.created", "category.updated"]
    assert entries[1].changes == {"name": {"old": "Billing", "new": "Invoices"}}
    assert entries[1].performed_by["type"] == "api"


def test_the_activity_log_api_lists_category_entries(api: Api, brand: Json, billing: Json) -> None:
    logs = api.ok("get", f"/brands/{brand['id']}/logs", params={"entityType": "category"})["data"]
    assert [(e["event"], e["entityId"]) for e in logs] == [("category.created", billing["id"])]


def test_the_key_and_name_of_a_deleted_category_can_be_used_again(
    api: Api, brand: Json, billing: Json
) -> None:
    api.ok("delete", categories_path(brand, f"/{billing['id']}"), 204)

    again = make_category(api, brand, name="billing", key="billing")

    assert again["id"] != billing["id"]
    assert [c["key"] for c in list_categories(api, brand)] == ["billing"]


def test_the_same_name_and_key_may_exist_in_two_brands(
    api: Api, brand: Json, sibling_brand: Json, billing: Json
) -> None:
    other = make_category(api, sibling_brand, name="Billing", key="billing")
    assert other["brandId"] == sibling_brand["id"]
    assert names(api, brand) == names(api, sibling_brand) == ["Billing"]


def test_an_unknown_category_is_404(api: Api, brand: Json) -> None:
    assert_problem(api.get(categories_path(brand, "/cat_nope")), 404, "category_not_found")

"""Custom field definitions: create, list (per entity type and all at once), get, change,
delete; defaults, the deprecated `visible`, the `customer` alias; activity and events."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session

from tests.categories.helpers import Json, activity, events_of_type
from tests.conftest import Api, make_ticket
from tests.fields.helpers import everything, fields_path, keys, list_fields, make_field
from tests.statuses.helpers import assert_problem


def test_create_returns_the_definition_with_its_defaults(
    api: Api, brand: Json, frozen_clock: Any
) -> None:
    created = make_field(api, brand)

    assert created["id"].startswith("fld_")
    assert created == {
        "id": created["id"],
        "brandId": brand["id"],
        "entityType": "ticket",
        "key": "order_number",
        "label": "Order number",
        "type": "text",
        "required": False,
        "defaultValue": None,
        "description": None,
        "placeholder": None,
        "options": None,
        "showOnCreate": True,
        "showInTable": False,
        "showInDetail": True,
        "portalVisible": False,
        "visible": True,
        "sortOrder": 0,
        "source": None,
        "createdAt": "2026-01-15T09:00:00Z",
        "updatedAt": "2026-01-15T09:00:00Z",
    }
    assert api.ok("get", fields_path(brand, "/ticket/order_number")) == created
    assert list_fields(api, brand) == [created]


def test_create_keeps_every_given_field(api: Api, brand: Json) -> None:
    created = make_field(
        api,
        brand,
        key="tier",
        label="Tier",
        type="multiselect",
        required=True,
        defaultValue=["gold"],
        description="Support tier",
        placeholder="Pick tiers",
        options=[" gold ", "silver"],
        showOnCreate=False,
        showInTable=True,
        showInDetail=False,
        portalVisible=True,
        source="crm",
    )

    assert {k: created[k] for k in created if k not in ("id", "createdAt", "updatedAt")} == {
        "brandId": brand["id"],
        "entityType": "ticket",
        "key": "tier",
        "label": "Tier",
        "type": "multiselect",
        "required": True,
        "defaultValue": ["gold"],
        "description": "Support tier",
        "placeholder": "Pick tiers",
        "options": ["gold", "silver"],
        "showOnCreate": False,
        "showInTable": True,
        "showInDetail": False,
        "portalVisible": True,
        "visible": True,
        "sortOrder": 0,
        "source": "crm",
    }


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"visible": False}, (False, False, False)),
        ({"visible": True}, (True, True, True)),
        ({"visible": False, "showInTable": True}, (False, True, False)),
        ({"visible": True, "showOnCreate": False}, (False, True, True)),
    ],
)
def test_the_deprecated_visible_stands_for_the_toggles_not_given(
    api: Api, brand: Json, body: Json, expected: tuple[bool, bool, bool]
) -> None:
    created = make_field(api, brand, **body)
    assert (created["showOnCreate"], created["showInTable"], created["showInDetail"]) == expected
    assert created["visible"] is any(expected)


def test_visible_in_a_patch_sets_the_toggles_not_given(
    api: Api, brand: Json, order_number: Json
) -> None:
    path = fields_path(brand, "/ticket/order_number")
    hidden = api.ok("patch", path, json={"visible": False})
    assert (hidden["showOnCreate"], hidden["showInTable"], hidden["showInDetail"]) == (
        False,
        False,
        False,
    )
    assert hidden["visible"] is False
    shown = api.ok("patch", path, json={"visible": True, "showInTable": False})
    assert (shown["showOnCreate"], shown["showInTable"], shown["showInDetail"]) == (
        True,
        False,
        True,
    )


@pytest.mark.parametrize("alias", ["contact", "customer"])
def test_customer_is_another_name_for_contact(api: Api, brand: Json, alias: str) -> None:
    created = make_field(api, brand, alias, key="crm_id", label="CRM id")

    assert created["entityType"] == "contact"
    assert list_fields(api, brand, "contact") == list_fields(api, brand, "customer") == [created]
    assert api.ok("get", fields_path(brand, "/customer/crm_id")) == created
    assert list_fields(api, brand, "ticket") == []


def test_all_definitions_come_grouped_by_entity_type(
    api: Api, brand: Json, order_number: Json, plan: Json
) -> None:
    contact = make_field(api, brand, "contact", key="crm_id", label="CRM id")
    company = make_field(api, brand, "company", key="industry", label="Industry")

    assert everything(api, brand) == {
        "ticket": [order_number, plan],
        "contact": [contact],
        "customer": [contact],
        "company": [company],
    }


def test_a_brand_without_definitions_has_empty_lists(api: Api, brand: Json) -> None:
    assert everything(api, brand) == {"ticket": [], "contact": [], "customer": [], "company": []}


def test_keys_are_unique_per_entity_type_only(api: Api, brand: Json, order_number: Json) -> None:
    for entity_type in ("contact", "company"):
        assert make_field(api, brand, entity_type)["key"] == "order_number"
    assert keys(api, brand, "ticket") == ["order_number"]


def test_requester_keys_are_reserved_for_tickets_only(api: Api, brand: Json) -> None:
    made = make_field(api, brand, "contact", key="requesteremail", label="Requester")
    assert made["entityType"] == "contact"


def test_new_definitions_go_last_unless_sort_order_says_where(
    api: Api, brand: Json, plan: Json
) -> None:
    make_field(api, brand, key="last", label="Last")
    make_field(api, brand, key="first", label="First", sortOrder=0)
    make_field(api, brand, key="second", label="Second", sortOrder=1)

    listed = list_fields(api, brand)
    assert [f["key"] for f in listed] == ["first", "second", "order_number", "plan", "last"]
    assert [f["sortOrder"] for f in listed] == [0, 1, 2, 3, 4]


def test_patch_changes_what_it_names_and_keeps_the_rest(
    api: Api, brand: Json, plan: Json, frozen_clock: Any
) -> None:
    frozen_clock.advance(hours=1)
    updated = api.ok(
        "patch",
        fields_path(brand, "/ticket/plan"),
        json={
            "label": "Subscription plan",
            "options": ["free", "pro", "team"],
            "defaultValue": "team",
            "required": True,
            "description": "From billing",
            "showInTable": True,
        },
    )

    assert updated == {
        **plan,
        "label": "Subscription plan",
        "options": ["free", "pro", "team"],
        "defaultValue": "team",
        "required": True,
        "description": "From billing",
        "showInTable": True,
        "updatedAt": "2026-01-15T10:00:00Z",
    }
    assert api.ok("get", fields_path(brand, "/ticket/plan")) == updated


def test_patch_with_null_clears_optional_fields(api: Api, brand: Json, plan: Json) -> None:
    updated = api.ok(
        "patch",
        fields_path(brand, "/ticket/plan"),
        json={"defaultValue": None, "description": None, "placeholder": None, "source": None},
    )
    assert (updated["defaultValue"], updated["description"], updated["source"]) == (
        None,
        None,
        None,
    )


def test_changing_the_type_away_from_select_drops_the_options(
    api: Api, brand: Json, plan: Json
) -> None:
    updated = api.ok(
        "patch", fields_path(brand, "/ticket/plan"), json={"type": "text", "defaultValue": "x"}
    )
    assert (updated["type"], updated["options"], updated["defaultValue"]) == ("text", None, "x")


def test_changing_select_to_multiselect_keeps_options_and_needs_a_fitting_default(
    api: Api, brand: Json, plan: Json
) -> None:
    path = fields_path(brand, "/ticket/plan")
    problem = assert_problem(api.patch(path, json={"type": "multiselect"}), 422, "validation_error")
    assert problem["errors"][0]["field"] == "defaultValue"
    updated = api.ok("patch", path, json={"type": "multiselect", "defaultValue": ["pro"]})
    assert (updated["options"], updated["defaultValue"]) == (plan["options"], ["pro"])


def test_patch_accepts_the_unchanged_key(api: Api, brand: Json, plan: Json) -> None:
    updated = api.ok("patch", fields_path(brand, "/ticket/plan"), json={"key": "plan"})
    assert updated == plan


def test_patch_sort_order_moves_the_definition(api: Api, brand: Json, plan: Json) -> None:
    moved = api.ok("patch", fields_path(brand, "/ticket/plan"), json={"sortOrder": 0})
    assert moved["sortOrder"] == 0
    assert keys(api, brand) == ["plan", "order_number"]


def test_delete_removes_the_definition_and_frees_its_key(
    api: Api, brand: Json, order_number: Json, plan: Json
) -> None:
    assert api.ok("delete", fields_path(brand, "/ticket/order_number"), 204) is None

    assert_problem(api.get(fields_path(brand, "/ticket/order_number")), 404, "field_not_found")
    assert [(f["key"], f["sortOrder"]) for f in list_fields(api, brand)] == [("plan", 0)]
    again = make_field(api, brand)
    assert again["id"] != order_number["id"]


def test_values_already_stored_stay_after_the_definition_is_deleted(
    api: Api, brand: Json, order_number: Json
) -> None:
    ticket = make_ticket(api, brand, customFields={"order_number": "A-1"})

    api.ok("delete", fields_path(brand, "/ticket/order_number"), 204)

    got = api.ok("get", f"/brands/{brand['id']}/tickets/{ticket['id']}")
    assert got["customFields"] == {"order_number": "A-1"}


def test_changes_write_activity_entries_and_events(
    api: Api, brand: Json, session: Session, order_number: Json
) -> None:
    path = fields_path(brand, "/ticket/order_number")
    api.ok("patch", path, json={"label": "Order #"})
    api.ok("delete", path, 204)

    entries = activity(session, brand["id"], entity_type="field")
    assert [e.event for e in entries] == ["field.created", "field.updated", "field.deleted"]
    assert {e.entity_id for e in entries} == {order_number["id"]}
    assert entries[1].changes == {"label": {"old": "Order number", "new": "Order #"}}
    assert entries[0].metadata_ == {"entityType": "ticket", "key": "order_number"}
    (created,) = events_of_type(session, brand["id"], "field.created")
    assert created.data == order_number
    (updated,) = events_of_type(session, brand["id"], "field.updated")
    assert (updated.data["label"], updated.data["changes"], updated.data["previous"]) == (
        "Order #",
        ["label"],
        {"label": "Order number"},
    )
    (deleted,) = events_of_type(session, brand["id"], "field.deleted")
    assert (deleted.data["id"], deleted.data["key"]) == (order_number["id"], "order_number")


def test_a_patch_that_changes_nothing_writes_nothing(
    api: Api, brand: Json, session: Session, plan: Json
) -> None:
    path = fields_path(brand, "/ticket/plan")
    assert api.ok("patch", path, json={"label": "Plan", "options": plan["options"]}) == plan
    assert api.ok("patch", path, json={}) == plan
    assert events_of_type(session, brand["id"], "field.updated") == []


@pytest.mark.parametrize(
    ("field_type", "extra", "default", "stored"),
    [
        ("text", {}, "n/a", "n/a"),
        ("number", {}, 3.5, 3.5),
        ("boolean", {}, False, False),
        ("date", {}, "2026-03-01", "2026-03-01"),
        ("date", {}, "2026-03-01T10:00:00+02:00", "2026-03-01T08:00:00Z"),
        ("select", {"options": ["a", "b"]}, "b", "b"),
        ("multiselect", {"options": ["a", "b"]}, ["b", "a"], ["b", "a"]),
        ("url", {}, "https://example.com/x", "https://example.com/x"),
        ("array", {}, [1, "two"], [1, "two"]),
        ("object", {}, {"nested": {"ok": True}}, {"nested": {"ok": True}}),
    ],
)
def test_a_default_value_of_every_type_is_stored_as_checked(
    api: Api, brand: Json, field_type: str, extra: Json, default: Any, stored: Any
) -> None:
    created = make_field(
        api, brand, key="f", label="F", type=field_type, defaultValue=default, **extra
    )
    assert created["defaultValue"] == stored

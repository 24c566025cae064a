"""A brand's ticket schema (§3.3 `ticketSchema`, `GET/PUT /brands/:id/schema`): a JSON
Schema (draft 2020-12) for ticket customFields, set on create, update or PUT, refused
when it is no valid schema, and recorded in the activity log when it changes."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Api
from tests.contacts.helpers import assert_problem, error_fields

Json = dict[str, Any]
ORDER_SCHEMA: Json = {
    "type": "object",
    "properties": {"orderId": {"type": "string", "pattern": "^ORD-"}},
    "required": ["orderId"],
}
OTHER_SCHEMA: Json = {"type": "object", "properties": {"quantity": {"type": "integer"}}}
INVALID_SCHEMAS = [
    {"type": "nope"},
    {"properties": {"quantity": {"minimum": "one"}}},
    {"required": "orderId"},
    {"properties": {"orderId": {"pattern": "("}}},
]


def schema_path(brand: Json) -> str:
    return f"/brands/{brand['id']}/schema"


def schema_entries(api: Api, brand: Json) -> list[Json]:
    page = api.ok("get", f"/brands/{brand['id']}/logs", params={"entityType": "brand"})
    return list(page["data"])


def test_a_brand_has_no_ticket_schema_until_one_is_set(api: Api, brand: Json) -> None:
    assert brand["ticketSchema"] is None
    assert api.ok("get", schema_path(brand)) is None


def test_the_ticket_schema_is_accepted_on_create_and_update_and_returned(api: Api) -> None:
    created = api.ok("post", "/brands", 201, json={"name": "Shop", "ticketSchema": ORDER_SCHEMA})
    assert created["ticketSchema"] == ORDER_SCHEMA
    assert api.ok("get", schema_path(created)) == ORDER_SCHEMA

    updated = api.ok("patch", f"/brands/{created['id']}", json={"ticketSchema": OTHER_SCHEMA})
    assert updated["ticketSchema"] == OTHER_SCHEMA
    assert api.ok("get", f"/brands/{created['id']}")["ticketSchema"] == OTHER_SCHEMA

    cleared = api.ok("patch", f"/brands/{created['id']}", json={"ticketSchema": None})
    assert cleared["ticketSchema"] is None


def test_put_schema_takes_the_schema_itself_and_null_clears_it(api: Api, brand: Json) -> None:
    # As the reference (and its SDK's updateSchema) sends it: the schema object is the body.
    assert api.ok("put", schema_path(brand), json=ORDER_SCHEMA) == ORDER_SCHEMA
    assert api.ok("get", f"/brands/{brand['id']}")["ticketSchema"] == ORDER_SCHEMA
    assert api.ok("get", schema_path(brand)) == ORDER_SCHEMA
    assert api.ok("put", schema_path(brand), json=OTHER_SCHEMA) == OTHER_SCHEMA

    json_null = {"content": b"null", "headers": {"Content-Type": "application/json"}}
    assert api.ok("put", schema_path(brand), **json_null) is None
    assert api.ok("get", schema_path(brand)) is None


@pytest.mark.parametrize("schema", INVALID_SCHEMAS)
def test_an_invalid_schema_is_refused_everywhere(api: Api, brand: Json, schema: Json) -> None:
    api.ok("put", schema_path(brand), json=ORDER_SCHEMA)

    refused = [
        api.post("/brands", json={"name": "Shop", "ticketSchema": schema}),
        api.patch(f"/brands/{brand['id']}", json={"ticketSchema": schema}),
        api.put(schema_path(brand), json=schema),
    ]

    for response in refused:
        assert error_fields(assert_problem(response, 422, "validation_error")) == {"ticketSchema"}
    assert [b["name"] for b in api.ok("get", "/brands")] == ["Acme Store"]
    assert api.ok("get", schema_path(brand)) == ORDER_SCHEMA


@pytest.mark.parametrize("body", [True, ["type"], "object", 3])
def test_put_schema_needs_a_schema_object_or_null(api: Api, brand: Json, body: Any) -> None:
    assert_problem(api.put(schema_path(brand), json=body), 422, "validation_error")
    assert api.ok("get", schema_path(brand)) is None


def test_put_schema_without_a_body_changes_nothing(api: Api, brand: Json) -> None:
    api.ok("put", schema_path(brand), json=ORDER_SCHEMA)
    response = api.put(schema_path(brand), headers={"Content-Type": "application/json"})
    assert response.status_code == 422
    assert api.ok("get", schema_path(brand)) == ORDER_SCHEMA


def test_changing_the_schema_writes_an_activity_entry(api: Api, brand: Json) -> None:
    api.ok("put", schema_path(brand), json=ORDER_SCHEMA)
    api.ok("put", schema_path(brand), json=ORDER_SCHEMA)  # no change
    api.ok("patch", f"/brands/{brand['id']}", json={"ticketSchema": None, "name": "Renamed"})

    entries = schema_entries(api, brand)

    assert [e["event"] for e in entries] == ["brand.updated", "brand.updated"]
    cleared, set_ = entries  # newest first
    assert set_["entityId"] == cleared["entityId"] == brand["id"]
    assert set_["changes"] == {"ticketSchema": {"old": None, "new": ORDER_SCHEMA}}
    assert cleared["changes"] == {"ticketSchema": {"old": ORDER_SCHEMA, "new": None}}
    assert set_["performedBy"]["type"] == "api"


def test_the_schema_routes_are_brand_scoped(api: Api, other_api: Api, brand: Json) -> None:
    assert_problem(other_api.get(schema_path(brand)), 404, "brand_not_found")
    response = other_api.put(schema_path(brand), json=ORDER_SCHEMA)
    assert_problem(response, 404, "brand_not_found")
    assert api.ok("get", schema_path(brand)) is None

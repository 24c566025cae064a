"""The brand's ticket schema is enforced on every ticket write that sets customFields
(create and update; bulk actions set no custom fields), with a field error for every
violation, next to the checks of the field definitions."""

from __future__ import annotations

import urllib.request
from typing import Any

import pytest
from sqlalchemy.orm import Session

from tests.conftest import Api, make_ticket
from tests.fields.helpers import make_field
from tests.tickets.helpers import (
    error_fields,
    get_ticket,
    patch_ticket,
    problem,
    ticket_path,
    ticket_rows,
    tickets_path,
)

Json = dict[str, Any]
ORDER_SCHEMA: Json = {
    "type": "object",
    "properties": {
        "orderId": {"type": "string", "pattern": "^ORD-"},
        "quantity": {"type": "integer", "minimum": 1},
        "items": {"type": "array", "items": {"$ref": "#/$defs/item"}},
    },
    "required": ["orderId"],
    "$defs": {"item": {"type": "object", "properties": {"sku": {"type": "string"}}}},
}


@pytest.fixture
def shop(api: Api, brand: Json) -> Json:
    """The brand with the order schema."""
    api.ok("put", f"/brands/{brand['id']}/schema", json=ORDER_SCHEMA)
    return brand


def test_a_ticket_whose_custom_fields_fit_the_schema_is_created(api: Api, shop: Json) -> None:
    custom = {"orderId": "ORD-7", "quantity": 2, "items": [{"sku": "A1"}], "note": "gift"}

    ticket = make_ticket(api, shop, customFields=custom)

    assert get_ticket(api, shop, ticket)["customFields"] == custom


def test_creating_reports_every_violation_by_its_path_and_creates_nothing(
    api: Api, shop: Json, session: Session
) -> None:
    custom = {"orderId": 7, "quantity": 0, "items": [{"sku": "A1"}, {"sku": 5}]}

    response = api.post(tickets_path(shop), json={"title": "Refund", "customFields": custom})

    body = problem(response, 422, "invalid_custom_fields")
    assert sorted(error_fields(body)) == [
        "customFields.items.1.sku",
        "customFields.orderId",
        "customFields.quantity",
    ]
    assert ticket_rows(session, shop["id"]) == 0


def test_a_missing_required_property_is_reported_at_its_key(api: Api, shop: Json) -> None:
    response = api.post(tickets_path(shop), json={"title": "Refund", "customFields": {}})

    body = problem(response, 422, "invalid_custom_fields")
    assert body["errors"] == [
        {"field": "customFields.orderId", "message": "'orderId' is a required property"}
    ]


def test_a_ticket_that_sets_no_custom_fields_is_not_held_to_the_schema(
    api: Api, shop: Json
) -> None:
    ticket = make_ticket(api, shop)

    assert ticket["customFields"] == {}
    assert patch_ticket(api, shop, ticket, title="Still fine")["title"] == "Still fine"
    result = api.ok(
        "post",
        f"{tickets_path(shop)}/bulk",
        json={"action": "resolve", "ticketIds": [ticket["id"]]},
    )
    assert result["success"] == 1


def test_an_update_of_custom_fields_is_checked_as_merged(api: Api, shop: Json) -> None:
    ticket = make_ticket(api, shop, customFields={"orderId": "ORD-1"})

    too_few = api.patch(ticket_path(shop, ticket), json={"customFields": {"quantity": 0}})
    removed = api.patch(ticket_path(shop, ticket), json={"customFields": {"orderId": None}})
    updated = patch_ticket(api, shop, ticket, customFields={"quantity": 3})

    assert error_fields(problem(too_few, 422, "invalid_custom_fields")) == ["customFields.quantity"]
    assert error_fields(problem(removed, 422, "invalid_custom_fields")) == ["customFields.orderId"]
    assert updated["customFields"] == {"orderId": "ORD-1", "quantity": 3}


def test_schema_and_field_definition_problems_are_reported_together(api: Api, shop: Json) -> None:
    make_field(api, shop, key="score", label="Score", type="number")

    response = api.post(
        tickets_path(shop),
        json={"title": "Refund", "customFields": {"orderId": "X", "score": "high"}},
    )

    body = problem(response, 422, "invalid_custom_fields")
    assert sorted(error_fields(body)) == ["customFields.orderId", "customFields.score"]


def test_without_a_schema_custom_fields_are_not_checked_against_one(api: Api, brand: Json) -> None:
    ticket = make_ticket(api, brand, customFields={"orderId": 7})

    assert ticket["customFields"] == {"orderId": 7}


def test_a_reference_outside_the_schema_is_never_fetched(
    api: Api, brand: Json, monkeypatch: pytest.MonkeyPatch
) -> None:
    fetched: list[Any] = []
    monkeypatch.setattr(urllib.request, "urlopen", lambda *a, **k: fetched.append(a))
    remote = {"properties": {"orderId": {"$ref": "https://schemas.example.com/order.json"}}}
    api.ok("put", f"/brands/{brand['id']}/schema", json=remote)

    response = api.post(
        tickets_path(brand), json={"title": "Refund", "customFields": {"orderId": "ORD-1"}}
    )

    body = problem(response, 422, "invalid_custom_fields")
    assert error_fields(body) == ["customFields"]
    assert "https://schemas.example.com/order.json" in body["errors"][0]["message"]
    assert fetched == []

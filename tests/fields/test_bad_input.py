"""Refused definitions and isolation: problem+json with a stable code, nothing changed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy.orm import Session

from tests.categories.helpers import Json, count_rows
from tests.conftest import Api
from tests.fields.helpers import everything, fields_path, make_field
from tests.statuses.helpers import assert_problem, error_fields


@pytest.fixture
def unchanged(api: Api, brand: Json, session: Session, plan: Json) -> Iterator[None]:
    before, rows = everything(api, brand), count_rows(session, brand["id"])
    yield
    assert everything(api, brand) == before
    assert count_rows(session, brand["id"]) == rows


def create(api: Api, brand: Json, entity_type: str = "ticket", **body: Any) -> Any:
    payload = {"key": "fresh", "label": "Fresh", "type": "text", **body}
    return api.post(fields_path(brand, f"/{entity_type}"), json=payload)


@pytest.mark.parametrize(
    "key", ["Order", "1st", "_x", "order-number", "order number", "a" * 51, "ü", "", 5, None]
)
def test_create_refuses_an_invalid_key(api: Api, brand: Json, unchanged: None, key: Any) -> None:
    response = create(api, brand, key=key)
    assert error_fields(assert_problem(response, 422, "validation_error")) == {"key"}


@pytest.mark.parametrize("key", ["requesterEmail", "requesterName"])
def test_the_built_in_requester_keys_cannot_be_defined_for_tickets(
    api: Api, brand: Json, unchanged: None, key: str
) -> None:
    for variant in (key, key.lower()):
        response = create(api, brand, key=variant)
        assert error_fields(assert_problem(response, 422, "validation_error")) == {"key"}


@pytest.mark.parametrize("key", ["order_number", "plan"])
def test_create_refuses_a_key_the_entity_type_has(
    api: Api, brand: Json, unchanged: None, key: str
) -> None:
    assert key in assert_problem(create(api, brand, key=key), 409, "field_key_taken")["message"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"label": ""}, "label"),
        ({"label": "x" * 101}, "label"),
        ({"label": None}, "label"),
        ({"type": "color"}, "type"),
        ({"type": None}, "type"),
        ({"type": "select"}, "options"),
        ({"type": "multiselect", "options": []}, "options"),
        ({"type": "select", "options": ["a", "a"]}, "options"),
        ({"type": "select", "options": ["a", " "]}, "options"),
        ({"type": "select", "options": ["a", 1]}, "options.1"),
        ({"type": "select", "options": "a,b"}, "options"),
        ({"type": "text", "options": ["a"]}, "options"),
        ({"type": "number", "defaultValue": "3"}, "defaultValue"),
        ({"type": "number", "defaultValue": True}, "defaultValue"),
        ({"type": "boolean", "defaultValue": "yes"}, "defaultValue"),
        ({"type": "date", "defaultValue": "tomorrow"}, "defaultValue"),
        ({"type": "select", "options": ["a"], "defaultValue": "b"}, "defaultValue"),
        ({"type": "multiselect", "options": ["a"], "defaultValue": "a"}, "defaultValue"),
        ({"type": "url", "defaultValue": "ftp://x.org"}, "defaultValue"),
        ({"type": "array", "defaultValue": {"a": 1}}, "defaultValue"),
        ({"type": "object", "defaultValue": [1]}, "defaultValue"),
        ({"type": "text", "defaultValue": "x" * 10_001}, "defaultValue"),
        ({"description": "d" * 1001}, "description"),
        ({"placeholder": "p" * 201}, "placeholder"),
        ({"sortOrder": -1}, "sortOrder"),
        ({"visible": "sometimes"}, "visible"),
        ({"entityType": "ticket"}, "entityType"),
    ],
)
def test_create_refuses_bad_fields_naming_them(
    api: Api, brand: Json, unchanged: None, body: Json, field: str
) -> None:
    response = create(api, brand, **body)
    assert field in error_fields(assert_problem(response, 422, "validation_error"))


def _entity_type_calls(api: Api, brand: Json, entity_type: str) -> list[Any]:
    return [
        api.get(fields_path(brand, f"/{entity_type}")),
        create(api, brand, entity_type),
        api.post(fields_path(brand, f"/{entity_type}/reorder"), json={"keys": ["plan"]}),
        api.get(fields_path(brand, f"/{entity_type}/plan")),
        api.patch(fields_path(brand, f"/{entity_type}/plan"), json={"label": "X"}),
        api.delete(fields_path(brand, f"/{entity_type}/plan")),
    ]


@pytest.mark.parametrize("entity_type", ["tickets", "user", "Ticket", "contacts", "x" * 20])
def test_an_unknown_entity_type_is_404(
    api: Api, brand: Json, unchanged: None, entity_type: str
) -> None:
    for response in _entity_type_calls(api, brand, entity_type):
        assert_problem(response, 404, "entity_type_not_found")


def test_an_entity_type_longer_than_any_is_refused_by_the_path_check(
    api: Api, brand: Json, unchanged: None
) -> None:
    for response in _entity_type_calls(api, brand, "x" * 21):
        assert error_fields(assert_problem(response, 422, "validation_error")) == {"entityType"}


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({"key": "tier"}, "key", "field_key_immutable"),
        ({"label": None}, "label", "validation_error"),
        ({"type": None}, "type", "validation_error"),
        ({"required": None}, "required", "validation_error"),
        ({"showInTable": None}, "showInTable", "validation_error"),
        ({"options": None}, "options", "validation_error"),
        ({"options": []}, "options", "validation_error"),
        ({"options": ["pro", "team"]}, "defaultValue", "validation_error"),
        ({"type": "number"}, "defaultValue", "validation_error"),
        ({"defaultValue": "gold"}, "defaultValue", "validation_error"),
        ({"createdAt": "2026-01-01T00:00:00Z"}, "createdAt", "validation_error"),
    ],
)
def test_update_refuses_bad_changes(
    api: Api, brand: Json, unchanged: None, body: Json, field: str, code: str
) -> None:
    response = api.patch(fields_path(brand, "/ticket/plan"), json=body)
    assert field in error_fields(assert_problem(response, 422, code))


def test_an_unknown_key_is_404(api: Api, brand: Json, unchanged: None) -> None:
    path = fields_path(brand, "/ticket/nope")
    assert_problem(api.get(path), 404, "field_not_found")
    assert_problem(api.patch(path, json={"label": "X"}), 404, "field_not_found")
    assert_problem(api.delete(path), 404, "field_not_found")
    # A key of another entity type is not this entity type's.
    assert_problem(api.get(fields_path(brand, "/contact/plan")), 404, "field_not_found")


def _calls(base: str) -> list[tuple[str, str, Json | None]]:
    return [
        ("get", f"{base}/ticket/plan", None),
        ("patch", f"{base}/ticket/plan", {"label": "Hijacked"}),
        ("delete", f"{base}/ticket/plan", None),
    ]


def _call(api: Api, method: str, path: str, body: Json | None) -> Any:
    return getattr(api, method)(path, json=body) if body is not None else getattr(api, method)(path)


def test_another_account_gets_404_for_everything(
    api: Api, brand: Json, other_api: Api, other_brand: Json, unchanged: None
) -> None:
    for method, path, body in [
        *_calls(fields_path(brand)),
        ("get", fields_path(brand), None),
        ("get", fields_path(brand, "/ticket"), None),
        ("post", fields_path(brand, "/ticket"), {"key": "x", "label": "X", "type": "text"}),
        ("post", fields_path(brand, "/ticket/reorder"), {"keys": ["plan"]}),
    ]:
        assert_problem(_call(other_api, method, path, body), 404, "brand_not_found")
    for method, path, body in _calls(fields_path(other_brand)):
        assert_problem(_call(other_api, method, path, body), 404, "field_not_found")
    assert everything(other_api, other_brand)["ticket"] == []


def test_a_definition_of_another_brand_of_the_account_is_404_through_this_brand(
    api: Api, brand: Json, session: Session, sibling_brand: Json
) -> None:
    make_field(api, sibling_brand, key="plan", label="Plan")
    before, rows = everything(api, sibling_brand), count_rows(session, sibling_brand["id"])

    for method, path, body in _calls(fields_path(brand)):
        assert_problem(_call(api, method, path, body), 404, "field_not_found")

    assert everything(api, sibling_brand) == before
    assert count_rows(session, sibling_brand["id"]) == rows

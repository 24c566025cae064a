"""The custom field routes are in the OpenAPI document with their errors."""

from __future__ import annotations

from typing import Any

import pytest

BASE = "/v1/brands/{brandId}/fields"
EXPECTED = {
    BASE: {"get"},
    BASE + "/{entityType}": {"get", "post"},
    BASE + "/{entityType}/reorder": {"post"},
    BASE + "/{entityType}/{key}": {"get", "patch", "delete"},
}


@pytest.mark.parametrize(("path", "methods"), EXPECTED.items())
def test_field_routes_are_documented_with_their_errors(
    client: Any, path: str, methods: set[str]
) -> None:
    operations = client.get("/openapi.json").json()["paths"][path]

    assert set(operations) - {"parameters"} == methods
    for operation in operations.values():
        assert operation["summary"]
        assert operation["tags"] == ["Custom fields"]
        assert {"401", "404", "409", "422"} <= set(operation["responses"])
        assert any(code.startswith("2") for code in operation["responses"])


def test_the_create_body_lists_the_reference_fields(client: Any) -> None:
    schemas = client.get("/openapi.json").json()["components"]["schemas"]

    assert set(schemas["FieldCreate"]["properties"]) == {
        "key",
        "label",
        "type",
        "required",
        "defaultValue",
        "description",
        "placeholder",
        "options",
        "showOnCreate",
        "showInTable",
        "showInDetail",
        "portalVisible",
        "visible",
        "sortOrder",
        "source",
    }
    assert set(schemas["FieldCreate"]["required"]) == {"key", "label", "type"}

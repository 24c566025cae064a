"""The category routes are in the OpenAPI document with their errors."""

from __future__ import annotations

from typing import Any

import pytest

BASE = "/v1/brands/{brandId}/categories"
EXPECTED = {
    BASE: {"get", "post"},
    f"{BASE}/stats": {"get"},
    f"{BASE}/reorder": {"post"},
    BASE + "/{categoryId}": {"get", "patch", "delete"},
}


@pytest.mark.parametrize(("path", "methods"), EXPECTED.items())
def test_category_routes_are_documented_with_their_errors(
    client: Any, path: str, methods: set[str]
) -> None:
    operations = client.get("/openapi.json").json()["paths"][path]

    assert set(operations) - {"parameters"} == methods
    for operation in operations.values():
        assert operation["summary"]
        assert operation["tags"] == ["Categories"]
        assert {"401", "404", "409", "422"} <= set(operation["responses"])
        assert any(code.startswith("2") for code in operation["responses"])


def test_stats_document_both_shapes_and_the_format_parameter(client: Any) -> None:
    operation = client.get("/openapi.json").json()["paths"][f"{BASE}/stats"]["get"]

    (fmt,) = [p for p in operation["parameters"] if p["name"] == "format"]
    assert fmt["in"] == "query"
    assert set(fmt["schema"]["enum"]) == {"list", "map"}
    shapes = operation["responses"]["200"]["content"]["application/json"]["schema"]["anyOf"]
    assert {s["type"] for s in shapes} == {"array", "object"}

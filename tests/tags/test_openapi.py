"""The tag routes are in the OpenAPI document with their errors, both merge forms too."""

from __future__ import annotations

from typing import Any

import pytest

BASE = "/v1/brands/{brandId}/tags"
EXPECTED = {
    BASE: {"get", "post"},
    f"{BASE}/stats": {"get"},
    f"{BASE}/merge": {"post"},
    BASE + "/{targetTagId}/merge": {"post"},
    BASE + "/{tagId}": {"get", "patch", "delete"},
}


@pytest.mark.parametrize(("path", "methods"), EXPECTED.items())
def test_tag_routes_are_documented_with_their_errors(
    client: Any, path: str, methods: set[str]
) -> None:
    operations = client.get("/openapi.json").json()["paths"][path]

    assert set(operations) - {"parameters"} == methods
    for operation in operations.values():
        assert operation["summary"]
        assert operation["tags"] == ["Tags"]
        assert {"401", "404", "409", "422"} <= set(operation["responses"])
        assert any(code.startswith("2") for code in operation["responses"])


def test_the_merge_bodies_are_the_two_reference_forms(client: Any) -> None:
    schemas = client.get("/openapi.json").json()["components"]["schemas"]

    assert set(schemas["TagMerge"]["properties"]) == {"sourceTagIds", "targetTagId"}
    assert set(schemas["TagMergeInto"]["properties"]) == {"sourceTagIds"}

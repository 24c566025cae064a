"""The comment and watcher routes are in the OpenAPI document with their errors."""

from __future__ import annotations

from typing import Any

import pytest

EXPECTED = {
    "/v1/brands/{brandId}/tickets/{ticketId}/comments": {"get", "post"},
    "/v1/brands/{brandId}/tickets/{ticketId}/comments/{commentId}": {"get", "patch", "delete"},
    "/v1/brands/{brandId}/tickets/{ticketId}/watchers": {"get", "post"},
    "/v1/brands/{brandId}/tickets/{ticketId}/watchers/{memberId}": {"patch", "delete"},
}


@pytest.mark.parametrize(("path", "methods"), EXPECTED.items())
def test_comment_and_watcher_routes_are_documented_with_their_errors(
    client: Any, path: str, methods: set[str]
) -> None:
    doc = client.get("/openapi.json").json()

    operations = doc["paths"][path]

    assert set(operations) - {"parameters"} == methods
    for operation in operations.values():
        assert operation["summary"]
        assert operation["tags"] in (["Comments"], ["Watchers"])
        assert {"401", "404", "422"} <= set(operation["responses"])
        assert any(code.startswith("2") for code in operation["responses"])
        problem = operation["responses"]["422"]["content"]["application/problem+json"]
        assert problem["schema"] == {"$ref": "#/components/schemas/ProblemOut"}


def test_the_comment_body_schema_lists_the_reference_fields(client: Any) -> None:
    doc = client.get("/openapi.json").json()

    fields = set(doc["components"]["schemas"]["CommentCreate"]["properties"])

    assert fields >= {
        "body",
        "authorId",
        "authorName",
        "authorType",
        "isInternal",
        "parentId",
        "links",
        "metadata",
        "source",
        "sourceId",
        "sourceData",
        "setStatus",
        "cc",
        "connectionId",
    }


def test_deleting_a_comment_is_documented_to_return_it(client: Any) -> None:
    doc = client.get("/openapi.json").json()

    path = doc["paths"]["/v1/brands/{brandId}/tickets/{ticketId}/comments/{commentId}"]
    responses = path["delete"]["responses"]

    assert "204" not in responses
    schema = responses["200"]["content"]["application/json"]["schema"]
    assert schema == {"$ref": "#/components/schemas/CommentOut"}

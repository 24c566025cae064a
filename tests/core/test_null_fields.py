"""`null` for any field of any JSON request body is answered (2xx or 4xx), never a 5xx.

Generated from the OpenAPI document, so a new endpoint or field is covered the day it
lands: for every POST/PATCH/PUT with a JSON body, each field in turn is sent as null,
beside values for the body's required fields, against real records of one brand."""

from __future__ import annotations

from typing import Any

import pytest

from dispatch.settings import Settings
from tests.conftest import Api, make_status, make_ticket

Json = dict[str, Any]

# Values for required fields whose schema alone says too little (patterns, formats).
SAMPLES: dict[str, Any] = {
    "name": "Null probe",
    "title": "Null probe",
    "body": "Null probe",
    "key": "null_probe",
    "email": "probe@corp.local",
    "url": "http://127.0.0.1:9/hook",
    "events": ["*"],
    "type": "text",
    "since": "2026-01-01T00:00:00Z",
    "filename": "probe.txt",
    "contentType": "text/plain",
    "size": 10,
    "action": "setPriority",
}


def _resolve(doc: Json, schema: Json) -> Json:
    while "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _sample(doc: Json, name: str, schema: Json) -> Any:
    if name in SAMPLES:
        return SAMPLES[name]
    schema = _resolve(doc, schema)
    options = schema.get("anyOf") or schema.get("oneOf")
    if options:
        schema = _resolve(doc, next(o for o in options if o.get("type") != "null"))
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "integer":
        return max(1, int(schema.get("minimum", 1)))
    if kind == "number":
        return 1
    if kind == "boolean":
        return True
    if kind == "array":
        return []
    if kind == "object":
        return {}
    return "probe"


@pytest.fixture
def records(api: Api, brand: Json, settings: Settings) -> dict[str, str]:
    """One of each record a path can name, by its path parameter."""
    settings.webhooks_allow_private = True
    b = f"/brands/{brand['id']}"
    ticket = make_ticket(api, brand)
    member = api.ok("post", "/accounts/me/members", 201, json={"email": "agent@corp.local"})
    api.ok("post", f"{b}/tickets/{ticket['id']}/watchers", 201, json={"memberId": member["id"]})
    tag = api.ok("post", f"{b}/tags", 201, json={"name": "vip"})
    webhook = api.ok("post", f"{b}/webhooks", 201, json={"url": SAMPLES["url"], "events": ["*"]})
    comment = api.ok("post", f"{b}/tickets/{ticket['id']}/comments", 201, json={"body": "Hi"})
    return {
        "brandId": brand["id"],
        "ticketId": ticket["id"],
        "statusId": make_status(api, brand)["id"],
        "categoryId": api.ok("post", f"{b}/categories", 201, json={"name": "Billing"})["id"],
        "tagId": tag["id"],
        "targetTagId": tag["id"],
        "commentId": comment["id"],
        "contactId": ticket["customerId"]
        or api.ok("post", f"{b}/contacts", 201, json={"email": "ann@corp.local"})["id"],
        "companyId": api.ok("post", f"{b}/companies", 201, json={"name": "Initech"})["id"],
        "entityType": "ticket",
        "key": api.ok(
            "post", f"{b}/fields/ticket", 201, json={"key": "plan", "label": "Plan", "type": "text"}
        )["key"],
        "memberId": member["id"],
        "webhookId": webhook["id"],
        "keyId": api.ok("post", "/accounts/me/api-keys", 201, json={"name": "probe"})["id"],
        "formId": api.ok("post", f"{b}/forms", 201, json={"name": "Contact"})["id"],
    }


def _json_operations(doc: Json) -> list[tuple[str, str, Json]]:
    found = []
    for path, operations in doc["paths"].items():
        for method, operation in operations.items():
            content = operation.get("requestBody", {}).get("content", {})
            if method in ("post", "patch", "put") and "application/json" in content:
                found.append((method, path, _resolve(doc, content["application/json"]["schema"])))
    return found


def test_null_for_any_field_of_any_json_body_is_never_a_server_error(
    api: Api, records: dict[str, str]
) -> None:
    doc = api.client.app.openapi()
    operations = _json_operations(doc)
    assert len(operations) >= 40
    failures = []
    for method, template, schema in operations:
        path = template.removeprefix("/v1").format(**records)
        properties: Json = schema.get("properties", {})
        required = {
            name: _sample(doc, name, properties[name]) for name in schema.get("required", [])
        }
        answers = set()
        for name in properties:
            response = getattr(api, method)(path, json={**required, name: None})
            answers.add(response.status_code)
            if response.status_code >= 500:
                failures.append(f"{method.upper()} {template} {{{name}: null}} -> {response.text}")
        # The probes reached the route with real records, not a 404 for every one.
        assert answers != {404}, (method, template)
    assert failures == []

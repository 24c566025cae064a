"""`GET /v1/brands/{brandId}/events/stream` refuses in the API's error format before any
stream begins: no key, another account's brand, an event it cannot resume after. (The
stream itself is tested against a real server: test_live_server.py.)"""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Api
from tests.tickets.helpers import error_fields, problem


def _path(brand: dict[str, Any]) -> str:
    return f"/brands/{brand['id']}/events/stream"


def test_the_stream_needs_a_key(client: Any, brand: dict[str, Any]) -> None:
    problem(client.get(f"/v1{_path(brand)}"), 401, "authentication_error")


def test_another_accounts_brand_is_not_found(
    other_api: Api, api: Api, brand: dict[str, Any]
) -> None:
    body = problem(other_api.get(_path(brand)), 404, "brand_not_found")
    assert body["requestId"].startswith("req_")


@pytest.mark.parametrize("where", ["header", "query"])
def test_resuming_after_an_unknown_event_asks_for_a_resync(
    api: Api, brand: dict[str, Any], where: str
) -> None:
    if where == "header":
        response = api.get(_path(brand), headers={"Last-Event-ID": "evt_gone"})
    else:
        response = api.get(_path(brand), params={"lastEventId": "evt_gone"})
    body = problem(response, 409, "stream_resync_required")
    assert "evt_gone" in body["message"]


def test_an_oversized_event_id_is_a_validation_error(api: Api, brand: dict[str, Any]) -> None:
    body = problem(api.get(_path(brand), params={"lastEventId": "e" * 65}), 422)
    assert error_fields(body) == ["lastEventId"]


def test_the_openapi_document_describes_the_event_stream(client: Any) -> None:
    doc = client.get("/openapi.json").json()
    operation = doc["paths"]["/v1/brands/{brandId}/events/stream"]["get"]
    assert "text/event-stream" in operation["responses"]["200"]["content"]
    assert "409" in operation["responses"]
    parameters = {(p["in"], p["name"]) for p in operation["parameters"]}
    assert {("header", "Last-Event-ID"), ("query", "lastEventId")} <= parameters

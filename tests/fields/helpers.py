"""Helpers of the custom field tests."""

from __future__ import annotations

from typing import Any

from tests.categories.helpers import Json
from tests.conftest import Api


def fields_path(brand: Json, suffix: str = "") -> str:
    return f"/brands/{brand['id']}/fields{suffix}"


def make_field(api: Api, brand: Json, entity_type: str = "ticket", **body: Any) -> Json:
    payload = {"key": "order_number", "label": "Order number", "type": "text", **body}
    created: Json = api.ok("post", fields_path(brand, f"/{entity_type}"), 201, json=payload)
    return created


def list_fields(api: Api, brand: Json, entity_type: str = "ticket") -> list[Json]:
    listed: list[Json] = api.ok("get", fields_path(brand, f"/{entity_type}"))
    return listed


def keys(api: Api, brand: Json, entity_type: str = "ticket") -> list[str]:
    return [f["key"] for f in list_fields(api, brand, entity_type)]


def everything(api: Api, brand: Json) -> Json:
    found: Json = api.ok("get", fields_path(brand))
    return found

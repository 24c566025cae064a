"""Helpers for API-key tests: issue keys over the API and talk through them."""

from __future__ import annotations

from typing import Any

from tests.conftest import Api


def issue_key(api: Api, **body: Any) -> dict[str, Any]:
    """POST /accounts/me/api-keys and return the created key (with its secret)."""
    created: dict[str, Any] = api.ok("post", "/accounts/me/api-keys", 201, json=body)
    return created


def client_for(api: Api, created: dict[str, Any]) -> Api:
    """An API client of the same account that authenticates with the created key."""
    return Api(api.client, created["key"], api.account_id)


def scoped_api(api: Api, *brand_ids: str, name: str = "Scoped") -> Api:
    """A client whose key may use only the given brands."""
    return client_for(api, issue_key(api, name=name, allBrands=False, brandIds=list(brand_ids)))

"""Who may call the API: Bearer and legacy X-API-Key keys, and every way a key is refused."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.accounts.conftest import client_for, issue_key
from tests.conftest import Api


def assert_unauthenticated(response: Any) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.headers["www-authenticate"] == "Bearer"
    body = response.json()
    assert body["code"] == "authentication_error"
    assert body["status"] == 401
    assert body["requestId"] == response.headers["x-request-id"]


def test_bearer_api_key_authenticates(api: Api) -> None:
    response = api.client.get("/v1/accounts/me", headers={"Authorization": f"Bearer {api.key}"})
    assert response.status_code == 200
    assert response.json()["id"] == api.account_id


def test_bearer_scheme_is_case_insensitive(api: Api) -> None:
    response = api.client.get("/v1/accounts/me", headers={"Authorization": f"bearer {api.key}"})
    assert response.status_code == 200


def test_legacy_x_api_key_header_authenticates(api: Api) -> None:
    response = api.client.get("/v1/accounts/me", headers={"X-API-Key": api.key})
    assert response.status_code == 200
    assert response.json()["id"] == api.account_id


def test_legacy_header_can_create_resources(api: Api) -> None:
    response = api.client.post(
        "/v1/brands", headers={"X-API-Key": api.key}, json={"name": "Legacy Co"}
    )
    assert response.status_code == 201, response.text
    assert response.json()["accountId"] == api.account_id


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="no-credentials"),
        pytest.param({"Authorization": "Bearer "}, id="empty-bearer"),
        pytest.param({"Authorization": "Bearer sk_live_not-a-real-key"}, id="garbage-bearer"),
        pytest.param({"Authorization": "Basic dXNlcjpwYXNz"}, id="basic-scheme"),
        pytest.param({"X-API-Key": "sk_live_not-a-real-key"}, id="garbage-legacy-header"),
        pytest.param({"X-API-Key": ""}, id="empty-legacy-header"),
    ],
)
def test_request_without_a_valid_key_is_401_problem_json(
    client: Any, headers: dict[str, str]
) -> None:
    assert_unauthenticated(client.get("/v1/brands", headers=headers))


def test_unauthenticated_write_changes_nothing(api: Api, client: Any) -> None:
    response = client.post(
        "/v1/brands", headers={"Authorization": "Bearer nope"}, json={"name": "Ghost"}
    )
    assert_unauthenticated(response)
    assert api.ok("get", "/brands") == []


def test_secret_of_a_key_is_not_accepted_with_a_typo(api: Api) -> None:
    almost = api.key[:-1] + ("A" if api.key[-1] != "A" else "B")
    assert_unauthenticated(api.client.get("/v1/brands", headers={"X-API-Key": almost}))


def test_revoked_key_is_refused(api: Api) -> None:
    created = issue_key(api, name="Temporary")
    other = client_for(api, created)
    other.ok("get", "/brands")
    api.ok("delete", f"/accounts/me/api-keys/{created['id']}")
    assert_unauthenticated(other.get("/brands"))
    assert_unauthenticated(api.client.get("/v1/brands", headers={"X-API-Key": created["key"]}))


def test_expired_key_is_refused(api: Api, frozen_clock: Any) -> None:
    expires = frozen_clock.now + timedelta(hours=1)
    created = issue_key(api, name="Short-lived", expiresAt=expires.isoformat())
    assert created["expiresAt"] is not None
    short_lived = client_for(api, created)
    short_lived.ok("get", "/brands")

    frozen_clock.advance(hours=1)
    response = short_lived.get("/brands")
    assert_unauthenticated(response)
    assert "expired" in response.json()["message"]


def test_key_cannot_be_created_already_expired(api: Api, frozen_clock: Any) -> None:
    past = (frozen_clock.now - timedelta(seconds=1)).isoformat()
    response = api.post("/accounts/me/api-keys", json={"name": "Old", "expiresAt": past})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "expiresAt"
    assert len(api.ok("get", "/accounts/me/api-keys")) == 1

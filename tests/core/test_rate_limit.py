"""The per-key rate limit: X-RateLimit-* on every response, 429 with Retry-After when spent."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from dispatch.app import create_app
from dispatch.core.db import Database
from dispatch.settings import Settings
from tests.conftest import Api

LIMIT = 3


@pytest.fixture
def limited(tmp_path: Path, database: Database) -> Iterator[TestClient]:
    settings = Settings(data_dir=tmp_path, rate_limit=f"{LIMIT}/minute", api_key_touch_seconds=0)
    with TestClient(create_app(settings, database), raise_server_exceptions=False) as client:
        yield client


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_each_response_reports_the_remaining_budget(limited: TestClient, api: Api) -> None:
    before = time.time()
    remaining = []
    for _ in range(LIMIT):
        response = limited.get("/v1/brands", headers=bearer(api.key))
        assert response.status_code == 200
        assert response.headers["x-ratelimit-limit"] == str(LIMIT)
        reset = int(response.headers["x-ratelimit-reset"])
        assert before <= reset <= time.time() + 61
        remaining.append(int(response.headers["x-ratelimit-remaining"]))
    assert remaining == [2, 1, 0]


def test_request_over_the_limit_is_429_with_retry_after(limited: TestClient, api: Api) -> None:
    for _ in range(LIMIT):
        assert limited.get("/v1/brands", headers=bearer(api.key)).status_code == 200
    response = limited.get("/v1/brands", headers=bearer(api.key))
    assert response.status_code == 429
    assert response.headers["content-type"] == "application/json"
    assert 1 <= int(response.headers["retry-after"]) <= 60
    assert response.headers["x-ratelimit-remaining"] == "0"
    assert response.headers["x-ratelimit-limit"] == str(LIMIT)
    body = response.json()
    assert body["code"] == "rate_limit_exceeded"
    assert body["status"] == 429
    assert body["requestId"] == response.headers["x-request-id"]
    assert {"type", "title", "detail", "message"} <= body.keys()


def test_limited_write_is_not_executed(limited: TestClient, api: Api) -> None:
    for _ in range(LIMIT):
        limited.get("/v1/accounts/me", headers=bearer(api.key))
    response = limited.post("/v1/brands", headers=bearer(api.key), json={"name": "Late"})
    assert response.status_code == 429
    assert api.ok("get", "/brands") == []


def test_rate_limit_is_per_key(limited: TestClient, api: Api, other_api: Api) -> None:
    for _ in range(LIMIT):
        limited.get("/v1/brands", headers=bearer(api.key))
    assert limited.get("/v1/brands", headers=bearer(api.key)).status_code == 429
    fresh = limited.get("/v1/brands", headers=bearer(other_api.key))
    assert fresh.status_code == 200
    assert fresh.headers["x-ratelimit-remaining"] == str(LIMIT - 1)


def test_second_key_of_the_same_account_has_its_own_budget(limited: TestClient, api: Api) -> None:
    second = api.ok("post", "/accounts/me/api-keys", 201, json={"name": "Second"})["key"]
    for _ in range(LIMIT):
        limited.get("/v1/brands", headers=bearer(api.key))
    assert limited.get("/v1/brands", headers=bearer(api.key)).status_code == 429
    assert limited.get("/v1/brands", headers=bearer(second)).status_code == 200


def test_a_key_counts_once_whichever_header_carries_it(limited: TestClient, api: Api) -> None:
    limited.get("/v1/brands", headers=bearer(api.key))
    limited.get("/v1/brands", headers={"X-API-Key": api.key})
    limited.get("/v1/brands", headers={"Authorization": f"bearer {api.key}"})
    assert limited.get("/v1/brands", headers={"X-API-Key": api.key}).status_code == 429
    assert limited.get("/v1/brands", headers=bearer(api.key)).status_code == 429


def test_requests_without_a_key_are_limited_by_address(limited: TestClient) -> None:
    statuses = [limited.get("/v1/brands").status_code for _ in range(LIMIT + 1)]
    assert statuses == [401] * LIMIT + [429]


def test_a_new_invalid_key_each_time_does_not_escape_the_limit(limited: TestClient) -> None:
    statuses = [
        limited.get("/v1/brands", headers=bearer(f"sk_live_random{i}")).status_code
        for i in range(LIMIT + 3)
    ]
    assert statuses == [401] * LIMIT + [429] * 3


def test_failed_sign_ins_from_an_address_leave_a_good_keys_budget_alone(
    limited: TestClient, api: Api
) -> None:
    for i in range(LIMIT + 1):
        limited.get("/v1/brands", headers=bearer(f"sk_live_random{i}"))
    response = limited.get("/v1/brands", headers=bearer(api.key))
    assert response.status_code == 200
    assert response.headers["x-ratelimit-remaining"] == str(LIMIT - 1)


def test_health_is_never_limited(limited: TestClient) -> None:
    for _ in range(LIMIT + 1):
        limited.get("/v1/brands")
    statuses = {limited.get("/health").status_code for _ in range(LIMIT + 2)}
    assert statuses == {200}


@pytest.mark.parametrize("value", ["off", "0", ""])
def test_rate_limit_can_be_switched_off(tmp_path: Path, database: Database, value: str) -> None:
    settings = Settings(data_dir=tmp_path, rate_limit=value)
    with TestClient(create_app(settings, database)) as client:
        statuses = {client.get("/v1/brands").status_code for _ in range(20)}
    assert statuses == {401}


def test_limit_applies_to_401_responses_too(limited: TestClient) -> None:
    headers: dict[str, Any] = bearer("sk_live_guessing")
    statuses = [limited.get("/v1/brands", headers=headers).status_code for _ in range(LIMIT + 1)]
    assert statuses == [401] * LIMIT + [429]

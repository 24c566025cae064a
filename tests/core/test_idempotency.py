"""Idempotency-Key (and X-Idempotency-Key) on POST: replay, refuse reuse, per account, 24 h."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from dispatch.settings import Settings
from tests.accounts.conftest import scoped_api
from tests.conftest import Api


def tickets_of(api: Api, brand: dict[str, Any]) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = api.ok("get", f"/brands/{brand['id']}/tickets")["data"]
    return data


def post_ticket(api: Api, brand: dict[str, Any], key: str, **body: Any) -> Any:
    return api.post(
        f"/brands/{brand['id']}/tickets",
        json={"title": "Refund please", **body},
        headers={"Idempotency-Key": key},
    )


@pytest.mark.parametrize("header", ["Idempotency-Key", "X-Idempotency-Key"])
def test_same_key_and_body_replays_the_first_response(
    api: Api, brand: dict[str, Any], header: str
) -> None:
    path = f"/brands/{brand['id']}/tickets"
    body = {"title": "Refund please", "priority": "high"}
    first = api.post(path, json=body, headers={header: "order-42"})
    second = api.post(path, json=body, headers={header: "order-42"})
    assert first.status_code == second.status_code == 201
    assert "idempotent-replayed" not in first.headers
    assert second.headers["idempotent-replayed"] == "true"
    assert second.content == first.content
    assert second.headers["content-type"] == first.headers["content-type"]
    assert second.headers["x-request-id"] != first.headers["x-request-id"]
    assert "x-ratelimit-remaining" in second.headers
    assert [t["id"] for t in tickets_of(api, brand)] == [first.json()["id"]]


def test_both_header_names_name_the_same_key(api: Api, brand: dict[str, Any]) -> None:
    path = f"/brands/{brand['id']}/tickets"
    first = api.post(path, json={"title": "A"}, headers={"Idempotency-Key": "k-1"})
    second = api.post(path, json={"title": "A"}, headers={"X-Idempotency-Key": "k-1"})
    assert second.headers["idempotent-replayed"] == "true"
    assert second.json() == first.json()
    assert len(tickets_of(api, brand)) == 1


def test_replay_happens_even_after_the_resource_changed(api: Api, brand: dict[str, Any]) -> None:
    first = post_ticket(api, brand, "k-change")
    api.ok("patch", f"/brands/{brand['id']}/tickets/{first.json()['id']}", json={"title": "New"})
    replay = post_ticket(api, brand, "k-change")
    assert replay.json()["title"] == "Refund please"
    assert len(tickets_of(api, brand)) == 1


def test_same_key_with_a_different_body_is_422(api: Api, brand: dict[str, Any]) -> None:
    assert post_ticket(api, brand, "k-2").status_code == 201
    response = post_ticket(api, brand, "k-2", priority="urgent")
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/json"
    problem = response.json()
    assert problem["code"] == "idempotency_key_reused"
    assert problem["errors"][0]["field"] == "Idempotency-Key"
    assert len(tickets_of(api, brand)) == 1


def test_same_key_on_another_path_is_422(api: Api, brand: dict[str, Any]) -> None:
    second = api.ok("post", "/brands", 201, json={"name": "Second"})
    assert post_ticket(api, brand, "k-3").status_code == 201
    response = post_ticket(api, second, "k-3")
    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"
    assert tickets_of(api, second) == []


def test_keys_are_scoped_per_account(
    api: Api, other_api: Api, brand: dict[str, Any], other_brand: dict[str, Any]
) -> None:
    mine = post_ticket(api, brand, "shared-key")
    theirs = post_ticket(other_api, other_brand, "shared-key")
    assert mine.status_code == theirs.status_code == 201
    assert "idempotent-replayed" not in theirs.headers
    assert theirs.json()["id"] != mine.json()["id"]
    assert len(tickets_of(other_api, other_brand)) == 1


def test_another_key_of_the_same_account_gets_the_replay(api: Api, brand: dict[str, Any]) -> None:
    second = api.ok("post", "/accounts/me/api-keys", 201, json={"name": "Retry worker"})
    first = post_ticket(api, brand, "k-4")
    replay = post_ticket(Api(api.client, second["key"], api.account_id), brand, "k-4")
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.json() == first.json()


def test_replay_is_not_shown_to_a_key_outside_the_brand(api: Api, brand: dict[str, Any]) -> None:
    second = api.ok("post", "/brands", 201, json={"name": "Second"})
    post_ticket(api, brand, "k-5")
    outsider = scoped_api(api, second["id"])
    response = post_ticket(outsider, brand, "k-5")
    assert response.status_code == 404
    assert response.json()["code"] == "brand_not_found"
    assert "idempotent-replayed" not in response.headers


def test_replay_still_requires_a_valid_key(api: Api, brand: dict[str, Any]) -> None:
    post_ticket(api, brand, "k-6")
    response = api.client.post(
        f"/v1/brands/{brand['id']}/tickets",
        json={"title": "Refund please"},
        headers={"Idempotency-Key": "k-6", "Authorization": "Bearer sk_live_wrong"},
    )
    assert response.status_code == 401


def test_key_expires_after_the_ttl(
    api: Api, brand: dict[str, Any], settings: Settings, frozen_clock: Any
) -> None:
    first = post_ticket(api, brand, "k-ttl")
    frozen_clock.advance(seconds=settings.idempotency_ttl_seconds - 1)
    assert post_ticket(api, brand, "k-ttl").headers["idempotent-replayed"] == "true"
    frozen_clock.advance(seconds=1)
    fresh = post_ticket(api, brand, "k-ttl", priority="low")
    assert fresh.status_code == 201
    assert "idempotent-replayed" not in fresh.headers
    assert fresh.json()["id"] != first.json()["id"]
    assert len(tickets_of(api, brand)) == 2
    # The renewed key now protects the new request.
    again = post_ticket(api, brand, "k-ttl", priority="low")
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json()["id"] == fresh.json()["id"]


def test_default_ttl_is_24_hours(tmp_path: Any) -> None:
    assert Settings(data_dir=tmp_path).idempotency_ttl_seconds == 24 * 3600


@pytest.mark.parametrize(
    "bad_body",
    [
        pytest.param({"title": ""}, id="validation-error"),
        pytest.param({"title": "x", "status": "no_such_status"}, id="domain-error"),
    ],
)
def test_failed_request_does_not_burn_the_key(
    api: Api, brand: dict[str, Any], bad_body: dict[str, Any]
) -> None:
    path = f"/brands/{brand['id']}/tickets"
    headers = {"Idempotency-Key": "k-fail"}
    for _ in range(2):
        failed = api.post(path, json=bad_body, headers=headers)
        assert 400 <= failed.status_code < 500, failed.text
        assert "idempotent-replayed" not in failed.headers
    ok = api.post(path, json={"title": "Now valid"}, headers=headers)
    assert ok.status_code == 201, ok.text
    assert "idempotent-replayed" not in ok.headers
    assert (
        api.post(path, json={"title": "Now valid"}, headers=headers).headers["idempotent-replayed"]
        == "true"
    )
    assert len(tickets_of(api, brand)) == 1


def test_idempotency_applies_to_every_post(api: Api) -> None:
    headers = {"Idempotency-Key": "brand-once"}
    first = api.ok("post", "/brands", 201, json={"name": "Once"}, headers=headers)
    second = api.post("/brands", json={"name": "Once"}, headers=headers)
    assert second.headers["idempotent-replayed"] == "true"
    assert second.json() == first
    assert [b["id"] for b in api.ok("get", "/brands")] == [first["id"]]


def test_post_without_a_key_is_not_deduplicated(api: Api, brand: dict[str, Any]) -> None:
    path = f"/brands/{brand['id']}/tickets"
    api.ok("post", path, 201, json={"title": "Twice"})
    api.ok("post", path, 201, json={"title": "Twice"})
    assert len(tickets_of(api, brand)) == 2


@pytest.mark.parametrize("key", ["", "   ", "k" * 256])
def test_invalid_idempotency_key_is_400(api: Api, brand: dict[str, Any], key: str) -> None:
    response = post_ticket(api, brand, key)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_idempotency_key"
    assert tickets_of(api, brand) == []


def test_longest_allowed_key_works(api: Api, brand: dict[str, Any]) -> None:
    key = "k" * 255
    assert post_ticket(api, brand, key).status_code == 201
    assert post_ticket(api, brand, key).headers["idempotent-replayed"] == "true"


def test_idempotency_key_is_ignored_on_patch(api: Api, brand: dict[str, Any]) -> None:
    headers = {"Idempotency-Key": "patch-1"}
    api.ok("patch", f"/brands/{brand['id']}", json={"name": "One"}, headers=headers)
    second = api.patch(f"/brands/{brand['id']}", json={"name": "Two"}, headers=headers)
    assert second.status_code == 200
    assert "idempotent-replayed" not in second.headers
    assert second.json()["name"] == "Two"


def test_stored_response_is_kept_for_the_ttl(
    api: Api, brand: dict[str, Any], settings: Settings, frozen_clock: Any, session: Any
) -> None:
    from sqlalchemy import select

    from dispatch.core.idempotency import IdempotencyRecord

    post_ticket(api, brand, "k-stored")
    record = session.scalar(
        select(IdempotencyRecord).where(
            IdempotencyRecord.account_id == api.account_id, IdempotencyRecord.key == "k-stored"
        )
    )
    assert record is not None
    assert record.status_code == 201
    assert record.expires_at - record.created_at == timedelta(
        seconds=settings.idempotency_ttl_seconds
    )
    assert record.created_at == frozen_clock.now

"""Webhook subscriptions: create, list, get, update, delete, rotate; the secret is shown on
create and rotate only; activity entries; at most 20 per brand."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from sqlalchemy.orm import Session

from dispatch.webhooks.service import MAX_WEBHOOKS_PER_BRAND
from tests.conftest import Api
from tests.webhooks.conftest import Resolver
from tests.webhooks.helpers import (
    OTHER_PUBLIC_URL,
    PUBLIC_URL,
    Json,
    add_delivery,
    assert_problem,
    list_webhooks,
    make_webhook,
    stored_delivery,
    stored_webhook,
    webhook_logs,
    webhook_path,
    webhooks_path,
)

WIRE_FIELDS = {
    "id",
    "brandId",
    "url",
    "events",
    "description",
    "enabled",
    "failureCount",
    "lastTriggered",
    "lastTriggeredAt",
    "lastSuccessAt",
    "lastFailure",
    "lastFailureAt",
    "failingSince",
    "disabledReason",
    "disabledAt",
    "previousSecretExpiresAt",
    "createdAt",
    "updatedAt",
}


def test_create_answers_the_webhook_with_a_generated_secret(
    api: Api, brand: Json, session: Session
) -> None:
    created = api.ok(
        "post",
        webhooks_path(brand),
        201,
        json={"url": PUBLIC_URL, "events": ["ticket.created", "ticket.*"]},
    )

    assert set(created) == WIRE_FIELDS | {"secret"}
    assert created["id"].startswith("wh_")
    assert created["brandId"] == brand["id"]
    assert created["url"] == PUBLIC_URL
    assert created["events"] == ["ticket.created", "ticket.*"]
    assert created["enabled"] is True
    assert created["failureCount"] == 0
    assert created["description"] is None
    assert created["lastTriggered"] is None
    assert created["lastFailure"] is None
    assert created["disabledReason"] is None
    assert created["secret"].startswith("whsec_")
    assert len(base64.b64decode(created["secret"][6:])) == 32
    assert stored_webhook(session, created["id"]).secret == created["secret"]


def test_the_secret_is_never_shown_after_create(api: Api, brand: Json, webhook: Json) -> None:
    got = api.ok("get", webhook_path(brand, webhook))
    listed = list_webhooks(api, brand)
    updated = api.ok("patch", webhook_path(brand, webhook), json={"description": "Renamed"})

    for shown in (got, *listed, updated):
        assert "secret" not in shown
        assert set(shown) == WIRE_FIELDS
        assert webhook["secret"] not in str(shown)
    assert [w["id"] for w in listed] == [webhook["id"]]


@pytest.mark.parametrize(
    "secret",
    [
        "whsec_" + base64.b64encode(b"s" * 24).decode(),
        "whsec_" + base64.b64encode(b"s" * 64).decode(),
        "a-reference-style-secret",
        "x" * 16,
        "!" * 100,
    ],
)
def test_create_keeps_a_given_secret(api: Api, brand: Json, session: Session, secret: str) -> None:
    created = make_webhook(api, brand, secret=secret)
    assert created["secret"] == secret
    assert stored_webhook(session, created["id"]).secret == secret


def test_create_takes_description_and_enabled(api: Api, brand: Json) -> None:
    created = make_webhook(api, brand, description="Zapier", enabled=False, events=["status.*"])
    assert (created["description"], created["enabled"], created["events"]) == (
        "Zapier",
        False,
        ["status.*"],
    )


def test_create_drops_repeated_event_types(api: Api, brand: Json) -> None:
    created = make_webhook(
        api, brand, events=["ticket.created", "comment.created", "ticket.created"]
    )
    assert created["events"] == ["ticket.created", "comment.created"]


def test_get_and_list_show_live_webhooks_oldest_first(api: Api, brand: Json) -> None:
    first = make_webhook(api, brand)
    second = make_webhook(api, brand, url=OTHER_PUBLIC_URL, events=["comment.created"])
    assert [w["id"] for w in list_webhooks(api, brand)] == [first["id"], second["id"]]
    got = api.ok("get", webhook_path(brand, second))
    assert {k: v for k, v in second.items() if k != "secret"} == got


def test_update_changes_url_events_description_and_enabled(
    api: Api, brand: Json, webhook: Json
) -> None:
    updated = api.ok(
        "patch",
        webhook_path(brand, webhook),
        json={
            "url": OTHER_PUBLIC_URL,
            "events": ["comment.*", "customer.created"],
            "description": None,
            "enabled": False,
        },
    )
    assert updated["url"] == OTHER_PUBLIC_URL
    assert updated["events"] == ["comment.*", "customer.created"]
    assert updated["description"] is None
    assert updated["enabled"] is False
    assert updated["updatedAt"] >= webhook["updatedAt"]
    assert api.ok("get", webhook_path(brand, webhook)) == updated


def test_update_with_nothing_changed_writes_no_activity(
    api: Api, brand: Json, webhook: Json, session: Session
) -> None:
    before = len(webhook_logs(session, webhook["id"]))
    same = api.ok("patch", webhook_path(brand, webhook), json={"url": PUBLIC_URL, "events": ["*"]})
    assert same["updatedAt"] == webhook["updatedAt"]
    assert len(webhook_logs(session, webhook["id"])) == before


def test_enabling_again_clears_failures_and_the_disabled_reason(
    api: Api, brand: Json, webhook: Json, session: Session
) -> None:
    from dispatch.webhooks import service

    service.record_failure(session, webhook["id"])
    service.record_failure(session, webhook["id"])
    service.disable_webhook(session, webhook["id"], reason="Endpoint answered 410 Gone")
    session.commit()
    disabled = api.ok("get", webhook_path(brand, webhook))
    assert (disabled["enabled"], disabled["failureCount"]) == (False, 2)
    assert disabled["disabledReason"] == "Endpoint answered 410 Gone"
    assert disabled["disabledAt"] is not None
    assert disabled["failingSince"] is not None

    enabled = api.ok("patch", webhook_path(brand, webhook), json={"enabled": True})

    assert enabled["enabled"] is True
    assert enabled["failureCount"] == 0
    assert enabled["failingSince"] is None
    assert enabled["disabledReason"] is None
    assert enabled["disabledAt"] is None


def test_disabling_fails_the_deliveries_still_waiting(
    api: Api, brand: Json, webhook: Json, session: Session
) -> None:
    waiting = add_delivery(session, webhook, status="RETRYING")
    pending = add_delivery(session, webhook, status="PENDING", attempts=0)
    done = add_delivery(session, webhook, status="SUCCESS", response_code=200)

    disabled = api.ok("patch", webhook_path(brand, webhook), json={"enabled": False})

    assert disabled["disabledAt"] is not None
    assert disabled["disabledReason"] is None  # a person's choice needs no explanation
    for delivery in (waiting, pending):
        stopped = stored_delivery(session, delivery.id)
        assert (stopped.status, stopped.error) == ("FAILED", "Webhook disabled")
        assert stopped.completed_at is not None
    assert stored_delivery(session, done.id).status == "SUCCESS"


def test_delete_hides_the_webhook_and_stops_its_deliveries(
    api: Api, brand: Json, webhook: Json, session: Session
) -> None:
    waiting = add_delivery(session, webhook, status="PENDING", attempts=0)

    response = api.delete(webhook_path(brand, webhook))

    assert response.status_code == 204
    assert response.content == b""
    assert list_webhooks(api, brand) == []
    assert_problem(api.get(webhook_path(brand, webhook)), 404, "webhook_not_found")
    assert_problem(api.delete(webhook_path(brand, webhook)), 404, "webhook_not_found")
    stored = stored_webhook(session, webhook["id"])
    assert stored.deleted_at is not None
    assert stored.enabled is False
    stopped = stored_delivery(session, waiting.id)
    assert (stopped.status, stopped.error) == ("FAILED", "Webhook deleted")


def test_a_brand_has_at_most_20_webhooks(api: Api, brand: Json, session: Session) -> None:
    made = [make_webhook(api, brand) for _ in range(MAX_WEBHOOKS_PER_BRAND)]

    problem = assert_problem(
        api.post(webhooks_path(brand), json={"url": PUBLIC_URL, "events": ["*"]}),
        409,
        "webhook_limit_reached",
    )
    assert "20" in problem["message"]
    assert len(list_webhooks(api, brand)) == MAX_WEBHOOKS_PER_BRAND

    api.ok("delete", webhook_path(brand, made[0]), 204)
    make_webhook(api, brand)  # a deleted webhook frees its place


def test_rotate_secret_shows_the_new_secret_once_and_keeps_the_old_for_24_hours(
    api: Api, brand: Json, webhook: Json, session: Session, frozen_clock: Any
) -> None:
    rotated = api.ok("post", webhook_path(brand, webhook, "/rotate-secret"))

    assert rotated["secret"].startswith("whsec_")
    assert rotated["secret"] != webhook["secret"]
    assert rotated["previousSecretExpiresAt"] == "2026-01-16T09:00:00Z"
    stored = stored_webhook(session, webhook["id"])
    assert (stored.secret, stored.previous_secret) == (rotated["secret"], webhook["secret"])
    got = api.ok("get", webhook_path(brand, webhook))
    assert "secret" not in got
    assert got["previousSecretExpiresAt"] == "2026-01-16T09:00:00Z"

    frozen_clock.advance(hours=24)
    assert api.ok("get", webhook_path(brand, webhook))["previousSecretExpiresAt"] is None


@pytest.mark.parametrize(
    ("hours", "expires"), [(1, "2026-01-15T10:00:00Z"), (168, "2026-01-22T09:00:00Z")]
)
def test_rotate_secret_takes_a_grace_period(
    api: Api, brand: Json, webhook: Json, frozen_clock: Any, hours: int, expires: str
) -> None:
    rotated = api.ok(
        "post", webhook_path(brand, webhook, "/rotate-secret"), json={"gracePeriodHours": hours}
    )
    assert rotated["previousSecretExpiresAt"] == expires


def test_rotate_secret_with_no_grace_period_retires_the_old_secret_at_once(
    api: Api, brand: Json, webhook: Json, session: Session
) -> None:
    rotated = api.ok(
        "post", webhook_path(brand, webhook, "/rotate-secret"), json={"gracePeriodHours": 0}
    )
    assert rotated["previousSecretExpiresAt"] is None
    stored = stored_webhook(session, webhook["id"])
    assert (stored.secret, stored.previous_secret) == (rotated["secret"], None)


def test_a_replayed_create_does_not_show_the_secret_again(api: Api, brand: Json) -> None:
    body = {"url": PUBLIC_URL, "events": ["*"]}
    headers = {"Idempotency-Key": "create-webhook-1"}
    first = api.post(webhooks_path(brand), json=body, headers=headers)
    replay = api.post(webhooks_path(brand), json=body, headers=headers)

    assert first.status_code == replay.status_code == 201
    assert first.json()["secret"].startswith("whsec_")
    assert replay.json()["id"] == first.json()["id"]
    assert replay.json()["secret"] is None
    assert len(list_webhooks(api, brand)) == 1


def test_subscription_changes_are_activity_entries_not_events(
    api: Api, brand: Json, session: Session
) -> None:
    from tests.webhooks.helpers import brand_events

    webhook = make_webhook(api, brand, events=["ticket.created"])
    api.ok("patch", webhook_path(brand, webhook), json={"events": ["ticket.*"], "enabled": False})
    api.ok("post", webhook_path(brand, webhook, "/rotate-secret"))
    api.ok("delete", webhook_path(brand, webhook), 204)

    logs = webhook_logs(session, webhook["id"])
    assert [e.event for e in logs] == [
        "webhook.created",
        "webhook.updated",
        "webhook.secret_rotated",
        "webhook.deleted",
    ]
    assert logs[1].changes == {
        "events": {"old": ["ticket.created"], "new": ["ticket.*"]},
        "enabled": {"old": True, "new": False},
    }
    assert all(e.performed_by["type"] == "api" for e in logs)
    everything = str([(e.changes, e.metadata_) for e in logs])
    assert webhook["secret"] not in everything
    assert brand_events(session, brand["id"]) == []

    listed = api.ok("get", f"/brands/{brand['id']}/logs", params={"entityType": "webhook"})
    assert {e["entityId"] for e in listed["data"]} == {webhook["id"]}


def test_a_named_host_is_checked_by_what_it_resolves_to(
    api: Api, brand: Json, dns: Resolver
) -> None:
    dns["hooks.example.com"] = ["93.184.216.34"]
    dns["internal.example.com"] = ["10.20.30.40"]

    created = make_webhook(api, brand, url="https://hooks.example.com/dispatch")
    assert created["url"] == "https://hooks.example.com/dispatch"
    problem = assert_problem(
        api.post(
            webhooks_path(brand),
            json={"url": "https://internal.example.com/dispatch", "events": ["*"]},
        ),
        422,
        "webhook_url_blocked",
    )
    assert problem["errors"][0]["field"] == "url"
    assert "10.20.30.40" in problem["message"]


def test_a_refused_private_url_names_the_setting_that_allows_it(
    api: Api, brand: Json, webhook: Json, dns: Resolver
) -> None:
    dns["intranet.example.com"] = ["192.168.1.20"]

    created = api.post(
        webhooks_path(brand), json={"url": "http://127.0.0.1:9000/hook", "events": ["*"]}
    )
    updated = api.patch(
        webhook_path(brand, webhook), json={"url": "https://intranet.example.com/hook"}
    )

    for response in (created, updated):
        problem = assert_problem(response, 422, "webhook_url_blocked")
        assert "DISPATCH_WEBHOOKS_ALLOW_PRIVATE=true" in problem["message"]
        assert problem["errors"] == [{"field": "url", "message": problem["message"]}]
    assert "loopback" in created.json()["message"]
    assert "192.168.1.20" in updated.json()["message"]


def test_private_urls_are_accepted_when_the_setting_allows_them(
    api: Api, brand: Json, allow_private: Any
) -> None:
    created = make_webhook(api, brand, url="http://127.0.0.1:9000/hook")
    assert created["url"] == "http://127.0.0.1:9000/hook"
    updated = api.ok("patch", webhook_path(brand, created), json={"url": "http://10.0.0.5/hook"})
    assert updated["url"] == "http://10.0.0.5/hook"


def test_a_blank_description_is_no_description(api: Api, brand: Json, webhook: Json) -> None:
    assert make_webhook(api, brand, description="   ")["description"] is None
    cleared = api.ok("patch", webhook_path(brand, webhook), json={"description": ""})
    assert cleared["description"] is None

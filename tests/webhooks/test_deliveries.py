"""The delivery log (newest first, cursor pages, filters), one delivery with its attempts,
retry and recover, and the test event."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy.orm import Session

from dispatch.core import clock
from dispatch.core.events import Event
from dispatch.webhooks import payloads, service
from dispatch.webhooks.models import WebhookDelivery
from tests.conftest import Api
from tests.webhooks.helpers import (
    Json,
    add_delivery,
    assert_problem,
    brand_events,
    make_webhook,
    stored_delivery,
    webhook_logs,
    webhook_path,
)

DELIVERY_FIELDS = {
    "id",
    "webhookId",
    "eventId",
    "event",
    "status",
    "attempts",
    "lastAttempt",
    "lastAttemptAt",
    "nextAttemptAt",
    "responseCode",
    "responseBody",
    "error",
    "durationMs",
    "createdAt",
    "completedAt",
    "payload",
}


def deliveries(api: Api, brand: Json, webhook: Json, **params: Any) -> list[Json]:
    page: list[Json] = api.ok("get", webhook_path(brand, webhook, "/deliveries"), params=params)
    return page


def test_the_log_lists_deliveries_newest_first_with_their_payload(
    api: Api, brand: Json, webhook: Json, session: Session
) -> None:
    start = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)
    old = add_delivery(session, webhook, status="SUCCESS", response_code=200, created_at=start)
    new = add_delivery(
        session,
        webhook,
        status="RETRYING",
        created_at=start + timedelta(minutes=1),
        error="Connection refused",
        response_code=None,
        response_body=None,
    )

    response = api.get(webhook_path(brand, webhook, "/deliveries"))

    assert response.status_code == 200
    page = response.json()
    assert [d["id"] for d in page] == [new.id, old.id]  # a plain array, as the reference's
    assert "link" not in response.headers  # one page holds them all
    first, second = page
    assert set(first) == DELIVERY_FIELDS
    assert first["webhookId"] == webhook["id"]
    assert first["event"] == "ticket.created"
    assert first["status"] == "RETRYING"
    assert first["error"] == "Connection refused"
    assert first["nextAttemptAt"] == "2026-01-10T12:06:00Z"
    assert first["lastAttempt"] == first["lastAttemptAt"] == "2026-01-10T12:01:00Z"
    assert first["payload"] == json.loads(new.body)
    assert first["payload"]["event"] == first["payload"]["type"] == "ticket.created"
    assert first["payload"]["id"] == first["eventId"]
    assert second["status"] == "SUCCESS"
    assert second["responseCode"] == 200
    assert second["nextAttemptAt"] is None  # not waiting any more
    assert second["completedAt"] == "2026-01-10T12:00:00Z"
    assert second["durationMs"] == 42


def _follow(api: Api, url: str) -> Any:
    return api.client.get(url, headers={"Authorization": f"Bearer {api.key}"})


def test_the_log_pages_through_every_delivery_by_its_link_header(
    api: Api, brand: Json, webhook: Json, session: Session
) -> None:
    start = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)
    same_time = start + timedelta(minutes=3)
    made = [
        add_delivery(session, webhook, created_at=start + timedelta(minutes=i)) for i in range(3)
    ] + [add_delivery(session, webhook, created_at=same_time) for _ in range(2)]
    expected = sorted(made, key=lambda d: (d.created_at, d.id), reverse=True)
    add_delivery(session, webhook, status="SUCCESS", created_at=same_time)  # filtered out

    seen: list[str] = []
    response = api.get(
        webhook_path(brand, webhook, "/deliveries"), params={"status": "FAILED", "limit": 2}
    )
    for _ in range(10):
        assert response.status_code == 200, response.text
        seen += [d["id"] for d in response.json()]
        if "next" not in response.links:
            break
        url = response.links["next"]["url"]
        assert response.headers["link"] == f'<{url}>; rel="next"'
        query = parse_qs(urlsplit(url).query)
        assert (query["status"], query["limit"]) == (["FAILED"], ["2"])
        response = _follow(api, url)
    assert seen == [d.id for d in expected]  # no skips, no repeats


def test_the_link_header_is_absent_on_the_last_page(
    api: Api, brand: Json, webhook: Json, session: Session
) -> None:
    for _ in range(3):
        add_delivery(session, webhook)
    path = webhook_path(brand, webhook, "/deliveries")

    first = api.get(path, params={"limit": 2})
    last = _follow(api, first.links["next"]["url"])
    whole = api.get(path, params={"limit": 3})

    assert [len(r.json()) for r in (first, last, whole)] == [2, 1, 3]
    assert "link" not in last.headers
    assert "link" not in whole.headers  # exactly one full page: nothing follows


def test_the_log_filters_by_status_and_event(
    api: Api, brand: Json, webhook: Json, session: Session
) -> None:
    failed = add_delivery(session, webhook, status="FAILED", event_type="ticket.updated")
    add_delivery(session, webhook, status="SUCCESS", event_type="ticket.updated")
    add_delivery(session, webhook, status="FAILED", event_type="comment.created")

    by_both = deliveries(api, brand, webhook, status="FAILED", event="ticket.updated")
    assert [d["id"] for d in by_both] == [failed.id]
    assert len(deliveries(api, brand, webhook, status="FAILED")) == 2
    assert len(deliveries(api, brand, webhook, event="ticket.updated")) == 2
    assert deliveries(api, brand, webhook, status="PENDING") == []


def test_long_response_bodies_are_shown_truncated(
    api: Api, brand: Json, webhook: Json, session: Session
) -> None:
    delivery = add_delivery(session, webhook, response_body="x" * 10_000)
    [shown] = deliveries(api, brand, webhook)
    assert shown["responseBody"] == "x" * 4096
    detail = api.ok("get", webhook_path(brand, webhook, f"/deliveries/{delivery.id}"))
    assert detail["responseBody"] == "x" * 4096
    assert {a["responseBody"] for a in detail["attemptLog"]} == {"x" * 4096}


def test_one_delivery_shows_every_attempt(
    api: Api, brand: Json, webhook: Json, session: Session
) -> None:
    at = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)
    delivery = add_delivery(
        session, webhook, status="FAILED", attempts=3, response_code=503, created_at=at
    )

    detail = api.ok("get", webhook_path(brand, webhook, f"/deliveries/{delivery.id}"))

    assert set(detail) == DELIVERY_FIELDS | {"attemptLog"}
    assert detail["attempts"] == 3
    assert [a["number"] for a in detail["attemptLog"]] == [1, 2, 3]
    first = detail["attemptLog"][0]
    assert first == {
        "number": 1,
        "startedAt": "2026-01-10T12:00:01Z",
        "durationMs": 41,
        "responseCode": 503,
        "responseBody": "Internal Server Error",
        "responseHeaders": {"content-type": "text/plain"},
        "error": None,
    }


# --- Retry ----------------------------------------------------------------------------------


@pytest.mark.parametrize("finished", ["FAILED", "SUCCESS"])
def test_retry_puts_a_finished_delivery_back_in_the_queue_now(
    api: Api, brand: Json, webhook: Json, session: Session, frozen_clock: Any, finished: str
) -> None:
    delivery = add_delivery(
        session, webhook, status=finished, created_at=datetime(2026, 1, 10, tzinfo=UTC)
    )
    body, attempts = delivery.body, delivery.attempts

    retried = api.ok("post", webhook_path(brand, webhook, f"/deliveries/{delivery.id}/retry"))

    assert retried["id"] == delivery.id  # the same webhook-id on the next attempt
    assert retried["status"] == "PENDING"
    assert retried["nextAttemptAt"] == "2026-01-15T09:00:00Z"
    assert retried["completedAt"] is None
    stored = stored_delivery(session, delivery.id)
    assert (stored.status, stored.body, stored.attempts) == ("PENDING", body, attempts)
    assert stored.next_attempt_at == frozen_clock.now
    [entry] = [e for e in webhook_logs(session, webhook["id"]) if e.event != "webhook.created"]
    assert entry.event == "webhook.delivery_retried"
    assert entry.metadata_ == {
        "deliveryId": delivery.id,
        "eventId": delivery.event_id,
        "was": finished,
    }


@pytest.mark.parametrize("waiting", ["PENDING", "RETRYING"])
def test_retry_brings_the_next_attempt_of_a_waiting_delivery_forward_to_now(
    api: Api, brand: Json, webhook: Json, session: Session, frozen_clock: Any, waiting: str
) -> None:
    delivery = add_delivery(session, webhook, status=waiting, attempts=2)
    assert delivery.next_attempt_at > frozen_clock.now

    retried = api.ok("post", webhook_path(brand, webhook, f"/deliveries/{delivery.id}/retry"))

    assert (retried["status"], retried["attempts"]) == (waiting, 2)
    assert retried["nextAttemptAt"] == "2026-01-15T09:00:00Z"
    stored = stored_delivery(session, delivery.id)
    assert (stored.status, stored.attempts) == (waiting, 2)
    assert stored.next_attempt_at == frozen_clock.now
    [entry] = [e for e in webhook_logs(session, webhook["id"]) if e.event != "webhook.created"]
    assert entry.event == "webhook.delivery_retried"
    assert entry.metadata_["was"] == waiting


def _leased(session: Session, webhook: Json, until: datetime) -> WebhookDelivery:
    """A waiting delivery a worker has leased (taken to send) until `until`."""
    delivery = stored_delivery(session, add_delivery(session, webhook, status="RETRYING").id)
    delivery.leased_by = "host:123:worker"
    delivery.lease_expires_at = until
    session.commit()
    return delivery


def test_retry_refuses_a_delivery_whose_attempt_is_in_flight(
    api: Api, brand: Json, webhook: Json, session: Session, frozen_clock: Any
) -> None:
    delivery = _leased(session, webhook, until=frozen_clock.now + timedelta(seconds=20))
    scheduled = delivery.next_attempt_at

    response = api.post(webhook_path(brand, webhook, f"/deliveries/{delivery.id}/retry"))

    assert_problem(response, 409, "delivery_pending")
    stored = stored_delivery(session, delivery.id)
    assert (stored.status, stored.next_attempt_at) == ("RETRYING", scheduled)
    assert stored.leased_by == "host:123:worker"


def test_retry_sends_a_delivery_whose_lease_lapsed_now(
    api: Api, brand: Json, webhook: Json, session: Session, frozen_clock: Any
) -> None:
    # A lease outlasts any attempt: once lapsed, its worker died and nothing is in flight.
    delivery = _leased(session, webhook, until=frozen_clock.now - timedelta(seconds=1))

    api.ok("post", webhook_path(brand, webhook, f"/deliveries/{delivery.id}/retry"))

    stored = stored_delivery(session, delivery.id)
    assert (stored.status, stored.next_attempt_at) == ("RETRYING", frozen_clock.now)
    assert (stored.leased_by, stored.lease_expires_at) == (None, None)


def test_retry_and_recover_refuse_a_disabled_webhook(
    api: Api, brand: Json, webhook: Json, session: Session
) -> None:
    delivery = add_delivery(session, webhook, status="FAILED")
    api.ok("patch", webhook_path(brand, webhook), json={"enabled": False})

    retry = api.post(webhook_path(brand, webhook, f"/deliveries/{delivery.id}/retry"))
    recover = api.post(
        webhook_path(brand, webhook, "/recover"), json={"since": "2020-01-01T00:00:00Z"}
    )
    test = api.post(webhook_path(brand, webhook, "/test"))

    for response in (retry, recover, test):
        assert_problem(response, 409, "webhook_disabled")
    assert stored_delivery(session, delivery.id).status == "FAILED"
    assert brand_events(session, brand["id"], "webhook.test") == []


# --- Recover --------------------------------------------------------------------------------


def test_recover_requeues_every_failed_delivery_since_a_time(
    api: Api, brand: Json, webhook: Json, session: Session, frozen_clock: Any
) -> None:
    since = datetime(2026, 1, 12, tzinfo=UTC)
    before = add_delivery(
        session, webhook, status="FAILED", created_at=since - timedelta(seconds=1)
    )
    at_since = add_delivery(session, webhook, status="FAILED", created_at=since)
    after = add_delivery(session, webhook, status="FAILED", created_at=since + timedelta(days=1))
    succeeded = add_delivery(session, webhook, status="SUCCESS", created_at=since)
    waiting = add_delivery(session, webhook, status="RETRYING", created_at=since)
    other = make_webhook(api, brand)
    elsewhere = add_delivery(session, other, status="FAILED", created_at=since)

    result = api.ok(
        "post", webhook_path(brand, webhook, "/recover"), json={"since": "2026-01-12T00:00:00Z"}
    )

    assert result == {"count": 2}
    for delivery in (at_since, after):
        stored = stored_delivery(session, delivery.id)
        assert (stored.status, stored.next_attempt_at, stored.completed_at) == (
            "PENDING",
            frozen_clock.now,
            None,
        )
    assert stored_delivery(session, before.id).status == "FAILED"
    assert stored_delivery(session, succeeded.id).status == "SUCCESS"
    assert stored_delivery(session, waiting.id).status == "RETRYING"
    assert stored_delivery(session, elsewhere.id).status == "FAILED"
    [entry] = [e for e in webhook_logs(session, webhook["id"]) if e.event == "webhook.recovered"]
    assert entry.metadata_ == {"since": "2026-01-12T00:00:00+00:00", "count": 2}


def test_recover_with_nothing_failed_answers_zero(api: Api, brand: Json, webhook: Json) -> None:
    result = api.ok(
        "post",
        webhook_path(brand, webhook, "/recover"),
        json={"since": "2020-01-01T00:00:00+02:00"},
    )
    assert result == {"count": 0}


# --- Test event -----------------------------------------------------------------------------


def test_the_test_endpoint_writes_a_webhook_test_event_for_this_webhook_only(
    api: Api, brand: Json, session: Session
) -> None:
    target = make_webhook(api, brand, events=["ticket.created"])
    everything = make_webhook(api, brand, events=["*"])

    response = api.post(webhook_path(brand, target, "/test"))

    assert response.status_code == 202
    sent = response.json()
    assert list(sent) == ["id", "event", "type", "brand_id", "timestamp", "sequence", "data"]
    assert sent["event"] == sent["type"] == "webhook.test"
    assert sent["brand_id"] == brand["id"]
    assert sent["sequence"] is None
    assert sent["data"]["webhookId"] == target["id"]
    assert sent["data"]["webhook"]["id"] == target["id"]
    assert "secret" not in sent["data"]["webhook"]
    [event] = brand_events(session, brand["id"], "webhook.test")
    assert event.id == sent["id"]
    assert payloads.render(event) == response.content
    assert [w.id for w in service.subscribers_for(session, event)] == [target["id"]]
    assert everything["id"] not in {w.id for w in service.subscribers_for(session, event)}


def test_a_test_event_for_a_webhook_deleted_since_reaches_nobody(
    api: Api, brand: Json, webhook: Json, session: Session
) -> None:
    api.ok("post", webhook_path(brand, webhook, "/test"), 202)
    api.ok("delete", webhook_path(brand, webhook), 204)
    [event] = brand_events(session, brand["id"], "webhook.test")
    assert service.subscribers_for(session, event) == []


# --- What the worker asks -------------------------------------------------------------------


def _event(
    session: Session, brand_id: str, type_: str, data: dict[str, Any] | None = None
) -> Event:
    from dispatch.core import events

    event = events.emit(session, type_, brand_id, data or {})
    session.flush()
    return event


def test_subscribers_are_the_enabled_live_webhooks_whose_patterns_match(
    api: Api, brand: Json, other_api: Api, other_brand: Json, session: Session
) -> None:
    all_events = make_webhook(api, brand, events=["*"])
    tickets = make_webhook(api, brand, events=["ticket.*"])
    created_only = make_webhook(api, brand, events=["ticket.created"])
    comments = make_webhook(api, brand, events=["comment.*", "ticket.comment.created"])
    disabled = make_webhook(api, brand, events=["*"], enabled=False)
    deleted = make_webhook(api, brand, events=["*"])
    api.ok("delete", webhook_path(brand, deleted), 204)
    make_webhook(other_api, other_brand, events=["*"])

    def ids(event_type: str) -> set[str]:
        return {w.id for w in service.subscribers(session, brand["id"], event_type)}

    assert ids("ticket.created") == {all_events["id"], tickets["id"], created_only["id"]}
    assert ids("ticket.updated") == {all_events["id"], tickets["id"]}
    assert ids("ticket.comment.created") == {all_events["id"], tickets["id"], comments["id"]}
    assert ids("comment.deleted") == {all_events["id"], comments["id"]}
    assert ids("status.created") == {all_events["id"]}
    assert ids("notification.requested") == set()
    assert ids("webhook.test") == set()  # targeted: see subscribers_for
    assert disabled["id"] not in ids("status.created")

    event = _event(session, brand["id"], "ticket.created")
    assert {w.id for w in service.subscribers_for(session, event)} == ids("ticket.created")


def test_a_test_event_naming_another_brands_webhook_reaches_nobody(
    api: Api, brand: Json, other_api: Api, other_brand: Json, session: Session
) -> None:
    foreign = make_webhook(other_api, other_brand)
    event = _event(session, brand["id"], "webhook.test", {"webhookId": foreign["id"]})
    assert service.subscribers_for(session, event) == []
    malformed = _event(session, brand["id"], "webhook.test", {"webhookId": 7})
    assert service.subscribers_for(session, malformed) == []


def test_results_keep_the_webhooks_health_record(
    api: Api, brand: Json, webhook: Json, session: Session, frozen_clock: Any
) -> None:
    first_failure = frozen_clock.now
    service.record_failure(session, webhook["id"])
    frozen_clock.advance(minutes=5)
    service.record_failure(session, webhook["id"])
    session.commit()

    failing = api.ok("get", webhook_path(brand, webhook))
    assert failing["failureCount"] == 2
    assert failing["failingSince"] == "2026-01-15T09:00:00Z"
    assert failing["lastFailure"] == failing["lastFailureAt"] == "2026-01-15T09:05:00Z"
    assert failing["lastTriggered"] == failing["lastTriggeredAt"] == "2026-01-15T09:05:00Z"
    assert first_failure < clock.now()

    frozen_clock.advance(minutes=5)
    service.record_success(session, webhook["id"])
    session.commit()
    healthy = api.ok("get", webhook_path(brand, webhook))
    assert (healthy["failureCount"], healthy["failingSince"]) == (0, None)
    assert healthy["lastSuccessAt"] == healthy["lastTriggeredAt"] == "2026-01-15T09:10:00Z"
    assert healthy["lastFailureAt"] == "2026-01-15T09:05:00Z"


def test_disabling_for_a_reason_writes_an_event_and_an_activity_entry(
    api: Api, brand: Json, session: Session
) -> None:
    failing = make_webhook(api, brand, events=["ticket.*"])
    watcher = make_webhook(api, brand, events=["webhook.*"])
    waiting = add_delivery(session, failing, status="RETRYING")

    event = service.disable_webhook(session, failing["id"], reason="Endpoint answered 410 Gone")
    session.commit()

    assert event is not None
    assert event.type == "webhook.disabled"
    assert event.data["webhookId"] == failing["id"]
    assert event.data["reason"] == "Endpoint answered 410 Gone"
    assert "secret" not in event.data["webhook"]
    assert [w.id for w in service.subscribers_for(session, event)] == [watcher["id"]]
    shown = api.ok("get", webhook_path(brand, failing))
    assert (shown["enabled"], shown["disabledReason"]) == (False, "Endpoint answered 410 Gone")
    stopped = stored_delivery(session, waiting.id)
    assert stopped.status == "FAILED"
    assert stopped.error == "Webhook disabled: Endpoint answered 410 Gone"
    entry = webhook_logs(session, failing["id"])[-1]
    assert entry.event == "webhook.disabled"
    assert entry.performed_by["type"] == "system"
    assert entry.account_id == api.account_id
    # Already disabled: nothing more happens.
    assert service.disable_webhook(session, failing["id"], reason="again") is None
    assert len(brand_events(session, brand["id"], "webhook.disabled")) == 1

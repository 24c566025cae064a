"""Delivery against a local receiver: signed POSTs, outcomes, retries and their schedule,
Retry-After, redirects, timeouts, resets, 410, huge bodies and webhook health. The worker
runs one pass at a time on the test's database; a frozen clock makes retries due."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from dispatch import __version__
from dispatch.accounts import service as accounts
from dispatch.accounts.schemas import NewMember
from dispatch.webhooks import signing
from dispatch.webhooks.models import Webhook
from dispatch.worker.config import RESPONSE_BODY_LIMIT
from dispatch.worker.runner import Worker
from tests.conftest import Api, make_ticket
from tests.worker.conftest import SECRET
from tests.worker.helpers import (
    TEST_CONFIG,
    add_event,
    add_webhook,
    attempts_of,
    deliveries_of,
    events_of,
    only_delivery,
    webhook_row,
)
from tests.worker.receiver import Receiver, Reply

pytestmark = pytest.mark.usefixtures("frozen_clock")


def _deliver_one(session: Session, brand: dict[str, Any], worker: Worker) -> None:
    add_event(session, brand["id"], "ticket.updated", id="tkt_x", title="Hello")
    worker.run_once()


def test_every_event_type_of_a_ticket_arrives_signed_with_both_schemes(
    api: Api, brand: dict[str, Any], webhook: Webhook, receiver: Receiver, worker: Worker
) -> None:
    ticket = make_ticket(api, brand)
    api.ok("patch", f"/brands/{brand['id']}/tickets/{ticket['id']}", json={"priority": "high"})
    api.ok(
        "post", f"/brands/{brand['id']}/tickets/{ticket['id']}/comments", 201, json={"body": "Hi"}
    )
    passed = worker.run_once()

    received = receiver.wait_for(passed.sent)
    types = {r.headers["x-dispatch-event"] for r in received}
    assert {"ticket.created", "ticket.updated", "comment.created"} <= types
    assert receiver.signature_failures() == []
    assert all(r.signature_problems == () for r in received)


def test_delivery_carries_the_documented_headers_and_the_stored_body(
    session: Session, brand: dict[str, Any], webhook: Webhook, receiver: Receiver, worker: Worker
) -> None:
    _deliver_one(session, brand, worker)
    (request,) = receiver.wait_for(1)
    delivery = only_delivery(session, webhook.id)
    headers = request.headers
    assert request.body == delivery.body.encode()
    assert request.path == "/hooks"
    assert headers["content-type"] == "application/json"
    assert headers["user-agent"] == f"Dispatch-Webhooks/{__version__}"
    assert headers["x-dispatch-event"] == "ticket.updated"
    assert headers["x-dispatch-delivery"] == delivery.id
    assert headers["webhook-id"] == delivery.id
    assert signing.verify_dispatch_signature(request.body, headers["x-dispatch-signature"], SECRET)


def test_success_is_recorded_on_delivery_attempt_and_webhook(
    session: Session, brand: dict[str, Any], webhook: Webhook, receiver: Receiver, worker: Worker
) -> None:
    receiver.default = Reply(202, b'{"received":true}')
    _deliver_one(session, brand, worker)
    delivery = only_delivery(session, webhook.id)
    assert delivery.status == "SUCCESS"
    assert delivery.attempts == 1
    assert delivery.response_code == 202
    assert delivery.response_body == '{"received":true}'
    assert delivery.error is None
    assert delivery.completed_at is not None
    assert delivery.leased_by is None
    assert delivery.duration_ms is not None
    (attempt,) = attempts_of(session, delivery.id)
    assert (attempt.number, attempt.response_code) == (1, 202)
    hook = webhook_row(session, webhook.id)
    assert hook.last_success_at is not None
    assert hook.last_triggered_at is not None
    assert hook.failure_count == 0


def test_500_then_200_retries_on_schedule_with_the_same_webhook_id(
    session: Session,
    brand: dict[str, Any],
    webhook: Webhook,
    receiver: Receiver,
    worker: Worker,
    frozen_clock: Any,
) -> None:
    receiver.script(Reply(500, b"boom"), Reply(200))
    _deliver_one(session, brand, worker)
    delivery = only_delivery(session, webhook.id)
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("RETRYING", 1, 500)
    assert delivery.error == "HTTP 500"
    first_retry = TEST_CONFIG.retry_schedule[0]
    wait = (delivery.next_attempt_at - frozen_clock.now).total_seconds()
    assert first_retry * 0.8 <= wait <= first_retry * 1.2
    hook = webhook_row(session, webhook.id)
    assert (hook.failure_count, hook.failing_since) == (1, frozen_clock.now)

    worker.run_once()  # not due yet
    assert len(receiver.received) == 1
    frozen_clock.advance(seconds=wait)
    worker.run_once()

    first, second = receiver.wait_for(2)
    assert first.webhook_id == second.webhook_id == delivery.id
    assert first.body == second.body
    delivery = only_delivery(session, webhook.id)
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("SUCCESS", 2, 200)
    assert [a.response_code for a in attempts_of(session, delivery.id)] == [500, 200]
    hook = webhook_row(session, webhook.id)
    assert (hook.failure_count, hook.failing_since) == (0, None)


def test_delivery_fails_for_good_after_the_last_scheduled_retry(
    session: Session,
    brand: dict[str, Any],
    webhook: Webhook,
    receiver: Receiver,
    worker: Worker,
    frozen_clock: Any,
) -> None:
    receiver.default = Reply(500)
    _deliver_one(session, brand, worker)
    for _ in TEST_CONFIG.retry_schedule:
        frozen_clock.advance(days=1)
        worker.run_once()
    delivery = only_delivery(session, webhook.id)
    assert delivery.status == "FAILED"
    assert delivery.attempts == len(TEST_CONFIG.retry_schedule) + 1
    assert delivery.completed_at is not None
    frozen_clock.advance(days=1)
    worker.run_once()
    assert len(receiver.received) == len(TEST_CONFIG.retry_schedule) + 1


@pytest.mark.parametrize(
    ("reply", "at_least"),
    [
        (Reply(503, headers={"Retry-After": "600"}), 600),
        (Reply(429, headers={"Retry-After": "Thu, 15 Jan 2026 09:20:00 GMT"}), 1200),
    ],
    ids=["503-seconds", "429-http-date"],
)
def test_retry_after_postpones_the_next_attempt(
    session: Session,
    brand: dict[str, Any],
    webhook: Webhook,
    receiver: Receiver,
    worker: Worker,
    frozen_clock: Any,
    reply: Reply,
    at_least: int,
) -> None:
    receiver.script(reply)
    _deliver_one(session, brand, worker)
    delivery = only_delivery(session, webhook.id)
    assert delivery.status == "RETRYING"
    assert delivery.next_attempt_at - frozen_clock.now == timedelta(seconds=at_least)
    frozen_clock.advance(seconds=at_least - 1)
    worker.run_once()
    assert len(receiver.received) == 1
    frozen_clock.advance(seconds=1)
    worker.run_once()
    assert len(receiver.received) == 2
    assert only_delivery(session, webhook.id).status == "SUCCESS"


def test_429_without_retry_after_is_retried_on_the_schedule(
    session: Session, brand: dict[str, Any], webhook: Webhook, receiver: Receiver, worker: Worker
) -> None:
    receiver.script(Reply(429))
    _deliver_one(session, brand, worker)
    delivery = only_delivery(session, webhook.id)
    assert (delivery.status, delivery.response_code, delivery.error) == (
        "RETRYING",
        429,
        "HTTP 429",
    )


def test_redirect_is_not_followed_and_counts_as_a_failure(
    session: Session, brand: dict[str, Any], webhook: Webhook, receiver: Receiver, worker: Worker
) -> None:
    receiver.script(Reply(301, headers={"Location": f"{receiver.url}/moved"}))
    _deliver_one(session, brand, worker)
    delivery = only_delivery(session, webhook.id)
    assert delivery.status == "RETRYING"
    assert delivery.response_code == 301
    assert delivery.error == f"Redirect not followed: 301 to {receiver.url}/moved"
    assert [r.path for r in receiver.received] == ["/hooks"]


def test_slow_endpoint_times_out_and_is_retried(
    session: Session, brand: dict[str, Any], webhook: Webhook, receiver: Receiver, database: Any
) -> None:
    worker = Worker(database, TEST_CONFIG.__class__(timeout=0.3, allow_private=True))
    try:
        receiver.script(Reply(200, delay=2.0))
        _deliver_one(session, brand, worker)
    finally:
        worker.close()
    delivery = only_delivery(session, webhook.id)
    assert delivery.status == "RETRYING"
    assert delivery.response_code is None
    assert delivery.error is not None
    assert delivery.error.startswith("Timed out after 0.3 s")
    assert delivery.duration_ms is not None
    assert delivery.duration_ms < 1500


def test_connection_reset_is_a_retried_failure(
    session: Session, brand: dict[str, Any], webhook: Webhook, receiver: Receiver, worker: Worker
) -> None:
    receiver.script(Reply(reset=True))
    _deliver_one(session, brand, worker)
    delivery = only_delivery(session, webhook.id)
    assert delivery.status == "RETRYING"
    assert delivery.response_code is None
    assert delivery.error is not None
    (attempt,) = attempts_of(session, delivery.id)
    assert attempt.error == delivery.error


def test_refused_connection_is_a_retried_failure(
    session: Session, brand: dict[str, Any], worker: Worker
) -> None:
    webhook = add_webhook(session, brand["id"], "http://127.0.0.1:9/closed")
    _deliver_one(session, brand, worker)
    delivery = only_delivery(session, webhook.id)
    assert delivery.status == "RETRYING"
    assert delivery.error is not None
    assert "ConnectError" in delivery.error


@pytest.mark.parametrize(
    "reply",
    [Reply(200, body_size=50 * 1024 * 1024), Reply(500, endless=True)],
    ids=["50MB", "endless"],
)
def test_huge_or_endless_response_body_is_cut_at_the_limit(
    session: Session,
    brand: dict[str, Any],
    webhook: Webhook,
    receiver: Receiver,
    worker: Worker,
    reply: Reply,
) -> None:
    receiver.script(reply)
    _deliver_one(session, brand, worker)
    delivery = only_delivery(session, webhook.id)
    assert delivery.response_code == reply.status
    assert delivery.status == ("SUCCESS" if reply.status == 200 else "RETRYING")
    assert delivery.response_body == "x" * RESPONSE_BODY_LIMIT
    assert delivery.duration_ms is not None
    assert delivery.duration_ms < 1500


def test_410_disables_the_webhook_fails_its_waiting_deliveries_and_tells_the_owners(
    api: Api,
    session: Session,
    brand: dict[str, Any],
    webhook: Webhook,
    receiver: Receiver,
    worker: Worker,
) -> None:
    accounts.add_member(
        session, api.account_id, NewMember(email="owner@acme.example", role="owner")
    )
    session.commit()
    receiver.script(Reply(410, b"gone"))
    add_event(session, brand["id"], "ticket.updated", id="tkt_1")
    worker.run_once()
    receiver.wait_for(1)
    add_event(session, brand["id"], "ticket.updated", id="tkt_2")
    worker.run_once()

    hook = webhook_row(session, webhook.id)
    assert hook.enabled is False
    assert hook.disabled_reason == "The endpoint answered 410 Gone"
    assert len(receiver.received) == 1
    first, *rest = deliveries_of(session, webhook.id)
    assert (first.status, first.response_code) == ("FAILED", 410)
    assert "webhook disabled" in (first.error or "")
    assert all(d.status != "SUCCESS" for d in rest)
    (disabled,) = events_of(session, brand["id"], "webhook.disabled")
    assert disabled.data["webhookId"] == webhook.id
    (note,) = events_of(session, brand["id"], "notification.requested")
    assert note.data["recipient"] == "owner@acme.example"


def test_endpoint_failing_for_five_days_is_disabled_with_event_and_owner_emails(
    session: Session,
    brand: dict[str, Any],
    receiver: Receiver,
    database: Any,
    frozen_clock: Any,
    api: Api,
) -> None:
    accounts.add_member(session, api.account_id, NewMember(email="boss@acme.example", role="owner"))
    accounts.add_member(
        session, api.account_id, NewMember(email="helper@acme.example", role="member")
    )
    session.commit()
    webhook = add_webhook(session, brand["id"], receiver.url, secret=SECRET)
    receiver.default = Reply(500)
    config = TEST_CONFIG.__class__(allow_private=True, disable_after=timedelta(hours=120))
    worker = Worker(database, config)
    try:
        # Every day a new event, and every delivery fails.
        for _day in range(5):
            add_event(session, brand["id"])
            worker.run_once()
            assert webhook_row(session, webhook.id).enabled is True
            frozen_clock.advance(days=1)
        add_event(session, brand["id"])
        worker.run_once()
    finally:
        worker.close()

    hook = webhook_row(session, webhook.id)
    assert hook.enabled is False
    assert "120 hours" in (hook.disabled_reason or "")
    assert hook.failure_count >= 5
    (disabled,) = events_of(session, brand["id"], "webhook.disabled")
    assert disabled.data["webhookId"] == webhook.id
    notes = events_of(session, brand["id"], "notification.requested")
    assert [n.data["recipient"] for n in notes] == ["boss@acme.example"]
    (note,) = notes
    assert note.data["channel"] == "email"
    assert note.data["reason"] == "webhook_disabled"
    assert (note.data["webhookId"], note.data["url"]) == (webhook.id, receiver.url)


def test_a_success_in_between_resets_the_failing_streak(
    session: Session,
    brand: dict[str, Any],
    webhook: Webhook,
    receiver: Receiver,
    worker: Worker,
    frozen_clock: Any,
) -> None:
    receiver.script(Reply(500), Reply(200))
    _deliver_one(session, brand, worker)
    assert webhook_row(session, webhook.id).failing_since is not None
    frozen_clock.advance(days=1)
    worker.run_once()
    hook = webhook_row(session, webhook.id)
    assert (hook.enabled, hook.failing_since, hook.failure_count) == (True, None, 0)


def test_during_a_rotation_both_secrets_sign(
    session: Session, brand: dict[str, Any], receiver: Receiver, worker: Worker, frozen_clock: Any
) -> None:
    new_secret = signing.generate_secret()
    add_webhook(
        session,
        brand["id"],
        receiver.url,
        secret=new_secret,
        previous_secret=SECRET,
        previous_secret_expires_at=frozen_clock.now + timedelta(hours=1),
    )
    _deliver_one(session, brand, worker)
    (request,) = receiver.wait_for(1)
    assert receiver.signature_failures() == []  # the old secret still verifies
    assert len(request.headers["webhook-signature"].split()) == 2
    receiver.secrets = [new_secret]
    frozen_clock.advance(hours=2)
    _deliver_one(session, brand, worker)
    received = receiver.wait_for(2)
    assert received[1].signature_problems == ()
    assert len(received[1].headers["webhook-signature"].split()) == 1


def test_private_address_is_refused_at_send_time_unless_allowed(
    session: Session, brand: dict[str, Any], webhook: Webhook, receiver: Receiver, database: Any
) -> None:
    guarded = Worker(database, TEST_CONFIG.__class__(allow_private=False))
    try:
        _deliver_one(session, brand, guarded)
    finally:
        guarded.close()
    delivery = only_delivery(session, webhook.id)
    assert delivery.status == "RETRYING"
    assert (delivery.error or "").startswith("Address refused")
    assert "loopback" in (delivery.error or "")
    assert receiver.received == []


def test_outcome_is_dropped_when_the_lease_was_taken_over(
    session: Session,
    brand: dict[str, Any],
    webhook: Webhook,
    receiver: Receiver,
    database: Any,
) -> None:
    from dispatch.worker import delivery as deliveries

    receiver.script(Reply(500))
    add_event(session, brand["id"])
    first = Worker(database, TEST_CONFIG, name="first")
    second = Worker(database, TEST_CONFIG, name="second")
    try:
        first.run_once()  # fan out and send once: RETRYING
        only = only_delivery(session, webhook.id)
        only.next_attempt_at = only.created_at
        session.commit()
        with database.session() as s:
            (job,) = deliveries.claim(s, TEST_CONFIG, worker="first", capacity=1)
            s.commit()
        # The lease lapses and the second worker takes the delivery over.
        with database.session() as s:
            d = s.get(type(only), only.id)
            assert d is not None
            d.lease_expires_at = d.created_at
            s.commit()
        second.run_once()
        attempt = deliveries.send(first.sender, job)
        with database.session() as s, pytest.raises(deliveries.LeaseLost):
            deliveries.record(s, TEST_CONFIG, job, attempt, worker="first")
    finally:
        first.close()
        second.close()
    assert [a.response_code for a in attempts_of(session, only.id)] == [500, 200]
    assert only_delivery(session, webhook.id).status == "SUCCESS"
    assert len(receiver.received) == 3

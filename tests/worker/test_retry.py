"""Retry now (POST .../deliveries/:id/retry) against a local receiver: a delivery waiting for
its next scheduled attempt is sent at once and its schedule goes on from that attempt; one
a worker is sending right now is refused until the attempt is recorded."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session

from dispatch.core.db import Database
from dispatch.webhooks.models import Webhook
from dispatch.worker import delivery as sending
from dispatch.worker.runner import Worker
from tests.conftest import Api
from tests.statuses.helpers import assert_problem
from tests.worker.helpers import TEST_CONFIG, add_event, attempts_of, only_delivery
from tests.worker.receiver import Receiver, Reply

pytestmark = pytest.mark.usefixtures("frozen_clock")


def _retry(api: Api, brand: dict[str, Any], webhook: Webhook, delivery_id: str) -> Any:
    return api.post(f"/brands/{brand['id']}/webhooks/{webhook.id}/deliveries/{delivery_id}/retry")


def _waits(seconds: float, step: float) -> bool:
    """Whether `seconds` is the retry schedule's `step` delay (with its jitter)."""
    return step * 0.8 <= seconds <= step * 1.2


def test_retry_now_sends_a_waiting_delivery_at_once_and_its_schedule_goes_on(
    api: Api,
    brand: dict[str, Any],
    session: Session,
    webhook: Webhook,
    receiver: Receiver,
    worker: Worker,
    frozen_clock: Any,
) -> None:
    receiver.script(Reply(500), Reply(503))  # then the default 200
    add_event(session, brand["id"])
    worker.run_once()
    delivery = only_delivery(session, webhook.id)
    assert (delivery.status, delivery.attempts) == ("RETRYING", 1)
    worker.run_once()  # its next attempt is a minute away
    assert len(receiver.received) == 1

    retried = _retry(api, brand, webhook, delivery.id)
    assert retried.status_code == 200, retried.text
    assert (retried.json()["status"], retried.json()["attempts"]) == ("RETRYING", 1)
    worker.run_once()

    receiver.wait_for(2)
    delivery = only_delivery(session, webhook.id)
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("RETRYING", 2, 503)
    # The schedule's second delay follows the second attempt, not its first again.
    wait = (delivery.next_attempt_at - frozen_clock.now).total_seconds()
    assert _waits(wait, TEST_CONFIG.retry_schedule[1])

    assert _retry(api, brand, webhook, delivery.id).status_code == 200
    worker.run_once()

    first, second, third = receiver.wait_for(3)
    assert first.webhook_id == second.webhook_id == third.webhook_id == delivery.id
    delivery = only_delivery(session, webhook.id)
    assert (delivery.status, delivery.attempts) == ("SUCCESS", 3)
    assert [a.response_code for a in attempts_of(session, delivery.id)] == [500, 503, 200]


def test_retry_now_is_refused_while_a_worker_is_sending_the_delivery(
    api: Api,
    brand: dict[str, Any],
    session: Session,
    database: Database,
    webhook: Webhook,
    receiver: Receiver,
    worker: Worker,
    frozen_clock: Any,
) -> None:
    receiver.script(Reply(500))
    add_event(session, brand["id"])
    worker.run_once()
    frozen_clock.advance(seconds=TEST_CONFIG.retry_schedule[0] * 1.2)
    with database.session() as s:
        (job,) = sending.claim(s, TEST_CONFIG, worker="busy", capacity=1)
        s.commit()

    assert_problem(_retry(api, brand, webhook, job.delivery_id), 409, "delivery_pending")

    attempt = sending.send(worker.sender, job)
    with database.session() as s:
        sending.record(s, TEST_CONFIG, job, attempt, worker="busy")
        s.commit()
    assert only_delivery(session, webhook.id).status == "SUCCESS"
    assert _retry(api, brand, webhook, job.delivery_id).status_code == 200

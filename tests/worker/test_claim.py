"""Claiming deliveries: leases keep a delivery with one worker at a time, lapse when that
worker dies, respect the per-endpoint cap, and share capacity fairly across endpoints."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from dispatch.core.db import Database
from dispatch.webhooks.models import Webhook, WebhookDelivery
from dispatch.worker import delivery
from dispatch.worker.config import WorkerConfig
from dispatch.worker.fanout import fan_out
from tests.worker.helpers import TEST_CONFIG, add_event, add_webhook, deliveries_of

pytestmark = pytest.mark.usefixtures("frozen_clock")

URL = "http://127.0.0.1:9/hooks"


def _events(session: Session, database: Database, brand_id: str, count: int) -> None:
    for _ in range(count):
        add_event(session, brand_id)
    with database.session() as s:
        while fan_out(s, batch=100).events:
            pass
        s.commit()


def _claim(
    database: Database, worker: str, capacity: int, config: WorkerConfig = TEST_CONFIG
) -> list[delivery.Job]:
    with database.session() as s:
        jobs = delivery.claim(s, config, worker=worker, capacity=capacity)
        s.commit()
    return jobs


def test_claimed_deliveries_are_leased_and_not_claimed_again(
    brand: dict[str, Any], session: Session, database: Database, frozen_clock: Any
) -> None:
    webhook = add_webhook(session, brand["id"], URL)
    _events(session, database, brand["id"], 3)
    first = _claim(database, "w1", 10)
    second = _claim(database, "w2", 10)
    assert len(first) == 3
    assert second == []
    for d in deliveries_of(session, webhook.id):
        assert d.leased_by == "w1"
        assert d.lease_expires_at == frozen_clock.now + TEST_CONFIG.lease


def test_lease_of_a_dead_worker_lapses_and_another_worker_takes_over(
    brand: dict[str, Any], session: Session, database: Database, frozen_clock: Any
) -> None:
    add_webhook(session, brand["id"], URL)
    _events(session, database, brand["id"], 1)
    (job,) = _claim(database, "dead", 1)
    frozen_clock.advance(seconds=TEST_CONFIG.lease.total_seconds() - 1)
    assert _claim(database, "alive", 1) == []
    frozen_clock.advance(seconds=1)
    (again,) = _claim(database, "alive", 1)
    assert again.delivery_id == job.delivery_id
    assert again.body == job.body


def test_lease_lasts_longer_than_an_attempt_can() -> None:
    config = WorkerConfig(timeout=15.0)
    assert config.lease > timedelta(seconds=15)
    assert config.lease <= timedelta(seconds=30)


def test_per_endpoint_cap_holds_across_workers(
    brand: dict[str, Any], session: Session, database: Database
) -> None:
    add_webhook(session, brand["id"], URL)
    _events(session, database, brand["id"], 10)
    capped = WorkerConfig(max_in_flight_per_endpoint=3, allow_private=True)
    assert len(_claim(database, "w1", 10, capped)) == 3
    assert _claim(database, "w2", 10, capped) == []


def test_a_noisy_endpoint_does_not_starve_a_quiet_one(
    brand: dict[str, Any], session: Session, database: Database
) -> None:
    noisy = add_webhook(session, brand["id"], URL, events=["ticket.updated"])
    quiet = add_webhook(session, brand["id"], URL, events=["ticket.closed"])
    _events(session, database, brand["id"], 40)  # ticket.updated: the noisy one's
    add_event(session, brand["id"], "ticket.closed")
    with database.session() as s:
        fan_out(s, batch=100)
        s.commit()

    jobs = _claim(database, "w1", 3, WorkerConfig(max_in_flight_per_endpoint=10))
    by_webhook = [j.webhook_id for j in jobs]
    assert quiet.id in by_webhook
    assert by_webhook.count(noisy.id) == 2


def test_released_leases_are_claimable_at_once(
    brand: dict[str, Any], session: Session, database: Database
) -> None:
    add_webhook(session, brand["id"], URL)
    _events(session, database, brand["id"], 2)
    assert len(_claim(database, "leaving", 5)) == 2
    with database.session() as s:
        assert delivery.release(s, worker="leaving") == 2
        s.commit()
    assert len(_claim(database, "next", 5)) == 2


def test_deliveries_of_disabled_or_deleted_webhooks_are_not_claimed(
    brand: dict[str, Any], session: Session, database: Database
) -> None:
    paused = add_webhook(session, brand["id"], URL)
    _events(session, database, brand["id"], 2)
    paused.enabled = False
    session.commit()
    assert _claim(database, "w1", 5) == []
    paused.enabled = True
    paused.deleted_at = paused.created_at
    session.commit()
    assert _claim(database, "w1", 5) == []


def test_future_retries_are_not_claimed_before_they_are_due(
    brand: dict[str, Any], session: Session, database: Database, frozen_clock: Any
) -> None:
    webhook: Webhook = add_webhook(session, brand["id"], URL)
    _events(session, database, brand["id"], 1)
    (d,) = deliveries_of(session, webhook.id)
    d.status = "RETRYING"
    d.next_attempt_at = frozen_clock.now + timedelta(minutes=5)
    session.commit()
    assert _claim(database, "w1", 5) == []
    frozen_clock.advance(minutes=5)
    assert [j.delivery_id for j in _claim(database, "w1", 5)] == [d.id]
    assert isinstance(d, WebhookDelivery)

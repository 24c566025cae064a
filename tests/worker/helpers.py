"""Builders and lookups shared by the worker tests."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch.core import clock, events
from dispatch.core.events import Event
from dispatch.core.ids import new_id
from dispatch.webhooks import signing
from dispatch.webhooks.models import DeliveryAttempt, Webhook, WebhookDelivery
from dispatch.worker.config import WorkerConfig

# Loopback receivers; a schedule long enough that nothing retries unless a test moves
# the (frozen) clock.
TEST_CONFIG = WorkerConfig(
    concurrency=8,
    max_in_flight_per_endpoint=4,
    timeout=2.0,
    retry_schedule=(60.0, 120.0, 240.0),
    allow_private=True,
    poll_seconds=0.05,
    shutdown_seconds=5.0,
)


def add_webhook(
    session: Session,
    brand_id: str,
    url: str,
    *,
    events: list[str] | None = None,
    secret: str | None = None,
    enabled: bool = True,
    previous_secret: str | None = None,
    previous_secret_expires_at: datetime | None = None,
    commit: bool = True,
) -> Webhook:
    """A webhook row written directly (the subscription API is tested elsewhere)."""
    now = clock.now()
    webhook = Webhook(
        id=new_id("wh"),
        brand_id=brand_id,
        url=url,
        events=events or ["*"],
        description=None,
        secret=secret or signing.generate_secret(),
        previous_secret=previous_secret,
        previous_secret_expires_at=previous_secret_expires_at,
        enabled=enabled,
        disabled_reason=None,
        failure_count=0,
        failing_since=None,
        last_triggered_at=None,
        last_success_at=None,
        last_failure_at=None,
        created_at=now,
        updated_at=now,
        deleted_at=None,
    )
    session.add(webhook)
    if commit:
        session.commit()
    else:
        session.flush()
    return webhook


def add_event(session: Session, brand_id: str, type: str = "ticket.updated", **data: Any) -> Event:
    """An event through the outbox, committed (not yet fanned out)."""
    event = events.emit(
        session, type, brand_id, data or {"id": new_id("tkt"), "title": "Order never arrived"}
    )
    session.commit()
    return event


def deliveries_of(session: Session, webhook_id: str) -> list[WebhookDelivery]:
    session.expire_all()
    stmt = (
        select(WebhookDelivery)
        .where(WebhookDelivery.webhook_id == webhook_id)
        .order_by(WebhookDelivery.created_at, WebhookDelivery.id)
    )
    return list(session.scalars(stmt))


def only_delivery(session: Session, webhook_id: str) -> WebhookDelivery:
    found = deliveries_of(session, webhook_id)
    assert len(found) == 1, [(d.event_type, d.status) for d in found]
    return found[0]


def attempts_of(session: Session, delivery_id: str) -> list[DeliveryAttempt]:
    session.expire_all()
    stmt = (
        select(DeliveryAttempt)
        .where(DeliveryAttempt.delivery_id == delivery_id)
        .order_by(DeliveryAttempt.number)
    )
    return list(session.scalars(stmt))


def webhook_row(session: Session, webhook_id: str) -> Webhook:
    session.expire_all()
    found = session.get(Webhook, webhook_id)
    assert found is not None
    return found


def events_of(session: Session, brand_id: str, type: str) -> list[Event]:
    session.expire_all()
    stmt = (
        select(Event).where(Event.brand_id == brand_id, Event.type == type).order_by(Event.position)
    )
    return list(session.scalars(stmt))

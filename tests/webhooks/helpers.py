"""Paths, builders and checks shared by the webhook tests."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch.audit.models import AuditLog
from dispatch.core import clock
from dispatch.core.events import Event
from dispatch.core.ids import new_id
from dispatch.webhooks import payloads
from dispatch.webhooks.models import DeliveryAttempt, Webhook, WebhookDelivery
from tests.conftest import Api
from tests.statuses.helpers import assert_problem, error_fields

__all__ = ["assert_problem", "error_fields"]

Json = dict[str, Any]

# Public addresses, written literally so no test needs DNS (nothing is sent to them).
PUBLIC_URL = "https://93.184.216.34/hooks/dispatch"
OTHER_PUBLIC_URL = "https://[2606:4700:4700::1111]:8443/in"


def webhooks_path(brand: Json | str, suffix: str = "") -> str:
    brand_id = brand if isinstance(brand, str) else brand["id"]
    return f"/brands/{brand_id}/webhooks{suffix}"


def webhook_path(brand: Json | str, webhook: Json | str, suffix: str = "") -> str:
    webhook_id = webhook if isinstance(webhook, str) else webhook["id"]
    return webhooks_path(brand, f"/{webhook_id}{suffix}")


def make_webhook(api: Api, brand: Json, **body: Any) -> Json:
    payload = {"url": PUBLIC_URL, "events": ["*"], **body}
    created: Json = api.ok("post", webhooks_path(brand), 201, json=payload)
    return created


def list_webhooks(api: Api, brand: Json) -> list[Json]:
    listed: list[Json] = api.ok("get", webhooks_path(brand))
    return listed


def stored_webhook(session: Session, webhook_id: str) -> Webhook:
    session.expire_all()
    found = session.get(Webhook, webhook_id)
    assert found is not None
    return found


def webhook_logs(session: Session, webhook_id: str) -> list[AuditLog]:
    session.expire_all()
    stmt = (
        select(AuditLog)
        .where(AuditLog.entity_type == "webhook", AuditLog.entity_id == webhook_id)
        .order_by(AuditLog.created_at, AuditLog.id)
    )
    return list(session.scalars(stmt))


def brand_events(session: Session, brand_id: str, *types: str) -> list[Event]:
    session.expire_all()
    stmt = select(Event).where(Event.brand_id == brand_id).order_by(Event.position)
    if types:
        stmt = stmt.where(Event.type.in_(types))
    return list(session.scalars(stmt))


def add_delivery(
    session: Session,
    webhook: Json,
    *,
    status: str = "FAILED",
    event_type: str = "ticket.created",
    created_at: datetime | None = None,
    attempts: int = 1,
    response_code: int | None = 500,
    response_body: str | None = "Internal Server Error",
    error: str | None = None,
) -> WebhookDelivery:
    """A delivery row for an event of the webhook's brand, written as the worker would
    (the event is written directly, not emitted: already fanned out, it has no inbox row)."""
    at = created_at or clock.now()
    event = Event(
        id=new_id("evt"),
        type=event_type,
        brand_id=webhook["brandId"],
        ticket_id=None,
        sequence=None,
        data={"id": new_id("tkt"), "title": "Order never arrived"},
        created_at=at,
    )
    session.add(event)
    session.flush()
    finished = status in ("SUCCESS", "FAILED")
    delivery = WebhookDelivery(
        id=new_id("whd"),
        webhook_id=webhook["id"],
        brand_id=webhook["brandId"],
        event_id=event.id,
        event_type=event_type,
        body=payloads.render(event).decode(),
        status=status,
        attempts=attempts,
        next_attempt_at=at + timedelta(minutes=5),
        leased_by=None,
        lease_expires_at=None,
        last_attempt_at=at if attempts else None,
        response_code=response_code,
        response_body=response_body,
        error=error,
        duration_ms=42 if attempts else None,
        created_at=at,
        completed_at=at if finished else None,
    )
    session.add(delivery)
    session.flush()  # attempts reference it (no ORM relationship orders the inserts)
    for number in range(1, attempts + 1):
        session.add(
            DeliveryAttempt(
                id=new_id("wha"),
                delivery_id=delivery.id,
                number=number,
                started_at=at + timedelta(seconds=number),
                duration_ms=40 + number,
                response_code=response_code,
                response_body=response_body,
                response_headers={"content-type": "text/plain"},
                error=error,
            )
        )
    session.commit()
    return delivery


def stored_delivery(session: Session, delivery_id: str) -> WebhookDelivery:
    session.expire_all()
    found = session.get(WebhookDelivery, delivery_id)
    assert found is not None
    return found

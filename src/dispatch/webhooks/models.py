from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from dispatch.core.db import Base
from dispatch.core.leases import Leased
from dispatch.core.types import JSONType

OPEN = text("status IN ('PENDING', 'RETRYING')")


class Webhook(Base):
    """A subscription: events of one brand POSTed, signed, to one URL."""

    __tablename__ = "webhooks"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    brand_id: Mapped[str] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"))
    url: Mapped[str] = mapped_column(String(2048))
    # Event types, patterns like "ticket.*", or ["*"].
    events: Mapped[list[str]] = mapped_column(JSONType)
    description: Mapped[str | None] = mapped_column(String(500))
    secret: Mapped[str] = mapped_column(String(100))
    # After a rotation the old secret keeps signing (beside the new) until it expires.
    previous_secret: Mapped[str | None] = mapped_column(String(100))
    previous_secret_expires_at: Mapped[datetime | None]
    enabled: Mapped[bool]
    # Why and when it was last disabled (by a person, or by the worker: 410 Gone, failing
    # for days); both cleared when it is enabled again.
    disabled_reason: Mapped[str | None] = mapped_column(String(200))
    disabled_at: Mapped[datetime | None]
    # Consecutive failed deliveries, and since when the endpoint has failed without a success.
    failure_count: Mapped[int]
    failing_since: Mapped[datetime | None]
    last_triggered_at: Mapped[datetime | None]
    last_success_at: Mapped[datetime | None]
    last_failure_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    deleted_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_webhooks_brand", "brand_id"),)


class WebhookDelivery(Leased, Base):
    """One event for one webhook: sent until a 2xx, retried on a schedule, then FAILED.
    A worker holds a delivery while it sends it (leased); a killed worker's lease lapses."""

    __tablename__ = "webhook_deliveries"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    webhook_id: Mapped[str] = mapped_column(ForeignKey("webhooks.id", ondelete="CASCADE"))
    brand_id: Mapped[str] = mapped_column(String(32))
    event_id: Mapped[str] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    event_type: Mapped[str] = mapped_column(String(64))
    # The exact bytes sent on every attempt (signatures cover them).
    body: Mapped[str]
    status: Mapped[str] = mapped_column(String(10))  # PENDING | RETRYING | SUCCESS | FAILED
    attempts: Mapped[int]
    next_attempt_at: Mapped[datetime]
    last_attempt_at: Mapped[datetime | None]
    response_code: Mapped[int | None]
    response_body: Mapped[str | None]
    error: Mapped[str | None] = mapped_column(String(1000))
    duration_ms: Mapped[int | None]
    created_at: Mapped[datetime]
    completed_at: Mapped[datetime | None]

    __table_args__ = (
        Index(
            "ix_webhook_deliveries_due", "next_attempt_at", sqlite_where=OPEN, postgresql_where=OPEN
        ),
        Index("ix_webhook_deliveries_webhook_created", "webhook_id", "created_at", "id"),
    )


class DeliveryAttempt(Base):
    __tablename__ = "webhook_attempts"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    delivery_id: Mapped[str] = mapped_column(
        ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int]
    started_at: Mapped[datetime]
    duration_ms: Mapped[int]
    response_code: Mapped[int | None]
    response_body: Mapped[str | None]
    response_headers: Mapped[dict[str, Any] | None]
    error: Mapped[str | None] = mapped_column(String(1000))

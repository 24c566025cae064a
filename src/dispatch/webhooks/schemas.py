from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Literal

from pydantic import Field, field_validator

from dispatch.core.schemas import WIRE, ApiModel, Command, Omittable, RequestModel
from dispatch.webhooks import payloads, signing
from dispatch.webhooks.models import DeliveryAttempt, Webhook, WebhookDelivery
from dispatch.webhooks.ssrf import URL_MAX_LENGTH

DESCRIPTION_MAX = 500
EVENTS_MAX = 100
# A secret given by the user that is not a whsec_ secret (the reference allows any string).
FREE_SECRET_MIN = 16
FREE_SECRET_MAX = 100
GRACE_HOURS_DEFAULT = 24
GRACE_HOURS_MAX = 168
# What the API shows of a receiver's answer (the worker stores it truncated already).
RESPONSE_BODY_SHOWN = 4096

DeliveryStatus = Literal["PENDING", "RETRYING", "SUCCESS", "FAILED"]
DELIVERY_STATUSES: tuple[str, ...] = ("PENDING", "RETRYING", "SUCCESS", "FAILED")


def check_events(value: list[str]) -> list[str]:
    """Known event types, "*" or "prefix.*"; repeats dropped, order kept."""
    unknown = [p for p in value if not payloads.is_known_pattern(p)]
    if unknown:
        raise ValueError(
            f"Unknown event types: {', '.join(repr(p) for p in unknown)}; use event types "
            'such as "ticket.created", patterns such as "ticket.*", or "*"'
        )
    return list(dict.fromkeys(value))


def check_secret(value: str) -> str:
    """A whsec_ secret (base64 of 24..64 bytes), or 16..100 visible ASCII characters."""
    if value.startswith(signing.SECRET_PREFIX):
        if signing.decode_whsec(value) is None:
            raise ValueError(
                f"A secret starting with {signing.SECRET_PREFIX} must be followed by the "
                f"base64 of {signing.MIN_KEY_BYTES} to {signing.MAX_KEY_BYTES} bytes"
            )
        return value
    if not FREE_SECRET_MIN <= len(value) <= FREE_SECRET_MAX:
        raise ValueError(
            f"A secret has {FREE_SECRET_MIN} to {FREE_SECRET_MAX} characters, "
            "or is omitted to have one generated"
        )
    if not all("!" <= ch <= "~" for ch in value):
        raise ValueError("A secret may contain only visible ASCII characters (no spaces)")
    return value


def blank_to_none(value: str | None) -> str | None:
    return value or None


class WebhookOut(ApiModel):
    id: str
    brand_id: str
    url: str
    events: list[str]
    description: str | None
    enabled: bool
    failure_count: int
    # The reference's names (lastTriggered, lastFailure) beside ours (*At).
    last_triggered: datetime | None
    last_triggered_at: datetime | None
    last_success_at: datetime | None
    last_failure: datetime | None
    last_failure_at: datetime | None
    failing_since: datetime | None
    disabled_reason: str | None
    disabled_at: datetime | None
    # While a rotated-out secret still signs (both signatures are sent until then).
    previous_secret_expires_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, webhook: Webhook, now: datetime) -> WebhookOut:
        return cls(**_fields(webhook, now))


class WebhookWithSecret(WebhookOut):
    """Create and rotate-secret answers: the only time the secret is shown."""

    secret: str

    @classmethod
    def with_secret(cls, webhook: Webhook, now: datetime) -> WebhookWithSecret:
        return cls(**_fields(webhook, now), secret=webhook.secret)


def _fields(webhook: Webhook, now: datetime) -> dict[str, Any]:
    expires = webhook.previous_secret_expires_at
    return {
        "id": webhook.id,
        "brand_id": webhook.brand_id,
        "url": webhook.url,
        "events": list(webhook.events),
        "description": webhook.description,
        "enabled": webhook.enabled,
        "failure_count": webhook.failure_count,
        "last_triggered": webhook.last_triggered_at,
        "last_triggered_at": webhook.last_triggered_at,
        "last_success_at": webhook.last_success_at,
        "last_failure": webhook.last_failure_at,
        "last_failure_at": webhook.last_failure_at,
        "failing_since": webhook.failing_since,
        "disabled_reason": webhook.disabled_reason,
        "disabled_at": webhook.disabled_at,
        "previous_secret_expires_at": expires if expires is not None and expires > now else None,
        "created_at": webhook.created_at,
        "updated_at": webhook.updated_at,
    }


class NewWebhook(Command):
    url: str = Field(min_length=1, max_length=URL_MAX_LENGTH)
    events: list[str] = Field(min_length=1, max_length=EVENTS_MAX)
    secret: str | None = None
    description: str | None = Field(None, max_length=DESCRIPTION_MAX)
    enabled: bool = True

    _events = field_validator("events")(check_events)
    _description = field_validator("description")(blank_to_none)

    @field_validator("secret")
    @classmethod
    def _secret(cls, value: str | None) -> str | None:
        return None if value is None else check_secret(value)


class WebhookCreate(NewWebhook):
    model_config = WIRE


class WebhookChanges(Command):
    url: Omittable[str] = Field(None, min_length=1, max_length=URL_MAX_LENGTH)
    events: Omittable[list[str]] = Field(None, min_length=1, max_length=EVENTS_MAX)
    description: str | None = Field(None, max_length=DESCRIPTION_MAX)
    enabled: Omittable[bool] = None

    _description = field_validator("description")(blank_to_none)

    @field_validator("events")
    @classmethod
    def _events(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else check_events(value)


class WebhookUpdate(WebhookChanges):
    model_config = WIRE


class SecretRotation(RequestModel):
    grace_period_hours: int = Field(GRACE_HOURS_DEFAULT, ge=0, le=GRACE_HOURS_MAX)


class RecoverRequest(RequestModel):
    since: datetime

    @field_validator("since")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("since needs a time zone (for example 2026-01-15T09:00:00Z)")
        return value


class RecoverOut(ApiModel):
    count: int


class AttemptOut(ApiModel):
    number: int
    started_at: datetime
    duration_ms: int
    response_code: int | None
    response_body: str | None
    response_headers: dict[str, Any] | None
    error: str | None

    @classmethod
    def of(cls, attempt: DeliveryAttempt) -> AttemptOut:
        return cls(
            number=attempt.number,
            started_at=attempt.started_at,
            duration_ms=attempt.duration_ms,
            response_code=attempt.response_code,
            response_body=_shown(attempt.response_body),
            response_headers=attempt.response_headers,
            error=attempt.error,
        )


def _shown(body: str | None) -> str | None:
    return body[:RESPONSE_BODY_SHOWN] if body is not None else None


class DeliveryOut(ApiModel):
    id: str
    webhook_id: str
    event_id: str
    event: str
    status: str
    attempts: int
    last_attempt: datetime | None
    last_attempt_at: datetime | None
    next_attempt_at: datetime | None
    response_code: int | None
    response_body: str | None
    error: str | None
    duration_ms: int | None
    created_at: datetime
    completed_at: datetime | None
    # The JSON body sent (the same bytes on every attempt).
    payload: Any

    @classmethod
    def of(cls, delivery: WebhookDelivery) -> DeliveryOut:
        return cls(**_delivery_fields(delivery))


class DeliveryDetail(DeliveryOut):
    """One delivery with every attempt, oldest first (`attempts` stays the count)."""

    attempt_log: list[AttemptOut]

    @classmethod
    def with_attempts(
        cls, delivery: WebhookDelivery, attempts: list[DeliveryAttempt]
    ) -> DeliveryDetail:
        return cls(**_delivery_fields(delivery), attempt_log=[AttemptOut.of(a) for a in attempts])


def _delivery_fields(delivery: WebhookDelivery) -> dict[str, Any]:
    waiting = delivery.status in ("PENDING", "RETRYING")
    return {
        "id": delivery.id,
        "webhook_id": delivery.webhook_id,
        "event_id": delivery.event_id,
        "event": delivery.event_type,
        "status": delivery.status,
        "attempts": delivery.attempts,
        "last_attempt": delivery.last_attempt_at,
        "last_attempt_at": delivery.last_attempt_at,
        "next_attempt_at": delivery.next_attempt_at if waiting else None,
        "response_code": delivery.response_code,
        "response_body": _shown(delivery.response_body),
        "error": delivery.error,
        "duration_ms": delivery.duration_ms,
        "created_at": delivery.created_at,
        "completed_at": delivery.completed_at,
        "payload": json.loads(delivery.body),
    }

"""Webhook subscriptions, their delivery log and replay, and what the worker asks of them
(who subscribes to an event, which secrets sign, how an endpoint is doing).

Subscription changes write activity entries, not outbox events: a receiver would otherwise
be told about its own subscription. The worker owns delivery state transitions while it
sends; a person may put a finished delivery back in the queue (retry, recover) or bring a
waiting one's next attempt forward (retry)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from dispatch.audit import service as audit
from dispatch.audit.changes import assign
from dispatch.brands.models import Brand
from dispatch.core import clock
from dispatch.core.actor import Actor, require_settings_manager
from dispatch.core.errors import NotFound
from dispatch.core.events import Event, notify_on_commit
from dispatch.core.ids import new_id
from dispatch.core.pagination import Cursor, split_page
from dispatch.webhooks import events as webhook_events
from dispatch.webhooks import payloads, repository, signing, ssrf
from dispatch.webhooks.errors import (
    DeliveryPending,
    WebhookDisabled,
    WebhookLimitReached,
)
from dispatch.webhooks.models import DeliveryAttempt, Webhook, WebhookDelivery
from dispatch.webhooks.repository import DeliveryFilter
from dispatch.webhooks.schemas import NewWebhook, WebhookChanges

MAX_WEBHOOKS_PER_BRAND = 20
DELIVERY_SORT = "createdAt:desc"
ENTITY = "webhook"

STOPPED_BY_DELETE = "Webhook deleted"
STOPPED_BY_DISABLE = "Webhook disabled"


# --- Subscriptions ------------------------------------------------------------------------


def list_webhooks(session: Session, brand: Brand) -> list[Webhook]:
    return repository.list_webhooks(session, brand.id)


def get_webhook(
    session: Session, brand: Brand, webhook_id: str, *, for_update: bool = False
) -> Webhook:
    webhook = repository.get_webhook(session, brand.id, webhook_id, for_update=for_update)
    if webhook is None:
        raise NotFound("webhook", webhook_id)
    return webhook


def _record(
    session: Session,
    actor: Actor,
    webhook: Webhook,
    event: str,
    changes: dict[str, tuple[Any, Any]] | None = None,
    metadata: dict[str, Any] | None = None,
) -> None:
    audit.record(
        session,
        actor,
        brand_id=webhook.brand_id,
        event=event,
        entity_type=ENTITY,
        entity_id=webhook.id,
        changes=changes,
        metadata=metadata,
    )


def create_webhook(
    session: Session, actor: Actor, brand: Brand, data: NewWebhook, *, allow_private: bool
) -> Webhook:
    """A subscription; its secret (given or generated) is shown in this answer only."""
    require_settings_manager(actor, "manage webhooks")
    if repository.count_live(session, brand.id) >= MAX_WEBHOOKS_PER_BRAND:
        raise WebhookLimitReached(MAX_WEBHOOKS_PER_BRAND)
    ssrf.check_url(data.url, allow_private=allow_private)
    now = clock.now()
    webhook = Webhook(
        id=new_id("wh"),
        brand_id=brand.id,
        url=data.url,
        events=data.events,
        description=data.description,
        secret=data.secret or signing.generate_secret(),
        previous_secret=None,
        previous_secret_expires_at=None,
        enabled=data.enabled,
        disabled_reason=None,
        disabled_at=None if data.enabled else now,
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
    session.flush()
    _record(
        session,
        actor,
        webhook,
        "webhook.created",
        metadata={
            "url": webhook.url,
            "events": webhook.events,
            "enabled": webhook.enabled,
            "secretGenerated": data.secret is None,
        },
    )
    return webhook


def update_webhook(
    session: Session,
    actor: Actor,
    brand: Brand,
    webhook_id: str,
    data: WebhookChanges,
    *,
    allow_private: bool,
) -> Webhook:
    """Change url, events, description or enabled. Disabling fails the deliveries still
    waiting; enabling again starts with a clean record (no failures, no reason)."""
    require_settings_manager(actor, "manage webhooks")
    webhook = get_webhook(session, brand, webhook_id, for_update=True)
    fields = data.model_dump(exclude_unset=True)
    if "url" in fields and fields["url"] != webhook.url:
        ssrf.check_url(fields["url"], allow_private=allow_private)

    changes = assign(webhook, fields, ("url", "events", "description", "enabled"))
    if not changes:
        return webhook
    now = clock.now()
    webhook.updated_at = now
    metadata: dict[str, Any] | None = None
    if "enabled" in changes:
        if webhook.enabled:
            webhook.failure_count = 0
            webhook.failing_since = None
            webhook.disabled_reason = None
            webhook.disabled_at = None
        else:
            webhook.disabled_at = now
            stopped = repository.stop_open_deliveries(session, webhook.id, STOPPED_BY_DISABLE, now)
            metadata = {"stoppedDeliveryCount": stopped} if stopped else None
    session.flush()
    _record(session, actor, webhook, "webhook.updated", changes, metadata)
    return webhook


def delete_webhook(session: Session, actor: Actor, brand: Brand, webhook_id: str) -> None:
    """Soft delete: the webhook disappears and its waiting deliveries are not sent."""
    require_settings_manager(actor, "manage webhooks")
    webhook = get_webhook(session, brand, webhook_id, for_update=True)
    now = clock.now()
    webhook.deleted_at = now
    webhook.updated_at = now
    webhook.enabled = False
    stopped = repository.stop_open_deliveries(session, webhook.id, STOPPED_BY_DELETE, now)
    session.flush()
    _record(
        session,
        actor,
        webhook,
        "webhook.deleted",
        metadata={"url": webhook.url, **({"stoppedDeliveryCount": stopped} if stopped else {})},
    )


def rotate_secret(
    session: Session, actor: Actor, brand: Brand, webhook_id: str, *, grace_period_hours: int
) -> Webhook:
    """A new generated secret, shown once. The old one keeps signing beside it for the
    grace period (0: it stops at once). Only two secrets ever sign: rotating again during a
    grace period retires the oldest."""
    require_settings_manager(actor, "manage webhooks")
    webhook = get_webhook(session, brand, webhook_id, for_update=True)
    now = clock.now()
    expires = now + timedelta(hours=grace_period_hours) if grace_period_hours > 0 else None
    webhook.previous_secret = webhook.secret if expires is not None else None
    webhook.previous_secret_expires_at = expires
    webhook.secret = signing.generate_secret()
    webhook.updated_at = now
    session.flush()
    _record(
        session,
        actor,
        webhook,
        "webhook.secret_rotated",
        metadata={
            "gracePeriodHours": grace_period_hours,
            "previousSecretExpiresAt": expires.isoformat() if expires else None,
        },
    )
    return webhook


# --- Delivery log and replay ---------------------------------------------------------------


def list_deliveries(
    session: Session,
    brand: Brand,
    webhook_id: str,
    f: DeliveryFilter,
    *,
    cursor: str | None,
    limit: int,
) -> tuple[list[WebhookDelivery], str | None]:
    webhook = get_webhook(session, brand, webhook_id)
    query = f"{webhook.id}/deliveries:{DELIVERY_SORT}"
    decoded = Cursor.decode(cursor, query=query, datetime_value=True) if cursor else None
    rows = repository.list_deliveries(session, webhook.id, f, cursor=decoded, limit=limit)
    return split_page(
        rows, limit, lambda last: Cursor(query=query, value=last.created_at, id=last.id)
    )


def get_delivery(
    session: Session, brand: Brand, webhook_id: str, delivery_id: str
) -> tuple[WebhookDelivery, list[DeliveryAttempt]]:
    webhook = get_webhook(session, brand, webhook_id)
    delivery = repository.get_delivery(session, webhook.id, delivery_id)
    if delivery is None:
        raise NotFound("delivery", delivery_id)
    return delivery, repository.attempts_of(session, delivery.id)


def _sendable(webhook: Webhook) -> None:
    if not webhook.enabled:
        raise WebhookDisabled(webhook.id)


def retry_delivery(
    session: Session, actor: Actor, brand: Brand, webhook_id: str, delivery_id: str
) -> WebhookDelivery:
    """Send a delivery now, with the same body and the same `webhook-id`: a finished one
    (SUCCESS or FAILED) gets one more attempt; one waiting for its next scheduled attempt
    has it brought forward to now, and its schedule goes on from there. 409 while an
    attempt is in flight."""
    require_settings_manager(actor, "manage webhooks")
    webhook = get_webhook(session, brand, webhook_id)
    delivery = repository.get_delivery(session, webhook.id, delivery_id, for_update=True)
    if delivery is None:
        raise NotFound("delivery", delivery_id)
    _sendable(webhook)
    previous = delivery.status
    if not repository.send_now(session, delivery.id, clock.now()):
        raise DeliveryPending(delivery.id)
    session.refresh(delivery)
    # Sent within moments of the commit, not at a worker's next poll (PostgreSQL).
    notify_on_commit(session)
    _record(
        session,
        actor,
        webhook,
        "webhook.delivery_retried",
        metadata={"deliveryId": delivery.id, "eventId": delivery.event_id, "was": previous},
    )
    return delivery


def recover(
    session: Session, actor: Actor, brand: Brand, webhook_id: str, *, since: datetime
) -> int:
    """Every FAILED delivery of the webhook created since `since` is sent again; returns
    how many."""
    require_settings_manager(actor, "manage webhooks")
    webhook = get_webhook(session, brand, webhook_id)
    _sendable(webhook)
    count = repository.requeue_failed_since(session, webhook.id, since, clock.now())
    _record(
        session,
        actor,
        webhook,
        "webhook.recovered",
        metadata={"since": since.isoformat(), "count": count},
    )
    return count


def send_test(session: Session, actor: Actor, brand: Brand, webhook_id: str) -> Event:
    """A `webhook.test` event for this webhook only; the worker delivers it like any
    other (signed, logged, retried)."""
    require_settings_manager(actor, "manage webhooks")
    webhook = get_webhook(session, brand, webhook_id)
    _sendable(webhook)
    event = webhook_events.emit_test(session, webhook)
    session.flush()
    return event


# --- For the worker ------------------------------------------------------------------------


def subscribers(session: Session, brand_id: str, event_type: str) -> list[Webhook]:
    """The brand's enabled, live webhooks whose patterns match `event_type` (never for
    internal events). `webhook.test` is targeted: use subscribers_for."""
    if event_type == payloads.TEST_EVENT:
        return []
    return [
        w
        for w in repository.enabled_webhooks(session, brand_id)
        if payloads.matches(w.events, event_type)
    ]


def receivers(event: Event, webhooks: Iterable[Webhook]) -> list[Webhook]:
    """Which of `webhooks` (the live webhooks of the event's brand) receive `event`: the
    enabled ones whose patterns match, or for `webhook.test` exactly the one named in
    `data.webhookId` (if it is enabled). The one rule for fan-out and subscribers_for."""
    if event.type == payloads.TEST_EVENT:
        target = event.data.get("webhookId") if isinstance(event.data, dict) else None
        return [w for w in webhooks if w.id == target and w.enabled]
    return [w for w in webhooks if w.enabled and payloads.matches(w.events, event.type)]


def subscribers_for(session: Session, event: Event) -> list[Webhook]:
    """Who receives `event`: subscribers by pattern, or for `webhook.test` exactly the
    webhook named in `data.webhookId` (if it is still enabled and of the event's brand)."""
    return receivers(event, repository.list_webhooks(session, event.brand_id))


def signing_secrets(webhook: Webhook, now: datetime | None = None) -> tuple[str, str | None]:
    """(secret, previous secret while its grace period lasts) for signature_headers."""
    now = now or clock.now()
    expires = webhook.previous_secret_expires_at
    if webhook.previous_secret and expires is not None and expires > now:
        return webhook.secret, webhook.previous_secret
    return webhook.secret, None


def record_success(session: Session, webhook_id: str, at: datetime | None = None) -> None:
    """A delivery reached the endpoint: failures reset, lastSuccessAt/lastTriggered set."""
    repository.note_success(session, webhook_id, at or clock.now())


def record_failure(session: Session, webhook_id: str, at: datetime | None = None) -> None:
    """A delivery failed: failureCount + 1, failingSince kept from the first failure."""
    repository.note_failure(session, webhook_id, at or clock.now())


def disable_webhook(
    session: Session, webhook_id: str, *, reason: str, actor: Actor | None = None
) -> Event | None:
    """Disable a webhook for a reason (410 Gone, failing for days): its waiting deliveries
    fail, an activity entry and a `webhook.disabled` event are written. None when it was
    already disabled or deleted."""
    webhook = repository.get_any_webhook(session, webhook_id)
    if webhook is None or webhook.deleted_at is not None or not webhook.enabled:
        return None
    now = clock.now()
    webhook.enabled = False
    webhook.disabled_reason = reason[:200]
    webhook.disabled_at = now
    webhook.updated_at = now
    repository.stop_open_deliveries(session, webhook.id, f"{STOPPED_BY_DISABLE}: {reason}", now)
    session.flush()
    if actor is None:
        account_id = repository.account_of_brand(session, webhook.brand_id)
        actor = Actor.system(account_id or "")
    _record(
        session,
        actor,
        webhook,
        "webhook.disabled",
        changes={"enabled": (True, False)},
        metadata={"reason": webhook.disabled_reason},
    )
    return webhook_events.emit_disabled(session, webhook, webhook.disabled_reason)

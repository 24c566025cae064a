"""Fan-out: committed events become one delivery per subscribed webhook.

Fan-out is the outbox's `webhooks` consumer (`core.consumers`): in one transaction the
worker claims a batch of its events (oldest first; rows another worker holds are
skipped), writes their deliveries and marks them done, so an event is fanned out exactly
once even with several workers.

- `webhook.test` goes only to the webhook named in `data.webhookId` (if enabled).
- Internal events (`notification.requested`) are not for webhooks: the outbox writes no
  inbox row of this consumer for them.
- Subscriptions are matched when the event is fanned out, normally within a second of the
  commit: a webhook created in between receives it too.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy.orm import Session

from dispatch.core import clock, consumers
from dispatch.core.events import WEBHOOKS
from dispatch.core.ids import new_id
from dispatch.webhooks import payloads
from dispatch.webhooks import service as webhooks_service
from dispatch.webhooks.models import Webhook, WebhookDelivery
from dispatch.worker import repository


@dataclass(frozen=True, slots=True)
class FanOut:
    events: int
    deliveries: int


def fan_out(
    session: Session, *, batch: int = 200, bodies: Mapping[str, str] | None = None
) -> FanOut:
    """Turn up to `batch` events not yet fanned out into deliveries; flushes, never
    commits. `bodies`: events' bodies rendered ahead, by event id (others are rendered
    here)."""
    bodies = bodies or {}
    events = consumers.claim_worked_ahead(session, WEBHOOKS, limit=batch, ahead=bodies.keys())
    if not events:
        return FanOut(0, 0)
    now = clock.now()
    by_brand: dict[str, list[Webhook]] = defaultdict(list)
    for webhook in repository.live_webhooks(session, {e.brand_id for e in events}):
        by_brand[webhook.brand_id].append(webhook)
    created = 0
    for event in events:
        receivers = webhooks_service.receivers(event, by_brand.get(event.brand_id, []))
        if not receivers:
            continue
        body = bodies.get(event.id) or payloads.render(event).decode("utf-8")
        for webhook in receivers:
            session.add(
                WebhookDelivery(
                    id=new_id("whd"),
                    webhook_id=webhook.id,
                    brand_id=event.brand_id,
                    event_id=event.id,
                    event_type=event.type,
                    body=body,
                    status="PENDING",
                    attempts=0,
                    next_attempt_at=now,
                    created_at=now,
                )
            )
            created += 1
    consumers.done(session, WEBHOOKS, [e.position for e in events])
    session.flush()
    return FanOut(len(events), created)

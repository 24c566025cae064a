"""The webhooks domain's own events: `webhook.test` (for one webhook only) and
`webhook.disabled`. Subscription changes are not events (a receiver would hear of its own
subscription); they are activity entries."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from dispatch.core import clock, events
from dispatch.core.events import Event
from dispatch.webhooks.models import Webhook
from dispatch.webhooks.payloads import DISABLED_EVENT, TEST_EVENT
from dispatch.webhooks.schemas import WebhookOut

TEST_MESSAGE = "This is a test event from Dispatch: your endpoint receives webhooks."


def webhook_data(webhook: Webhook) -> dict[str, Any]:
    """The webhook as the API shows it (never its secret)."""
    return WebhookOut.of(webhook, clock.now()).model_dump(mode="json", by_alias=True)


def emit_test(session: Session, webhook: Webhook) -> Event:
    """A `webhook.test` event; fan-out delivers it to `data.webhookId` alone."""
    return events.emit(
        session,
        TEST_EVENT,
        webhook.brand_id,
        {"webhookId": webhook.id, "message": TEST_MESSAGE, "webhook": webhook_data(webhook)},
    )


def emit_disabled(session: Session, webhook: Webhook, reason: str) -> Event:
    """`webhook.disabled`, for the brand's other subscribers (and the owners' email)."""
    return events.emit(
        session,
        DISABLED_EVENT,
        webhook.brand_id,
        {"webhookId": webhook.id, "reason": reason, "webhook": webhook_data(webhook)},
    )

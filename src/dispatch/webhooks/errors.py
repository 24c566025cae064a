from __future__ import annotations

from dispatch.core.errors import Conflict
from dispatch.webhooks.ssrf import BlockedAddress, InvalidWebhookUrl, UnresolvableHost

__all__ = [
    "BlockedAddress",
    "DeliveryPending",
    "InvalidWebhookUrl",
    "UnresolvableHost",
    "WebhookDisabled",
    "WebhookLimitReached",
]


class WebhookLimitReached(Conflict):
    code = "webhook_limit_reached"

    def __init__(self, limit: int) -> None:
        super().__init__(f"A brand has at most {limit} webhooks; delete one before adding another")


class DeliveryPending(Conflict):
    code = "delivery_pending"

    def __init__(self, delivery_id: str) -> None:
        super().__init__(
            f"Delivery {delivery_id} is being sent right now; retry once this attempt is over"
        )


class WebhookDisabled(Conflict):
    code = "webhook_disabled"

    def __init__(self, webhook_id: str) -> None:
        super().__init__(
            f"Webhook {webhook_id} is disabled: enable it (PATCH enabled=true) to send to it"
        )

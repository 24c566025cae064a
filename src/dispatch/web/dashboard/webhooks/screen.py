"""What every page of the webhooks screen shares: its URLs and the context around it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from dispatch.core import clock
from dispatch.core.actor import require_settings_manager
from dispatch.web.runner import Screen
from dispatch.webhooks import service
from dispatch.webhooks.schemas import WebhookOut

BASE = "/brands/{brand_id}/settings/webhooks"
# The log refreshes itself while a delivery is due this soon (not for one hours away).
LIVE_WITHIN = timedelta(minutes=1)


def url_of(brand_id: str, tail: str = "", **query: str | int) -> str:
    url = BASE.format(brand_id=brand_id) + tail
    return f"{url}?{urlencode(query)}" if query else url


def shell(screen: Screen, brand_id: str) -> dict[str, Any]:
    """What every page of this screen shows around its content."""
    brand = screen.brand(brand_id)
    return {
        "member": screen.member,
        "brands": screen.brands(),
        "brand": brand,
        "base": BASE.format(brand_id=brand.id),
        "can_manage": screen.actor.manages_settings,
        "nav": "webhooks",
        "now": clock.now(),
    }


def one(screen: Screen, brand_id: str, webhook_id: str) -> dict[str, Any]:
    context = shell(screen, brand_id)
    webhook = service.get_webhook(screen.session, context["brand"], webhook_id)
    return {**context, "webhook": WebhookOut.of(webhook, context["now"])}


def managing(screen: Screen, brand_id: str, webhook_id: str, action: str) -> dict[str, Any]:
    """`one` for the form of a change only owners and admins make (another's brand or
    webhook is a 404 before the role is checked)."""
    context = one(screen, brand_id, webhook_id)
    require_settings_manager(screen.actor, action)
    return context


def allow_private(screen: Screen) -> bool:
    return screen.settings.webhooks_allow_private

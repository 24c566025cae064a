"""Wire shapes of the inbound email endpoints."""

from __future__ import annotations

from datetime import datetime

from dispatch.core.schemas import ApiModel


class InboundSecretOut(ApiModel):
    """The account's inbound secret and where mail providers post raw messages with it."""

    secret: str
    created_at: datetime
    rotated_at: datetime | None
    endpoint: str
    inbound_domain: str


class StoredMessageOut(ApiModel):
    id: str
    brand_id: str
    recipient: str
    # True when this Message-ID was already stored for the brand (stored once).
    duplicate: bool


class InboundAccepted(ApiModel):
    """`202 Accepted`: the message is stored; the worker turns it into a ticket or reply."""

    accepted: bool = True
    message: StoredMessageOut

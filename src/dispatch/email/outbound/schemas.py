from __future__ import annotations

from datetime import datetime

from dispatch.core.schemas import ApiModel


class OutboundEmailOut(ApiModel):
    """One email Dispatch sent, or is sending, about a ticket."""

    id: str
    ticket_id: str | None
    kind: str
    to: str
    cc: list[str]
    from_address: str
    from_name: str | None
    subject: str
    status: str
    attempts: int
    last_error: str | None
    next_attempt_at: datetime | None
    sent_at: datetime | None
    message_id: str
    auto_submitted: bool
    created_at: datetime

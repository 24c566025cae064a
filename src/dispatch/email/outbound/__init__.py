"""Outgoing mail: the send queue (OutboundEmail rows), sending through the relay, and the
record of what was sent (served by `dispatch.email.api` as `GET .../tickets/{ticketId}/emails`).

The worker's jobs: `dispatch.email.notifications.generate_from_events(session)` turns
committed events into queued emails; `send_due(database)` sends the due ones.
"""

from __future__ import annotations

from dispatch.email.outbound.sending import send_due

__all__ = ["send_due"]

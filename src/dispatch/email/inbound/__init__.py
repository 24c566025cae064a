"""Turning stored messages into tickets and comments: the worker's inbound job.

`process_received(database, limit=50)` is what the worker runs: it leases received
messages (oldest first), then processes each in its own transaction, inside a savepoint,
and marks it PROCESSED in the same transaction as the ticket or comment it created. A
crash anywhere loses nothing (the message stays RECEIVED and its lease lapses) and
processes nothing twice (the ticket and the PROCESSED mark commit together, and only the
lease holder may write them).

`process_message(session, message)` processes one message (flushes, never commits) and
returns its outcome, which is also stored on the row:

- `{"action": "created", "ticketId", ...}` a new ticket (`"spam"` when its sender is blocked);
- `{"action": "replied", "ticketId", "commentId", "threadedBy"}` a comment on a ticket;
- `{"action": "bounce", "failed": [...], "contacts": [...]}` a delivery report;
- `{"action": "ignored", "reason"}` nothing to do (a delay notice, a deleted brand).

Settings (inbound domain, server secret) come from `current()`: the config bound with
`using(...)`/`bind(...)`, else one read from the environment. Attachments are stored with
the attachment config bound the same way (`dispatch.attachments.config`).
"""

from dispatch.email.inbound.config import (
    InboundConfig,
    bind,
    config_from_settings,
    current,
    using,
)
from dispatch.email.inbound.job import (
    LEASE,
    MAX_ATTEMPTS,
    RETRY_DELAYS,
    process_message,
    process_received,
)

__all__ = [
    "LEASE",
    "MAX_ATTEMPTS",
    "RETRY_DELAYS",
    "InboundConfig",
    "bind",
    "config_from_settings",
    "current",
    "process_message",
    "process_received",
    "using",
]

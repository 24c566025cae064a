"""Every table, imported in one place so metadata is complete (migrations, tests)."""

from dispatch.accounts.models import Account, ApiKey, Member
from dispatch.audit.models import AuditLog
from dispatch.brands.models import Brand
from dispatch.core.db import Base
from dispatch.core.events import Event
from dispatch.core.idempotency import IdempotencyRecord
from dispatch.statuses.models import StatusTicketCount, TicketStatus
from dispatch.tickets.models import Ticket

metadata = Base.metadata

__all__ = [
    "Account",
    "ApiKey",
    "AuditLog",
    "Brand",
    "Event",
    "IdempotencyRecord",
    "Member",
    "StatusTicketCount",
    "Ticket",
    "TicketStatus",
    "metadata",
]

"""Who else is looking at a ticket: each open ticket page sends a heartbeat every
`HEARTBEAT` and is counted as viewing for `WINDOW` after it (room for one missed beat)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from dispatch.accounts.models import Member
from dispatch.brands.models import Brand
from dispatch.core import clock
from dispatch.core.actor import Actor
from dispatch.presence import repository
from dispatch.tickets.loading import load_ticket
from dispatch.tickets.policy import require_staff

HEARTBEAT = timedelta(seconds=20)
WINDOW = timedelta(seconds=45)


def heartbeat(session: Session, actor: Actor, brand: Brand, ticket_id: str) -> list[Member]:
    """Record that the member views the ticket now; the other members viewing it."""
    require_staff(actor, "view tickets")
    if actor.member_id is None:
        return []  # only team members have a presence (an API key has no page open)
    ticket = load_ticket(session, actor, brand, ticket_id, for_update=False)
    now = clock.now()
    repository.forget_before(session, ticket.id, now - WINDOW)
    repository.mark_seen(session, ticket.id, actor.member_id, now)
    return repository.seen_since(session, ticket.id, now - WINDOW, except_member=actor.member_id)

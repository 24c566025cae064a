"""A brand's live ticket by id, or 404: the one lookup the ticket, comment and watcher
services share (kept apart from the ticket service, which imports theirs)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from dispatch.brands.models import Brand
from dispatch.core.actor import Actor
from dispatch.core.errors import NotFound
from dispatch.tickets import policy, repository
from dispatch.tickets.models import Ticket


def load_ticket(
    session: Session, actor: Actor, brand: Brand, ticket_id: str, *, for_update: bool
) -> Ticket:
    """The ticket (row-locked when `for_update`); NotFound when the brand has none or the
    actor may not see it (the ticket policy)."""
    lookup = repository.get_ticket_for_update if for_update else repository.get_ticket
    ticket = lookup(session, brand.id, ticket_id)
    if ticket is None:
        raise NotFound("ticket", ticket_id)
    return policy.require_visible(actor, ticket, ticket_id)

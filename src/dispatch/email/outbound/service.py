"""Reading the record of outgoing mail."""

from __future__ import annotations

from sqlalchemy.orm import Session

from dispatch.brands.models import Brand
from dispatch.core.errors import NotFound
from dispatch.email.models import OutboundEmail
from dispatch.email.outbound import repository
from dispatch.email.outbound.schemas import OutboundEmailOut
from dispatch.tickets import repository as tickets_repository

DUE = frozenset(repository.DUE_STATUSES)


def email_out(email: OutboundEmail) -> OutboundEmailOut:
    return OutboundEmailOut(
        id=email.id,
        ticket_id=email.ticket_id,
        kind=email.kind,
        to=email.to_address,
        cc=list(email.cc or []),
        from_address=email.from_address,
        from_name=email.from_name,
        subject=email.subject,
        status=email.status,
        attempts=email.attempts,
        last_error=email.last_error,
        next_attempt_at=email.next_attempt_at if email.status in DUE else None,
        sent_at=email.sent_at,
        message_id=email.message_id,
        auto_submitted=email.auto_submitted,
        created_at=email.created_at,
    )


def list_ticket_emails(session: Session, brand: Brand, ticket_id: str) -> list[OutboundEmailOut]:
    """The emails sent (or being sent) about a ticket of the brand, oldest first."""
    ticket = tickets_repository.get_ticket(session, brand.id, ticket_id)
    if ticket is None:
        raise NotFound("ticket", ticket_id)
    return [email_out(e) for e in repository.for_ticket(session, brand.id, ticket.id)]

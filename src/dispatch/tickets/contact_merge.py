"""Merging duplicate contacts: every live ticket of the duplicate moves to the kept
contact (each through `workflow.apply_changes`, so versions, activity entries, events and
the contacts' ticket counts follow), then the duplicate gives what the kept contact lacks
and is deleted (`contacts.service.absorb_duplicate`).

It lives with tickets because it changes tickets: the contacts package sits below
tickets (ticket creation finds or creates contacts) and never imports them."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from dispatch.brands.models import Brand
from dispatch.contacts import service as contacts
from dispatch.contacts.schemas import ContactOut
from dispatch.core.actor import Actor
from dispatch.core.errors import ValidationFailed
from dispatch.tickets import repository
from dispatch.tickets.policy import require_staff
from dispatch.tickets.workflow import TicketChange, Trigger, apply_changes


@dataclass(frozen=True, slots=True)
class ContactsMerged:
    contact: ContactOut  # the kept contact as it is afterwards
    duplicate: ContactOut  # the duplicate as it was before the merge
    moved_tickets: int


def merge_contacts(
    session: Session, actor: Actor, brand: Brand, kept_id: str, duplicate_id: str
) -> ContactsMerged:
    """Merge the contact `duplicate_id` into `kept_id`, both of the brand."""
    require_staff(actor, "merge contacts")
    if kept_id == duplicate_id:
        raise ValidationFailed(
            "duplicateId", "A contact cannot be merged into itself", code="merge_into_self"
        )
    kept = contacts.get_contact(session, brand, kept_id)
    duplicate = contacts.get_contact(session, brand, duplicate_id)
    duplicate_out = contacts.read_contact(session, brand, duplicate.id)
    moved = repository.tickets_of_customer_for_update(session, brand.id, duplicate.id)
    for ticket in moved:
        apply_changes(
            session,
            actor,
            brand,
            ticket,
            TicketChange(
                customer_id=kept.id,
                # Replies go to the kept address from now on.
                customer_email=kept.email,
                customer_name=kept.name or ticket.customer_name,
            ),
            trigger=Trigger.CONTACT_MERGE,
            metadata={"mergedContactId": duplicate.id},
        )
    out = contacts.absorb_duplicate(session, actor, brand, kept, duplicate)
    return ContactsMerged(out, duplicate_out, len(moved))

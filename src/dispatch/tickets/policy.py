"""What an actor may see and do with tickets.

Staff (keys, members, the system, rules) see every ticket of the brands they reach. A
customer sees only their own tickets (those of their contact), in one brand, and changes
them only by writing to them (a comment, an attachment), never by editing them. A ticket
a customer may not see does not exist for them: 404, as for any other brand's ticket.
"""

from __future__ import annotations

from dispatch.core.actor import Actor, Channel
from dispatch.core.errors import Forbidden, NotFound
from dispatch.fields.models import FieldDefinition
from dispatch.tickets.models import Ticket


def can_see(actor: Actor, ticket: Ticket) -> bool:
    return not actor.is_customer or (
        actor.contact_id is not None and ticket.customer_id == actor.contact_id
    )


def require_visible(actor: Actor, ticket: Ticket, ticket_id: str) -> Ticket:
    if not can_see(actor, ticket):
        raise NotFound("ticket", ticket_id)
    return ticket


def requires_field(actor: Actor, definition: FieldDefinition) -> bool:
    """Whether a new ticket of this actor must fill this required field. Staff fill every
    one; a customer only those the portal shows them: an email or a web form cannot ask
    for a field, and a field only agents see must never turn a customer away."""
    if not actor.is_customer:
        return True
    return actor.channel is Channel.PORTAL and definition.portal_visible


def requester_scope(actor: Actor) -> str | None:
    """The contact a customer's ticket lists are limited to; None for staff."""
    return actor.contact_id if actor.is_customer else None


class StaffOnly(Forbidden):
    code = "staff_only"

    def __init__(self, action: str) -> None:
        super().__init__(f"Only the support team can {action}")


def require_staff(actor: Actor, action: str) -> None:
    if actor.is_customer:
        raise StaffOnly(action)


# What a customer may give when opening a ticket; the rest is the team's to set.
CUSTOMER_FIELDS = frozenset(
    {
        "title",
        "body",
        "category_id",
        "category_key",
        "custom_fields",
        "attachment_ids",
        "source",
        "source_id",
        "source_data",
        "customer_name",
        "priority",
    }
)


def check_new_ticket(actor: Actor, given: set[str]) -> None:
    """A customer opens tickets for themselves only, with the fields a form offers."""
    if actor.is_customer and given - CUSTOMER_FIELDS:
        raise StaffOnly("set " + ", ".join(sorted(given - CUSTOMER_FIELDS)))

"""Wire shapes of a ticket: the API object and the event payloads built from it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from dispatch.brands.models import Brand
from dispatch.categories import repository as categories_repository
from dispatch.categories.schemas import CategoryOut
from dispatch.contacts import service as contacts
from dispatch.contacts.schemas import ContactOut
from dispatch.statuses import repository as statuses_repository
from dispatch.statuses.models import TicketStatus
from dispatch.statuses.schemas import StatusOut
from dispatch.tags import service as tags_service
from dispatch.tags.models import Tag
from dispatch.tags.schemas import TagOut
from dispatch.tickets.models import Ticket
from dispatch.tickets.schemas import TicketOut


@dataclass(frozen=True, slots=True)
class Embedded:
    """What a ticket embeds besides its own columns."""

    status: StatusOut
    customer: ContactOut | None = None
    category: CategoryOut | None = None
    tags: tuple[TagOut, ...] = ()


def ticket_out(ticket: Ticket, brand: Brand, embedded: Embedded) -> TicketOut:
    return TicketOut(
        id=ticket.id,
        brand_id=ticket.brand_id,
        account_id=ticket.account_id,
        ticket_number=ticket.ticket_number,
        public_id=brand.public_id(ticket.ticket_number),
        title=ticket.title,
        body=ticket.body,
        status=embedded.status.key,
        status_id=embedded.status.id,
        status_ref=embedded.status,
        close_reason=ticket.close_reason,
        priority=ticket.priority,
        source=ticket.source,
        source_id=ticket.source_id,
        source_data=ticket.source_data,
        assignee_id=ticket.assignee_id,
        assignee_email=ticket.assignee_email,
        created_by=ticket.created_by,
        customer_id=ticket.customer_id,
        customer=embedded.customer,
        customer_email=ticket.customer_email,
        customer_name=ticket.customer_name,
        category_id=ticket.category_id,
        category=embedded.category,
        tags=list(embedded.tags),
        custom_fields=ticket.custom_fields,
        metadata=ticket.metadata_,
        links=ticket.links,
        comment_count=ticket.comment_count,
        attachment_count=ticket.attachment_count,
        due_at=ticket.due_at,
        is_spam=ticket.is_spam,
        merged_into_id=ticket.merged_into_id,
        version=ticket.version,
        created_at=ticket.created_at,
        updated_at=ticket.updated_at,
        deleted_at=ticket.deleted_at,
    )


def render(
    session: Session,
    brand: Brand,
    tickets: Sequence[Ticket],
    statuses: Mapping[str, TicketStatus] | None = None,
    tags: Mapping[str, Sequence[Tag]] | None = None,
) -> list[TicketOut]:
    """API objects for tickets of one brand, their related records loaded in a few
    queries whatever their number (statuses, contacts, categories, tags); `tags` when the
    caller knows them (a ticket just created)."""
    if not tickets:
        return []
    if statuses is None or any(t.status_id not in statuses for t in tickets):
        statuses = {s.id: s for s in statuses_repository.brand_statuses(session, brand.id)}
    status_outs = {
        status_id: StatusOut.model_validate(statuses[status_id])
        for status_id in {t.status_id for t in tickets}
    }
    customer_ids = {t.customer_id for t in tickets if t.customer_id}
    customers = contacts.contacts_for(session, brand.id, customer_ids) if customer_ids else {}
    category_ids = {t.category_id for t in tickets if t.category_id}
    found = (
        categories_repository.live_by_id(session, brand.id, category_ids) if category_ids else {}
    )
    categories = {id_: CategoryOut.model_validate(c) for id_, c in found.items()}
    if tags is None:
        tags = tags_service.tags_for_tickets(session, [t.id for t in tickets])
    return [
        ticket_out(
            ticket,
            brand,
            Embedded(
                status=status_outs[ticket.status_id],
                customer=customers.get(ticket.customer_id) if ticket.customer_id else None,
                category=categories.get(ticket.category_id) if ticket.category_id else None,
                tags=tuple(TagOut.model_validate(t) for t in tags[ticket.id]),
            ),
        )
        for ticket in tickets
    ]


def render_one(
    session: Session,
    brand: Brand,
    ticket: Ticket,
    status: TicketStatus | None = None,
    tags: Sequence[Tag] | None = None,
) -> TicketOut:
    statuses = {status.id: status} if status else None
    known_tags = {ticket.id: tags} if tags is not None else None
    return render(session, brand, [ticket], statuses, known_tags)[0]


def _customer(snapshot: dict[str, Any]) -> dict[str, Any]:
    return {
        "customerId": snapshot.get("customerId"),
        "customerEmail": snapshot["customerEmail"],
        "customerName": snapshot["customerName"],
    }


def created_payload(snapshot: dict[str, Any]) -> dict[str, Any]:
    """`ticket.created` data: the reference's flat fields plus the whole ticket."""
    return {
        "id": snapshot["id"],
        "ticketNumber": snapshot["ticketNumber"],
        "title": snapshot["title"],
        "status": snapshot["status"],
        "priority": snapshot["priority"],
        "source": snapshot["source"],
        "createdAt": snapshot["createdAt"],
        **_customer(snapshot),
        "ticket": snapshot,
    }


def updated_payload(
    snapshot: dict[str, Any], changes: dict[str, tuple[Any, Any]]
) -> dict[str, Any]:
    """`ticket.updated` data: the reference's fields, `changes` as the list of changed
    field names, `previous` with their old values, and the whole ticket after the change."""
    return {
        "id": snapshot["id"],
        "ticketNumber": snapshot["ticketNumber"],
        "title": snapshot["title"],
        "status": snapshot["status"],
        "priority": snapshot["priority"],
        "assigneeId": snapshot["assigneeId"],
        "updatedAt": snapshot["updatedAt"],
        "changes": list(changes),
        "previous": {field: old for field, (old, _new) in changes.items()},
        **_customer(snapshot),
        "ticket": snapshot,
    }


def wire(out: TicketOut) -> dict[str, Any]:
    """The JSON-ready form of a ticket, as events carry it."""
    return out.model_dump(mode="json", by_alias=True)

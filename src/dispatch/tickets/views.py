"""Wire shapes of a ticket: the API object and the event payloads built from it."""

from __future__ import annotations

from typing import Any

from dispatch.brands.models import Brand
from dispatch.statuses.models import TicketStatus
from dispatch.statuses.schemas import StatusOut
from dispatch.tickets.models import Ticket
from dispatch.tickets.schemas import TicketOut


def public_id(brand: Brand, ticket_number: int) -> str:
    return f"{brand.ticket_prefix}-{ticket_number}"


def ticket_out(
    ticket: Ticket, status: TicketStatus, brand: Brand, status_out: StatusOut | None = None
) -> TicketOut:
    """The API object; pass `status_out` when rendering many tickets of a few statuses."""
    return TicketOut(
        id=ticket.id,
        brand_id=ticket.brand_id,
        account_id=ticket.account_id,
        ticket_number=ticket.ticket_number,
        public_id=public_id(brand, ticket.ticket_number),
        title=ticket.title,
        body=ticket.body,
        status=status.key,
        status_id=status.id,
        status_ref=status_out or StatusOut.model_validate(status),
        close_reason=ticket.close_reason,
        priority=ticket.priority,
        source=ticket.source,
        source_id=ticket.source_id,
        source_data=ticket.source_data,
        assignee_id=ticket.assignee_id,
        assignee_email=ticket.assignee_email,
        created_by=ticket.created_by,
        customer_email=ticket.customer_email,
        customer_name=ticket.customer_name,
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


def snapshot(ticket: Ticket, status: TicketStatus, brand: Brand) -> dict[str, Any]:
    return ticket_out(ticket, status, brand).model_dump(mode="json", by_alias=True)

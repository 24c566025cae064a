"""The one way a ticket changes.

Every caller (API update, status deletion, bulk actions, email replies, the portal,
rules, auto-reopen) hands its resolved new values to `apply_changes`. It works out what
really changed, bumps the version, keeps status counts, writes one activity entry and the
events and, when the status changes, a SYSTEM comment and the watchers' notifications —
all in the caller's transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from dispatch.audit import service as audit
from dispatch.brands.models import Brand
from dispatch.comments import status_log
from dispatch.core import clock, events
from dispatch.core.actor import Actor
from dispatch.statuses import counts
from dispatch.statuses.models import TicketStatus
from dispatch.tickets import views
from dispatch.tickets.models import Ticket
from dispatch.tickets.schemas import TicketOut
from dispatch.watchers import notifications

# Wire name -> model attribute, for the plain fields apply_changes sets directly.
PLAIN_FIELDS = {
    "title": "title",
    "body": "body",
    "priority": "priority",
    "closeReason": "close_reason",
    "assigneeId": "assignee_id",
    "assigneeEmail": "assignee_email",
    "customFields": "custom_fields",
    "metadata": "metadata_",
    "links": "links",
    "dueAt": "due_at",
    "categoryId": "category_id",
    "customerId": "customer_id",
    "customerEmail": "customer_email",
    "customerName": "customer_name",
    "isSpam": "is_spam",
    "mergedIntoId": "merged_into_id",
}


AUTO_REOPEN = "auto-reopen"


def is_counted(ticket: Ticket) -> bool:
    """Whether the ticket shows in normal lists, and so in status counts."""
    return ticket.deleted_at is None and not ticket.is_spam and ticket.merged_into_id is None


def _wire(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


@dataclass(frozen=True, slots=True)
class Applied:
    """What apply_changes did: the changes (old, new) and, if any, the ticket as rendered
    for its events (callers may answer with it instead of rendering again)."""

    changes: dict[str, tuple[Any, Any]]
    ticket: TicketOut | None


def _keep_counts(
    session: Session, brand: Brand, before: tuple[bool, str], after: tuple[bool, str]
) -> None:
    """Status counts follow a ticket that changes status or stops/starts being listed
    (spam, merged away)."""
    if before == after:
        return
    (was_counted, old_status), (now_counted, new_status) = before, after
    if was_counted:
        counts.record(session, brand.id, old_status, -1)
    if now_counted:
        counts.record(session, brand.id, new_status, +1)


def apply_changes(
    session: Session,
    actor: Actor,
    brand: Brand,
    ticket: Ticket,
    current_status: TicketStatus,
    new_values: dict[str, Any],
    *,
    new_status: TicketStatus | None = None,
    source: str | None = None,
    trigger: str | None = None,
    metadata: dict[str, Any] | None = None,
    activity_event: str = "ticket.updated",
    applied_elsewhere: dict[str, tuple[Any, Any]] | None = None,
) -> Applied:
    """Apply resolved values (wire names) and a status; report what changed, old and new.

    `applied_elsewhere` names changes the caller already made to related records (a
    ticket's tags) so they are part of this change's version, entry and event. Nothing
    is written when nothing differs: no version bump, no entry, no event.
    """
    before = (is_counted(ticket), ticket.status_id)
    changes: dict[str, tuple[Any, Any]] = dict(applied_elsewhere or {})
    status = current_status
    if new_status is not None and new_status.id != current_status.id:
        changes["status"] = (current_status.key, new_status.key)
        status = new_status
        if status.key != "closed" and ticket.close_reason is not None:
            new_values = {**new_values, "closeReason": None}

    for field, value in new_values.items():
        attribute = PLAIN_FIELDS[field]
        old = getattr(ticket, attribute)
        if old != value:
            changes[field] = (_wire(old), _wire(value))
            setattr(ticket, attribute, value)

    if not changes:
        return Applied(changes, None)

    ticket.status_id = status.id
    _keep_counts(session, brand, before, (is_counted(ticket), ticket.status_id))
    ticket.version += 1
    ticket.updated_at = clock.now()
    session.flush()

    entry_metadata = {**(metadata or {}), **({"trigger": trigger} if trigger else {})}
    audit.record(
        session,
        actor,
        brand_id=brand.id,
        event=activity_event,
        entity_type="ticket",
        entity_id=ticket.id,
        ticket_id=ticket.id,
        changes=changes,
        source=source,
        metadata=entry_metadata or None,
    )
    rendered = views.render_one(session, brand, ticket, status)
    payload = views.updated_payload(views.wire(rendered), changes)
    if trigger:
        payload["trigger"] = trigger
    for event_type in ("ticket.updated", *_status_events(current_status, status, trigger)):
        events.emit(
            session, event_type, brand.id, payload, ticket_id=ticket.id, sequence=ticket.version
        )
    if "status" in changes:
        # The thread records the change (an internal SYSTEM comment); watchers hear of it.
        status_log.record_status_change(
            session,
            actor,
            brand,
            ticket,
            current_status,
            status,
            trigger=trigger,
            source=source or audit.DEFAULT_SOURCE[actor.type],
        )
        notifications.notify_status_change(
            session, actor, brand, ticket, current_status, status, trigger=trigger
        )
    return Applied(changes, rendered)


def _status_events(old: TicketStatus, new: TicketStatus, trigger: str | None) -> list[str]:
    """`ticket.closed` on reaching closed; `ticket.reopened` when a done ticket (resolved,
    closed) becomes active again, and whenever a customer reply reopens it."""
    if old.id == new.id:
        return []
    extra = []
    if new.key == "closed" and new.is_system:
        extra.append("ticket.closed")
    if new.is_active and (not old.is_active or trigger == AUTO_REOPEN):
        extra.append("ticket.reopened")
    return extra

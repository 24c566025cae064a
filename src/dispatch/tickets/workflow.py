"""The one way a ticket changes.

Every caller (API update, status deletion, bulk actions, email replies, the portal,
rules, auto-reopen) hands a `TicketChange` of resolved values to `apply_changes`. It
reads the ticket's current status, works out what really changed, bumps the version
(`Ticket.new_version`, the one place versions grow), keeps status counts, writes one activity
entry and the events and, when the status changes, the analytics rollup (`stays`), a SYSTEM
comment and the watchers' notifications — all in the caller's transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from enum import Enum, StrEnum
from typing import Any

from pydantic.alias_generators import to_camel
from sqlalchemy.orm import Session

from dispatch.audit import service as audit
from dispatch.brands.models import Brand
from dispatch.contacts import counts as contact_counts
from dispatch.core import clock, events
from dispatch.core.actor import Actor
from dispatch.statuses import counts
from dispatch.statuses import repository as statuses_repository
from dispatch.statuses.models import TicketStatus
from dispatch.tickets import rendering, status_log, stays
from dispatch.tickets.models import Ticket
from dispatch.tickets.schemas import TicketOut
from dispatch.watchers import notifications


class Trigger(StrEnum):
    """Why a change happened when it is not simply the actor's own edit."""

    AUTO_REOPEN = "auto-reopen"
    COMMENT = "comment"
    STATUS_DELETED = "status_deleted"
    CATEGORY_DELETED = "category_deleted"
    BULK = "bulk"
    SPAM = "spam"
    MERGE = "merge"
    CONTACT_MERGE = "contact_merge"
    RULE = "rule"


class _Unset(Enum):
    UNSET = "UNSET"


UNSET = _Unset.UNSET


@dataclass(frozen=True, slots=True)
class TicketChange:
    """What a ticket is to become: a new status and the values of plain fields, each left
    UNSET to keep it. Values are resolved already (ids checked, custom fields validated)."""

    status: TicketStatus | None = None
    title: str | _Unset = UNSET
    body: str | _Unset | None = UNSET
    priority: str | _Unset = UNSET
    close_reason: str | _Unset | None = UNSET
    assignee_id: str | _Unset | None = UNSET
    assignee_email: str | _Unset | None = UNSET
    custom_fields: dict[str, Any] | _Unset = UNSET
    metadata: dict[str, Any] | _Unset = UNSET
    links: list[Any] | _Unset = UNSET
    due_at: datetime | _Unset | None = UNSET
    category_id: str | _Unset | None = UNSET
    customer_id: str | _Unset | None = UNSET
    customer_email: str | _Unset | None = UNSET
    customer_name: str | _Unset | None = UNSET
    is_spam: bool | _Unset = UNSET
    merged_into_id: str | _Unset | None = UNSET

    def values(self) -> dict[str, Any]:
        """The plain fields given, by name."""
        return {
            f.name: getattr(self, f.name)
            for f in fields(self)
            if f.name != "status" and getattr(self, f.name) is not UNSET
        }


# Model attributes named differently from their field.
_ATTRIBUTE = {"metadata": "metadata_"}


def is_counted(ticket: Ticket) -> bool:
    """Whether the ticket shows in normal lists, and so in status and contact counts."""
    return ticket.deleted_at is None and not ticket.is_spam and ticket.merged_into_id is None


@dataclass(frozen=True, slots=True)
class Counted:
    """Where a ticket counts: its status and its contact, if it is counted at all."""

    status_id: str | None
    customer_id: str | None

    @classmethod
    def of(cls, ticket: Ticket) -> Counted:
        if not is_counted(ticket):
            return cls(None, None)
        return cls(ticket.status_id, ticket.customer_id)


NOT_COUNTED = Counted(None, None)


def keep_counts(session: Session, brand_id: str, before: Counted, after: Counted) -> None:
    """Status and contact counts follow a ticket that is created or deleted, changes
    status or contact, or stops/starts being listed (spam, merged away)."""
    if before.status_id != after.status_id:
        if before.status_id is not None:
            counts.record(session, brand_id, before.status_id, -1)
        if after.status_id is not None:
            counts.record(session, brand_id, after.status_id, +1)
    if before.customer_id != after.customer_id:
        if before.customer_id is not None:
            contact_counts.record(session, before.customer_id, -1)
        if after.customer_id is not None:
            contact_counts.record(session, after.customer_id, +1)


def _wire(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


@dataclass(frozen=True, slots=True)
class Applied:
    """What apply_changes did: the changes (old, new) and, if any, the ticket as rendered
    for its events (callers may answer with it instead of rendering again)."""

    changes: dict[str, tuple[Any, Any]]
    ticket: TicketOut | None


def apply_changes(
    session: Session,
    actor: Actor,
    brand: Brand,
    ticket: Ticket,
    change: TicketChange,
    *,
    source: str | None = None,
    trigger: Trigger | None = None,
    metadata: dict[str, Any] | None = None,
    activity_event: str = "ticket.updated",
    applied_elsewhere: dict[str, tuple[Any, Any]] | None = None,
    reply_channel: str | None = None,
) -> Applied:
    """Apply a change; report what changed, old and new, by wire name.

    `applied_elsewhere` names changes the caller already made to related records (a
    ticket's tags) so they are part of this change's version, entry and event. Nothing
    is written when nothing differs: no version bump, no entry, no event.
    `reply_channel`: the channel of the customer's reply that caused the change (an
    auto-reopen), which analytics counts the reopen under.
    """
    current_status = next(
        s for s in statuses_repository.brand_statuses(session, brand.id) if s.id == ticket.status_id
    )
    before = Counted.of(ticket)
    changes: dict[str, tuple[Any, Any]] = dict(applied_elsewhere or {})
    values = change.values()
    status = current_status
    if change.status is not None and change.status.id != current_status.id:
        changes["status"] = (current_status.key, change.status.key)
        status = change.status
        if status.key != "closed" and ticket.close_reason is not None:
            values["close_reason"] = None

    for name, value in values.items():
        attribute = _ATTRIBUTE.get(name, name)
        old = getattr(ticket, attribute)
        if old != value:
            changes[to_camel(name)] = (_wire(old), _wire(value))
            setattr(ticket, attribute, value)

    if not changes:
        return Applied(changes, None)

    ticket.status_id = status.id
    keep_counts(session, brand.id, before, Counted.of(ticket))
    at = clock.now()
    entered = stays.mark(ticket, current_status, status, at) if "status" in changes else None
    ticket.new_version(at)
    session.flush()

    entry_metadata = {**(metadata or {}), **({"trigger": trigger.value} if trigger else {})}
    entry = audit.record(
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
        at=at,
    )
    if entered is not None:
        stays.record(
            session,
            entry.id,
            ticket,
            current_status,
            status,
            entered=entered,
            at=at,
            channel=reply_channel or entry.source,
            by_reply=trigger is Trigger.AUTO_REOPEN,
        )
    rendered = rendering.render_one(session, brand, ticket, status)
    payload = rendering.updated_payload(rendering.wire(rendered), changes)
    if trigger:
        payload["trigger"] = trigger.value
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
            source=source or actor.source,
        )
        notifications.notify_status_change(
            session, actor, brand, ticket, current_status, status, trigger=trigger
        )
    return Applied(changes, rendered)


def _status_events(old: TicketStatus, new: TicketStatus, trigger: Trigger | None) -> list[str]:
    """`ticket.closed` on reaching closed; `ticket.reopened` when a done ticket (resolved,
    closed) becomes active again, and whenever a customer reply reopens it."""
    if old.id == new.id:
        return []
    extra = []
    if new.key == "closed" and new.is_system:
        extra.append("ticket.closed")
    if new.is_active and (not old.is_active or trigger is Trigger.AUTO_REOPEN):
        extra.append("ticket.reopened")
    return extra

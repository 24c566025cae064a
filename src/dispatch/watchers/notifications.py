"""Watcher notifications, as outbox rows: one `notification.requested` event per recipient.

The worker (the email issue) turns each row into an email. Watchers hear about new
comments and status changes, per their flags, but never about their own actions.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from dispatch.brands.models import Brand
from dispatch.comments.models import Comment
from dispatch.core import events
from dispatch.core.actor import Actor
from dispatch.statuses.models import TicketStatus
from dispatch.tickets.models import Ticket
from dispatch.watchers import repository
from dispatch.watchers.models import TicketWatcher

NOTIFICATION_REQUESTED = "notification.requested"


def _request(
    session: Session,
    brand: Brand,
    ticket: Ticket,
    watcher: TicketWatcher,
    reason: str,
    extra: dict[str, Any],
) -> None:
    data = {
        "channel": "email",
        "recipient": watcher.member_email,
        "memberId": watcher.member_id,
        "memberName": watcher.member_name,
        "watcherId": watcher.id,
        "reason": reason,
        "ticketId": ticket.id,
        "ticketNumber": brand.public_id(ticket.ticket_number),
        "ticketTitle": ticket.title,
        **extra,
    }
    events.emit(
        session,
        NOTIFICATION_REQUESTED,
        brand.id,
        data,
        ticket_id=ticket.id,
        sequence=ticket.version,
    )


def _request_all(
    session: Session,
    brand: Brand,
    ticket: Ticket,
    reason: str,
    extra: dict[str, Any],
    *,
    on_comment: bool,
    by: str | None,
) -> int:
    """One request per watcher whose flag asks for `reason`, except the one (by email)
    whose action it is; how many were requested."""
    acting = (by or "").lower()
    sent = 0
    for watcher in repository.to_notify(session, brand.id, ticket.id, on_comment=on_comment):
        if watcher.member_email == acting:
            continue
        _request(session, brand, ticket, watcher, reason, extra)
        sent += 1
    return sent


def notify_comment(session: Session, brand: Brand, ticket: Ticket, comment: Comment) -> int:
    """A new comment: every watcher with notifyOnComment except its author (by email)."""
    if comment.author_type == "SYSTEM" or ticket.deleted_at is not None:
        return 0
    return _request_all(
        session,
        brand,
        ticket,
        "comment",
        {
            "commentId": comment.id,
            "isInternal": comment.is_internal,
            "authorType": comment.author_type,
            "authorName": comment.author_name,
        },
        on_comment=True,
        by=comment.author_email,
    )


def notify_status_change(
    session: Session,
    actor: Actor,
    brand: Brand,
    ticket: Ticket,
    old: TicketStatus,
    new: TicketStatus,
    *,
    trigger: str | None,
) -> int:
    """A status change: every watcher with notifyOnStatusChange except the actor."""
    if ticket.deleted_at is not None:
        return 0
    return _request_all(
        session,
        brand,
        ticket,
        "status_change",
        {
            "changes": {"status": {"old": old.key, "new": new.key}},
            "fromName": old.name,
            "toName": new.name,
            "trigger": trigger,
        },
        on_comment=False,
        by=actor.email,
    )

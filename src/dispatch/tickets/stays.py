"""The analytics rollup of a status change, kept by `workflow.apply_changes` in the
change's transaction: the stay that ended (`StatusStay`) and the ticket's own marks
(`status_changed_at`, `first_resolved_at`), so reports read narrow indexed rows instead
of the activity log's JSON."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from dispatch.core import transaction
from dispatch.core.db import insert_rows, insert_rows_part
from dispatch.statuses.models import TicketStatus
from dispatch.statuses.rules import INACTIVE_KEYS
from dispatch.tickets.models import StatusStay, Ticket


def is_resolution(old_key: str, new_key: str) -> bool:
    """From an active status to resolved or closed."""
    return old_key not in INACTIVE_KEYS and new_key in INACTIVE_KEYS


def mark(ticket: Ticket, old: TicketStatus, new: TicketStatus, at: datetime) -> datetime:
    """Set the ticket's marks for a change from `old` to `new` at `at` (before the
    ticket's UPDATE is flushed, so they cost no statement); returns when the stay in
    `old` began."""
    entered = ticket.status_changed_at or ticket.created_at
    ticket.status_changed_at = at
    if ticket.first_resolved_at is None and is_resolution(old.key, new.key):
        ticket.first_resolved_at = at
    return entered


def record(
    session: Session,
    entry_id: str,
    ticket: Ticket,
    old: TicketStatus,
    new: TicketStatus,
    *,
    entered: datetime,
    at: datetime,
    channel: str,
    by_reply: bool,
) -> None:
    """The stay in `old` that the change (activity entry `entry_id`) ended."""
    stay = StatusStay(
        id=entry_id,
        brand_id=ticket.brand_id,
        ticket_id=ticket.id,
        status_key=old.key,
        next_key=new.key,
        entered_at=entered,
        left_at=at,
        channel=channel,
        by_reply=by_reply,
    )
    transaction.record(session, STAYS, stay)


# Like activity entries, stays are inserted just before the commit: a transaction's
# stays (one, or a bulk action's hundreds) in one statement, as plain rows.
STAYS = transaction.SideState[StatusStay]("status stays", write=insert_rows, part=insert_rows_part)

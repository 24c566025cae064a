"""SYSTEM comments: the ticket's thread records every status change.

`tickets.workflow.apply_changes` calls `record_status_change` whenever a status changes,
whoever changed it (API update, status deletion, auto-reopen, bulk action, ...). The note
is internal (customers never see it), is not counted in `commentCount` and emits no
`comment.*` event: the change itself already has its activity entry and events.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from dispatch.brands.models import Brand
from dispatch.comments import repository
from dispatch.comments.models import SYSTEM, Comment
from dispatch.core.actor import Actor
from dispatch.core.db import insert_rows
from dispatch.core.ids import new_id
from dispatch.statuses.models import TicketStatus
from dispatch.tickets.models import Ticket

SYSTEM_AUTHOR = "System"
STATUS_CHANGE = "status_change"

# How the body says why the status changed, by the workflow trigger.
TRIGGER_WORDING = {
    "auto-reopen": "by auto-reopen (customer reply)",
    "comment": "with a comment",
    "status_deleted": "because the status {old} was deleted",
    "bulk": "by a bulk action",
    "spam": "by marking as spam",
    "merge": "by a merge",
    "rule": "by an automation rule",
}


def describe(old: TicketStatus, new: TicketStatus, trigger: str | None) -> str:
    body = f"Status changed from {old.name} to {new.name}"
    if trigger:
        wording = TRIGGER_WORDING.get(trigger)
        body += " " + (wording.format(old=old.name) if wording else f"by {trigger}")
    return body


def record_status_change(
    session: Session,
    actor: Actor,
    brand: Brand,
    ticket: Ticket,
    old: TicketStatus,
    new: TicketStatus,
    *,
    trigger: str | None,
    source: str,
) -> None:
    """Written at once (a page that shows the thread in the same transaction sees it), as
    a plain row (`insert_rows`): nothing in the transaction holds it as an object, so the
    unit of work's flush, inside SQLite's write lock, is not needed for it."""
    created_at = repository.next_timestamp(session, ticket.id)
    comment = Comment(
        id=new_id("cmt"),
        brand_id=brand.id,
        ticket_id=ticket.id,
        parent_id=None,
        body=describe(old, new, trigger),
        author_id=None,
        author_name=SYSTEM_AUTHOR,
        author_email=None,
        author_type=SYSTEM,
        is_internal=True,
        links=[],
        metadata_={
            "kind": STATUS_CHANGE,
            "from": old.key,
            "to": new.key,
            "fromName": old.name,
            "toName": new.name,
            "trigger": trigger,
            "source": source,
            "performedBy": actor.performed_by(),
        },
        source="system",
        source_id=None,
        source_data=None,
        created_at=created_at,
        updated_at=created_at,
    )
    insert_rows(session, [comment])

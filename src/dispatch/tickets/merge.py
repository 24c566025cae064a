"""Merging tickets: the sources' conversation moves into the target and the sources close,
pointing at it (`mergedIntoId`); later replies to a source land on the target."""

from __future__ import annotations

from sqlalchemy.orm import Session

from dispatch.attachments import service as attachments
from dispatch.brands.models import Brand
from dispatch.comments import repository as comments_repository
from dispatch.core.actor import Actor
from dispatch.core.errors import NotFound, ValidationFailed
from dispatch.statuses import loading as statuses
from dispatch.tags import service as tags_service
from dispatch.tickets import rendering, repository
from dispatch.tickets.models import Ticket
from dispatch.tickets.policy import require_staff
from dispatch.tickets.schemas import TicketOut
from dispatch.tickets.workflow import TicketChange, Trigger, apply_changes
from dispatch.watchers import service as watchers
from dispatch.watchers.schemas import NewWatcher

MAX_SOURCES = 50


def _check(target_id: str, source_ids: list[str]) -> None:
    field = "sourceTicketIds"
    if not source_ids:
        raise ValidationFailed(field, "Give at least one ticket to merge")
    if len(source_ids) > MAX_SOURCES:
        raise ValidationFailed(field, f"At most {MAX_SOURCES} tickets merge at once")
    if len(set(source_ids)) != len(source_ids):
        raise ValidationFailed(field, "A ticket is listed twice")
    if target_id in source_ids:
        raise ValidationFailed(
            field, "A ticket cannot be merged into itself", code="merge_into_self"
        )


def _lock(session: Session, brand: Brand, ticket_id: str, field: str) -> Ticket:
    ticket = repository.get_ticket_for_update(session, brand.id, ticket_id)
    if ticket is None:
        raise NotFound("ticket", ticket_id)
    if ticket.merged_into_id is not None:
        raise ValidationFailed(
            field,
            f"Ticket {ticket_id} was already merged into {ticket.merged_into_id}",
            code="ticket_already_merged",
        )
    return ticket


def merge_tickets(
    session: Session, actor: Actor, brand: Brand, target_id: str, source_ids: list[str]
) -> tuple[TicketOut, list[str]]:
    """Merge `source_ids` into `target_id`, all of one brand; returns the target as it is
    afterwards and the merged ids. Each ticket gets a `ticket.merged` activity entry."""
    require_staff(actor, "merge tickets")
    _check(target_id, source_ids)
    # Locked in id order, as every multi-ticket change locks: two merges of the same
    # tickets (A into B, B into A) then never wait on each other in a circle.
    locked = {
        ticket_id: _lock(
            session,
            brand,
            ticket_id,
            "targetTicketId" if ticket_id == target_id else "sourceTicketIds",
        )
        for ticket_id in sorted([target_id, *source_ids])
    }
    target = locked[target_id]
    sources = [locked[source_id] for source_id in source_ids]
    closed = statuses.resolve(session, brand.id, key="closed")

    moved_comments = moved_files = 0
    history = []
    for source in sources:
        moved_comments += comments_repository.move_to_ticket(session, brand.id, source, target)
        # The source's replies are the target's now. Analytics, in the tickets' UPDATEs
        # below: the target's first response may be earlier, the source has none left.
        target.first_response_at = min(
            (t for t in (target.first_response_at, source.first_response_at) if t is not None),
            default=None,
        )
        source.first_response_at = None
        moved_files += attachments.move_to_ticket(session, actor, brand, source, target)
        _carry_over(session, actor, brand, source, target)
        apply_changes(
            session,
            actor,
            brand,
            source,
            TicketChange(status=closed, merged_into_id=target.id, close_reason="duplicate"),
            trigger=Trigger.MERGE,
            activity_event="ticket.merged",
            metadata={"mergedIntoId": target.id},
        )
        history.append(f"- {brand.public_id(source.ticket_number)}: {source.title}")

    body = (target.body or "").rstrip()
    merged_note = "Merged into this ticket:\n" + "\n".join(history)
    applied = apply_changes(
        session,
        actor,
        brand,
        target,
        TicketChange(body=f"{body}\n\n---\n{merged_note}" if body else merged_note),
        trigger=Trigger.MERGE,
        activity_event="ticket.merged",
        metadata={
            "sourceTicketIds": source_ids,
            "movedComments": moved_comments,
            "movedAttachments": moved_files,
        },
    )
    out = applied.ticket or rendering.render_one(session, brand, target)
    return out, source_ids


def _carry_over(
    session: Session, actor: Actor, brand: Brand, source: Ticket, target: Ticket
) -> None:
    """The target gains the source's tags and watchers (no duplicates)."""
    source_tags = tags_service.tags_for_tickets(session, [source.id])[source.id]
    if source_tags:
        tags_service.add_ticket_tags(session, actor, brand, target, source_tags)
    specs = [
        NewWatcher(
            member_email=w.member_email,
            member_name=w.member_name,
            notify_on_comment=w.notify_on_comment,
            notify_on_status_change=w.notify_on_status_change,
        )
        for w in watchers.list_watchers(session, actor, brand, source.id)
    ]
    if specs:
        watchers.add_watchers(session, actor, brand, target, specs)

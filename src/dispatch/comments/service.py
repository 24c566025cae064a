"""Comments on tickets: replies, internal notes, threading, setStatus and auto-reopen.

Every write locks the ticket, bumps its version and `updatedAt`, and writes its activity
entry and events in the caller's transaction. Status changes (setStatus, auto-reopen) go
through `tickets.workflow.apply_changes`, like every other status change.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from dispatch.accounts import service as accounts
from dispatch.audit import service as audit
from dispatch.brands.models import Brand
from dispatch.comments import rendering, repository
from dispatch.comments.errors import (
    CustomerInternalNote,
    SystemAuthorReserved,
    SystemCommentImmutable,
    UnknownParent,
)
from dispatch.comments.models import AGENT, CUSTOMER, SYSTEM, Comment
from dispatch.comments.schemas import (
    CommentChanges,
    CommentOut,
    NewComment,
    ThreadedCommentOut,
)
from dispatch.core import clock, events
from dispatch.core.actor import Actor
from dispatch.core.errors import NotFound, ValidationFailed
from dispatch.core.ids import new_id
from dispatch.statuses import loading as statuses
from dispatch.statuses.models import TicketStatus
from dispatch.tickets import repository as tickets_repository
from dispatch.tickets.loading import load_ticket
from dispatch.tickets.models import Ticket
from dispatch.tickets.policy import StaffOnly, require_staff
from dispatch.tickets.workflow import TicketChange, Trigger, apply_changes
from dispatch.watchers import notifications

# A customer's public reply to a ticket in one of these (system) statuses reopens it.
REOPENED_BY_CUSTOMER = frozenset({"pending", "resolved", "closed"})
REOPEN_TO = "open"
MAX_MERGE_HOPS = 20
INTERNAL = "isInternal"


# --- loading -------------------------------------------------------------------------


def _destination(session: Session, actor: Actor, brand: Brand, ticket_id: str) -> Ticket:
    """The ticket a new comment lands on: the named one or, if it was merged away, the
    ticket it was merged into (following the chain). Locked for the change. The actor
    must be allowed the named ticket; a merge took its conversation along. The named
    ticket is locked as it is read: it is nearly always the destination itself."""
    ticket = load_ticket(session, actor, brand, ticket_id, for_update=True)
    if ticket.merged_into_id is None:
        return ticket
    seen = {ticket.id}
    while ticket.merged_into_id is not None:
        target = tickets_repository.get_ticket(session, brand.id, ticket.merged_into_id)
        if target is None or target.id in seen or len(seen) > MAX_MERGE_HOPS:
            raise NotFound("ticket", ticket_id)
        seen.add(target.id)
        ticket = target
    locked = tickets_repository.get_ticket_for_update(session, brand.id, ticket.id)
    if locked is None:
        raise NotFound("ticket", ticket_id)
    return locked


def _comment(session: Session, brand: Brand, ticket: Ticket, comment_id: str) -> Comment:
    comment = repository.get_comment(session, brand.id, ticket.id, comment_id)
    if comment is None:
        raise NotFound("comment", comment_id)
    return comment


# --- reads ---------------------------------------------------------------------------


def _visible(session: Session, actor: Actor, brand: Brand, ticket_id: str) -> list[Comment]:
    """The ticket's comments the actor may read: a customer never sees internal notes
    (nor the SYSTEM entries, which are internal)."""
    ticket = load_ticket(session, actor, brand, ticket_id, for_update=False)
    found = repository.list_comments(session, brand.id, ticket.id)
    return [c for c in found if not (actor.is_customer and c.is_internal)]


def list_comments(session: Session, actor: Actor, brand: Brand, ticket_id: str) -> list[CommentOut]:
    return [rendering.comment_out(c) for c in _visible(session, actor, brand, ticket_id)]


def list_thread(
    session: Session, actor: Actor, brand: Brand, ticket_id: str
) -> list[ThreadedCommentOut]:
    return rendering.thread(_visible(session, actor, brand, ticket_id))


def get_comment(
    session: Session, actor: Actor, brand: Brand, ticket_id: str, comment_id: str
) -> CommentOut:
    ticket = load_ticket(session, actor, brand, ticket_id, for_update=False)
    comment = _comment(session, brand, ticket, comment_id)
    if actor.is_customer and comment.is_internal:
        raise NotFound("comment", comment_id)
    return rendering.comment_out(comment)


# --- create --------------------------------------------------------------------------


def _is_internal(data: NewComment) -> bool:
    """`isInternal` given top-level or as `metadata.isInternal`; both only if they agree."""
    in_metadata = (data.metadata or {}).get(INTERNAL)
    if in_metadata is not None and not isinstance(in_metadata, bool):
        raise ValidationFailed("metadata.isInternal", "metadata.isInternal must be true or false")
    if data.is_internal is not None and in_metadata is not None and data.is_internal != in_metadata:
        raise ValidationFailed("isInternal", "isInternal and metadata.isInternal disagree")
    return bool(data.is_internal if data.is_internal is not None else in_metadata)


def _author(
    session: Session, actor: Actor, brand: Brand, ticket: Ticket, data: NewComment
) -> tuple[str | None, str | None, str | None]:
    """(authorId, authorName, authorEmail): given values win; a team member's id fills in
    its name and email; an agent defaults to the caller, a customer to the ticket's."""
    author_id, name, email = data.author_id, data.author_name, data.author_email
    member = (
        accounts.find_member(session, brand.account_id, member_id=author_id) if author_id else None
    )
    if member is not None:
        name, email = name or member.name, email or member.email
    if data.author_type == AGENT:
        if author_id is None and actor.member_id is not None:
            author_id = actor.member_id
        name, email = name or actor.name, email or actor.email
    elif data.author_type == CUSTOMER:
        name, email = name or ticket.customer_name, email or ticket.customer_email
    return author_id, name, (email.lower() if email else None)


def _status_by_key(brand_statuses: list[TicketStatus], key: str) -> TicketStatus | None:
    return next((s for s in brand_statuses if s.key == key), None)


def _bump(ticket: Ticket, *, comments: int = 0, at: datetime | None = None) -> None:
    ticket.comment_count += comments
    ticket.new_version(at)


def _record(
    session: Session,
    actor: Actor,
    brand: Brand,
    ticket: Ticket,
    comment: Comment,
    event: str,
    *,
    changes: dict[str, tuple[Any, Any]] | None = None,
    metadata: dict[str, Any] | None = None,
) -> CommentOut:
    """The activity entry (in the ticket's history) and the `comment.*` event."""
    out = rendering.comment_out(comment)
    audit.record(
        session,
        actor,
        brand_id=brand.id,
        event=event,
        entity_type="comment",
        entity_id=comment.id,
        ticket_id=ticket.id,
        changes=changes,
        metadata={
            "authorType": comment.author_type,
            INTERNAL: comment.is_internal,
            **(metadata or {}),
        },
    )
    extra: dict[str, Any] = {}
    if changes is not None:
        extra["changes"] = list(changes)
    if comment.deleted_at is not None:
        extra["deletedAt"] = comment.deleted_at.isoformat()
    events.emit(
        session,
        event,
        brand.id,
        rendering.comment_payload(out, ticket, brand, **extra),
        ticket_id=ticket.id,
        sequence=ticket.version,
    )
    return out


def create_comment(
    session: Session, actor: Actor, brand: Brand, ticket_id: str, data: NewComment
) -> CommentOut:
    """Add a comment; with `setStatus`, change the ticket's status in the same transaction.
    A public CUSTOMER comment reopens a pending, resolved or closed ticket (auto-reopen),
    unless `setStatus` says otherwise. A customer writes as themselves: a public reply,
    nothing else."""
    if actor.is_customer:
        data = _as_customer(actor, data)
    if data.author_type == SYSTEM:
        raise SystemAuthorReserved()
    is_internal = _is_internal(data)
    if is_internal and data.author_type == CUSTOMER:
        raise CustomerInternalNote()
    if is_internal and data.cc:
        raise ValidationFailed("cc", "Internal notes are never emailed, so they take no cc")

    ticket = _destination(session, actor, brand, ticket_id)
    brand_statuses = statuses.list_for_brand(session, brand.id)
    current = next(s for s in brand_statuses if s.id == ticket.status_id)
    target = None
    if data.set_status is not None:
        target = _status_by_key(brand_statuses, data.set_status)
        if target is None:
            raise ValidationFailed(
                "setStatus",
                f"Unknown status {data.set_status!r} in this brand",
                code="unknown_status",
            )
    if (
        data.parent_id is not None
        and repository.get_comment(session, brand.id, ticket.id, data.parent_id) is None
    ):
        raise UnknownParent(data.parent_id)

    author_id, author_name, author_email = _author(session, actor, brand, ticket, data)
    metadata = {k: v for k, v in (data.metadata or {}).items() if k != INTERNAL}
    if data.cc:
        metadata["cc"] = [address.lower() for address in data.cc]
    if data.connection_id is not None:
        metadata["connectionId"] = data.connection_id
    if ticket.id != ticket_id:
        metadata["redirectedFrom"] = ticket_id

    created_at = repository.next_timestamp(session, ticket.id)
    comment = repository.add(
        session,
        Comment(
            id=new_id("cmt"),
            brand_id=brand.id,
            ticket_id=ticket.id,
            parent_id=data.parent_id,
            body=data.body,
            author_id=author_id,
            author_name=author_name,
            author_email=author_email,
            author_type=data.author_type,
            is_internal=is_internal,
            links=data.links or [],
            metadata_=metadata,
            source=data.source,
            source_id=data.source_id,
            source_data=data.source_data,
            created_at=created_at,
            updated_at=created_at,
        ),
    )
    if comment.is_public_agent_reply and ticket.first_response_at is None:
        # The analytics rollup, in the ticket's UPDATE below.
        ticket.first_response_at = created_at
    _bump(ticket, comments=1, at=created_at)
    session.flush()  # the comment and its ticket
    out = _record(
        session,
        actor,
        brand,
        ticket,
        comment,
        "comment.created",
        metadata={"redirectedFrom": ticket_id} if ticket.id != ticket_id else None,
    )
    events.emit(
        session,
        "ticket.comment.created",
        brand.id,
        rendering.ticket_comment_payload(out, ticket, brand),
        ticket_id=ticket.id,
        sequence=ticket.version,
    )
    notifications.notify_comment(session, brand, ticket, comment)

    link = {"commentId": comment.id}
    if target is not None:
        change = TicketChange(status=target)
        apply_changes(session, actor, brand, ticket, change, trigger=Trigger.COMMENT, metadata=link)
    elif _reopens(comment, current):
        change = TicketChange(status=_status_by_key(brand_statuses, REOPEN_TO))
        apply_changes(
            session,
            actor,
            brand,
            ticket,
            change,
            source=Trigger.AUTO_REOPEN.value,
            trigger=Trigger.AUTO_REOPEN,
            metadata=link,
            reply_channel=comment.source,
        )
    return out


# What a customer's comment may carry; the rest (status, authorship, cc, internal notes)
# is the team's.
_CUSTOMER_FIELDS = frozenset(
    {"body", "parent_id", "links", "metadata", "source", "source_id", "source_data"}
)


def _as_customer(actor: Actor, data: NewComment) -> NewComment:
    """A customer's comment is a public CUSTOMER reply, authored by their contact."""
    extra = data.model_fields_set - _CUSTOMER_FIELDS
    if "author_type" in extra and data.author_type == CUSTOMER:
        extra.discard("author_type")
    if extra:
        raise StaffOnly("set " + ", ".join(sorted(extra)))
    return data.model_copy(
        update={"author_type": CUSTOMER, "author_name": actor.name, "author_email": actor.email}
    )


def _reopens(comment: Comment, status: TicketStatus) -> bool:
    return (
        comment.author_type == CUSTOMER
        and not comment.is_internal
        and status.is_system
        and status.key in REOPENED_BY_CUSTOMER
    )


# --- update and delete ---------------------------------------------------------------


def _merge_metadata(comment: Comment, patch: dict[str, Any]) -> dict[str, Any]:
    """Given keys are set, a null value removes a key. `isInternal` mirrors the comment's
    flag: it may be sent back as read, never changed."""
    merged = dict(comment.metadata_)
    for key, value in patch.items():
        if key == INTERNAL:
            if value is not None and value != comment.is_internal:
                raise ValidationFailed(
                    "metadata.isInternal",
                    "isInternal cannot change after a comment is posted",
                    code="internal_flag_immutable",
                )
            continue
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged


def update_comment(
    session: Session,
    actor: Actor,
    brand: Brand,
    ticket_id: str,
    comment_id: str,
    data: CommentChanges,
) -> CommentOut:
    require_staff(actor, "edit comments")
    ticket = load_ticket(session, actor, brand, ticket_id, for_update=True)
    comment = _comment(session, brand, ticket, comment_id)
    if comment.author_type == SYSTEM:
        raise SystemCommentImmutable("edited")
    fields = data.model_dump(exclude_unset=True)
    new_values: dict[str, Any] = {}
    if "body" in fields:
        new_values["body"] = fields["body"]
    if "links" in fields:
        new_values["links"] = fields["links"] or []
    if "metadata" in fields:
        new_values["metadata_"] = _merge_metadata(comment, fields["metadata"] or {})

    changes: dict[str, tuple[Any, Any]] = {}
    for attribute, value in new_values.items():
        old = getattr(comment, attribute)
        if old != value:
            changes[attribute.rstrip("_")] = (old, value)
            setattr(comment, attribute, value)
    if not changes:
        return rendering.comment_out(comment)
    comment.updated_at = clock.now()
    _bump(ticket)
    session.flush()
    return _record(session, actor, brand, ticket, comment, "comment.updated", changes=changes)


def delete_comment(
    session: Session, actor: Actor, brand: Brand, ticket_id: str, comment_id: str
) -> CommentOut:
    """Soft delete: the comment disappears from lists and reads; its replies stay.
    Returns the deleted comment."""
    require_staff(actor, "delete comments")
    ticket = load_ticket(session, actor, brand, ticket_id, for_update=True)
    comment = _comment(session, brand, ticket, comment_id)
    if comment.author_type == SYSTEM:
        raise SystemCommentImmutable("deleted")
    comment.deleted_at = clock.now()
    _bump(ticket, comments=-1)
    session.flush()
    return _record(session, actor, brand, ticket, comment, "comment.deleted")


# --- merge ---------------------------------------------------------------------------

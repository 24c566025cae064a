"""Every attachment query. Brand scoping lives here: each lookup a caller makes on behalf
of a brand names the brand; only the signed-URL lookups (the signature is the credential)
go by id alone."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, Select, delete, func, or_, select, update
from sqlalchemy.orm import Session

from dispatch.attachments.models import Attachment
from dispatch.comments.models import Comment
from dispatch.tickets.models import Ticket

PENDING = "PENDING"
UPLOADED = "UPLOADED"
FAILED = "FAILED"


def get_on_ticket(
    session: Session, brand_id: str, ticket_id: str, attachment_id: str, *, lock: bool = False
) -> Attachment | None:
    stmt = select(Attachment).where(
        Attachment.id == attachment_id,
        Attachment.brand_id == brand_id,
        Attachment.ticket_id == ticket_id,
        Attachment.deleted_at.is_(None),
    )
    return session.scalar(stmt.with_for_update() if lock else stmt)


def get_pending_upload(
    session: Session, brand_id: str, attachment_id: str, *, lock: bool = False
) -> Attachment | None:
    """An upload of the brand that belongs to no ticket yet."""
    stmt = select(Attachment).where(
        Attachment.id == attachment_id,
        Attachment.brand_id == brand_id,
        Attachment.ticket_id.is_(None),
        Attachment.deleted_at.is_(None),
    )
    return session.scalar(stmt.with_for_update() if lock else stmt)


def list_on_ticket(session: Session, brand_id: str, ticket_id: str) -> list[Attachment]:
    stmt = (
        select(Attachment)
        .where(
            Attachment.brand_id == brand_id,
            Attachment.ticket_id == ticket_id,
            Attachment.status == UPLOADED,
            Attachment.deleted_at.is_(None),
        )
        .order_by(Attachment.created_at, Attachment.id)
    )
    return list(session.scalars(stmt))


def _downloadable(stmt: Select[Attachment]) -> Select[Attachment]:
    """Uploaded, not deleted, and on a live ticket or on none yet."""
    return stmt.outerjoin(Ticket, Ticket.id == Attachment.ticket_id).where(
        Attachment.status == UPLOADED,
        Attachment.deleted_at.is_(None),
        or_(Attachment.ticket_id.is_(None), Ticket.deleted_at.is_(None)),
    )


def downloadable_in_brand(
    session: Session, brand_id: str, attachment_ids: Sequence[str]
) -> list[Attachment]:
    stmt = select(Attachment).where(
        Attachment.brand_id == brand_id, Attachment.id.in_(attachment_ids)
    )
    return list(session.scalars(_downloadable(stmt)))


def downloadable(session: Session, attachment_id: str) -> Attachment | None:
    """By id alone: for a download link whose signature was checked."""
    stmt = select(Attachment).where(Attachment.id == attachment_id)
    return session.scalar(_downloadable(stmt))


def get_for_upload(session: Session, attachment_id: str) -> Attachment | None:
    """By id alone, locked: for an upload token whose signature was checked."""
    stmt = (
        select(Attachment)
        .where(Attachment.id == attachment_id, Attachment.deleted_at.is_(None))
        .with_for_update()
    )
    return session.scalar(stmt)


def pending_uploads_for_update(
    session: Session, brand_id: str, attachment_ids: Sequence[str]
) -> list[Attachment]:
    stmt = (
        select(Attachment)
        .where(
            Attachment.brand_id == brand_id,
            Attachment.id.in_(attachment_ids),
            Attachment.ticket_id.is_(None),
            Attachment.status == UPLOADED,
            Attachment.deleted_at.is_(None),
        )
        .with_for_update()
    )
    return list(session.scalars(stmt))


def comment_on_ticket(session: Session, brand_id: str, ticket_id: str, comment_id: str) -> bool:
    stmt = select(Comment.id).where(
        Comment.id == comment_id,
        Comment.brand_id == brand_id,
        Comment.ticket_id == ticket_id,
        Comment.deleted_at.is_(None),
    )
    return session.scalar(stmt) is not None


def lock_ticket(session: Session, ticket: Ticket) -> Ticket:
    """Lock the ticket row (PostgreSQL) and reload it, so counts change in turn. Pending
    changes to the ticket are flushed first, so the reload keeps them."""
    session.flush()
    stmt = (
        select(Ticket)
        .where(Ticket.id == ticket.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    session.scalar(stmt)
    return ticket


def move_live(session: Session, source_id: str, target_id: str, now: datetime) -> int:
    result = session.execute(
        update(Attachment)
        .where(Attachment.ticket_id == source_id, Attachment.deleted_at.is_(None))
        .values(ticket_id=target_id, updated_at=now)
        .execution_options(synchronize_session="fetch")
    )
    return int(cast(CursorResult[Any], result).rowcount)


def count_uploaded(session: Session, ticket_id: str) -> int:
    stmt = select(func.count()).where(
        Attachment.ticket_id == ticket_id,
        Attachment.status == UPLOADED,
        Attachment.deleted_at.is_(None),
    )
    return session.scalar(stmt) or 0


def abandoned(session: Session, before: datetime, *, batch: int) -> list[Attachment]:
    """Uploads that never completed, and completed uploads never attached to a ticket,
    created before `before` (deleted ones included)."""
    never_completed = select(Attachment).where(
        Attachment.status.in_((PENDING, FAILED)), Attachment.created_at < before
    )
    never_attached = select(Attachment).where(
        Attachment.status == UPLOADED,
        Attachment.created_at < before,
        Attachment.ticket_id.is_(None),
    )
    found = list(session.scalars(never_completed.order_by(Attachment.id).limit(batch)))
    if len(found) < batch:
        rest = never_attached.order_by(Attachment.id).limit(batch - len(found))
        found.extend(session.scalars(rest))
    return found


def delete_rows(session: Session, attachments: Sequence[Attachment]) -> None:
    ids = [a.id for a in attachments]
    session.execute(
        delete(Attachment)
        .where(Attachment.id.in_(ids))
        .execution_options(synchronize_session=False)
    )
    for attachment in attachments:
        session.expunge(attachment)

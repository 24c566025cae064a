from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session

from dispatch.comments.models import Comment
from dispatch.core import clock, transaction
from dispatch.tickets.models import Ticket


def get_comment(session: Session, brand_id: str, ticket_id: str, comment_id: str) -> Comment | None:
    """A live comment of one ticket of the brand."""
    return session.scalar(
        select(Comment).where(
            Comment.id == comment_id,
            Comment.brand_id == brand_id,
            Comment.ticket_id == ticket_id,
            Comment.deleted_at.is_(None),
        )
    )


def list_comments(session: Session, brand_id: str, ticket_id: str) -> list[Comment]:
    """The ticket's live comments, oldest first."""
    stmt = (
        select(Comment)
        .where(
            Comment.brand_id == brand_id,
            Comment.ticket_id == ticket_id,
            Comment.deleted_at.is_(None),
        )
        .order_by(Comment.created_at, Comment.id)
    )
    return list(session.scalars(stmt))


def latest_created_at(session: Session, ticket_id: str) -> datetime | None:
    """When the ticket's newest comment (live or deleted) was written: known to the
    transaction once read (a write reads it with its ticket) and as it adds comments."""
    return NEWEST.recall(
        session, ticket_id, lambda: session.scalar(_LATEST, {"ticket_id": ticket_id})
    )


_LATEST = select(func.max(Comment.created_at)).where(Comment.ticket_id == bindparam("ticket_id"))
NEWEST = transaction.Fact(
    "newest comment",
    select(func.max(Comment.created_at))
    .where(Comment.ticket_id == Ticket.id)
    .correlate(Ticket)
    .scalar_subquery(),
)


def add(session: Session, comment: Comment) -> Comment:
    """A new comment, written by the caller's next flush: with its ticket's new version and
    count, one flush for both (a flush's own cost is most of a small one's)."""
    session.add(comment)
    return comment


def count_live_conversation(session: Session, brand_id: str, ticket_id: str) -> int:
    """Live comments that count toward commentCount (everything but SYSTEM comments)."""
    stmt = select(func.count()).where(
        Comment.brand_id == brand_id,
        Comment.ticket_id == ticket_id,
        Comment.deleted_at.is_(None),
        Comment.author_type != "SYSTEM",
    )
    return int(session.scalar(stmt) or 0)


def move_conversation(session: Session, brand_id: str, source_id: str, target_id: str) -> None:
    """Move a ticket's comments (live and deleted, not its SYSTEM status history)."""
    session.execute(
        update(Comment)
        .where(
            Comment.brand_id == brand_id,
            Comment.ticket_id == source_id,
            Comment.author_type != "SYSTEM",
        )
        .values(ticket_id=target_id)
        .execution_options(synchronize_session="fetch")
    )
    NEWEST.forget(session, [target_id])


def move_to_ticket(session: Session, brand_id: str, source: Ticket, target: Ticket) -> int:
    """For a merge: move the source ticket's comments (not its SYSTEM status history) to
    the target, keeping both tickets' `commentCount` right. They keep their timestamps, so
    the target's thread stays chronological. Returns how many live comments moved.

    Writes no activity entry or event and bumps no version: the merge that calls this
    records itself, once per ticket."""
    moved = count_live_conversation(session, brand_id, source.id)
    move_conversation(session, brand_id, source.id, target.id)
    source.comment_count = 0
    target.comment_count += moved
    session.flush()
    return moved


# A comment and the SYSTEM comment of the status change it causes are written in the same
# transaction, often within the same microsecond (always, under a frozen test clock).
TICK = timedelta(microseconds=1)


def next_timestamp(session: Session, ticket_id: str) -> datetime:
    """A new comment's time: strictly after the ticket's newest, so the thread reads in
    the order things happened."""
    now = clock.now()
    latest = latest_created_at(session, ticket_id)
    chosen = latest + TICK if latest is not None and latest >= now else now
    NEWEST.learn(session, ticket_id, chosen)  # the caller writes a comment at that time
    return chosen

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from dispatch.accounts.models import Member
from dispatch.presence.models import TicketViewer


def mark_seen(session: Session, ticket_id: str, member_id: str, at: datetime) -> None:
    """Insert or refresh the member's row in one statement (two tabs, two processes:
    no unique violation, the later heartbeat wins)."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(TicketViewer).values(ticket_id=ticket_id, member_id=member_id, seen_at=at)
    session.execute(
        stmt.on_conflict_do_update(
            index_elements=[TicketViewer.ticket_id, TicketViewer.member_id],
            set_={"seen_at": stmt.excluded.seen_at},
        )
    )


def forget_before(session: Session, ticket_id: str, before: datetime) -> None:
    """Drop the ticket's rows of members gone since `before` (keeps the table small)."""
    session.execute(
        delete(TicketViewer).where(
            TicketViewer.ticket_id == ticket_id, TicketViewer.seen_at < before
        )
    )


def seen_since(
    session: Session, ticket_id: str, since: datetime, *, except_member: str
) -> list[Member]:
    """The members seen on the ticket at or after `since`, but one, by name."""
    stmt = (
        select(Member)
        .join(TicketViewer, TicketViewer.member_id == Member.id)
        .where(
            TicketViewer.ticket_id == ticket_id,
            TicketViewer.seen_at >= since,
            TicketViewer.member_id != except_member,
        )
        .order_by(Member.name, Member.email)
    )
    return list(session.scalars(stmt))

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import ColumnElement, and_, bindparam, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from dispatch.core import transaction
from dispatch.tags.models import Tag, TicketTag
from dispatch.tickets.models import Ticket


def _live(brand_id: str) -> ColumnElement[bool]:
    return and_(Tag.brand_id == brand_id, Tag.deleted_at.is_(None))


def list_tags(session: Session, brand_id: str) -> list[Tag]:
    stmt = select(Tag).where(_live(brand_id)).order_by(Tag.normalized_name, Tag.id)
    return list(session.scalars(stmt))


def count_live(session: Session, brand_id: str) -> int:
    return session.scalar(select(func.count()).select_from(Tag).where(_live(brand_id))) or 0


def get_tag(session: Session, brand_id: str, tag_id: str) -> Tag | None:
    return session.scalar(select(Tag).where(Tag.id == tag_id, _live(brand_id)))


def get_tags(session: Session, brand_id: str, tag_ids: Collection[str]) -> list[Tag]:
    return list(session.scalars(select(Tag).where(Tag.id.in_(tag_ids), _live(brand_id))))


def find_by_names(session: Session, brand_id: str, normalized: Collection[str]) -> list[Tag]:
    stmt = select(Tag).where(Tag.normalized_name.in_(normalized), _live(brand_id))
    return list(session.scalars(stmt))


def name_taken(
    session: Session, brand_id: str, normalized: str, *, except_id: str | None = None
) -> bool:
    stmt = select(Tag.id).where(Tag.normalized_name == normalized, _live(brand_id))
    if except_id is not None:
        stmt = stmt.where(Tag.id != except_id)
    return session.scalar(stmt.limit(1)) is not None


def with_ticket_counts(session: Session, brand_id: str) -> list[tuple[Tag, int]]:
    """Every live tag with its number of live, non-spam, non-merged tickets: one query."""
    counted = and_(
        Ticket.id == TicketTag.ticket_id,
        Ticket.deleted_at.is_(None),
        Ticket.is_spam.is_(False),
        Ticket.merged_into_id.is_(None),
    )
    stmt = (
        select(Tag, func.count(Ticket.id))
        .outerjoin(TicketTag, TicketTag.tag_id == Tag.id)
        .outerjoin(Ticket, counted)
        .where(_live(brand_id))
        .group_by(Tag.id)
        .order_by(Tag.normalized_name, Tag.id)
    )
    return [(tag, int(n)) for tag, n in session.execute(stmt)]


# --- Ticket links -------------------------------------------------------------------------


def tags_of_tickets(session: Session, ticket_ids: Collection[str]) -> list[tuple[str, Tag]]:
    """(ticket id, live tag) pairs, each ticket's tags by name; no statement for tickets
    the transaction knows to have none."""
    asked = [ticket_id for ticket_id in ticket_ids if not TAGGED.says(session, ticket_id, False)]
    if not asked:
        return []
    rows = session.execute(_TAGS_OF_TICKETS, {"ticket_ids": asked})
    return [(ticket_id, tag) for ticket_id, tag in rows]


# Whether a ticket has any tag linked (read with a write's ticket: most have none).
TAGGED = transaction.Fact(
    "tagged", select(TicketTag.ticket_id).where(TicketTag.ticket_id == Ticket.id).exists()
)


# Every rendered ticket asks (a list page for all its rows at once): built once.
_TAGS_OF_TICKETS = (
    select(TicketTag.ticket_id, Tag)
    .join(Tag, Tag.id == TicketTag.tag_id)
    .where(TicketTag.ticket_id.in_(bindparam("ticket_ids", expanding=True)))
    .where(Tag.deleted_at.is_(None))
    .order_by(TicketTag.ticket_id, Tag.normalized_name, Tag.id)
)


def add_links(
    session: Session, brand_id: str, links: Collection[tuple[str, str]], now: datetime
) -> None:
    """Link (ticket id, tag id) pairs; pairs already linked stay as they are."""
    if not links:
        return
    rows = [
        {"ticket_id": ticket_id, "tag_id": tag_id, "brand_id": brand_id, "created_at": now}
        for ticket_id, tag_id in links
    ]
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    session.execute(insert(TicketTag).values(rows).on_conflict_do_nothing())
    TAGGED.forget(session, {ticket_id for ticket_id, _tag_id in links})


def remove_links(session: Session, ticket_ids: Collection[str], tag_ids: Collection[str]) -> None:
    if not ticket_ids or not tag_ids:
        return
    session.execute(
        delete(TicketTag).where(TicketTag.ticket_id.in_(ticket_ids), TicketTag.tag_id.in_(tag_ids))
    )


def linked_pairs(
    session: Session, ticket_ids: Collection[str], tag_ids: Collection[str]
) -> set[tuple[str, str]]:
    stmt = select(TicketTag.ticket_id, TicketTag.tag_id).where(
        TicketTag.ticket_id.in_(ticket_ids), TicketTag.tag_id.in_(tag_ids)
    )
    return {(ticket_id, tag_id) for ticket_id, tag_id in session.execute(stmt)}


def tickets_with_tags(session: Session, tag_ids: Collection[str], *, batch: int) -> list[str]:
    """Ids of tickets (deleted ones too) linked to any of the tags, locked, in id order."""
    linked = select(TicketTag.ticket_id).where(TicketTag.tag_id.in_(tag_ids))
    stmt = (
        select(Ticket.id)
        .where(Ticket.id.in_(linked))
        .order_by(Ticket.id)
        .limit(batch)
        .with_for_update()
    )
    return list(session.scalars(stmt))

from __future__ import annotations

from sqlalchemy import Select, bindparam, delete, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from dispatch.core import transaction
from dispatch.tickets.models import Ticket
from dispatch.watchers.models import TicketWatcher


def list_watchers(session: Session, brand_id: str, ticket_id: str) -> list[TicketWatcher]:
    stmt = (
        select(TicketWatcher)
        .where(TicketWatcher.brand_id == brand_id, TicketWatcher.ticket_id == ticket_id)
        .order_by(TicketWatcher.added_at, TicketWatcher.id)
    )
    return list(session.scalars(stmt))


def find(session: Session, brand_id: str, ticket_id: str, ref: str) -> TicketWatcher | None:
    """A watcher of the ticket by its id, its team member's id or its email."""
    stmt = select(TicketWatcher).where(
        TicketWatcher.brand_id == brand_id,
        TicketWatcher.ticket_id == ticket_id,
        or_(
            TicketWatcher.id == ref,
            TicketWatcher.member_id == ref,
            TicketWatcher.member_email == ref.lower(),
        ),
    )
    return session.scalars(stmt.order_by(TicketWatcher.added_at)).first()


def emails(session: Session, brand_id: str, ticket_id: str) -> set[str]:
    stmt = select(TicketWatcher.member_email).where(
        TicketWatcher.brand_id == brand_id, TicketWatcher.ticket_id == ticket_id
    )
    return set(session.scalars(stmt))


def to_notify(
    session: Session, brand_id: str, ticket_id: str, *, on_comment: bool
) -> list[TicketWatcher]:
    """Watchers who asked to hear about comments (on_comment) or status changes; no
    statement when the transaction knows the ticket to have none."""
    if WATCHED.says(session, ticket_id, False):
        return []
    stmt = _TO_NOTIFY_ON_COMMENT if on_comment else _TO_NOTIFY_ON_STATUS
    return list(session.scalars(stmt, {"brand_id": brand_id, "ticket_id": ticket_id}))


def _to_notify(flag: InstrumentedAttribute[bool]) -> Select[TicketWatcher]:
    return (
        select(TicketWatcher)
        .where(
            TicketWatcher.brand_id == bindparam("brand_id"),
            TicketWatcher.ticket_id == bindparam("ticket_id"),
            flag.is_(True),
        )
        .order_by(TicketWatcher.added_at, TicketWatcher.id)
    )


# Every comment and status change asks: built once.
_TO_NOTIFY_ON_COMMENT = _to_notify(TicketWatcher.notify_on_comment)
_TO_NOTIFY_ON_STATUS = _to_notify(TicketWatcher.notify_on_status_change)


# Whether a ticket has any watcher (read with a write's ticket: most have none).
WATCHED = transaction.Fact(
    "watched",
    select(TicketWatcher.id).where(TicketWatcher.ticket_id == Ticket.id).exists(),
)


def add(session: Session, watcher: TicketWatcher) -> TicketWatcher:
    WATCHED.forget(session, [watcher.ticket_id])
    session.add(watcher)
    session.flush()
    return watcher


def remove(session: Session, watcher: TicketWatcher) -> None:
    session.execute(delete(TicketWatcher).where(TicketWatcher.id == watcher.id))
    session.expunge(watcher)

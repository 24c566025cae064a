from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Executable, Select, and_, bindparam, func, select, union_all
from sqlalchemy.orm import InstrumentedAttribute, Session, aliased

from dispatch.brands.models import Brand
from dispatch.comments import repository as comments
from dispatch.contacts.models import Company, Contact
from dispatch.core import transaction
from dispatch.core.db import one_of
from dispatch.core.pagination import Cursor, after_cursor
from dispatch.search import repository as search
from dispatch.statuses.models import TicketStatus
from dispatch.tags import repository as tags
from dispatch.tags.models import TicketTag
from dispatch.tickets.models import Ticket
from dispatch.tickets.priority import RANKS
from dispatch.watchers import repository as watchers

UNASSIGNED = "null"
SelectT = TypeVar("SelectT", bound="Select[*tuple[Any, ...]]")


@dataclass(frozen=True, slots=True)
class TicketFilter:
    status_ids: Sequence[str] | None = None
    priorities: Sequence[str] | None = None
    assignee_id: str | None = None  # UNASSIGNED for tickets without an assignee
    assignee_email: str | None = None
    created_by: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    search: str | None = None
    customer_id: str | None = None
    customer_email: str | None = None
    company_id: str | None = None  # tickets of the company's live contacts
    category_id: str | None = None  # UNASSIGNED ("null") for uncategorized tickets
    tag_ids: Sequence[str] | None = None  # tickets with any of these tags
    has_attachments: bool | None = None
    is_spam: bool = False
    source: str | None = None


@dataclass(frozen=True, slots=True)
class SortKey:
    """A sortable column; `datetime_value` tells the cursor how to decode its values."""

    column: Any
    datetime_value: bool = False


SORT_KEYS: dict[str, SortKey] = {
    "createdAt": SortKey(Ticket.created_at, datetime_value=True),
    "updatedAt": SortKey(Ticket.updated_at, datetime_value=True),
    "dueAt": SortKey(Ticket.due_at, datetime_value=True),
    "priority": SortKey(Ticket.priority),
    "ticketNumber": SortKey(Ticket.ticket_number),
    "title": SortKey(Ticket.title),
    "status": SortKey(TicketStatus.sort_order),
}


def sort_value(ticket: Ticket, sort: str, status_order: int) -> Any:
    if sort == "status":
        return status_order
    if sort == "priority":
        # Cursors carry the stored rank, which is what the comparison runs against.
        return RANKS[ticket.priority]
    attribute: InstrumentedAttribute[Any] = SORT_KEYS[sort].column
    return getattr(ticket, attribute.key)


def _filtered(stmt: SelectT, brand_ids: Collection[str], f: TicketFilter) -> SelectT:
    stmt = stmt.where(
        one_of(Ticket.brand_id, brand_ids),
        Ticket.deleted_at.is_(None),
        Ticket.is_spam.is_(f.is_spam),
        Ticket.merged_into_id.is_(None),
    )
    if f.status_ids is not None:
        stmt = stmt.where(Ticket.status_id.in_(f.status_ids))
    if f.priorities is not None:
        stmt = stmt.where(Ticket.priority.in_(f.priorities))
    if f.assignee_id == UNASSIGNED:
        stmt = stmt.where(Ticket.assignee_id.is_(None), Ticket.assignee_email.is_(None))
    elif f.assignee_id is not None:
        stmt = stmt.where(Ticket.assignee_id == f.assignee_id)
    if f.assignee_email is not None:
        stmt = stmt.where(Ticket.assignee_email == f.assignee_email.lower())
    if f.created_by is not None:
        stmt = stmt.where(Ticket.created_by == f.created_by)
    if f.created_after is not None:
        stmt = stmt.where(Ticket.created_at >= f.created_after)
    if f.created_before is not None:
        stmt = stmt.where(Ticket.created_at < f.created_before)
    if f.customer_id is not None:
        stmt = stmt.where(Ticket.customer_id == f.customer_id)
    if f.customer_email is not None:
        stmt = stmt.where(Ticket.customer_email == f.customer_email.lower())
    if f.company_id is not None:
        members = select(Contact.id).where(
            Contact.company_id == f.company_id, Contact.deleted_at.is_(None)
        )
        stmt = stmt.where(Ticket.customer_id.in_(members))
    if f.category_id == UNASSIGNED:
        stmt = stmt.where(Ticket.category_id.is_(None))
    elif f.category_id is not None:
        stmt = stmt.where(Ticket.category_id == f.category_id)
    if f.tag_ids is not None:
        tagged = select(TicketTag.ticket_id).where(TicketTag.tag_id.in_(f.tag_ids))
        stmt = stmt.where(Ticket.id.in_(tagged))
    if f.has_attachments is not None:
        stmt = stmt.where(
            Ticket.attachment_count > 0 if f.has_attachments else Ticket.attachment_count == 0
        )
    if f.source is not None:
        stmt = stmt.where(Ticket.source == f.source)
    return stmt


def list_tickets(
    session: Session,
    brand_ids: Collection[str],
    f: TicketFilter,
    *,
    sort: str,
    descending: bool,
    cursor: Cursor | None,
    limit: int,
) -> list[Ticket]:
    """One page plus one row, so the caller can tell whether another page follows; of one
    brand or, for the cross-brand queue, of several."""
    if f.search:
        search.plan_each_search(session)
    if len(brand_ids) == 1 or sort == "status":
        return list(session.scalars(_page(session, brand_ids, f, sort, descending, cursor, limit)))
    # Across brands, each brand's page comes from its own keyset index and the pages are
    # merged: one query over `brand_id IN (...)` cannot walk an index in the sort's order,
    # and read and sorted every matching ticket of every brand (100 ms at 120k tickets).
    # Sorting by status stays one query: its order comes from a join.
    pages = union_all(
        *(select(_page(session, [b], f, sort, descending, cursor, limit).subquery())
          for b in sorted(brand_ids))
    ).subquery()  # fmt: skip
    merged = aliased(Ticket, pages)
    column: ColumnElement[Any] = getattr(merged, SORT_KEYS[sort].column.key)
    return list(
        session.scalars(
            select(merged).order_by(*_order(column, merged.id, descending)).limit(limit + 1)
        )
    )


def _page(
    session: Session,
    brand_ids: Collection[str],
    f: TicketFilter,
    sort: str,
    descending: bool,
    cursor: Cursor | None,
    limit: int,
) -> Select[Ticket]:
    key = SORT_KEYS[sort]
    column: ColumnElement[Any] = key.column
    stmt = _filtered(select(Ticket), brand_ids, f)
    if f.search:
        stmt = stmt.where(search.ticket_condition(session, brand_ids, f.search))
    if sort == "status":
        stmt = stmt.join(TicketStatus, TicketStatus.id == Ticket.status_id)
    if cursor is not None:
        stmt = stmt.where(after_cursor(column, Ticket.id, cursor, descending=descending))
    return stmt.order_by(*_order(column, Ticket.id, descending)).limit(limit + 1)


def _order(
    column: ColumnElement[Any], id_column: Any, descending: bool
) -> tuple[ColumnElement[Any], ColumnElement[Any]]:
    direction = column.desc() if descending else column.asc()
    if getattr(column, "nullable", False):
        # Only where NULLs exist: NULLS LAST on a NOT NULL column would stop an index
        # scan from delivering the order (PostgreSQL would sort the whole brand).
        direction = direction.nulls_last()
    return direction, id_column.desc() if descending else id_column.asc()


def _with_customer(*where: ColumnElement[bool]) -> Select[Ticket, Contact, Company]:
    """The ticket with its live customer and their live company in the same query: every
    use of a ticket renders them, and the session then holds them (no second query)."""
    return (
        select(Ticket, Contact, Company)
        .outerjoin(Contact, and_(Contact.id == Ticket.customer_id, Contact.deleted_at.is_(None)))
        .outerjoin(Company, and_(Company.id == Contact.company_id, Company.deleted_at.is_(None)))
        .where(*where)
    )


def _first_with_customer(
    session: Session, stmt: Executable, brand_id: str, ticket_id: str
) -> Ticket | None:
    row = session.execute(stmt, {"brand_id": brand_id, "ticket_id": ticket_id}).first()
    if row is None:
        return None
    ticket: Ticket
    ticket, contact, company, *learnt = row
    transaction.hold(session, contact, company)
    for fact, value in zip(_LEARNT_WITH_A_WRITE, learnt, strict=False):
        fact.learn(session, ticket.id, value)
    return ticket


# Built once: building this join and its cache key anew for each request cost more than
# running it (hot statements are module constants with bound parameters).
_LIVE_TICKET = _with_customer(
    Ticket.id == bindparam("ticket_id"),
    Ticket.brand_id == bindparam("brand_id"),
    Ticket.deleted_at.is_(None),
)
# A write also reads when the ticket's newest comment was written (a comment it adds comes
# after it) and whether it has tags and watchers (to render, to notify): a reply or a
# status change on a ticket with neither runs three statements fewer.
_LEARNT_WITH_A_WRITE = (comments.NEWEST, tags.TAGGED, watchers.WATCHED)
_LIVE_TICKET_FOR_UPDATE = _LIVE_TICKET.add_columns(
    *(fact.column for fact in _LEARNT_WITH_A_WRITE)
).with_for_update(of=Ticket)


def get_ticket(session: Session, brand_id: str, ticket_id: str) -> Ticket | None:
    return _first_with_customer(session, _LIVE_TICKET, brand_id, ticket_id)


def get_ticket_for_update(session: Session, brand_id: str, ticket_id: str) -> Ticket | None:
    """Lock the row (PostgreSQL) so concurrent changes to one ticket apply in turn (the
    ticket's row only: its customer's stays free for their other tickets)."""
    return _first_with_customer(session, _LIVE_TICKET_FOR_UPDATE, brand_id, ticket_id)


def numbers_and_titles(
    session: Session, brand_id: str, ticket_ids: Collection[str]
) -> dict[str, tuple[int, str, bool]]:
    """Each of these tickets of the brand: its number, its title and whether it was
    deleted (a log outlives what it names). One statement, whatever the number."""
    if not ticket_ids:
        return {}
    stmt = select(Ticket.id, Ticket.ticket_number, Ticket.title, Ticket.deleted_at).where(
        Ticket.brand_id == brand_id, one_of(Ticket.id, ticket_ids)
    )
    return {
        ticket_id: (number, title, deleted_at is not None)
        for ticket_id, number, title, deleted_at in session.execute(stmt)
    }


def tickets_with_status(session: Session, status_id: str, *, batch: int) -> list[Ticket]:
    stmt = (
        select(Ticket)
        .where(Ticket.status_id == status_id)
        .order_by(Ticket.id)
        .limit(batch)
        .with_for_update()
    )
    return list(session.scalars(stmt))


def tickets_of_customer_for_update(
    session: Session, brand_id: str, contact_id: str
) -> list[Ticket]:
    """The contact's live tickets (spam and merged ones too), locked in id order."""
    stmt = (
        select(Ticket)
        .where(
            Ticket.brand_id == brand_id,
            Ticket.customer_id == contact_id,
            Ticket.deleted_at.is_(None),
        )
        .order_by(Ticket.id)
        .with_for_update()
    )
    return list(session.scalars(stmt))


def has_tickets_with_status(session: Session, status_id: str, *, live_only: bool) -> bool:
    stmt = select(Ticket.id).where(Ticket.status_id == status_id)
    if live_only:
        stmt = stmt.where(Ticket.deleted_at.is_(None))
    return session.scalar(stmt.limit(1)) is not None


def highest_ticket_number(session: Session, brand_id: str) -> int | None:
    return session.scalar(select(func.max(Ticket.ticket_number)).where(Ticket.brand_id == brand_id))


def count_live_tickets(session: Session, brand_id: str) -> int:
    stmt = select(func.count()).where(Ticket.brand_id == brand_id, Ticket.deleted_at.is_(None))
    return session.scalar(stmt) or 0


def count_account_tickets(
    session: Session, account_id: str, brand_ids: Collection[str] | None, *, since: datetime
) -> tuple[int, int]:
    """(all, created at or after `since`) live tickets of the account's live brands, among
    `brand_ids` unless that is None: one COUNT query."""
    stmt = (
        select(func.count(), func.count().filter(Ticket.created_at >= since))
        .select_from(Ticket)
        .join(Brand, Brand.id == Ticket.brand_id)
        .where(
            Ticket.account_id == account_id,
            Ticket.deleted_at.is_(None),
            Brand.deleted_at.is_(None),
        )
    )
    if brand_ids is not None:
        stmt = stmt.where(Ticket.brand_id.in_(list(brand_ids)))
    total, recent = session.execute(stmt).one()
    return int(total), int(recent)


def count_by_status(session: Session, brand_id: str) -> dict[str, int]:
    """Counted from the tickets themselves: the oracle the kept counts are checked against."""
    stmt = _filtered(select(Ticket.status_id, func.count()), [brand_id], TicketFilter()).group_by(
        Ticket.status_id
    )
    return {status_id: int(n) for status_id, n in session.execute(stmt)}

"""Every query of contacts and companies; each one scoped to a brand."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from sqlalchemy import (
    ColumnElement,
    Select,
    Table,
    and_,
    bindparam,
    case,
    exists,
    func,
    inspect,
    or_,
    select,
)
from sqlalchemy.orm import InstrumentedAttribute, Session, make_transient_to_detached
from sqlalchemy.orm.util import identity_key

from dispatch.contacts.models import Company, Contact
from dispatch.core import transaction
from dispatch.core.db import one_of, per_dialect
from dispatch.core.pagination import Cursor, after_cursor
from dispatch.spam.models import BlockedSender

NO_COMPANY = "null"
SelectT = TypeVar("SelectT", bound="Select[*tuple[Any, ...]]")

CONTACT_SORT: dict[str, InstrumentedAttribute[Any]] = {
    "createdAt": Contact.created_at,
    "name": Contact.name,
    "email": Contact.email,
}
COMPANY_SORT: dict[str, InstrumentedAttribute[Any]] = {
    "name": Company.name,
    "createdAt": Company.created_at,
}

ContactRow = tuple[Contact, Company | None]
CONTACTS = cast(Table, Contact.__table__)
# (attribute, column) pairs of a contact row.
_CONTACT_COLUMNS = [(attr.key, attr.columns[0]) for attr in inspect(Contact).column_attrs]


def escape_like(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _contains(term: str) -> str:
    return f"%{escape_like(term)}%"


def _live_company_join() -> ColumnElement[bool]:
    return and_(Company.id == Contact.company_id, Company.deleted_at.is_(None))


def _with_company(*where: ColumnElement[bool]) -> Select[Contact, Company]:
    """Contacts matching `where`, each with its live company (None without one)."""
    return select(Contact, Company).outerjoin(Company, _live_company_join()).where(*where)


def _not_blocked() -> ColumnElement[bool]:
    return ~exists().where(
        BlockedSender.brand_id == Contact.brand_id,
        func.lower(BlockedSender.email) == Contact.email,
    )


def _ordered(
    stmt: SelectT,
    column: InstrumentedAttribute[Any],
    id_column: InstrumentedAttribute[str],
    *,
    descending: bool,
    cursor: Cursor | None,
    limit: int,
) -> SelectT:
    if cursor is not None:
        stmt = stmt.where(after_cursor(column, id_column, cursor, descending=descending))
    direction = column.desc() if descending else column.asc()
    if column.nullable:
        direction = direction.nulls_last()
    id_direction = id_column.desc() if descending else id_column.asc()
    return stmt.order_by(direction, id_direction).limit(limit + 1)


# ---- contacts ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ContactFilter:
    search: str | None = None
    company_id: str | None = None  # NO_COMPANY for contacts without a company
    include_blocked: bool = False


def list_contacts(
    session: Session,
    brand_id: str,
    f: ContactFilter,
    *,
    sort: str,
    descending: bool,
    cursor: Cursor | None,
    limit: int,
) -> list[ContactRow]:
    """One page plus one row (so the caller can tell whether another page follows)."""
    stmt = _with_company(Contact.brand_id == brand_id, Contact.deleted_at.is_(None))
    if f.search:
        pattern = _contains(f.search)
        stmt = stmt.where(
            or_(
                Contact.name.ilike(pattern, escape="\\"),
                Contact.email.ilike(pattern, escape="\\"),
            )
        )
    if f.company_id == NO_COMPANY:
        stmt = stmt.where(Contact.company_id.is_(None))
    elif f.company_id is not None:
        stmt = stmt.where(Contact.company_id == f.company_id)
    if not f.include_blocked:
        stmt = stmt.where(_not_blocked())
    stmt = _ordered(
        stmt,
        CONTACT_SORT[sort],
        Contact.id,
        descending=descending,
        cursor=cursor,
        limit=limit,
    )
    return [(contact, company) for contact, company in session.execute(stmt)]


def search_contacts(session: Session, brand_id: str, term: str, *, limit: int) -> list[ContactRow]:
    """Autocomplete: contacts whose name or email contains the term, those that start
    with it first. Blocked senders are left out, as in the list."""
    pattern = _contains(term)
    prefix = f"{escape_like(term)}%"
    starts = or_(Contact.email.ilike(prefix, escape="\\"), Contact.name.ilike(prefix, escape="\\"))
    stmt = (
        _with_company(
            Contact.brand_id == brand_id,
            Contact.deleted_at.is_(None),
            or_(
                Contact.name.ilike(pattern, escape="\\"),
                Contact.email.ilike(pattern, escape="\\"),
            ),
            _not_blocked(),
        )
        .order_by(case((starts, 0), else_=1), Contact.email, Contact.id)
        .limit(limit)
    )
    return [(contact, company) for contact, company in session.execute(stmt)]


def get_contact(session: Session, brand_id: str, contact_id: str) -> Contact | None:
    return session.scalar(
        select(Contact).where(
            Contact.id == contact_id, Contact.brand_id == brand_id, Contact.deleted_at.is_(None)
        )
    )


def get_contact_by_email(session: Session, brand_id: str, email: str) -> Contact | None:
    """The brand's live contact with this address; one the transaction found or created
    already is not asked for again (an inbound email looks its sender up to act as them,
    then again to open the ticket)."""
    address = email.lower()
    key = _by_email(brand_id, address)
    known = transaction.cached(session, key, lambda: None)
    if (
        isinstance(known, Contact)
        and known in session
        and (known.brand_id, known.email, known.deleted_at) == (brand_id, address, None)
    ):
        return known
    contact = session.scalar(_CONTACT_BY_EMAIL, {"brand_id": brand_id, "email": address})
    transaction.remember(session, key, contact)
    return contact


def _by_email(brand_id: str, address: str) -> tuple[str, str, str]:
    return ("contact by email", brand_id, address)


# Every ticket created with a requester asks: built once.
_CONTACT_BY_EMAIL = select(Contact).where(
    Contact.brand_id == bindparam("brand_id"),
    Contact.email == bindparam("email"),
    Contact.deleted_at.is_(None),
)


def insert_unless_taken(session: Session, contact: Contact) -> bool:
    """Insert a new contact unless the brand already has a live one with its email (a
    concurrent request's): one statement, no savepoint. When inserted, the object joins
    the session as the stored row; False when the email was taken."""
    values = {column.name: getattr(contact, key) for key, column in _CONTACT_COLUMNS}
    stmt = _INSERT_UNLESS_TAKEN[session.get_bind().dialect.name]
    if session.connection().execute(stmt, values).first() is None:
        return False
    make_transient_to_detached(contact)
    session.add(contact)
    transaction.remember(session, _by_email(contact.brand_id, contact.email), contact)
    return True


def _insert_unless_taken(insert: Any) -> Any:
    return (
        insert(CONTACTS)
        .on_conflict_do_nothing(
            index_elements=[CONTACTS.c.brand_id, CONTACTS.c.email],
            index_where=CONTACTS.c.deleted_at.is_(None),
        )
        .returning(CONTACTS.c.id)
    )


# Every ticket from a new address asks: built once per dialect, the values as parameters.
_INSERT_UNLESS_TAKEN = per_dialect(_insert_unless_taken)


def email_taken(session: Session, brand_id: str, email: str, *, except_id: str | None) -> bool:
    stmt = select(Contact.id).where(
        Contact.brand_id == brand_id, Contact.email == email.lower(), Contact.deleted_at.is_(None)
    )
    if except_id is not None:
        stmt = stmt.where(Contact.id != except_id)
    return session.scalar(stmt.limit(1)) is not None


def contacts_with_company(
    session: Session, brand_id: str, contact_ids: Collection[str]
) -> list[ContactRow]:
    """Live contacts of the brand among the ids, each with its company: those the
    transaction already holds (with their company) from memory, the rest in one query."""
    rows: list[ContactRow] = []
    missing = []
    for contact_id in contact_ids:
        row = _in_session(session, brand_id, contact_id)
        if row is None:
            missing.append(contact_id)
        elif row[0].deleted_at is None:
            rows.append(row)
    if missing:
        stmt = _with_company(
            Contact.brand_id == brand_id, Contact.id.in_(missing), Contact.deleted_at.is_(None)
        )
        rows += [(contact, company) for contact, company in session.execute(stmt)]
    return rows


def _in_session(session: Session, brand_id: str, contact_id: str) -> ContactRow | None:
    """The contact and its company if the session holds both (None if it has to ask)."""
    contact = session.identity_map.get(identity_key(Contact, contact_id))
    if not isinstance(contact, Contact) or contact.brand_id != brand_id:
        return None
    if contact.company_id is None:
        return contact, None
    company = session.identity_map.get(identity_key(Company, contact.company_id))
    if not isinstance(company, Company):
        return None
    return contact, company if company.deleted_at is None else None


def contacts_of_company(
    session: Session, brand_id: str, company_id: str, *, limit: int
) -> list[Contact]:
    stmt = (
        select(Contact)
        .where(
            Contact.brand_id == brand_id,
            Contact.company_id == company_id,
            Contact.deleted_at.is_(None),
        )
        .order_by(Contact.created_at.desc(), Contact.id.desc())
        .limit(limit)
    )
    return list(session.scalars(stmt))


def unlinked_contacts_with_domain(session: Session, brand_id: str, domain: str) -> list[Contact]:
    """Live contacts without a company whose address is at exactly this domain."""
    stmt = (
        select(Contact)
        .where(
            Contact.brand_id == brand_id,
            Contact.deleted_at.is_(None),
            Contact.company_id.is_(None),
            Contact.email.like(f"%@{escape_like(domain.lower())}", escape="\\"),
        )
        .order_by(Contact.id)
        .with_for_update()
    )
    return list(session.scalars(stmt))


def live_contacts_of_company(session: Session, brand_id: str, company_id: str) -> list[Contact]:
    stmt = (
        select(Contact)
        .where(
            Contact.brand_id == brand_id,
            Contact.company_id == company_id,
            Contact.deleted_at.is_(None),
        )
        .order_by(Contact.id)
        .with_for_update()
    )
    return list(session.scalars(stmt))


# ---- companies ---------------------------------------------------------------------------


def list_companies(
    session: Session,
    brand_id: str,
    *,
    search: str | None,
    sort: str,
    descending: bool,
    cursor: Cursor | None,
    limit: int,
) -> list[Company]:
    stmt = select(Company).where(Company.brand_id == brand_id, Company.deleted_at.is_(None))
    if search:
        pattern = _contains(search)
        stmt = stmt.where(
            or_(
                Company.name.ilike(pattern, escape="\\"),
                Company.domain.ilike(pattern, escape="\\"),
            )
        )
    stmt = _ordered(
        stmt, COMPANY_SORT[sort], Company.id, descending=descending, cursor=cursor, limit=limit
    )
    return list(session.scalars(stmt))


def get_company(session: Session, brand_id: str, company_id: str) -> Company | None:
    return session.scalar(
        select(Company).where(
            Company.id == company_id, Company.brand_id == brand_id, Company.deleted_at.is_(None)
        )
    )


def get_company_by_domain(session: Session, brand_id: str, domain: str) -> Company | None:
    return session.scalar(_COMPANY_BY_DOMAIN, {"brand_id": brand_id, "domain": domain.lower()})


_COMPANY_BY_DOMAIN = select(Company).where(
    Company.brand_id == bindparam("brand_id"),
    Company.domain == bindparam("domain"),
    Company.deleted_at.is_(None),
)


def get_company_by_name(session: Session, brand_id: str, name: str) -> Company | None:
    """The brand's live company with this name (case-insensitive), the oldest if several."""
    return session.scalar(
        select(Company)
        .where(
            Company.brand_id == brand_id,
            func.lower(Company.name) == name.lower(),
            Company.deleted_at.is_(None),
        )
        .order_by(Company.created_at, Company.id)
        .limit(1)
    )


def domain_taken(session: Session, brand_id: str, domain: str, *, except_id: str | None) -> bool:
    stmt = select(Company.id).where(
        Company.brand_id == brand_id, Company.domain == domain, Company.deleted_at.is_(None)
    )
    if except_id is not None:
        stmt = stmt.where(Company.id != except_id)
    return session.scalar(stmt.limit(1)) is not None


def contact_counts(session: Session, brand_id: str, company_ids: Collection[str]) -> dict[str, int]:
    """Live contacts per company: one grouped query."""
    if not company_ids:
        return {}
    stmt = (
        select(Contact.company_id, func.count())
        .where(
            Contact.brand_id == brand_id,
            Contact.company_id.in_(list(company_ids)),
            Contact.deleted_at.is_(None),
        )
        .group_by(Contact.company_id)
    )
    return {str(company_id): int(n) for company_id, n in session.execute(stmt)}


def names(
    session: Session, model: type[Contact] | type[Company], brand_id: str, ids: Collection[str]
) -> dict[str, tuple[str, bool]]:
    """Each of these contacts (or companies) of the brand: the name it shows (a contact
    without one, its address) and whether it was deleted (a log outlives what it names).
    One statement, whatever the number."""
    if not ids:
        return {}
    shown = func.coalesce(Contact.name, Contact.email) if model is Contact else Company.name
    stmt = select(model.id, shown, model.deleted_at).where(
        model.brand_id == brand_id, one_of(model.id, ids)
    )
    return {
        str(id_): (name, deleted_at is not None) for id_, name, deleted_at in session.execute(stmt)
    }


def count_live(session: Session, brand_id: str) -> tuple[int, int]:
    """The brand's live contacts and companies (what its deletion preview reports)."""
    contacts = (
        select(func.count())
        .select_from(Contact)
        .where(Contact.brand_id == brand_id, Contact.deleted_at.is_(None))
    )
    companies = (
        select(func.count())
        .select_from(Company)
        .where(Company.brand_id == brand_id, Company.deleted_at.is_(None))
    )
    return session.scalar(contacts) or 0, session.scalar(companies) or 0

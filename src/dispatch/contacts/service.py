"""Contacts (the reference's customers) and companies: CRUD, search, lists, auto-linking
contacts to companies by email domain, and the lookups ticket creation uses."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dispatch.audit import service as audit
from dispatch.audit.changes import with_changes
from dispatch.brands.models import Brand
from dispatch.contacts import repository, rules
from dispatch.contacts.errors import (
    CompanyDomainTaken,
    CompanyNotFound,
    ContactExists,
    ContactNotFound,
    FreeMailDomain,
    UnknownCompany,
)
from dispatch.contacts.models import Company, Contact
from dispatch.contacts.schemas import (
    NAME_MAX,
    SEARCH_LIMIT,
    CompanyChanges,
    CompanyCount,
    CompanyDetail,
    CompanyOut,
    ContactChanges,
    ContactCount,
    ContactOut,
    NewCompany,
    NewContact,
)
from dispatch.core import clock, events
from dispatch.core.actor import Actor
from dispatch.core.email_address import InvalidEmailAddress, normalize_email
from dispatch.core.errors import DomainError, ValidationFailed
from dispatch.core.ids import new_id
from dispatch.core.pagination import Cursor, split_page
from dispatch.core.patch import merge_map
from dispatch.fields import service as custom_values

EntityType = Literal["contact", "company"]
COMPANY_CONTACTS_SHOWN = 100
# Activity-entry and event trigger of contacts linked or unlinked by a company change.
LINKED_BY_DOMAIN = "company_domain"
UNLINKED_BY_DELETE = "company_deleted"


def _custom_field_values(
    session: Session,
    brand_id: str,
    entity_type: EntityType,
    patch: dict[str, Any] | None,
    *,
    current: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """customFields of a contact or company, checked against the brand's field definitions
    (a patch merged onto `current`; `current=None` is a create: defaults, required)."""
    return custom_values.validate_values(session, brand_id, entity_type, patch, current=current)


def _wire(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def _flush_unique(
    session: Session,
    conflict: Callable[[], DomainError | None],
    add: Contact | Company | None = None,
) -> None:
    """Add and flush inside a savepoint: a unique index a concurrent transaction won (a
    live email or domain) becomes the caller's 409 and leaves the session usable (the
    row added here is gone again), instead of failing the whole transaction."""
    try:
        with session.begin_nested():
            if add is not None:
                session.add(add)
            session.flush()
    except IntegrityError:
        error = conflict()
        if error is None:
            raise
        raise error from None


# ---- rendering ---------------------------------------------------------------------------


def contact_out(contact: Contact, company: CompanyOut | None, ticket_count: int) -> ContactOut:
    return ContactOut(
        id=contact.id,
        brand_id=contact.brand_id,
        email=contact.email,
        name=contact.name,
        avatar_url=contact.avatar_url,
        company_id=contact.company_id,
        company=company,
        metadata=contact.metadata_,
        custom_fields=contact.custom_fields,
        notify_email=contact.notify_email,
        email_undeliverable=contact.email_undeliverable_at is not None,
        email_undeliverable_at=contact.email_undeliverable_at,
        created_at=contact.created_at,
        updated_at=contact.updated_at,
        count=ContactCount(tickets=ticket_count),
    )


def _render_contacts(
    session: Session, brand_id: str, rows: Iterable[tuple[Contact, Company | None]]
) -> list[ContactOut]:
    """Contacts with their whole companies: ticket counts and the companies' contact
    counts from one grouped query each, however many rows."""
    rows = list(rows)
    counts = repository.ticket_counts(session, brand_id, [c.id for c, _ in rows])
    companies = {company.id: company for _, company in rows if company is not None}
    company_outs = {
        out.id: out for out in _render_companies(session, brand_id, list(companies.values()))
    }
    return [
        contact_out(c, company_outs[company.id] if company else None, counts.get(c.id, 0))
        for c, company in rows
    ]


def _render_contact(session: Session, contact: Contact, company: Company | None) -> ContactOut:
    return _render_contacts(session, contact.brand_id, [(contact, company)])[0]


def _company_of(session: Session, contact: Contact) -> Company | None:
    if contact.company_id is None:
        return None
    return repository.get_company(session, contact.brand_id, contact.company_id)


def company_out(company: Company, contact_count: int) -> CompanyOut:
    return CompanyOut(
        id=company.id,
        brand_id=company.brand_id,
        name=company.name,
        domain=company.domain,
        metadata=company.metadata_,
        custom_fields=company.custom_fields,
        created_at=company.created_at,
        updated_at=company.updated_at,
        count=CompanyCount(customers=contact_count),
    )


def _render_companies(
    session: Session, brand_id: str, companies: list[Company]
) -> list[CompanyOut]:
    counts = repository.contact_counts(session, brand_id, [c.id for c in companies])
    return [company_out(c, counts.get(c.id, 0)) for c in companies]


def _render_company(session: Session, company: Company) -> CompanyOut:
    return _render_companies(session, company.brand_id, [company])[0]


# ---- activity and events -----------------------------------------------------------------


def _record(
    session: Session,
    actor: Actor,
    *,
    entity_type: EntityType,
    entity_id: str,
    brand_id: str,
    event_types: tuple[str, ...],
    data: dict[str, Any],
    changes: dict[str, tuple[Any, Any]] | None = None,
    metadata: dict[str, Any] | None = None,
) -> None:
    """One activity entry and the events of one change, in the caller's transaction."""
    payload = with_changes(dict(data), changes)
    if metadata:
        payload.update(metadata)
    for event_type in event_types:
        events.emit(session, event_type, brand_id, payload)
    audit.record(
        session,
        actor,
        brand_id=brand_id,
        event=event_types[0],
        entity_type=entity_type,
        entity_id=entity_id,
        changes=changes,
        metadata=metadata,
    )


def _record_contact(
    session: Session,
    actor: Actor,
    out: ContactOut,
    event_types: tuple[str, ...],
    changes: dict[str, tuple[Any, Any]] | None = None,
    metadata: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
) -> None:
    _record(
        session,
        actor,
        entity_type="contact",
        entity_id=out.id,
        brand_id=out.brand_id,
        event_types=event_types,
        data={**out.model_dump(mode="json", by_alias=True), **(extra or {})},
        changes=changes,
        metadata=metadata,
    )


def _record_company(
    session: Session,
    actor: Actor,
    out: CompanyOut,
    event_type: str,
    changes: dict[str, tuple[Any, Any]] | None = None,
    metadata: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
) -> None:
    _record(
        session,
        actor,
        entity_type="company",
        entity_id=out.id,
        brand_id=out.brand_id,
        event_types=(event_type,),
        data={**out.model_dump(mode="json", by_alias=True), **(extra or {})},
        changes=changes,
        metadata=metadata,
    )


def _record_relinked(
    session: Session,
    actor: Actor,
    brand: Brand,
    contacts: list[Contact],
    company: Company | None,
    old_company_id: str | None,
    trigger: str,
) -> None:
    """`contact.updated` (and an activity entry) for each contact a company change linked
    (`company`) or unlinked (None)."""
    rendered = _render_contacts(session, brand.id, [(c, company) for c in contacts])
    new_company_id = company.id if company is not None else None
    for out in rendered:
        _record_contact(
            session,
            actor,
            out,
            ("contact.updated",),
            changes={"companyId": (old_company_id, new_company_id)},
            metadata={"trigger": trigger},
        )


# ---- contacts: lookups other domains use -------------------------------------------------


def get_contact(session: Session, brand: Brand, contact_id: str) -> Contact:
    """A live contact of the brand (404 `contact_not_found` otherwise)."""
    contact = repository.get_contact(session, brand.id, contact_id)
    if contact is None:
        raise ContactNotFound(contact_id)
    return contact


def find_contact_by_email(session: Session, brand_id: str, email: str) -> Contact | None:
    """The brand's live contact with this address, matched case-insensitively."""
    return repository.get_contact_by_email(session, brand_id, email.strip().lower())


def contacts_for(
    session: Session, brand_id: str, contact_ids: Collection[str]
) -> dict[str, ContactOut]:
    """Live contacts of the brand by id, with company and ticket count, for embedding in
    tickets: two queries however many ids. Unknown, foreign or deleted ids are absent."""
    rows = repository.contacts_with_company(session, brand_id, set(contact_ids))
    return {out.id: out for out in _render_contacts(session, brand_id, rows)}


def find_or_create_contact(
    session: Session, actor: Actor, brand: Brand, *, email: str, name: str | None
) -> Contact:
    """The brand's contact with this address (case-insensitive), created if there is none.

    A new contact is linked to the company whose domain its address is at, and written
    with its activity entry and `contact.created`/`customer.created` events. A found
    contact only changes if it has no name and one is given (a `contact.updated`)."""
    try:
        address = normalize_email(email).lower()
    except InvalidEmailAddress as exc:
        raise ValidationFailed("email", str(exc)) from None
    name = (name or "").strip()[:NAME_MAX] or None
    contact = repository.get_contact_by_email(session, brand.id, address)
    if contact is not None:
        if name and not contact.name:
            _fill_name(session, actor, contact, name)
        return contact
    try:
        contact, company = _insert_contact(
            session,
            brand,
            email=address,
            name=name,
            avatar_url=None,
            company=None,
            metadata={},
            custom_fields={},
            notify_email=True,
        )
    except ContactExists:
        # A concurrent request created it first.
        found = repository.get_contact_by_email(session, brand.id, address)
        if found is None:
            raise
        return found
    _record_created(session, actor, contact, company)
    return contact


def _fill_name(session: Session, actor: Actor, contact: Contact, name: str) -> None:
    old = contact.name
    contact.name = name
    contact.updated_at = clock.now()
    session.flush()
    out = _render_contact(session, contact, _company_of(session, contact))
    _record_contact(session, actor, out, ("contact.updated",), changes={"name": (old, name)})


# ---- contacts: API use cases -------------------------------------------------------------


def _company_for(session: Session, brand: Brand, company_id: str) -> Company:
    company = repository.get_company(session, brand.id, company_id)
    if company is None:
        raise UnknownCompany(company_id)
    return company


def _company_by_email(session: Session, brand_id: str, email: str) -> Company | None:
    domain = rules.email_domain(email)
    if not domain or rules.is_free_mail(domain):
        return None
    return repository.get_company_by_domain(session, brand_id, domain)


def _insert_contact(
    session: Session,
    brand: Brand,
    *,
    email: str,
    name: str | None,
    avatar_url: str | None,
    company: Company | None,
    metadata: dict[str, Any],
    custom_fields: dict[str, Any],
    notify_email: bool,
) -> tuple[Contact, Company | None]:
    """Insert a contact; without a company it joins the one its email domain names."""
    if repository.email_taken(session, brand.id, email, except_id=None):
        raise ContactExists(email)
    if company is None:
        company = _company_by_email(session, brand.id, email)
    now = clock.now()
    contact = Contact(
        id=new_id("cus"),
        brand_id=brand.id,
        email=email,
        name=name,
        avatar_url=avatar_url,
        company_id=company.id if company is not None else None,
        metadata_=metadata,
        custom_fields=custom_fields,
        notify_email=notify_email,
        email_undeliverable_at=None,
        created_at=now,
        updated_at=now,
    )

    def conflict() -> DomainError | None:
        taken = repository.email_taken(session, brand.id, email, except_id=None)
        return ContactExists(email) if taken else None

    _flush_unique(session, conflict, add=contact)
    return contact, company


def _record_created(
    session: Session,
    actor: Actor,
    contact: Contact,
    company: Company | None,
    *,
    auto_linked: bool = True,
) -> ContactOut:
    # A new contact has no tickets to count yet.
    out = contact_out(contact, _render_company(session, company) if company else None, 0)
    metadata = {"autoLinkedCompanyId": company.id} if company is not None and auto_linked else None
    _record_contact(session, actor, out, ("contact.created", "customer.created"), metadata=metadata)
    return out


def create_contact(session: Session, actor: Actor, brand: Brand, data: NewContact) -> ContactOut:
    company = _company_for(session, brand, data.company_id) if data.company_id else None
    contact, linked = _insert_contact(
        session,
        brand,
        email=data.email,
        name=data.name,
        avatar_url=data.avatar_url,
        company=company,
        metadata=merge_map({}, data.metadata or {}),
        custom_fields=_custom_field_values(session, brand.id, "contact", data.custom_fields),
        notify_email=data.notify_email,
    )
    return _record_created(session, actor, contact, linked, auto_linked=company is None)


def read_contact(session: Session, brand: Brand, contact_id: str) -> ContactOut:
    contact = get_contact(session, brand, contact_id)
    return _render_contact(session, contact, _company_of(session, contact))


def update_contact(
    session: Session, actor: Actor, brand: Brand, contact_id: str, data: ContactChanges
) -> ContactOut:
    contact = get_contact(session, brand, contact_id)
    fields = data.model_dump(exclude_unset=True)

    company = _company_of(session, contact)
    values: dict[str, Any] = {}
    if "email" in fields and fields["email"] != contact.email:
        if repository.email_taken(session, brand.id, fields["email"], except_id=contact.id):
            raise ContactExists(fields["email"])
        values["email"] = fields["email"]
        # A bounce was about the old address.
        values["email_undeliverable_at"] = None
    for name in ("name", "avatar_url", "notify_email"):
        if name in fields:
            values[name] = fields[name]
    if "company_id" in fields:
        new_company_id = fields["company_id"]
        company = _company_for(session, brand, new_company_id) if new_company_id else None
        values["company_id"] = company.id if company is not None else None
    if "metadata" in fields:
        values["metadata_"] = merge_map(contact.metadata_, fields["metadata"])
    if "custom_fields" in fields:
        values["custom_fields"] = _custom_field_values(
            session, brand.id, "contact", fields["custom_fields"], current=contact.custom_fields
        )

    changes = _apply(contact, values, CONTACT_WIRE)
    if changes:
        contact.updated_at = clock.now()
        email = contact.email

        def conflict() -> DomainError | None:
            taken = repository.email_taken(session, brand.id, email, except_id=contact.id)
            return ContactExists(email) if taken else None

        _flush_unique(session, conflict)
    out = _render_contact(session, contact, company)
    if changes:
        _record_contact(session, actor, out, ("contact.updated",), changes=changes)
    return out


# Model attribute -> wire name, for the fields a PATCH may change.
CONTACT_WIRE = {
    "email": "email",
    "email_undeliverable_at": "emailUndeliverableAt",
    "name": "name",
    "avatar_url": "avatarUrl",
    "company_id": "companyId",
    "notify_email": "notifyEmail",
    "metadata_": "metadata",
    "custom_fields": "customFields",
}
COMPANY_WIRE = {
    "name": "name",
    "domain": "domain",
    "metadata_": "metadata",
    "custom_fields": "customFields",
}


def _apply(
    entity: Contact | Company, values: dict[str, Any], wire: dict[str, str]
) -> dict[str, tuple[Any, Any]]:
    """Set the values that differ; return {wire name: (old, new)} of what changed."""
    changes: dict[str, tuple[Any, Any]] = {}
    for attribute, value in values.items():
        old = getattr(entity, attribute)
        if old != value:
            changes[wire[attribute]] = (_wire(old), _wire(value))
            setattr(entity, attribute, value)
    return changes


def delete_contact(session: Session, actor: Actor, brand: Brand, contact_id: str) -> ContactOut:
    """Soft delete: the contact leaves every list and lookup; its address is free again.
    Returns the deleted contact."""
    contact = get_contact(session, brand, contact_id)
    now = clock.now()
    contact.deleted_at = now
    contact.updated_at = now
    session.flush()
    out = _render_contact(session, contact, _company_of(session, contact))
    _record_contact(session, actor, out, ("contact.deleted",), extra={"deletedAt": now.isoformat()})
    return out


@dataclass(frozen=True, slots=True)
class ContactQuery:
    search: str | None = None
    company_id: str | None = None  # repository.NO_COMPANY: contacts without a company
    include_blocked: bool = False
    sort: str = "createdAt"
    order: str = "desc"
    cursor: str | None = None
    limit: int = 25


def _decode_cursor(token: str | None, query: str, sort: str) -> Cursor | None:
    if not token:
        return None
    return Cursor.decode(token, query=query, datetime_value=sort == "createdAt")


def list_contacts(
    session: Session, brand: Brand, q: ContactQuery
) -> tuple[list[ContactOut], str | None]:
    query = f"{brand.id}/contacts:{q.sort}:{q.order}"
    cursor = _decode_cursor(q.cursor, query, q.sort)
    if q.company_id is not None and q.company_id != repository.NO_COMPANY:
        _company_for(session, brand, q.company_id)
    f = repository.ContactFilter(
        search=q.search, company_id=q.company_id, include_blocked=q.include_blocked
    )
    rows = repository.list_contacts(
        session,
        brand.id,
        f,
        sort=q.sort,
        descending=q.order == "desc",
        cursor=cursor,
        limit=q.limit,
    )
    key = repository.CONTACT_SORT[q.sort].key
    page, next_cursor = split_page(
        rows,
        q.limit,
        lambda last: Cursor(query, getattr(last[0], key), last[0].id),
    )
    return _render_contacts(session, brand.id, page), next_cursor


def search_contacts(session: Session, brand: Brand, term: str) -> list[ContactOut]:
    """Autocomplete: at most 10 contacts whose name or email contains the term."""
    term = term.strip()
    if not term:
        return []
    rows = repository.search_contacts(session, brand.id, term, limit=SEARCH_LIMIT)
    return _render_contacts(session, brand.id, rows)


# ---- companies ---------------------------------------------------------------------------


def get_company(session: Session, brand: Brand, company_id: str) -> Company:
    company = repository.get_company(session, brand.id, company_id)
    if company is None:
        raise CompanyNotFound(company_id)
    return company


def _check_domain(session: Session, brand: Brand, domain: str, except_id: str | None) -> None:
    if rules.is_free_mail(domain):
        raise FreeMailDomain(domain)
    if repository.domain_taken(session, brand.id, domain, except_id=except_id):
        raise CompanyDomainTaken(domain)


def _flush_company(session: Session, brand: Brand, company: Company, *, add: bool = False) -> None:
    domain, company_id = company.domain, company.id

    def conflict() -> DomainError | None:
        if domain and repository.domain_taken(session, brand.id, domain, except_id=company_id):
            return CompanyDomainTaken(domain)
        return None

    _flush_unique(session, conflict, add=company if add else None)


def _link_by_domain(session: Session, brand: Brand, company: Company) -> list[Contact]:
    """Link the brand's company-less contacts at the company's domain to it."""
    if not company.domain:
        return []
    contacts = repository.unlinked_contacts_with_domain(session, brand.id, company.domain)
    now = clock.now()
    for contact in contacts:
        contact.company_id = company.id
        contact.updated_at = now
    if contacts:
        session.flush()
    return contacts


def create_company(session: Session, actor: Actor, brand: Brand, data: NewCompany) -> CompanyOut:
    if data.domain is not None:
        _check_domain(session, brand, data.domain, except_id=None)
    now = clock.now()
    company = Company(
        id=new_id("com"),
        brand_id=brand.id,
        name=data.name,
        domain=data.domain,
        metadata_=merge_map({}, data.metadata or {}),
        custom_fields=_custom_field_values(session, brand.id, "company", data.custom_fields),
        created_at=now,
        updated_at=now,
    )
    _flush_company(session, brand, company, add=True)
    linked = _link_by_domain(session, brand, company)
    out = company_out(company, len(linked))
    _record_company(
        session,
        actor,
        out,
        "company.created",
        metadata={"linkedContactCount": len(linked)} if linked else None,
    )
    _record_relinked(session, actor, brand, linked, company, None, LINKED_BY_DOMAIN)
    return out


def read_company(session: Session, brand: Brand, company_id: str) -> CompanyDetail:
    company = get_company(session, brand, company_id)
    out = _render_company(session, company)
    contacts = repository.contacts_of_company(
        session, brand.id, company.id, limit=COMPANY_CONTACTS_SHOWN
    )
    customers = _render_contacts(session, brand.id, [(c, company) for c in contacts])
    return CompanyDetail(**dict(out), customers=customers)


def update_company(
    session: Session, actor: Actor, brand: Brand, company_id: str, data: CompanyChanges
) -> CompanyOut:
    company = get_company(session, brand, company_id)
    fields = data.model_dump(exclude_unset=True)
    values: dict[str, Any] = {}
    if "name" in fields:
        values["name"] = fields["name"]
    if "domain" in fields and fields["domain"] != company.domain:
        if fields["domain"] is not None:
            _check_domain(session, brand, fields["domain"], except_id=company.id)
        values["domain"] = fields["domain"]
    if "metadata" in fields:
        values["metadata_"] = merge_map(company.metadata_, fields["metadata"])
    if "custom_fields" in fields:
        values["custom_fields"] = _custom_field_values(
            session, brand.id, "company", fields["custom_fields"], current=company.custom_fields
        )
    changes = _apply(company, values, COMPANY_WIRE)
    linked: list[Contact] = []
    if changes:
        company.updated_at = clock.now()
        _flush_company(session, brand, company)
        if "domain" in changes:
            linked = _link_by_domain(session, brand, company)
    out = _render_company(session, company)
    if changes:
        _record_company(
            session,
            actor,
            out,
            "company.updated",
            changes=changes,
            metadata={"linkedContactCount": len(linked)} if linked else None,
        )
        _record_relinked(session, actor, brand, linked, company, None, LINKED_BY_DOMAIN)
    return out


def delete_company(session: Session, actor: Actor, brand: Brand, company_id: str) -> None:
    """Soft delete; its contacts stay, without a company (each gets `contact.updated`)."""
    company = get_company(session, brand, company_id)
    out = _render_company(session, company)
    contacts = repository.live_contacts_of_company(session, brand.id, company.id)
    now = clock.now()
    for contact in contacts:
        contact.company_id = None
        contact.updated_at = now
    company.deleted_at = now
    company.updated_at = now
    session.flush()
    _record_company(
        session,
        actor,
        out,
        "company.deleted",
        metadata={"unlinkedContactCount": len(contacts)} if contacts else None,
        extra={"deletedAt": now.isoformat()},
    )
    _record_relinked(session, actor, brand, contacts, None, company.id, UNLINKED_BY_DELETE)


def list_companies(
    session: Session,
    brand: Brand,
    *,
    search: str | None,
    sort: str,
    order: str,
    cursor: str | None,
    limit: int,
) -> tuple[list[CompanyOut], str | None]:
    query = f"{brand.id}/companies:{sort}:{order}"
    decoded = _decode_cursor(cursor, query, sort)
    rows = repository.list_companies(
        session,
        brand.id,
        search=search,
        sort=sort,
        descending=order == "desc",
        cursor=decoded,
        limit=limit,
    )
    key = repository.COMPANY_SORT[sort].key
    page, next_cursor = split_page(
        rows, limit, lambda last: Cursor(query, getattr(last, key), last.id)
    )
    return _render_companies(session, brand.id, page), next_cursor

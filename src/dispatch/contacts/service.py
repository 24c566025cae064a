"""Contacts (the reference's customers): CRUD, search, lists, auto-linking to companies
by email domain, and the lookups ticket creation uses. Companies: `companies.py`."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from dispatch.brands.models import Brand
from dispatch.contacts import repository
from dispatch.contacts.companies import company_by_email, company_for
from dispatch.contacts.errors import (
    ContactExists,
    ContactNotFound,
)
from dispatch.contacts.models import Company, Contact
from dispatch.contacts.recording import (
    apply,
    custom_field_values,
    decode_cursor,
    flush_unique,
    record_contact,
)
from dispatch.contacts.rendering import (
    company_of,
    contact_out,
    render_company,
    render_contact,
    render_contacts,
)
from dispatch.contacts.schemas import (
    NAME_MAX,
    SEARCH_LIMIT,
    ContactChanges,
    ContactOut,
    NewContact,
)
from dispatch.core import clock
from dispatch.core.actor import Actor
from dispatch.core.email_address import InvalidEmailAddress, normalize_email
from dispatch.core.errors import DomainError, ValidationFailed
from dispatch.core.ids import new_id
from dispatch.core.pagination import Cursor, split_page
from dispatch.core.patch import merge_map

# ---- contacts: lookups other domains use -------------------------------------------------


@dataclass(frozen=True, slots=True)
class Label:
    """How a list that names contacts or companies by id shows one."""

    name: str
    deleted: bool


def labels(
    session: Session, brand: Brand, model: type[Contact] | type[Company], ids: Collection[str]
) -> dict[str, Label]:
    """The labels of these contacts (or companies) of the brand, by id (unknown ids are
    left out)."""
    found = repository.names(session, model, brand.id, ids)
    return {id_: Label(name, deleted) for id_, (name, deleted) in found.items()}


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
    return {out.id: out for out in render_contacts(session, brand_id, rows)}


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
    out = render_contact(session, contact, company_of(session, contact))
    record_contact(session, actor, out, ("contact.updated",), changes={"name": (old, name)})


# ---- contacts: API use cases -------------------------------------------------------------


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
    """Insert a contact; without a company it joins the one its email domain names.
    ContactExists if the brand has a live contact with the address already."""
    if company is None:
        company = company_by_email(session, brand.id, email)
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
        ticket_count=0,
        created_at=now,
        updated_at=now,
        deleted_at=None,
    )
    if not repository.insert_unless_taken(session, contact):
        raise ContactExists(email)
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
    out = contact_out(contact, render_company(session, company) if company else None, 0)
    metadata = {"autoLinkedCompanyId": company.id} if company is not None and auto_linked else None
    record_contact(session, actor, out, ("contact.created", "customer.created"), metadata=metadata)
    return out


def create_contact(session: Session, actor: Actor, brand: Brand, data: NewContact) -> ContactOut:
    company = company_for(session, brand, data.company_id) if data.company_id else None
    contact, linked = _insert_contact(
        session,
        brand,
        email=data.email,
        name=data.name,
        avatar_url=data.avatar_url,
        company=company,
        metadata=merge_map({}, data.metadata or {}),
        custom_fields=custom_field_values(session, brand.id, "contact", data.custom_fields),
        notify_email=data.notify_email,
    )
    return _record_created(session, actor, contact, linked, auto_linked=company is None)


def read_contact(session: Session, brand: Brand, contact_id: str) -> ContactOut:
    contact = get_contact(session, brand, contact_id)
    return render_contact(session, contact, company_of(session, contact))


def update_contact(
    session: Session, actor: Actor, brand: Brand, contact_id: str, data: ContactChanges
) -> ContactOut:
    contact = get_contact(session, brand, contact_id)
    fields = data.model_dump(exclude_unset=True)

    company = company_of(session, contact)
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
        company = company_for(session, brand, new_company_id) if new_company_id else None
        values["company_id"] = company.id if company is not None else None
    if "metadata" in fields:
        values["metadata_"] = merge_map(contact.metadata_, fields["metadata"])
    if "custom_fields" in fields:
        values["custom_fields"] = custom_field_values(
            session, brand.id, "contact", fields["custom_fields"], current=contact.custom_fields
        )

    changes = apply(contact, values, CONTACT_WIRE)
    if changes:
        contact.updated_at = clock.now()
        email = contact.email

        def conflict() -> DomainError | None:
            taken = repository.email_taken(session, brand.id, email, except_id=contact.id)
            return ContactExists(email) if taken else None

        flush_unique(session, conflict)
    out = render_contact(session, contact, company)
    if changes:
        record_contact(session, actor, out, ("contact.updated",), changes=changes)
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


def delete_contact(session: Session, actor: Actor, brand: Brand, contact_id: str) -> ContactOut:
    """Soft delete: the contact leaves every list and lookup; its address is free again.
    Its tickets stay, with the requester's name and address they were written with.
    Returns the deleted contact."""
    return _soft_delete(session, actor, get_contact(session, brand, contact_id))


def _soft_delete(
    session: Session, actor: Actor, contact: Contact, metadata: dict[str, Any] | None = None
) -> ContactOut:
    now = clock.now()
    contact.deleted_at = now
    contact.updated_at = now
    session.flush()
    out = render_contact(session, contact, company_of(session, contact))
    record_contact(
        session,
        actor,
        out,
        ("contact.deleted",),
        metadata=metadata,
        extra={"deletedAt": now.isoformat()},
    )
    return out


def absorb_duplicate(
    session: Session, actor: Actor, brand: Brand, kept: Contact, duplicate: Contact
) -> ContactOut:
    """The contact half of merging duplicates (`tickets/contact_merge.py` moves the
    tickets first): what `kept` lacks — a name, an avatar, a company, custom field and
    metadata keys — comes from `duplicate`, which is then deleted. Nothing `kept` already
    has is overwritten: its address and email settings stay."""
    values: dict[str, Any] = {}
    for name in ("name", "avatar_url", "company_id"):
        if getattr(kept, name) is None and getattr(duplicate, name) is not None:
            values[name] = getattr(duplicate, name)
    for name in ("custom_fields", "metadata_"):
        own, other = getattr(kept, name), getattr(duplicate, name)
        if set(other) - set(own):
            values[name] = {**other, **own}
    # Deleted first: a kept contact's company must still be live when it is rendered.
    _soft_delete(session, actor, duplicate, metadata={"mergedIntoId": kept.id})
    changes = apply(kept, values, CONTACT_WIRE)
    if changes:
        kept.updated_at = clock.now()
        session.flush()
    out = render_contact(session, kept, company_of(session, kept))
    if changes:
        record_contact(
            session,
            actor,
            out,
            ("contact.updated",),
            changes=changes,
            metadata={"mergedContactId": duplicate.id},
        )
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


def list_contacts(
    session: Session, brand: Brand, q: ContactQuery
) -> tuple[list[ContactOut], str | None]:
    query = f"{brand.id}/contacts:{q.sort}:{q.order}"
    cursor = decode_cursor(q.cursor, query, q.sort)
    if q.company_id is not None and q.company_id != repository.NO_COMPANY:
        company_for(session, brand, q.company_id)
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
    return render_contacts(session, brand.id, page), next_cursor


def search_contacts(session: Session, brand: Brand, term: str) -> list[ContactOut]:
    """Autocomplete: at most 10 contacts whose name or email contains the term."""
    term = term.strip()
    if not term:
        return []
    rows = repository.search_contacts(session, brand.id, term, limit=SEARCH_LIMIT)
    return render_contacts(session, brand.id, rows)

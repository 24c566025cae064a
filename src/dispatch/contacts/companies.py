"""Companies: CRUD and lists, and the contacts they gather by email domain."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from dispatch.brands.models import Brand
from dispatch.contacts import repository, rules
from dispatch.contacts.errors import (
    CompanyDomainTaken,
    CompanyNotFound,
    FreeMailDomain,
    UnknownCompany,
)
from dispatch.contacts.models import Company, Contact
from dispatch.contacts.recording import (
    apply,
    custom_field_values,
    decode_cursor,
    flush_unique,
    record_company,
    record_relinked,
)
from dispatch.contacts.rendering import (
    company_out,
    render_companies,
    render_company,
    render_contacts,
)
from dispatch.contacts.schemas import (
    CompanyChanges,
    CompanyDetail,
    CompanyOut,
    NewCompany,
)
from dispatch.core import clock
from dispatch.core.actor import Actor
from dispatch.core.errors import DomainError
from dispatch.core.ids import new_id
from dispatch.core.pagination import Cursor, split_page
from dispatch.core.patch import merge_map

COMPANY_CONTACTS_SHOWN = 100
# Activity-entry and event trigger of contacts linked or unlinked by a company change.
LINKED_BY_DOMAIN = "company_domain"
UNLINKED_BY_DELETE = "company_deleted"
# Attribute -> wire name of the fields a company update may change.
COMPANY_WIRE = {
    "name": "name",
    "domain": "domain",
    "metadata_": "metadata",
    "custom_fields": "customFields",
}


def company_for(session: Session, brand: Brand, company_id: str) -> Company:
    company = repository.get_company(session, brand.id, company_id)
    if company is None:
        raise UnknownCompany(company_id)
    return company


def company_by_email(session: Session, brand_id: str, email: str) -> Company | None:
    domain = rules.email_domain(email)
    if not domain or rules.is_free_mail(domain):
        return None
    return repository.get_company_by_domain(session, brand_id, domain)


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

    flush_unique(session, conflict, add=company if add else None)


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
        custom_fields=custom_field_values(session, brand.id, "company", data.custom_fields),
        created_at=now,
        updated_at=now,
    )
    _flush_company(session, brand, company, add=True)
    linked = _link_by_domain(session, brand, company)
    out = company_out(company, len(linked))
    record_company(
        session,
        actor,
        out,
        "company.created",
        metadata={"linkedContactCount": len(linked)} if linked else None,
    )
    record_relinked(session, actor, brand, linked, company, None, LINKED_BY_DOMAIN)
    return out


def read_company(session: Session, brand: Brand, company_id: str) -> CompanyDetail:
    company = get_company(session, brand, company_id)
    out = render_company(session, company)
    contacts = repository.contacts_of_company(
        session, brand.id, company.id, limit=COMPANY_CONTACTS_SHOWN
    )
    customers = render_contacts(session, brand.id, [(c, company) for c in contacts])
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
        values["custom_fields"] = custom_field_values(
            session, brand.id, "company", fields["custom_fields"], current=company.custom_fields
        )
    changes = apply(company, values, COMPANY_WIRE)
    linked: list[Contact] = []
    if changes:
        company.updated_at = clock.now()
        _flush_company(session, brand, company)
        if "domain" in changes:
            linked = _link_by_domain(session, brand, company)
    out = render_company(session, company)
    if changes:
        record_company(
            session,
            actor,
            out,
            "company.updated",
            changes=changes,
            metadata={"linkedContactCount": len(linked)} if linked else None,
        )
        record_relinked(session, actor, brand, linked, company, None, LINKED_BY_DOMAIN)
    return out


def delete_company(session: Session, actor: Actor, brand: Brand, company_id: str) -> None:
    """Soft delete; its contacts stay, without a company (each gets `contact.updated`)."""
    company = get_company(session, brand, company_id)
    out = render_company(session, company)
    contacts = repository.live_contacts_of_company(session, brand.id, company.id)
    now = clock.now()
    for contact in contacts:
        contact.company_id = None
        contact.updated_at = now
    company.deleted_at = now
    company.updated_at = now
    session.flush()
    record_company(
        session,
        actor,
        out,
        "company.deleted",
        metadata={"unlinkedContactCount": len(contacts)} if contacts else None,
        extra={"deletedAt": now.isoformat()},
    )
    record_relinked(session, actor, brand, contacts, None, company.id, UNLINKED_BY_DELETE)


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
    decoded = decode_cursor(cursor, query, sort)
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
    return render_companies(session, brand.id, page), next_cursor

"""Contacts and companies as the API shows them: each with its company (or its count of
contacts) and its count of tickets, loaded in a few queries whatever the page's size."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.orm import Session

from dispatch.contacts import counts, repository
from dispatch.contacts.models import Company, Contact
from dispatch.contacts.schemas import (
    CompanyCount,
    CompanyOut,
    ContactCount,
    ContactOut,
)


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


def render_contacts(
    session: Session, brand_id: str, rows: Iterable[tuple[Contact, Company | None]]
) -> list[ContactOut]:
    """Contacts with their whole companies (the companies' contact counts from one grouped
    query, however many rows) and their ticket counts (kept on the contact)."""
    rows = list(rows)
    companies = {company.id: company for _, company in rows if company is not None}
    company_outs = {
        out.id: out for out in render_companies(session, brand_id, list(companies.values()))
    }
    return [
        contact_out(c, company_outs[company.id] if company else None, counts.current(session, c))
        for c, company in rows
    ]


def render_contact(session: Session, contact: Contact, company: Company | None) -> ContactOut:
    return render_contacts(session, contact.brand_id, [(contact, company)])[0]


def company_of(session: Session, contact: Contact) -> Company | None:
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


def render_companies(session: Session, brand_id: str, companies: list[Company]) -> list[CompanyOut]:
    counts = repository.contact_counts(session, brand_id, [c.id for c in companies])
    return [company_out(c, counts.get(c.id, 0)) for c in companies]


def render_company(session: Session, company: Company) -> CompanyOut:
    return render_companies(session, company.brand_id, [company])[0]

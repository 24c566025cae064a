"""Helpers shared by the contact and company tests: paths, builders, database reads."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, event, func, select
from sqlalchemy.orm import Session

from dispatch.audit.models import AuditLog
from dispatch.contacts.models import Company, Contact
from dispatch.core.events import Event
from dispatch.core.ids import new_id
from dispatch.spam.models import BlockedSender
from tests.conftest import Api, make_ticket

Json = dict[str, Any]
PROBLEM_KEYS = {"type", "title", "status", "detail", "message", "code", "requestId"}
CONTACT_KEYS = {
    "id",
    "brandId",
    "email",
    "name",
    "avatarUrl",
    "companyId",
    "company",
    "metadata",
    "customFields",
    "notifyEmail",
    "emailUndeliverable",
    "emailUndeliverableAt",
    "createdAt",
    "updatedAt",
    "_count",
}
COMPANY_KEYS = {
    "id",
    "brandId",
    "name",
    "domain",
    "metadata",
    "customFields",
    "createdAt",
    "updatedAt",
    "_count",
}
# Both paths serve the same contacts: the current one and the SDK's legacy one.
CONTACT_COLLECTIONS = ["contacts", "customers"]


def contacts_path(brand: Json | str, suffix: str = "", *, collection: str = "contacts") -> str:
    brand_id = brand if isinstance(brand, str) else brand["id"]
    return f"/brands/{brand_id}/{collection}{suffix}"


def contact_path(brand: Json | str, contact: Json | str, *, collection: str = "contacts") -> str:
    contact_id = contact if isinstance(contact, str) else contact["id"]
    return contacts_path(brand, f"/{contact_id}", collection=collection)


def companies_path(brand: Json | str, suffix: str = "") -> str:
    brand_id = brand if isinstance(brand, str) else brand["id"]
    return f"/brands/{brand_id}/companies{suffix}"


def company_path(brand: Json | str, company: Json | str) -> str:
    company_id = company if isinstance(company, str) else company["id"]
    return companies_path(brand, f"/{company_id}")


def make_contact(api: Api, brand: Json, email: str = "jane@example.com", **fields: Any) -> Json:
    created: Json = api.ok("post", contacts_path(brand), 201, json={"email": email, **fields})
    return created


def make_company(api: Api, brand: Json, name: str = "Acme Corp", **fields: Any) -> Json:
    created: Json = api.ok("post", companies_path(brand), 201, json={"name": name, **fields})
    return created


def get_contact(api: Api, brand: Json, contact: Json | str) -> Json:
    got: Json = api.ok("get", contact_path(brand, contact))
    return got


def get_company(api: Api, brand: Json, company: Json | str) -> Json:
    got: Json = api.ok("get", company_path(brand, company))
    return got


def company_object(api: Api, brand: Json, company: Json | str) -> Json:
    """The company as contacts and tickets embed it: `GET /companies/:id` without the
    company's own contact list."""
    got = get_company(api, brand, company)
    del got["customers"]
    return got


def list_contacts(api: Api, brand: Json, **params: Any) -> Json:
    page: Json = api.ok("get", contacts_path(brand), params={"limit": 100, **params})
    return page


def listed_emails(api: Api, brand: Json, **params: Any) -> list[str]:
    return [c["email"] for c in list_contacts(api, brand, **params)["data"]]


def all_pages(api: Api, path: str, params: Json) -> list[list[Json]]:
    """Follow `nextCursor` to the end; return the pages."""
    pages: list[list[Json]] = []
    cursor: str | None = None
    for _ in range(100):
        query = {**params, **({"cursor": cursor} if cursor else {})}
        page = api.ok("get", path, params=query)
        info = page["pagination"]
        assert info["cursor"] == info["nextCursor"]
        assert info["hasMore"] is (info["nextCursor"] is not None)
        pages.append(page["data"])
        cursor = info["nextCursor"]
        if cursor is None:
            return pages
    raise AssertionError("pagination did not end")


def assert_problem(response: Any, status: int, code: str) -> Json:
    """An error in the API's format with this status and code; returns the body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body: Json = response.json()
    assert body.keys() >= PROBLEM_KEYS, body
    assert body["status"] == status
    assert body["code"] == code, body
    assert body["message"]
    return body


def error_fields(body: Json) -> set[str]:
    errors = body.get("errors") or []
    assert errors, body
    assert all(e["field"] and e["message"] for e in errors), errors
    return {e["field"] for e in errors}


# ---- database reads and writes the API does not offer (yet) -------------------------------


def brand_events(session: Session, brand_id: str, *types: str) -> list[Event]:
    session.expire_all()
    stmt = select(Event).where(Event.brand_id == brand_id).order_by(Event.position)
    if types:
        stmt = stmt.where(Event.type.in_(types))
    return list(session.scalars(stmt))


def activity(session: Session, brand_id: str, entity_type: str | None = None) -> list[AuditLog]:
    session.expire_all()
    stmt = select(AuditLog).where(AuditLog.brand_id == brand_id)
    if entity_type is not None:
        stmt = stmt.where(AuditLog.entity_type == entity_type)
    return sorted(session.scalars(stmt), key=lambda e: (e.created_at, e.id))


def state_of(session: Session, brand_id: str) -> Json:
    """Everything a refused request must leave as it was: contacts and companies with all
    their columns, event and activity-log counts."""
    session.expire_all()

    def rows(model: Any) -> list[tuple[Any, ...]]:
        columns = [c.key for c in model.__mapper__.column_attrs]
        found = session.scalars(select(model).where(model.brand_id == brand_id).order_by(model.id))
        return [tuple(getattr(row, c) for c in columns) for row in found]

    def count(model: Any) -> int:
        stmt = select(func.count()).select_from(model).where(model.brand_id == brand_id)
        return int(session.scalar(stmt) or 0)

    return {
        "contacts": rows(Contact),
        "companies": rows(Company),
        "events": count(Event),
        "activity": count(AuditLog),
    }


def block_sender(session: Session, brand_id: str, email: str) -> None:
    session.add(
        BlockedSender(
            id=new_id("blk"),
            brand_id=brand_id,
            email=email,
            ticket_id=None,
            created_by=None,
            created_at=datetime.now(UTC),
        )
    )
    session.flush()


def ticket_of(
    api: Api,
    brand: Json,
    session: Session,
    contact: Json,
    *,
    is_spam: bool = False,
    merged_into_id: str | None = None,
) -> Json:
    """A ticket of the contact, created and (if asked) marked spam or merged into another
    ticket through the API, as a client would."""
    ticket = make_ticket(api, brand, customerEmail=contact["email"])
    base = f"/brands/{brand['id']}/tickets"
    if is_spam:
        api.ok("post", f"{base}/{ticket['id']}/spam", json={"isSpam": True})
    if merged_into_id is not None:
        api.ok("post", f"{base}/{merged_into_id}/merge", json={"sourceTicketIds": [ticket["id"]]})
    return ticket


@contextmanager
def counting_statements(connection: Connection) -> Iterator[list[str]]:
    """The SQL statements run on the connection inside the block."""
    statements: list[str] = []

    def before(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(connection, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(connection, "before_cursor_execute", before)

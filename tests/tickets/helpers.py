"""Small helpers shared by the ticket and activity-log tests."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch.audit.models import AuditLog
from dispatch.core.events import Event
from tests.conftest import Api

PROBLEM_KEYS = {"type", "title", "status", "detail", "message", "code", "requestId"}


def tickets_path(brand: dict[str, Any]) -> str:
    return f"/brands/{brand['id']}/tickets"


def ticket_path(brand: dict[str, Any], ticket: dict[str, Any] | str) -> str:
    ticket_id = ticket if isinstance(ticket, str) else ticket["id"]
    return f"{tickets_path(brand)}/{ticket_id}"


def get_ticket(api: Api, brand: dict[str, Any], ticket: dict[str, Any]) -> dict[str, Any]:
    return api.ok("get", ticket_path(brand, ticket))  # type: ignore[no-any-return]


def patch_ticket(
    api: Api, brand: dict[str, Any], ticket: dict[str, Any], **changes: Any
) -> dict[str, Any]:
    return api.ok("patch", ticket_path(brand, ticket), json=changes)  # type: ignore[no-any-return]


def add_member(api: Api, email: str, name: str = "Team member") -> dict[str, Any]:
    body = {"email": email, "name": name, "role": "member"}
    return api.ok("post", "/accounts/me/members", 201, json=body)  # type: ignore[no-any-return]


def problem(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    """Assert an error response in the API's problem+json format and return its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body.keys() >= PROBLEM_KEYS, body
    assert body["status"] == status
    assert isinstance(body["message"], str)
    assert body["message"]
    if code is not None:
        assert body["code"] == code, body
    return body


def error_fields(body: dict[str, Any]) -> list[str]:
    """The fields a validation error names (each entry must carry a message)."""
    errors = body.get("errors") or []
    assert errors, body
    for error in errors:
        assert set(error) >= {"field", "message"}, error
        assert error["message"]
    return [error["field"] for error in errors]


def events_of(session: Session, ticket_id: str) -> list[Event]:
    """The outbox rows of one ticket, in the order they were written."""
    session.expire_all()
    stmt = select(Event).where(Event.ticket_id == ticket_id).order_by(Event.position)
    return list(session.scalars(stmt))


def event_types(session: Session, ticket_id: str) -> list[str]:
    return [e.type for e in events_of(session, ticket_id)]


def events_of_brand(session: Session, brand_id: str) -> list[Event]:
    session.expire_all()
    stmt = select(Event).where(Event.brand_id == brand_id).order_by(Event.position)
    return list(session.scalars(stmt))


def log_rows_of_brand(session: Session, brand_id: str) -> list[AuditLog]:
    session.expire_all()
    stmt = select(AuditLog).where(AuditLog.brand_id == brand_id).order_by(AuditLog.created_at)
    return list(session.scalars(stmt))


def all_pages(api: Api, path: str, params: dict[str, Any]) -> list[list[dict[str, Any]]]:
    """Follow `nextCursor` to the end; return the pages."""
    pages: list[list[dict[str, Any]]] = []
    cursor: str | None = None
    for _ in range(200):
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

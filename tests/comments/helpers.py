"""Helpers of the comment tests: paths, calls, and reads of what a request wrote."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dispatch.audit.models import AuditLog
from dispatch.comments.models import Comment
from dispatch.core.events import Event
from tests.conftest import Api

Json = dict[str, Any]


def comments_path(brand: Json, ticket: Json | str, suffix: str = "") -> str:
    ticket_id = ticket if isinstance(ticket, str) else ticket["id"]
    return f"/brands/{brand['id']}/tickets/{ticket_id}/comments{suffix}"


def comment_path(brand: Json, ticket: Json | str, comment: Json | str) -> str:
    comment_id = comment if isinstance(comment, str) else comment["id"]
    return comments_path(brand, ticket, f"/{comment_id}")


def post_comment(api: Api, brand: Json, ticket: Json | str, **body: Any) -> Json:
    payload = {"body": "Thanks, looking into it.", **body}
    created: Json = api.ok("post", comments_path(brand, ticket), 201, json=payload)
    return created


def list_comments(api: Api, brand: Json, ticket: Json | str, **params: str) -> list[Json]:
    listed: list[Json] = api.ok("get", comments_path(brand, ticket), params=params)
    return listed


def ticket_of(api: Api, brand: Json, ticket: Json | str) -> Json:
    ticket_id = ticket if isinstance(ticket, str) else ticket["id"]
    got: Json = api.ok("get", f"/brands/{brand['id']}/tickets/{ticket_id}")
    return got


def patch_ticket(api: Api, brand: Json, ticket: Json, **body: Any) -> Json:
    updated: Json = api.ok("patch", f"/brands/{brand['id']}/tickets/{ticket['id']}", json=body)
    return updated


def ticket_logs(api: Api, brand: Json, ticket: Json) -> list[Json]:
    logs: list[Json] = api.ok("get", f"/brands/{brand['id']}/tickets/{ticket['id']}/logs")
    return logs


def add_member(api: Api, email: str, name: str | None = "Dana Agent") -> Json:
    body = {"email": email, "name": name, "role": "member"}
    created: Json = api.ok("post", "/accounts/me/members", 201, json=body)
    return created


def events_of(session: Session, ticket_id: str, *types: str) -> list[Event]:
    session.expire_all()
    stmt = select(Event).where(Event.ticket_id == ticket_id).order_by(Event.position)
    if types:
        stmt = stmt.where(Event.type.in_(types))
    return list(session.scalars(stmt))


def event_types(session: Session, ticket_id: str) -> list[str]:
    return [e.type for e in events_of(session, ticket_id)]


def system_comments(api: Api, brand: Json, ticket: Json | str) -> list[Json]:
    return [c for c in list_comments(api, brand, ticket) if c["authorType"] == "SYSTEM"]


def stored_comment(session: Session, comment_id: str) -> Comment:
    session.expire_all()
    return session.execute(select(Comment).where(Comment.id == comment_id)).scalar_one()


@dataclass(frozen=True)
class Written:
    """How many rows of each kind a brand has: what a refused request must not change."""

    comments: int
    events: int
    logs: int


def written(session: Session, brand: Json) -> Written:
    session.expire_all()

    def count(model: Any) -> int:
        stmt = select(func.count()).select_from(model).where(model.brand_id == brand["id"])
        return int(session.scalar(stmt) or 0)

    return Written(count(Comment), count(Event), count(AuditLog))


PROBLEM_KEYS = {"type", "title", "status", "detail", "message", "code", "requestId"}


def problem(response: Any, status: int, code: str | None = None) -> Json:
    """An error in the API's format with the given status (and code); its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body: Json = response.json()
    assert body.keys() >= PROBLEM_KEYS, body
    assert body["status"] == status
    assert body["message"]
    if code is not None:
        assert body["code"] == code, body
    return body


def error_fields(body: Json) -> list[str]:
    errors = body.get("errors") or []
    assert errors, body
    assert all(e["message"] for e in errors), errors
    return [e["field"] for e in errors]

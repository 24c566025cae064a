"""Small helpers shared by the statuses tests: paths, reads, and the error-format check."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch.core.events import Event
from dispatch.tickets import repository as tickets_repository
from tests.conftest import Api

Json = dict[str, Any]

# The seed's table, as the API must show it.
SEED_SYSTEM_STATUSES = [
    ("Open", "open", "#3b82f6", "New ticket awaiting attention"),
    ("Pending", "pending", "#f59e0b", "Waiting on customer or external input"),
    ("Resolved", "resolved", "#22c55e", "Issue addressed, awaiting confirmation"),
    ("Closed", "closed", "#22c55e", "Ticket finalized, no further action"),
]
SYSTEM_KEYS = ["open", "pending", "resolved", "closed"]
PROBLEM_KEYS = {"type", "title", "status", "detail", "message", "code", "requestId"}


def statuses_path(brand: Json, suffix: str = "") -> str:
    return f"/brands/{brand['id']}/statuses{suffix}"


def tickets_path(brand: Json, suffix: str = "") -> str:
    return f"/brands/{brand['id']}/tickets{suffix}"


def list_statuses(api: Api, brand: Json) -> list[Json]:
    listed: list[Json] = api.ok("get", statuses_path(brand))
    return listed


def keys(api: Api, brand: Json) -> list[str]:
    return [s["key"] for s in list_statuses(api, brand)]


def by_key(api: Api, brand: Json) -> dict[str, Json]:
    return {s["key"]: s for s in list_statuses(api, brand)}


def get_ticket(api: Api, brand: Json, ticket: Json) -> Json:
    got: Json = api.ok("get", tickets_path(brand, f"/{ticket['id']}"))
    return got


def update_ticket(api: Api, brand: Json, ticket: Json, **body: Any) -> Json:
    updated: Json = api.ok("patch", tickets_path(brand, f"/{ticket['id']}"), json=body)
    return updated


def ticket_logs(api: Api, brand: Json, ticket: Json) -> list[Json]:
    logs: list[Json] = api.ok("get", tickets_path(brand, f"/{ticket['id']}/logs"))
    return logs


def status_changes_in_log(api: Api, brand: Json, ticket: Json) -> list[tuple[str, str]]:
    """(old, new) of every status change in the ticket's activity log, oldest first."""
    return [
        (e["changes"]["status"]["old"], e["changes"]["status"]["new"])
        for e in ticket_logs(api, brand, ticket)
        if e["event"] == "ticket.updated" and e["changes"] and "status" in e["changes"]
    ]


def list_ticket_ids(api: Api, brand: Json, **params: str) -> set[str]:
    page = api.ok("get", tickets_path(brand), params={"limit": "100", **params})
    return {t["id"] for t in page["data"]}


def stats_by_key(api: Api, brand: Json) -> dict[str, int]:
    return {s["key"]: s["count"] for s in api.ok("get", statuses_path(brand, "/stats"))}


def ticket_events(session: Session, ticket_id: str, event_type: str | None = None) -> list[Event]:
    stmt = select(Event).where(Event.ticket_id == ticket_id).order_by(Event.position)
    if event_type is not None:
        stmt = stmt.where(Event.type == event_type)
    return list(session.scalars(stmt))


def brand_events(session: Session, brand_id: str, event_type: str) -> list[Event]:
    stmt = (
        select(Event)
        .where(Event.brand_id == brand_id, Event.type == event_type)
        .order_by(Event.position)
    )
    return list(session.scalars(stmt))


def oracle_by_key(session: Session, brand_id: str, ids_to_keys: dict[str, str]) -> dict[str, int]:
    """Counts recomputed from the tickets themselves, keyed by status key."""
    counted = tickets_repository.count_by_status(session, brand_id)
    return {key: counted.get(status_id, 0) for status_id, key in ids_to_keys.items()}


def assert_problem(response: Any, status: int, code: str) -> Json:
    """An error in the API's format with the given status and code; returns the body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body: Json = response.json()
    assert body.keys() >= PROBLEM_KEYS, body
    assert body["status"] == status
    assert body["code"] == code, body
    assert body["message"] == body["detail"]
    assert body["requestId"] == response.headers["x-request-id"]
    return body


def error_fields(body: Json) -> set[str]:
    errors = body.get("errors") or []
    assert all(set(e) == {"field", "message"} and e["message"] for e in errors), errors
    return {e["field"] for e in errors}

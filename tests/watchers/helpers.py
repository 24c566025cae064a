"""Helpers of the watcher tests."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from dispatch.core.events import Event
from tests.comments.helpers import Json, events_of
from tests.conftest import Api


def watchers_path(brand: Json, ticket: Json | str, member: str | None = None) -> str:
    ticket_id = ticket if isinstance(ticket, str) else ticket["id"]
    path = f"/brands/{brand['id']}/tickets/{ticket_id}/watchers"
    return f"{path}/{member}" if member is not None else path


def add_watcher(api: Api, brand: Json, ticket: Json, **body: Any) -> Json:
    created: Json = api.ok("post", watchers_path(brand, ticket), 201, json=body)
    return created


def list_watchers(api: Api, brand: Json, ticket: Json) -> list[Json]:
    listed: list[Json] = api.ok("get", watchers_path(brand, ticket))
    return listed


def notifications(session: Session, ticket: Json) -> list[Event]:
    return events_of(session, ticket["id"], "notification.requested")


def recipients(session: Session, ticket: Json, reason: str | None = None) -> list[str]:
    return [
        e.data["recipient"]
        for e in notifications(session, ticket)
        if reason is None or e.data["reason"] == reason
    ]

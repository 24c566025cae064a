"""Helpers of the category tests (the tag and field tests use the generic ones too)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from dispatch.audit.models import AuditLog
from dispatch.brands.models import Brand
from dispatch.core.actor import Actor, ActorKind, Channel
from dispatch.core.events import Event
from dispatch.tickets.models import Ticket
from tests.conftest import Api

Json = dict[str, Any]


def categories_path(brand: Json, suffix: str = "") -> str:
    return f"/brands/{brand['id']}/categories{suffix}"


def make_category(api: Api, brand: Json, **body: Any) -> Json:
    created: Json = api.ok("post", categories_path(brand), 201, json={"name": "Billing", **body})
    return created


def list_categories(api: Api, brand: Json) -> list[Json]:
    listed: list[Json] = api.ok("get", categories_path(brand))
    return listed


def names(api: Api, brand: Json) -> list[str]:
    return [c["name"] for c in list_categories(api, brand)]


# --- Straight from the database -----------------------------------------------------------


def actor_of(api: Api) -> Actor:
    """The actor service calls run as: an API key of the test account."""
    return Actor(ActorKind.API_KEY, Channel.API, api.account_id, name="Test key")


def load_brand(session: Session, brand: Json) -> Brand:
    found = session.get(Brand, brand["id"])
    assert found is not None
    return found


def load_ticket(session: Session, ticket: Json) -> Ticket:
    session.expire_all()
    found = session.get(Ticket, ticket["id"])
    assert found is not None
    return found


def stored_category_id(session: Session, ticket: Json) -> str | None:
    session.expire_all()
    return session.scalar(select(Ticket.category_id).where(Ticket.id == ticket["id"]))


def set_ticket_columns(session: Session, ticket: Json, **values: Any) -> None:
    """Set ticket columns directly (the ticket API does not take these yet) and commit
    (a savepoint of the test's outer transaction)."""
    session.execute(update(Ticket).where(Ticket.id == ticket["id"]).values(**values))
    session.commit()


def events_of_type(session: Session, brand_id: str, event_type: str) -> list[Event]:
    session.expire_all()
    stmt = (
        select(Event)
        .where(Event.brand_id == brand_id, Event.type == event_type)
        .order_by(Event.position)
    )
    return list(session.scalars(stmt))


def ticket_events(session: Session, ticket: Json) -> list[Event]:
    session.expire_all()
    stmt = select(Event).where(Event.ticket_id == ticket["id"]).order_by(Event.position)
    return list(session.scalars(stmt))


def activity(session: Session, brand_id: str, **where: Any) -> list[AuditLog]:
    """Activity entries of a brand (filtered by column values), oldest first."""
    session.expire_all()
    stmt = select(AuditLog).where(AuditLog.brand_id == brand_id)
    for column, value in where.items():
        stmt = stmt.where(getattr(AuditLog, column) == value)
    return list(session.scalars(stmt.order_by(AuditLog.created_at, AuditLog.id)))


def count_rows(session: Session, brand_id: str) -> tuple[int, int]:
    """(events, activity entries) of a brand: a refused request adds neither."""
    session.expire_all()
    events = session.scalars(select(Event.id).where(Event.brand_id == brand_id)).all()
    entries = session.scalars(select(AuditLog.id).where(AuditLog.brand_id == brand_id)).all()
    return len(events), len(entries)

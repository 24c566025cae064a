"""Helpers of the tag tests."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch.tags import service
from dispatch.tags.models import Tag, TicketTag
from tests.categories.helpers import Json, actor_of, load_brand, load_ticket
from tests.conftest import Api


def tags_path(brand: Json, suffix: str = "") -> str:
    return f"/brands/{brand['id']}/tags{suffix}"


def make_tag(api: Api, brand: Json, name: str, **body: Any) -> Json:
    created: Json = api.ok("post", tags_path(brand), 201, json={"name": name, **body})
    return created


def list_tags(api: Api, brand: Json) -> list[Json]:
    listed: list[Json] = api.ok("get", tags_path(brand))
    return listed


def tag_names(api: Api, brand: Json) -> list[str]:
    return [t["name"] for t in list_tags(api, brand)]


def counts(api: Api, brand: Json) -> dict[str, int]:
    return {s["name"]: s["ticketCount"] for s in api.ok("get", tags_path(brand, "/stats"))}


def load_tag(session: Session, tag: Json) -> Tag:
    found = session.get(Tag, tag["id"])
    assert found is not None
    return found


def tag_ticket(api: Api, session: Session, brand: Json, ticket: Json, *tags: Json) -> None:
    """Give the ticket exactly these tags through the service, and commit."""
    service.set_ticket_tags(
        session,
        actor_of(api),
        load_brand(session, brand),
        load_ticket(session, ticket),
        [load_tag(session, t) for t in tags],
    )
    session.commit()


def linked_names(session: Session, ticket: Json) -> list[str]:
    """The ticket's tags straight from the link table, by name."""
    session.expire_all()
    stmt = (
        select(Tag.name)
        .join(TicketTag, TicketTag.tag_id == Tag.id)
        .where(TicketTag.ticket_id == ticket["id"])
        .order_by(Tag.normalized_name)
    )
    return list(session.scalars(stmt))


def link_rows(session: Session, tag: Json) -> int:
    session.expire_all()
    return len(
        session.scalars(select(TicketTag.ticket_id).where(TicketTag.tag_id == tag["id"])).all()
    )

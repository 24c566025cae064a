"""Helpers of the web form tests."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch.tickets.models import Ticket
from tests.conftest import Api

Json = dict[str, Any]
JSON_ACCEPT = {"Accept": "application/json"}
FILE_LIMIT = 64 * 1024


def forms_path(brand: Json, suffix: str = "") -> str:
    return f"/brands/{brand['id']}/forms{suffix}"


def make_form(api: Api, brand: Json, **body: Any) -> Json:
    created: Json = api.ok("post", forms_path(brand), 201, json={"name": "Contact us", **body})
    return created


def submit_url(form: Json) -> str:
    return f"/forms/{form['token']}"


def brand_tickets(session: Session, brand: Json) -> list[Ticket]:
    session.expire_all()
    stmt = select(Ticket).where(Ticket.brand_id == brand["id"]).order_by(Ticket.ticket_number)
    return list(session.scalars(stmt))

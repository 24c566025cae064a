"""Helpers of the outgoing-mail tests: run the worker's jobs, read what they wrote."""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch.core import transaction
from dispatch.core.db import Database
from dispatch.email.models import EmailMessage, OutboundEmail
from dispatch.email.notifications import generate_from_events, prepare_next
from dispatch.email.outbound import send_due
from dispatch.settings import Settings
from tests.conftest import Api

Json = dict[str, Any]


def generate(database: Database, settings: Settings, *, limit: int = 200) -> int:
    """The worker's generation job, each batch in its own committed transaction, made
    ahead in a reading one on SQLite as the worker does; events considered."""
    total = 0
    while True:
        prepared = (
            transaction.run(
                database,
                lambda s: prepare_next(s, limit=limit, settings=settings),
                write=False,
            )
            if database.dialect == "sqlite"
            else None
        )
        batch = functools.partial(
            generate_from_events, limit=limit, settings=settings, prepared=prepared
        )
        considered = transaction.run(database, batch)
        if not considered:
            return total
        total += considered


def send(database: Database, settings: Settings, *, limit: int = 20) -> int:
    return send_due(database, limit=limit, settings=settings)


def deliver(database: Database, settings: Settings) -> int:
    """Generate, then send everything due."""
    generate(database, settings)
    sent = 0
    while attempts := send(database, settings):
        sent += attempts
    return sent


def emails(
    session: Session, *, ticket_id: str | None = None, kind: str | None = None
) -> list[OutboundEmail]:
    session.expire_all()
    stmt = select(OutboundEmail).order_by(OutboundEmail.created_at, OutboundEmail.id)
    if ticket_id is not None:
        stmt = stmt.where(OutboundEmail.ticket_id == ticket_id)
    if kind is not None:
        stmt = stmt.where(OutboundEmail.kind == kind)
    return list(session.scalars(stmt))


def thread_rows(session: Session, ticket_id: str) -> list[EmailMessage]:
    session.expire_all()
    stmt = (
        select(EmailMessage)
        .where(EmailMessage.ticket_id == ticket_id)
        .order_by(EmailMessage.created_at, EmailMessage.id)
    )
    return list(session.scalars(stmt))


def set_brand(api: Api, brand: Json, **fields: Any) -> Json:
    updated: Json = api.ok("patch", f"/brands/{brand['id']}", json=fields)
    return updated


def public_id(brand: Json, ticket: Json) -> str:
    return f"{brand['ticketPrefix']}-{ticket['ticketNumber']}"

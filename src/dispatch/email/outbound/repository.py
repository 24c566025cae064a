"""Every query of outgoing mail: threading ids, limits, leases (`core.leases`), outcomes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.orm import Session

from dispatch.brands.models import Brand
from dispatch.core import leases
from dispatch.email.models import EmailMessage, OutboundEmail

DUE_STATUSES = ("PENDING", "RETRYING")


# --- generating ---------------------------------------------------------------------------


def thread_ids(session: Session, ticket_id: str) -> list[tuple[str, str]]:
    """The ticket's known Message-IDs as (message id, direction), oldest first."""
    stmt = (
        select(EmailMessage.message_id, EmailMessage.direction)
        .where(EmailMessage.ticket_id == ticket_id)
        .order_by(EmailMessage.created_at, EmailMessage.id)
    )
    return [(m, d) for m, d in session.execute(stmt)]


def threads_of(session: Session, ticket_ids: Sequence[str]) -> dict[str, list[tuple[str, str]]]:
    """`thread_ids` of each ticket (every one named is in the answer), in one query."""
    threads: dict[str, list[tuple[str, str]]] = {ticket_id: [] for ticket_id in ticket_ids}
    if ticket_ids:
        stmt = (
            select(EmailMessage.ticket_id, EmailMessage.message_id, EmailMessage.direction)
            .where(EmailMessage.ticket_id.in_(ticket_ids))
            .order_by(EmailMessage.created_at, EmailMessage.id)
        )
        for ticket_id, message_id, direction in session.execute(stmt):
            threads[ticket_id].append((message_id, direction))
    return threads


def emails_of_events(session: Session, event_ids: Sequence[str]) -> set[tuple[str, str, str]]:
    """(event id, kind, recipient) of every email these events already yielded."""
    if not event_ids:
        return set()
    stmt = select(OutboundEmail.event_id, OutboundEmail.kind, OutboundEmail.to_address).where(
        OutboundEmail.event_id.in_(event_ids)
    )
    return {(event_id or "", kind, to) for event_id, kind, to in session.execute(stmt)}


def has_kind_for_ticket(session: Session, ticket_id: str, kind: str) -> bool:
    stmt = select(OutboundEmail.id).where(
        OutboundEmail.ticket_id == ticket_id, OutboundEmail.kind == kind
    )
    return session.scalar(stmt.limit(1)) is not None


def count_kind_to_since(session: Session, kind: str, to_address: str, since: datetime) -> int:
    """Emails of `kind` generated for this address since `since` (every brand)."""
    stmt = select(func.count()).where(
        OutboundEmail.kind == kind,
        OutboundEmail.to_address == to_address,
        OutboundEmail.created_at >= since,
    )
    return int(session.scalar(stmt) or 0)


# --- sending ------------------------------------------------------------------------------


def _waiting(now: datetime) -> list[Any]:
    """Due to be sent now, leased or not."""
    return [OutboundEmail.status.in_(DUE_STATUSES), OutboundEmail.next_attempt_at <= now]


def count_due(session: Session, now: datetime) -> int:
    stmt = select(func.count()).where(*_waiting(now), leases.free(OutboundEmail, now))
    return int(session.scalar(stmt) or 0)


def lease_due(
    session: Session, *, worker: str, now: datetime, until: datetime, limit: int
) -> list[str]:
    """Lease up to `limit` due emails (oldest due first) to `worker`; their ids."""
    return leases.claim(
        session,
        OutboundEmail.id,
        where=_waiting(now),
        order_by=(OutboundEmail.next_attempt_at, OutboundEmail.id),
        limit=limit,
        worker=worker,
        now=now,
        until=until,
    )


def leased_with_brands(
    session: Session, email_ids: Sequence[str]
) -> list[tuple[OutboundEmail, Brand | None]]:
    stmt = (
        select(OutboundEmail, Brand)
        .outerjoin(Brand, Brand.id == OutboundEmail.brand_id)
        .where(OutboundEmail.id.in_(email_ids))
        .order_by(OutboundEmail.next_attempt_at, OutboundEmail.id)
    )
    return [(e, b) for e, b in session.execute(stmt)]


@dataclass(frozen=True, slots=True)
class Result:
    status: str
    next_attempt_at: datetime
    last_error: str | None
    sent_at: datetime | None


def finish_leased(session: Session, email_id: str, worker: str, result: Result) -> bool:
    """Record an attempt's outcome if `worker` still holds the lease; counts the attempt."""
    stmt = (
        update(OutboundEmail)
        .where(
            OutboundEmail.id == email_id,
            leases.held_by(OutboundEmail, worker),
            OutboundEmail.status.in_(DUE_STATUSES),
        )
        .values(
            status=result.status,
            attempts=OutboundEmail.attempts + 1,
            next_attempt_at=result.next_attempt_at,
            last_error=result.last_error,
            sent_at=result.sent_at,
            **leases.UNLEASED,
        )
        .execution_options(synchronize_session=False)
    )
    outcome = session.execute(stmt)
    return isinstance(outcome, CursorResult) and outcome.rowcount == 1


def release(session: Session, worker: str, email_ids: Sequence[str]) -> None:
    """Give back leases not used (the emails are due again at once)."""
    leases.release(
        session,
        OutboundEmail.id,
        worker,
        email_ids,
        where=[OutboundEmail.status.in_(DUE_STATUSES)],
    )


# --- reading ------------------------------------------------------------------------------


def for_ticket(session: Session, brand_id: str, ticket_id: str) -> list[OutboundEmail]:
    stmt = (
        select(OutboundEmail)
        .where(OutboundEmail.brand_id == brand_id, OutboundEmail.ticket_id == ticket_id)
        .order_by(OutboundEmail.created_at, OutboundEmail.id)
    )
    return list(session.scalars(stmt))

"""The outbox: every change writes its event row in the caller's transaction.

Nothing is sent from a request. The worker reads committed rows and fans them out. On
PostgreSQL a transaction that emitted also sends `NOTIFY dispatch_events` when it commits
(notifications are transactional: delivered at commit, dropped on rollback), which wakes
listening workers at once instead of at their next poll.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Index, Integer, String, text
from sqlalchemy.orm import Mapped, Session, mapped_column

from dispatch.core import clock, transaction
from dispatch.core.db import Base
from dispatch.core.ids import new_id

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets a BIGINT identity.
PositionType = BigInteger().with_variant(Integer(), "sqlite")

# The PostgreSQL channel workers LISTEN on.
NOTIFY_CHANNEL = "dispatch_events"


class Event(Base):
    __tablename__ = "events"

    position: Mapped[int] = mapped_column(PositionType, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(32), unique=True)
    type: Mapped[str] = mapped_column(String(64))
    brand_id: Mapped[str] = mapped_column(String(32))
    ticket_id: Mapped[str | None] = mapped_column(String(32))
    # Per-ticket ordering for receivers: the ticket's version after this change.
    sequence: Mapped[int | None]
    data: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]
    # Set once the worker has turned the event into its deliveries (fan-out).
    dispatched_at: Mapped[datetime | None]
    # Set once the email channel has turned the event into its emails (if any).
    emailed_at: Mapped[datetime | None]

    __table_args__ = (
        Index("ix_events_brand_position", "brand_id", "position"),
        Index("ix_events_ticket_position", "ticket_id", "position"),
        Index(
            "ix_events_undispatched",
            "position",
            sqlite_where=text("dispatched_at IS NULL"),
            postgresql_where=text("dispatched_at IS NULL"),
        ),
        Index(
            "ix_events_unemailed",
            "position",
            sqlite_where=text("emailed_at IS NULL"),
            postgresql_where=text("emailed_at IS NULL"),
        ),
    )


def emit(
    session: Session,
    type: str,
    brand_id: str,
    data: dict[str, Any],
    *,
    ticket_id: str | None = None,
    sequence: int | None = None,
) -> Event:
    """Record an event in the current transaction; it exists only if the change commits."""
    event = Event(
        id=new_id("evt"),
        type=type,
        brand_id=brand_id,
        ticket_id=ticket_id,
        sequence=sequence,
        data=data,
        created_at=clock.now(),
    )
    session.add(event)
    notify_on_commit(session)
    return event


def _notify(session: Session, _items: list[bool]) -> None:
    # One NOTIFY per transaction, however many events it wrote (identical notifications
    # in one transaction are folded into one anyway).
    session.execute(text("SELECT pg_notify(:channel, '')"), {"channel": NOTIFY_CHANNEL})


WAKE_WORKERS = transaction.SideState[bool]("wake workers", write=_notify)


def notify_on_commit(session: Session) -> None:
    """Wake listening workers when this transaction commits (PostgreSQL; elsewhere they
    poll): for anything that leaves them work, events or stored inbound mail."""
    if session.get_bind().dialect.name == "postgresql":
        transaction.record(session, WAKE_WORKERS, True)

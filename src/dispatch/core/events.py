"""The outbox: every change writes its event row in the caller's transaction.

Nothing is sent from a request. Each consumer of the outbox (webhook fan-out, email
notifications, the live event stream) gets an inbox row per event it may want, written
with the event, in the same transaction: the worker takes its work from there
(`core.consumers`). On PostgreSQL a transaction that emitted also sends `NOTIFY
dispatch_events` when it commits (notifications are transactional: delivered at commit,
dropped on rollback), which wakes listening workers at once instead of at their next
poll: a trigger on the inbox sends it (migration 0013), so it costs the transaction no
statement of its own.

Events are written when the transaction commits, all with their inbox rows in one
statement on PostgreSQL (two on SQLite): a request that emits three events makes one
round trip for them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    BigInteger,
    Index,
    Integer,
    String,
    Table,
    insert,
    text,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from dispatch.core import clock, transaction
from dispatch.core.db import Base, as_json, json_insert
from dispatch.core.ids import new_id
from dispatch.core.leases import Leased

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets a BIGINT identity.
PositionType = BigInteger().with_variant(Integer(), "sqlite")

# The PostgreSQL channel workers LISTEN on.
NOTIFY_CHANNEL = "dispatch_events"

# The outbox's consumers, by name: their code lives in their domains (core imports none).
WEBHOOKS = "webhooks"
EMAIL = "email"
STREAM = "stream"
CONSUMERS = (WEBHOOKS, EMAIL, STREAM)
# Emitted for Dispatch's own consumers (mail), never delivered to webhooks.
INTERNAL_TYPES: frozenset[str] = frozenset({"notification.requested"})
# Event types a consumer never wants: no inbox row is written for it. The live stream
# shows clients what webhooks would send them, so never an internal event either.
_UNWANTED: dict[str, frozenset[str]] = {WEBHOOKS: INTERNAL_TYPES, STREAM: INTERNAL_TYPES}
# Events per statement: a transaction's events normally fit in one; a huge batch (a bulk
# change) stays within SQLite's limit on bound parameters (7 per event) and keeps
# PostgreSQL's JSON parameter of a reasonable size.
_EVENTS_PER_INSERT = 2000


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

    __table_args__ = (
        Index("ix_events_brand_position", "brand_id", "position"),
        Index("ix_events_ticket_position", "ticket_id", "position"),
    )


class EventInbox(Leased, Base):
    """One event still to be consumed by one consumer; deleted once it has been. A lease
    holds a row back for a while (a consumer that failed on it, see core.consumers).

    No foreign key to `events` (migration 0027): every row is written by the statement
    that writes its event, and events are never deleted (the outbox is their history),
    while the key's check cost a lookup and a row lock per row, three consumers' rows
    per event, on every write."""

    __tablename__ = "event_inbox"

    consumer: Mapped[str] = mapped_column(String(32), primary_key=True)
    position: Mapped[int] = mapped_column(PositionType, primary_key=True, autoincrement=False)


_EVENTS = cast(Table, Event.__table__)
_WRITTEN = ("id", "type", "brand_id", "ticket_id", "sequence", "data", "created_at")


def emit(
    session: Session,
    type: str,
    brand_id: str,
    data: dict[str, Any],
    *,
    ticket_id: str | None = None,
    sequence: int | None = None,
) -> Event:
    """Record an event in the current transaction; it is written just before the commit
    (it exists only if the change commits)."""
    event = Event(
        id=new_id("evt"),
        type=type,
        brand_id=brand_id,
        ticket_id=ticket_id,
        sequence=sequence,
        data=data,
        created_at=clock.now(),
    )
    transaction.record(session, INBOX, event)
    return event


def _write_inbox(session: Session, emitted: list[Event]) -> None:
    """The transaction's events and every consumer's inbox rows for them, just before the
    commit (an event a rolled-back savepoint dropped is not among them): on PostgreSQL in
    one statement, the events' INSERT feeding the inbox's (`_inbox_part`, usually within
    the commit's one statement); on SQLite (no INSERT in a WITH) in two. Both are
    statements of a fixed text, whatever the number of events, so they are compiled once
    per process (a multi-row VALUES is compiled anew for each call: it cost an eighth of
    the server's CPU). Nothing reads these rows back in the transaction. Each event
    learns its position."""
    postgres = session.get_bind().dialect.name == "postgresql"
    for start in range(0, len(emitted), _EVENTS_PER_INSERT):
        chunk = emitted[start : start + _EVENTS_PER_INSERT]
        if postgres:
            rows = as_json([_row(event) for event in chunk])
            _learn_positions(chunk, session.execute(_WITH_INBOX, {"rows": rows}))
            continue
        written = list(session.execute(_INSERT_EVENTS, [_row(event) for event in chunk]))
        inbox = [
            {"consumer": consumer, "position": position}
            for _id, position, type_ in written
            for consumer in CONSUMERS
            if type_ not in _UNWANTED.get(consumer, frozenset())
        ]
        session.execute(_INSERT_INBOX, inbox)
        _learn_positions(chunk, written)


def _inbox_part(events: list[Event]) -> transaction.CommitPart | None:
    """The events and their inbox rows within the commit's one statement (PostgreSQL);
    a batch too large for one parameter is written on its own, in chunks."""
    if len(events) > _EVENTS_PER_INSERT:
        return None
    return transaction.CommitPart(
        _WITH_INBOX_CLAUSES,
        {"rows": as_json([_row(event) for event in events])},
        returning=_WRITTEN_SELECT,
        receive=lambda written: _learn_positions(events, written),
    )


def _learn_positions(events: list[Event], written: Iterable[Any]) -> None:
    by_id = {event.id: event for event in events}
    for event_id, position, _type in written:
        by_id[event_id].position = position


def _row(event: Event) -> dict[str, Any]:
    return {column: getattr(event, column) for column in _WRITTEN}


_INSERT_EVENTS = insert(_EVENTS).returning(_EVENTS.c.id, _EVENTS.c.position, _EVENTS.c.type)
_INSERT_INBOX = insert(cast(Table, EventInbox.__table__))


def _quoted(names: Iterable[str]) -> str:
    return ", ".join(f"'{name}'" for name in names)


# PostgreSQL: the events, from one JSON array of rows, and on the way their inbox rows:
# one per consumer that wants the event's type.
_UNWANTED_SQL = " OR ".join(
    f"(c.consumer = '{name}' AND w.type IN ({_quoted(sorted(types))}))"
    for name, types in _UNWANTED.items()
)
_WITH_INBOX_CLAUSES = (
    f"written AS ({json_insert(_EVENTS, 'rows', _WRITTEN)} RETURNING id, position, type)",
    "inbox AS (INSERT INTO event_inbox (consumer, position) "  # noqa: S608 - our constants
    "SELECT c.consumer, w.position FROM written w "
    f"CROSS JOIN (VALUES {', '.join(f'({_quoted([n])})' for n in CONSUMERS)}) AS c(consumer) "
    f"WHERE NOT ({_UNWANTED_SQL}))",
)
_WRITTEN_SELECT = "SELECT id, position, type FROM written"
_WITH_INBOX = text(f"WITH {', '.join(_WITH_INBOX_CLAUSES)} {_WRITTEN_SELECT}")


INBOX = transaction.SideState[Event]("event inbox", write=_write_inbox, part=_inbox_part)


def _notify(session: Session, _items: list[bool]) -> None:
    # One NOTIFY per transaction, however many events it wrote (identical notifications
    # in one transaction are folded into one anyway).
    session.execute(text("SELECT pg_notify(:channel, '')"), {"channel": NOTIFY_CHANNEL})


WAKE_WORKERS = transaction.SideState[bool]("wake workers", write=_notify)


def notify_on_commit(session: Session) -> None:
    """Wake listening workers when this transaction commits (PostgreSQL; elsewhere they
    poll): for work that is not an event (the inbox trigger wakes them for those), such as
    stored inbound mail or a delivery retried now."""
    if session.get_bind().dialect.name == "postgresql":
        transaction.record(session, WAKE_WORKERS, True)

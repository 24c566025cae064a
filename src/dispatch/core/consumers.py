"""Consuming the outbox: each consumer takes its events from its own inbox rows.

`core.events.emit` writes, with every event and in its transaction, one `event_inbox` row
per consumer that may want it (`events.CONSUMERS`). A consumer, in one transaction,
`claim`s its oldest rows (with their events), does its work and marks them `done`, which
deletes them; the commit makes all of it true at once. So each event is consumed exactly
once per consumer, without gaps, however many workers run: on PostgreSQL claimed rows are
locked `FOR UPDATE SKIP LOCKED` (concurrent workers take disjoint rows without waiting),
on SQLite a writing transaction holds the single write lock; a worker that dies before
its commit leaves the rows to the next claim.

A batch whose work fails is held back (its rows leased for HOLD, `run`): the events
behind it go on meanwhile. Held rows come back one at a time, so an event that keeps
failing holds back only itself.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Sequence
from datetime import timedelta
from typing import TypeVar, cast

from sqlalchemy import ColumnElement, Executable, Select, Table, bindparam, delete, or_, select
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session, defer
from sqlalchemy.orm.attributes import set_committed_value

from dispatch.core import clock, leases, transaction
from dispatch.core.db import Database
from dispatch.core.events import CONSUMERS, Event, EventInbox

T = TypeVar("T")
log = logging.getLogger("dispatch.consumers")

# How long a batch that failed is held back before it is tried again.
HOLD = timedelta(minutes=1)

# On SQLite a consumer's transaction holds the single write lock, which every API write
# queues behind, for as long as its batch takes: the live stream's batches (up to 500
# events) held it up to 62 ms, the emails' and the fan-out's up to 18 and 13, and every
# request in flight waited that long (16 clients replying on 100,000 tickets: the
# requests' own holds were 3.5 ms on average). Batches there take at most this many.
SQLITE_BATCH = 64


def batch_size(database: Database, batch: int) -> int:
    """How many events a consumer takes per transaction: `batch`, at most SQLITE_BATCH on
    SQLite (PostgreSQL locks only the rows claimed: nothing waits behind a large batch)."""
    return min(batch, SQLITE_BATCH) if database.dialect == "sqlite" else batch


def _known(name: str) -> str:
    if name not in CONSUMERS:
        raise ValueError(f"unknown consumer {name!r}: not one of {CONSUMERS}")
    return name


def _inbox(name: str) -> list[ColumnElement[bool]]:
    return [EventInbox.consumer == _known(name), leases.free(EventInbox, clock.now())]


def claim(session: Session, name: str, *, limit: int, data: bool = True) -> list[Event]:
    """The events of the oldest `limit` inbox rows of consumer `name`, in position order,
    locked for this transaction (rows another worker holds are skipped). `data=False`
    leaves their `data` unread (`with_data` reads it for those that need it): for a batch
    worked on ahead, which the claim only has to match. Reading and decoding every
    payload again was a third of the worker's time in SQLite's write lock."""
    return _take(session, _CLAIM if data else _CLAIM_LEAN, name, limit)


def claim_worked_ahead(
    session: Session, name: str, *, limit: int, ahead: Collection[str]
) -> list[Event]:
    """`claim` for a consumer that worked ahead on the events whose ids are in `ahead`
    (rendered their bodies in a reading transaction): only the others' `data` is read
    (an event's `data` read elsewhere, a rare test event's, loads on its own)."""
    events = claim(session, name, limit=limit, data=not ahead)
    if ahead:
        with_data(session, [event for event in events if event.id not in ahead])
    return events


def with_data(session: Session, events: Sequence[Event]) -> None:
    """Read the `data` of events claimed without it, in one statement."""
    if events:
        by_position = {event.position: event for event in events}
        for position, data in session.execute(_DATA, {"positions": list(by_position)}):
            set_committed_value(by_position[position], "data", data)


def peek(session: Session, name: str, *, limit: int) -> list[Event]:
    """The events `claim` would take now, left unlocked: to work ahead on them in a
    reading transaction (a writing one claims them after, and checks it got the same)."""
    return _take(session, _PEEK, name, limit)


def _take(session: Session, statement: Executable, name: str, limit: int) -> list[Event]:
    params = {"consumer": _known(name), "now": clock.now(), "limit": limit}
    rows = list(session.execute(statement, params))
    if rows and rows[0][1] is not None:
        return [rows[0][0]]  # held back before: alone, so it fails alone if it fails again
    taken = []
    for event, held_before in rows:
        if held_before is not None:
            break
        taken.append(event)
    return taken


# Every pass of every consumer starts with it: built once.
_PEEK = (
    select(Event, EventInbox.leased_by)
    .join(EventInbox, EventInbox.position == Event.position)
    .where(
        EventInbox.consumer == bindparam("consumer"),
        or_(EventInbox.lease_expires_at.is_(None), EventInbox.lease_expires_at <= bindparam("now")),
    )
    .order_by(EventInbox.position)
    .limit(bindparam("limit"))
)
_CLAIM = _PEEK.with_for_update(skip_locked=True, of=EventInbox)
_CLAIM_LEAN = _CLAIM.options(defer(Event.data))
_DATA = select(Event.position, Event.data).where(
    Event.position.in_(bindparam("positions", expanding=True))
)


def done(session: Session, name: str, positions: Sequence[int]) -> None:
    """These events are consumed by `name`: their inbox rows go."""
    if positions:
        session.execute(_DONE, {"consumer": name, "positions": list(positions)})


# Every batch of every consumer ends with it: built once, on the table (no ORM bulk path).
_INBOX_TABLE = cast(Table, EventInbox.__table__)
_DONE = delete(_INBOX_TABLE).where(
    _INBOX_TABLE.c.consumer == bindparam("consumer"),
    _INBOX_TABLE.c.position.in_(bindparam("positions", expanding=True)),
)


def has_work(session: Session, name: str) -> bool:
    """Whether consumer `name` has an event to take now (a cheap read, no lock)."""
    return session.scalar(waiting(name)) is not None


def waiting(name: str) -> Select[int]:
    """One inbox row consumer `name` could take now (for `has_work`, or an EXISTS)."""
    return select(EventInbox.position).where(*_inbox(name)).limit(1)


def hold(session: Session, name: str, *, limit: int, worker: str) -> int:
    """Hold back for HOLD the rows the next claim of `limit` would take: those of the
    batch that just failed (should another worker hold them this moment, the next ones:
    delayed a while, never lost). How many."""
    positions = [event.position for event in claim(session, name, limit=limit)]
    now = clock.now()
    held = leases.lease(
        session,
        EventInbox.position,
        positions,
        where=[EventInbox.consumer == name],
        worker=worker,
        now=now,
        until=now + HOLD,
    )
    return len(held)


def run(
    database: Database, name: str, work: Callable[[Session], T], *, limit: int, worker: str
) -> T | None:
    """Run `work`, a consumer's batch (it claims up to `limit` of `name`'s events, works,
    marks them done), in one transaction. When it fails, for any reason but an unreachable
    database (the worker waits that out), its events are held back and None returned."""
    try:
        return transaction.run(database, work)
    except (OperationalError, InterfaceError):
        raise
    except Exception:
        log.exception("consumer %s: a batch failed; its events wait %s", name, HOLD)
        transaction.run(database, lambda session: hold(session, name, limit=limit, worker=worker))
        return None

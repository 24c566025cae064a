"""Timers: something to do at a given time (a ticket's SLA deadline, a periodic job),
kept in the database so every worker sees the same ones and none is lost on a restart.

A timer is one row per (kind, target): `set` inserts it or moves it, `cancel` deletes it,
both in the caller's transaction, so a change that rolls back leaves no timer and one
that commits always has it. The worker fires due timers exactly once however many
workers run: it leases them (`core.leases`), then fires each in one transaction that
deletes the row and calls the handler of its kind (the worker's composition maps kinds
to handlers; this module knows none). A handler that raises rolls that back: the timer
is tried again later with backoff, and after MAX_ATTEMPTS it is kept, marked failed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy import (
    CursorResult,
    ForeignKey,
    Index,
    Select,
    String,
    UniqueConstraint,
    delete,
    select,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Mapped, Session, mapped_column

from dispatch.core import clock, events, leases, transaction
from dispatch.core.db import Base, Database
from dispatch.core.ids import new_id

log = logging.getLogger("dispatch.timers")

# Seconds before attempts 2, 3, ... of a timer whose handler failed; then it has failed.
BACKOFF: tuple[float, ...] = (30.0, 120.0, 600.0, 1800.0, 3600.0)
MAX_ATTEMPTS = len(BACKOFF) + 1


class Timer(leases.Leased, Base):
    __tablename__ = "timers"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))
    # What it is about: a ticket id, or a name for a job of the whole system.
    target_id: Mapped[str] = mapped_column(String(64))
    brand_id: Mapped[str | None] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"))
    due_at: Mapped[datetime]
    payload: Mapped[dict[str, Any]]
    # Attempts to fire it so far (each claim counts one, so a handler that kills its
    # worker counts too).
    attempts: Mapped[int]
    last_error: Mapped[str | None] = mapped_column(String(1000))
    # Set when it failed MAX_ATTEMPTS times: kept for a person to look at, never fired.
    failed_at: Mapped[datetime | None]
    created_at: Mapped[datetime]

    __table_args__ = (
        UniqueConstraint("kind", "target_id"),
        Index(
            "ix_timers_due",
            "due_at",
            sqlite_where=text("failed_at IS NULL"),
            postgresql_where=text("failed_at IS NULL"),
        ),
        Index("ix_timers_brand", "brand_id"),
    )


@dataclass(frozen=True, slots=True)
class Due:
    """A timer being fired, as its handler sees it."""

    kind: str
    target_id: str
    brand_id: str | None
    due_at: datetime
    payload: dict[str, Any]
    attempts: int


# A handler runs in the firing transaction, after the timer's row was deleted: setting
# the same timer again (a periodic job's next run) inserts it anew.
Handler = Callable[[Session, Due], None]


# --- Setting and cancelling (in the caller's transaction) -----------------------------------


def set(
    session: Session,
    kind: str,
    target: str,
    due_at: datetime,
    payload: dict[str, Any] | None = None,
    *,
    brand_id: str | None = None,
) -> None:
    """Have timer (kind, target) fire at `due_at`: inserted, or moved if it exists (its
    attempts start again, and a worker about to fire it at its old time does not)."""
    fresh = {"due_at": due_at, "payload": payload or {}, "brand_id": brand_id}
    _upsert(session, kind, target, fresh, replace={**fresh, **_FRESH_STATE})


def ensure(session: Session, kind: str, target: str, due_at: datetime) -> None:
    """Have timer (kind, target) exist, due at `due_at` if it is new or had failed; one
    that waits keeps its time (workers starting do not move a periodic job)."""
    fresh = {"due_at": due_at, "payload": {}, "brand_id": None}
    replace = {"due_at": due_at, **_FRESH_STATE}
    _upsert(session, kind, target, fresh, replace=replace, if_failed=True)


def cancel(session: Session, kind: str, target: str) -> bool:
    """Delete timer (kind, target); whether there was one."""
    result = session.execute(delete(Timer).where(Timer.kind == kind, Timer.target_id == target))
    return isinstance(result, CursorResult) and result.rowcount > 0


_FRESH_STATE: dict[str, Any] = {
    "attempts": 0,
    "last_error": None,
    "failed_at": None,
    **leases.UNLEASED,
}


def _upsert(
    session: Session,
    kind: str,
    target: str,
    fresh: dict[str, Any],
    *,
    replace: dict[str, Any],
    if_failed: bool = False,
) -> None:
    """Insert the timer, or update an existing one with `replace` (only a failed one when
    `if_failed`): one statement, safe against a concurrent insert of the same timer."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    row = {"id": new_id("tmr"), "kind": kind, "target_id": target, "created_at": clock.now()}
    stmt = insert(Timer).values({**row, **fresh, **_FRESH_STATE})
    stmt = stmt.on_conflict_do_update(
        index_elements=[Timer.kind, Timer.target_id],
        set_=replace,
        where=Timer.failed_at.is_not(None) if if_failed else None,
    )
    session.execute(stmt)
    # A timer due before the workers' next poll is fired on time.
    events.notify_on_commit(session)


# --- Firing (the worker) -----------------------------------------------------------------------


def next_due_at(session: Session, kinds: Collection[str], now: datetime) -> datetime | None:
    """When the earliest timer of these kinds that no worker holds falls due."""
    return session.scalar(next_due(kinds, now)) if kinds else None


def next_due(kinds: Collection[str], now: datetime) -> Select[datetime]:
    """The due time of the earliest timer of these kinds that no worker holds."""
    return (
        select(Timer.due_at)
        .where(Timer.failed_at.is_(None), Timer.kind.in_(kinds), leases.free(Timer, now))
        .order_by(Timer.due_at)
        .limit(1)
    )


def claim_due(
    session: Session, kinds: Collection[str], *, worker: str, limit: int, lease: timedelta
) -> list[str]:
    """Lease up to `limit` due timers of these kinds (earliest first) to `worker`; their
    ids. Kinds no handler of this worker knows are left to workers that know them."""
    if not kinds:
        return []
    now = clock.now()
    return leases.claim(
        session,
        Timer.id,
        where=[Timer.failed_at.is_(None), Timer.kind.in_(kinds), Timer.due_at <= now],
        order_by=(Timer.due_at, Timer.id),
        limit=limit,
        worker=worker,
        now=now,
        until=now + lease,
        values={"attempts": Timer.attempts + 1},
    )


def fire(
    database: Database, timer_id: str, handlers: Mapping[str, Handler], *, worker: str
) -> bool:
    """Fire one leased timer in one transaction: delete it, call its handler. False when
    it was not fired: moved or cancelled since it was leased, or its handler failed (then
    it waits for its next attempt, or is marked failed)."""
    try:
        return transaction.run(
            database, partial(_fire, timer_id=timer_id, handlers=handlers, worker=worker)
        )
    except (OperationalError, InterfaceError):
        raise  # the database is unreachable: the lease lapses, the timer is fired later
    except Exception as error:
        transaction.run(database, partial(_failed, timer_id=timer_id, worker=worker, error=error))
        return False


def _fire(session: Session, timer_id: str, handlers: Mapping[str, Handler], worker: str) -> bool:
    # Locked: a concurrent set or cancel waits for this transaction, or (if it came first)
    # took the lease away, and then this worker does not fire the timer.
    timer = session.scalar(
        select(Timer).where(Timer.id == timer_id, leases.held_by(Timer, worker)).with_for_update()
    )
    if timer is None:
        return False
    due = Due(
        timer.kind, timer.target_id, timer.brand_id, timer.due_at, timer.payload, timer.attempts
    )
    session.delete(timer)
    session.flush()
    handlers[due.kind](session, due)
    return True


def _failed(session: Session, timer_id: str, worker: str, error: Exception) -> None:
    """Record a failed attempt of a timer this worker still holds: due again after its
    backoff, or failed for good after MAX_ATTEMPTS."""
    timer = session.scalar(
        select(Timer).where(Timer.id == timer_id, leases.held_by(Timer, worker)).with_for_update()
    )
    if timer is None:
        return  # moved or cancelled meanwhile: nothing of this attempt to keep
    now = clock.now()
    timer.last_error = f"{type(error).__name__}: {error}"[:1000]
    timer.leased_by = timer.lease_expires_at = None
    if timer.attempts >= MAX_ATTEMPTS:
        timer.failed_at = now
        log.error(
            "timer %s (%s %s) failed for good",
            timer.id,
            timer.kind,
            timer.target_id,
            exc_info=error,
        )
        return
    timer.due_at = now + timedelta(seconds=BACKOFF[timer.attempts - 1])
    log.warning(
        "timer %s (%s %s) failed, attempt %d; again at %s",
        timer.id,
        timer.kind,
        timer.target_id,
        timer.attempts,
        timer.due_at.isoformat(),
        exc_info=error,
    )


def release(session: Session, worker: str) -> int:
    """Give back this worker's timer leases (stopping): another worker fires them now."""
    return leases.release(session, Timer.id, worker)


def fire_due(
    database: Database,
    handlers: Mapping[str, Handler],
    *,
    worker: str,
    limit: int,
    lease: timedelta,
) -> int:
    """Lease up to `limit` due timers and fire each; how many fired."""
    ids = transaction.run(
        database,
        lambda session: claim_due(session, handlers, worker=worker, limit=limit, lease=lease),
    )
    return sum(fire(database, timer_id, handlers, worker=worker) for timer_id in ids)

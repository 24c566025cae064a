"""Leases: how a worker takes a row to work on, so that no two workers take the same one
and a dead worker's rows come back by themselves.

A leased row carries who took it (`leased_by`, a worker name unique per process) and until
when (`lease_expires_at`); once that time has passed the row is free again. Taking rows is
a conditional UPDATE that sets both only where the lease is still free: the guard that
holds on every database. On PostgreSQL the rows are also locked with `FOR UPDATE SKIP
LOCKED` first, so concurrent workers take disjoint rows without waiting for each other; on
SQLite a writing transaction holds the database's single write lock.

Each job keeps its own idea of which rows are due (`where`) and what an outcome writes;
only the taking, checking and giving back is here.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, String, or_, select, update
from sqlalchemy.orm import InstrumentedAttribute, Mapped, Session, mapped_column

from dispatch.core.ids import random_token


def worker_name() -> str:
    """A name unique to this worker instance (host, process, random): what leases carry."""
    host = socket.gethostname().split(".", 1)[0][:24]
    return f"{host}:{os.getpid()}:{random_token(8)}"


class Leased:
    """The lease columns, mixed into every table whose rows workers take."""

    leased_by: Mapped[str | None] = mapped_column(String(64))
    lease_expires_at: Mapped[datetime | None]


# What an outcome or a give-back writes: the row is nobody's.
UNLEASED: Mapping[str, None] = {"leased_by": None, "lease_expires_at": None}


def free(model: type[Leased], now: datetime) -> ColumnElement[bool]:
    """Never leased, or the lease has lapsed."""
    return or_(model.lease_expires_at.is_(None), model.lease_expires_at <= now)


def active(model: type[Leased], now: datetime) -> ColumnElement[bool]:
    """Leased and not lapsed: in a worker's hands now."""
    return model.lease_expires_at > now


def held_by(model: type[Leased], worker: str) -> ColumnElement[bool]:
    """Still leased to `worker`: nobody took the row over after its lease lapsed (another
    worker's claim renames it), nor gave it back."""
    return model.leased_by == worker


def _is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _model(key: InstrumentedAttribute[Any]) -> type[Leased]:
    """The leased table whose key column `key` is."""
    return cast("type[Leased]", key.class_)


def lease(
    session: Session,
    key: InstrumentedAttribute[Any],
    keys: Sequence[Any],
    *,
    where: Iterable[ColumnElement[bool]] = (),
    worker: str,
    now: datetime,
    until: datetime,
    values: Mapping[str, Any] | None = None,
) -> list[Any]:
    """Lease to `worker`, until `until`, those of `keys` that still match `where` and are
    free (also writing `values`); the keys leased, in the order given."""
    if not keys:
        return []
    model = _model(key)
    condition = [key.in_(keys), *where, free(model, now)]
    if _is_postgres(session):
        # Rows another transaction has locked (is leasing right now) are skipped, not
        # waited for.
        locked = select(key).where(*condition).with_for_update(skip_locked=True)
        condition.append(key.in_(locked.scalar_subquery()))
    stmt = (
        update(model)
        .where(*condition)
        .values({"leased_by": worker, "lease_expires_at": until, **(values or {})})
        .returning(key)
        .execution_options(synchronize_session=False)
    )
    leased = set(session.scalars(stmt))
    return [k for k in keys if k in leased]


def claim(
    session: Session,
    key: InstrumentedAttribute[Any],
    *,
    where: Iterable[ColumnElement[bool]] = (),
    order_by: Sequence[Any],
    limit: int,
    worker: str,
    now: datetime,
    until: datetime,
    values: Mapping[str, Any] | None = None,
) -> list[Any]:
    """Lease up to `limit` free rows matching `where`, first in `order_by`, to `worker`;
    their keys in that order."""
    where = list(where)
    candidates = select(key).where(*where, free(_model(key), now)).order_by(*order_by).limit(limit)
    if _is_postgres(session):
        candidates = candidates.with_for_update(skip_locked=True)
    keys = list(session.scalars(candidates))
    return lease(
        session, key, keys, where=where, worker=worker, now=now, until=until, values=values
    )


def release(
    session: Session,
    key: InstrumentedAttribute[Any],
    worker: str,
    keys: Sequence[Any] | None = None,
    *,
    where: Iterable[ColumnElement[bool]] = (),
) -> int:
    """Give back `worker`'s leases (all of them, or those of `keys`) on rows still matching
    `where`: free at once for any worker. How many were given back."""
    if keys is not None and not keys:
        return 0
    model = _model(key)
    stmt = update(model).where(held_by(model, worker), *where)
    if keys is not None:
        stmt = stmt.where(key.in_(keys))
    result = session.execute(stmt.values(UNLEASED).execution_options(synchronize_session=False))
    return result.rowcount if isinstance(result, CursorResult) else 0

"""Ticket counts per status, kept current so stats never scan tickets.

Changes accumulate in the session as deltas and are written once, just before commit,
sorted by status: concurrent transactions lock count rows in the same order (no
deadlocks) and hold those locks only for the commit itself.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import delete, event, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from dispatch.statuses.models import StatusTicketCount

SLOTS = 8
_PENDING = "dispatch.status_count_deltas"


def record(session: Session, brand_id: str, status_id: str, delta: int) -> None:
    pending: dict[tuple[str, str], int] = session.info.setdefault(_PENDING, defaultdict(int))
    pending[(status_id, brand_id)] += delta


def forget(session: Session, status_id: str) -> None:
    """Drop pending deltas of a status that is being deleted (its rows go with it)."""
    pending: dict[tuple[str, str], int] = session.info.get(_PENDING, {})
    for key in [k for k in pending if k[0] == status_id]:
        del pending[key]


@contextmanager
def savepoint(session: Session) -> Iterator[None]:
    """A nested transaction whose failure also discards the counts it recorded."""
    saved = dict(session.info.get(_PENDING, {}))
    try:
        with session.begin_nested():
            yield
    except BaseException:
        session.info[_PENDING] = defaultdict(int, saved)
        raise


def read(session: Session, brand_id: str) -> dict[str, int]:
    stmt = (
        select(StatusTicketCount.status_id, func.sum(StatusTicketCount.count))
        .where(StatusTicketCount.brand_id == brand_id)
        .group_by(StatusTicketCount.status_id)
    )
    return {status_id: int(total or 0) for status_id, total in session.execute(stmt)}


def _upsert(session: Session, rows: list[dict[str, object]]) -> None:
    """Add each row's count to its (status, slot) counter, creating it if need be: one
    statement for all rows (SQLite 3.24+ and PostgreSQL share ON CONFLICT)."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(StatusTicketCount).values(rows)
    stmt = stmt.on_conflict_do_update(
        index_elements=[StatusTicketCount.status_id, StatusTicketCount.slot],
        set_={"count": StatusTicketCount.count + stmt.excluded.count},
    )
    session.execute(stmt)


def replace(session: Session, brand_id: str, totals: dict[str, int]) -> None:
    """Overwrite a brand's counts with freshly computed totals (repair)."""
    session.execute(delete(StatusTicketCount).where(StatusTicketCount.brand_id == brand_id))
    rows = [
        {"status_id": status_id, "slot": 0, "brand_id": brand_id, "count": total}
        for status_id, total in totals.items()
    ]
    if rows:
        _upsert(session, rows)


@event.listens_for(Session, "before_commit")
def _apply_pending(session: Session) -> None:
    pending: dict[tuple[str, str], int] | None = session.info.pop(_PENDING, None)
    if not pending:
        return
    # One slot per transaction spreads concurrent writers over SLOTS rows per status;
    # rows in sorted order, so concurrent transactions lock them in the same order.
    slot = random.randrange(SLOTS)  # noqa: S311 - load spreading, not security
    rows = [
        {"status_id": status_id, "slot": slot, "brand_id": brand_id, "count": delta}
        for (status_id, brand_id), delta in sorted(pending.items())
        if delta
    ]
    if rows:
        _upsert(session, rows)


@event.listens_for(Session, "after_rollback")
def _discard_pending(session: Session) -> None:
    session.info.pop(_PENDING, None)

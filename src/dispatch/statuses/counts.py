"""Ticket counts per status, kept current so stats never scan tickets.

Changes accumulate as deltas in the transaction's side-state (`core.transaction`: a
savepoint that rolls back takes its deltas with it) and are written once, just before the
outermost commit, sorted by status: concurrent transactions lock count rows in the same
order (no deadlocks) and hold those locks only for the commit itself.
"""

from __future__ import annotations

import random
from collections import defaultdict
from typing import Any, cast

from sqlalchemy import Table, delete, func, select
from sqlalchemy.orm import Session

from dispatch.core import transaction
from dispatch.core.db import as_json, json_insert, per_dialect
from dispatch.statuses.models import StatusTicketCount

SLOTS = 8


def _write(session: Session, deltas: list[tuple[str, str, int]]) -> None:
    """Add the transaction's deltas to the counters, just before it commits."""
    rows = _rows(deltas)
    if rows:
        _upsert(session, rows)


def _part(deltas: list[tuple[str, str, int]]) -> transaction.CommitPart:
    """The deltas within the commit's one statement (PostgreSQL)."""
    return transaction.CommitPart((_UPSERT_CLAUSE,), {"status_counts": as_json(_rows(deltas))})


def _rows(deltas: list[tuple[str, str, int]]) -> list[dict[str, object]]:
    totals: dict[tuple[str, str], int] = defaultdict(int)
    for status_id, brand_id, delta in deltas:
        totals[(status_id, brand_id)] += delta
    # One slot per transaction spreads concurrent writers over SLOTS rows per status;
    # rows in sorted order, so concurrent transactions lock them in the same order.
    slot = random.randrange(SLOTS)  # noqa: S311 - load spreading, not security
    return [
        {"status_id": status_id, "slot": slot, "brand_id": brand_id, "count": delta}
        for (status_id, brand_id), delta in sorted(totals.items())
        if delta
    ]


# (status id, brand id, delta) items, following the transaction and its savepoints.
DELTAS = transaction.SideState[tuple[str, str, int]](
    "status count deltas", write=_write, part=_part
)


def record(session: Session, brand_id: str, status_id: str, delta: int) -> None:
    transaction.record(session, DELTAS, (status_id, brand_id, delta))


def forget(session: Session, status_id: str) -> None:
    """Drop pending deltas of a status that is being deleted (its rows go with it)."""
    transaction.forget(session, DELTAS, lambda item: item[0] == status_id)


def read(session: Session, brand_id: str) -> dict[str, int]:
    stmt = (
        select(StatusTicketCount.status_id, func.sum(StatusTicketCount.count))
        .where(StatusTicketCount.brand_id == brand_id)
        .group_by(StatusTicketCount.status_id)
    )
    return {status_id: int(total or 0) for status_id, total in session.execute(stmt)}


_TABLE = cast(Table, StatusTicketCount.__table__)


def _upsert_statement(insert: Any) -> Any:
    stmt = insert(_TABLE)
    return stmt.on_conflict_do_update(
        index_elements=[_TABLE.c.status_id, _TABLE.c.slot],
        set_={"count": _TABLE.c.count + stmt.excluded.count},
    )


# Built once and run with the rows as parameters: SQLAlchemy renders them as one
# multi-row statement and compiles it once per process (rows inlined with .values()
# made a statement it could not cache, compiled on every write). On the table, not the
# mapped class: no ORM bulk machinery for rows nothing reads back.
_UPSERTS = per_dialect(_upsert_statement)
_UPSERT_CLAUSE = (
    f"status_counts_in AS ({json_insert(_TABLE, 'status_counts')} "
    "ON CONFLICT (status_id, slot) "
    "DO UPDATE SET count = status_ticket_counts.count + excluded.count)"
)


def _upsert(session: Session, rows: list[dict[str, object]]) -> None:
    """Add each row's count to its (status, slot) counter, creating it if need be: one
    statement for all rows (SQLite 3.24+ and PostgreSQL share ON CONFLICT)."""
    session.execute(_UPSERTS[session.get_bind().dialect.name], rows)


def replace(session: Session, brand_id: str, totals: dict[str, int]) -> None:
    """Overwrite a brand's counts with freshly computed totals (repair)."""
    session.execute(delete(StatusTicketCount).where(StatusTicketCount.brand_id == brand_id))
    rows = [
        {"status_id": status_id, "slot": 0, "brand_id": brand_id, "count": total}
        for status_id, total in totals.items()
    ]
    if rows:
        _upsert(session, rows)

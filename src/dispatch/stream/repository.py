"""Every query of the live stream."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, Table, delete, func, insert, select, update
from sqlalchemy.orm import Session

from dispatch.stream.models import HEAD_ID, StreamEvent, StreamHead


def lock_head(session: Session) -> int:
    """The last `seq` given out, its row locked until this transaction ends.

    This lock is why `seq` follows commit order. Every append takes it before it picks
    its seqs and keeps it until it commits (PostgreSQL: a row lock, released at commit;
    SQLite: a writing transaction holds the database's single write lock anyway). A
    second append waits here, then reads the head the first one committed, so a row is
    written only once every row with a smaller `seq` has committed: readers always see
    every row up to some `seq`, never a later one before an earlier one. (A lease would
    not do: it can lapse while its holder has yet to commit.)
    """
    stmt = select(StreamHead.seq).where(StreamHead.id == HEAD_ID).with_for_update()
    return int(session.execute(stmt).scalar_one())


def move_head(session: Session, seq: int) -> None:
    session.execute(update(StreamHead).where(StreamHead.id == HEAD_ID).values(seq=seq))


def head_seq(session: Session) -> int:
    """The last `seq` given out (committed), without a lock: where "now" is."""
    stmt = select(StreamHead.seq).where(StreamHead.id == HEAD_ID)
    return int(session.execute(stmt).scalar_one())


def add(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        # Through the table: nothing reads these rows back in the transaction.
        session.execute(insert(cast(Table, StreamEvent.__table__)), list(rows))


def seq_of(session: Session, event_id: str, brand_ids: Sequence[str]) -> int | None:
    """The `seq` of event `event_id` if the stream keeps it for one of these brands."""
    stmt = select(StreamEvent.seq).where(
        StreamEvent.event_id == event_id, StreamEvent.brand_id.in_(brand_ids)
    )
    return session.scalar(stmt)


def after(session: Session, brand_ids: Sequence[str], seq: int, limit: int) -> list[StreamEvent]:
    """These brands' rows after `seq`, oldest first."""
    stmt = (
        select(StreamEvent)
        .where(StreamEvent.brand_id.in_(brand_ids), StreamEvent.seq > seq)
        .order_by(StreamEvent.seq)
        .limit(limit)
    )
    return list(session.scalars(stmt))


def prune(session: Session, before: datetime) -> int:
    """Delete the rows appended before `before` and every row older than those (by
    `seq`); how many. Always the oldest run of rows, since workers' clocks may disagree
    a little: a newer row deleted while an older one stays would be skipped, unnoticed,
    by a reader resuming from the older one."""
    last = (
        select(func.max(StreamEvent.seq)).where(StreamEvent.appended_at < before).scalar_subquery()
    )
    result = session.execute(delete(StreamEvent).where(StreamEvent.seq <= last))
    return result.rowcount if isinstance(result, CursorResult) else 0

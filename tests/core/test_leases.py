"""The lease helper every worker job shares: rows are taken by one worker at a time, only
while due and free, come back when a lease lapses or is given back, and a worker can tell
whether it still holds one."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from dispatch.core import leases
from dispatch.core.db import Database, make_engine
from dispatch.core.ids import new_id
from dispatch.core.timers import Timer

pytestmark = pytest.mark.usefixtures("frozen_clock")

MINUTE = timedelta(minutes=1)
KIND = "test.leases"


def _rows(session: Session, count: int, *, due_at: datetime, kind: str = KIND) -> list[str]:
    """`count` rows to lease (timers serve: a core table with the lease columns), due one
    second apart from `due_at`."""
    ids = []
    for n in range(count):
        row = Timer(
            id=new_id("tmr"),
            kind=kind,
            target_id=f"target-{n}",
            brand_id=None,
            due_at=due_at + timedelta(seconds=n),
            payload={},
            attempts=0,
            created_at=due_at,
        )
        session.add(row)
        ids.append(row.id)
    session.flush()
    return ids


def _claim(session: Session, worker: str, now: datetime, *, limit: int = 10) -> list[str]:
    return leases.claim(
        session,
        Timer.id,
        where=[Timer.kind == KIND, Timer.due_at <= now],
        order_by=(Timer.due_at, Timer.id),
        limit=limit,
        worker=worker,
        now=now,
        until=now + MINUTE,
        values={"attempts": Timer.attempts + 1},
    )


def _row(session: Session, timer_id: str) -> Timer:
    found = session.get(Timer, timer_id, populate_existing=True)
    assert found is not None
    return found


def test_claim_leases_the_first_due_rows_in_order_up_to_the_limit(
    session: Session, frozen_clock: Any
) -> None:
    now = frozen_clock.now
    ids = _rows(session, 5, due_at=now - timedelta(seconds=3))  # the last one is not due

    assert _claim(session, "w1", now, limit=3) == ids[:3]
    for timer_id in ids[:3]:
        row = _row(session, timer_id)
        assert (row.leased_by, row.lease_expires_at, row.attempts) == ("w1", now + MINUTE, 1)
    assert _claim(session, "w2", now) == [ids[3]]
    assert _row(session, ids[4]).leased_by is None


def test_a_leased_row_is_taken_again_only_once_its_lease_lapses(
    session: Session, frozen_clock: Any
) -> None:
    [timer_id] = _rows(session, 1, due_at=frozen_clock.now)
    assert _claim(session, "dead", frozen_clock.now) == [timer_id]

    frozen_clock.advance(seconds=59)
    assert _claim(session, "alive", frozen_clock.now) == []
    frozen_clock.advance(seconds=1)
    assert _claim(session, "alive", frozen_clock.now) == [timer_id]

    held = select(Timer.id).where(Timer.id == timer_id)
    assert session.scalar(held.where(leases.held_by(Timer, "alive"))) == timer_id
    assert session.scalar(held.where(leases.held_by(Timer, "dead"))) is None
    assert _row(session, timer_id).attempts == 2


def test_lease_takes_only_the_given_rows_still_matching_and_free_in_the_order_given(
    session: Session, frozen_clock: Any
) -> None:
    now = frozen_clock.now
    ids = _rows(session, 4, due_at=now - timedelta(seconds=10))
    assert _claim(session, "other", now + timedelta(seconds=1), limit=1) == [ids[0]]
    session.execute(delete(Timer).where(Timer.id == ids[3]))

    wanted = [ids[2], ids[0], ids[1], ids[3]]
    leased = leases.lease(
        session,
        Timer.id,
        wanted,
        where=[Timer.kind == KIND],
        worker="w1",
        now=now,
        until=now + MINUTE,
    )
    assert leased == [ids[2], ids[1]]
    assert leases.lease(session, Timer.id, [], worker="w1", now=now, until=now) == []


def test_release_gives_back_only_this_workers_leases(session: Session, frozen_clock: Any) -> None:
    now = frozen_clock.now
    ids = _rows(session, 4, due_at=now - timedelta(seconds=10))
    assert _claim(session, "w1", now, limit=3) == ids[:3]
    assert _claim(session, "w2", now) == ids[3:]

    assert leases.release(session, Timer.id, "w1", [ids[0], ids[3]]) == 1
    assert leases.release(session, Timer.id, "w1", []) == 0
    assert leases.release(session, Timer.id, "w1", where=[Timer.kind == "other"]) == 0
    assert leases.release(session, Timer.id, "w1") == 2

    assert [_row(session, i).leased_by for i in ids] == [None, None, None, "w2"]
    assert _claim(session, "w3", now) == ids[:3]


def test_free_and_active_tell_lapsed_from_running_leases(
    session: Session, frozen_clock: Any
) -> None:
    now = frozen_clock.now
    ids = _rows(session, 3, due_at=now - timedelta(seconds=5))
    assert _claim(session, "w1", now, limit=1) == ids[:1]
    frozen_clock.advance(seconds=30)
    assert _claim(session, "w2", frozen_clock.now, limit=1) == ids[1:2]
    frozen_clock.advance(seconds=30)  # w1's lease has lapsed, w2's runs 30 s more

    def which(condition: Any) -> list[str]:
        stmt = select(Timer.id).where(Timer.kind == KIND, condition).order_by(Timer.due_at)
        return list(session.scalars(stmt))

    assert which(leases.free(Timer, frozen_clock.now)) == [ids[0], ids[2]]
    assert which(leases.active(Timer, frozen_clock.now)) == [ids[1]]


# --- Two workers at the same moment (real transactions) -----------------------------------


@pytest.fixture
def own_engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url, pool_size=4)
    yield engine
    with engine.begin() as conn:
        conn.execute(delete(Timer).where(Timer.kind == KIND))
    engine.dispose()


@pytest.mark.committed
def test_concurrent_claims_take_disjoint_rows_without_waiting(
    own_engine: Engine, frozen_clock: Any
) -> None:
    database = Database(own_engine)
    if database.dialect != "postgresql":
        pytest.skip("SQLite has a single writer: a second claim waits for the first commit")
    now = frozen_clock.now
    with database.session() as s:
        ids = _rows(s, 6, due_at=now - timedelta(seconds=10))
        s.commit()
    with database.session() as first, database.session() as second:
        # The first claim holds its rows (locked, uncommitted); the second skips them.
        taken = _claim(first, "w1", now, limit=4)
        other = _claim(second, "w2", now, limit=4)
        second.commit()
        first.commit()
    assert taken == ids[:4]
    assert other == ids[4:]

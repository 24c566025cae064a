"""Persisted timers: set, moved and cancelled in the caller's transaction; fired once each
however many workers fire them; a failing handler is retried with backoff and in the end
kept, marked failed."""

from __future__ import annotations

import contextlib
import logging
import threading
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, delete, func, select
from sqlalchemy.orm import Session

from dispatch.core import timers, transaction
from dispatch.core.db import Database, make_engine
from dispatch.core.timers import Due, Timer

pytestmark = pytest.mark.usefixtures("frozen_clock")

KIND = "test.reminder"
LEASE = timedelta(minutes=5)


class Boom(Exception):
    pass


def _timers(session: Session, kind: str = KIND) -> list[Timer]:
    session.expire_all()
    return list(session.scalars(select(Timer).where(Timer.kind == kind).order_by(Timer.due_at)))


class Fired:
    """A handler that records what it fired."""

    def __init__(self) -> None:
        self.due: list[Due] = []

    def __call__(self, _session: Session, due: Due) -> None:
        self.due.append(due)

    @property
    def targets(self) -> list[str]:
        return [d.target_id for d in self.due]


def _fire(database: Database, handlers: dict[str, Any], worker: str = "w1") -> int:
    return timers.fire_due(database, handlers, worker=worker, limit=50, lease=LEASE)


def _claim(database: Database, worker: str) -> list[str]:
    return transaction.run(
        database, lambda s: timers.claim_due(s, [KIND], worker=worker, limit=10, lease=LEASE)
    )


def test_set_inserts_a_timer_and_setting_it_again_moves_it(
    session: Session, frozen_clock: Any
) -> None:
    soon = frozen_clock.now + timedelta(hours=1)
    timers.set(session, KIND, "tkt_1", soon, {"level": 1})
    session.commit()
    [timer] = _timers(session)
    assert (timer.target_id, timer.due_at, timer.payload, timer.attempts) == (
        "tkt_1",
        soon,
        {"level": 1},
        0,
    )

    later = soon + timedelta(hours=1)
    timers.set(session, KIND, "tkt_1", later, {"level": 2})
    timers.set(session, KIND, "tkt_2", soon)
    session.commit()
    moved, other = sorted(_timers(session), key=lambda t: t.target_id)
    assert (moved.id, moved.due_at, moved.payload) == (timer.id, later, {"level": 2})
    assert (other.target_id, other.payload) == ("tkt_2", {})


def test_cancel_deletes_the_timer(session: Session, frozen_clock: Any) -> None:
    timers.set(session, KIND, "tkt_1", frozen_clock.now)
    timers.set(session, KIND, "tkt_2", frozen_clock.now)
    assert timers.cancel(session, KIND, "tkt_1") is True
    assert timers.cancel(session, KIND, "tkt_1") is False
    session.commit()
    assert [t.target_id for t in _timers(session)] == ["tkt_2"]


def test_a_change_that_rolls_back_leaves_no_timer_and_one_that_commits_has_it(
    database: Database, session: Session, frozen_clock: Any
) -> None:
    def set_then_fail(s: Session) -> None:
        timers.set(s, KIND, "tkt_gone", frozen_clock.now)
        raise Boom()

    with pytest.raises(Boom):
        transaction.run(database, set_then_fail)

    def set_in_failed_savepoint(s: Session) -> None:
        timers.set(s, KIND, "tkt_kept", frozen_clock.now)
        with contextlib.suppress(Boom), s.begin_nested():
            timers.set(s, KIND, "tkt_dropped", frozen_clock.now)
            timers.cancel(s, KIND, "tkt_kept")
            raise Boom()

    transaction.run(database, set_in_failed_savepoint)
    assert [t.target_id for t in _timers(session)] == ["tkt_kept"]


def test_a_due_timer_fires_once_and_one_not_due_waits(
    database: Database, session: Session, frozen_clock: Any
) -> None:
    now = frozen_clock.now
    timers.set(session, KIND, "tkt_now", now, {"why": "sla"}, brand_id=None)
    timers.set(session, KIND, "tkt_later", now + timedelta(minutes=10))
    session.commit()
    fired = Fired()

    assert _fire(database, {KIND: fired}) == 1
    assert _fire(database, {KIND: fired}) == 0
    [due] = fired.due
    assert (due.kind, due.target_id, due.due_at, due.payload, due.attempts) == (
        KIND,
        "tkt_now",
        now,
        {"why": "sla"},
        1,
    )
    assert [t.target_id for t in _timers(session)] == ["tkt_later"]

    frozen_clock.advance(minutes=10)
    assert _fire(database, {KIND: fired}) == 1
    assert fired.targets == ["tkt_now", "tkt_later"]
    assert _timers(session) == []


def test_a_handler_may_set_its_own_timer_again(
    database: Database, session: Session, frozen_clock: Any
) -> None:
    def again_in_an_hour(s: Session, due: Due) -> None:
        timers.set(s, due.kind, due.target_id, due.due_at + timedelta(hours=1))

    timers.set(session, KIND, "tkt_1", frozen_clock.now)
    session.commit()
    assert _fire(database, {KIND: again_in_an_hour}) == 1
    [timer] = _timers(session)
    assert (timer.due_at, timer.attempts) == (frozen_clock.now + timedelta(hours=1), 0)


def test_timers_of_kinds_the_worker_does_not_know_are_left_alone(
    database: Database, session: Session, frozen_clock: Any
) -> None:
    timers.set(session, "test.unknown", "tkt_1", frozen_clock.now)
    timers.set(session, KIND, "tkt_1", frozen_clock.now + timedelta(minutes=1))
    session.commit()
    fired = Fired()
    assert _fire(database, {KIND: fired}) == 0
    assert _fire(database, {}) == 0
    assert timers.next_due_at(session, [KIND], frozen_clock.now) == (
        frozen_clock.now + timedelta(minutes=1)
    )
    assert timers.next_due_at(session, [], frozen_clock.now) is None
    assert len(_timers(session, "test.unknown")) == 1


def test_a_timer_moved_or_cancelled_after_a_worker_leased_it_is_not_fired_by_that_lease(
    database: Database, session: Session, frozen_clock: Any
) -> None:
    now = frozen_clock.now
    timers.set(session, KIND, "tkt_moved", now)
    timers.set(session, KIND, "tkt_cancelled", now)
    session.commit()
    leased = _claim(database, "w1")
    assert len(leased) == 2
    assert timers.next_due_at(session, [KIND], now) is None  # both in a worker's hands

    timers.set(session, KIND, "tkt_moved", now + timedelta(hours=1))
    timers.cancel(session, KIND, "tkt_cancelled")
    session.commit()

    fired = Fired()
    assert [timers.fire(database, i, {KIND: fired}, worker="w1") for i in leased] == [False] * 2
    assert fired.due == []
    [moved] = _timers(session)
    assert (moved.target_id, moved.due_at, moved.leased_by) == (
        "tkt_moved",
        now + timedelta(hours=1),
        None,
    )


def test_a_failing_handler_is_retried_with_backoff_then_kept_as_failed(
    database: Database,
    session: Session,
    frozen_clock: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    calls: list[datetime] = []

    def failing(_s: Session, _due: Due) -> None:
        calls.append(frozen_clock.now)
        raise Boom("escalation target missing")

    timers.set(session, KIND, "tkt_1", frozen_clock.now)
    session.commit()
    started = frozen_clock.now
    for delay in timers.BACKOFF:
        assert _fire(database, {KIND: failing}) == 0
        [timer] = _timers(session)
        assert timer.failed_at is None
        assert timer.leased_by is None
        assert timer.last_error == "Boom: escalation target missing"
        assert timer.due_at == frozen_clock.now + timedelta(seconds=delay)
        frozen_clock.advance(seconds=delay - 1)
        assert _fire(database, {KIND: failing}) == 0  # not before its backoff
        frozen_clock.advance(seconds=1)

    with caplog.at_level(logging.ERROR, logger="dispatch.timers"):
        assert _fire(database, {KIND: failing}) == 0
    [timer] = _timers(session)
    assert timer.attempts == timers.MAX_ATTEMPTS
    assert timer.failed_at == frozen_clock.now
    assert "failed for good" in caplog.text
    assert len(calls) == timers.MAX_ATTEMPTS
    assert calls[-1] - started == timedelta(seconds=sum(timers.BACKOFF))

    frozen_clock.advance(days=30)
    assert _fire(database, {KIND: failing}) == 0
    assert timers.next_due_at(session, [KIND], frozen_clock.now) is None
    assert len(calls) == timers.MAX_ATTEMPTS


def test_a_stopping_worker_gives_its_leases_back(
    database: Database, session: Session, frozen_clock: Any
) -> None:
    timers.set(session, KIND, "tkt_1", frozen_clock.now)
    session.commit()
    assert len(_claim(database, "stopping")) == 1
    assert _claim(database, "next") == []
    assert transaction.run(database, lambda s: timers.release(s, "stopping")) == 1
    assert len(_claim(database, "next")) == 1


# --- Many workers at once (real commits) ---------------------------------------------------


@pytest.fixture
def own_database(database_url: str) -> Iterator[Database]:
    engine: Engine = make_engine(database_url, pool_size=8)
    yield Database(engine)
    with engine.begin() as conn:
        conn.execute(delete(Timer).where(Timer.kind == KIND))
    engine.dispose()


@pytest.mark.committed
@pytest.mark.parametrize("workers", [2, 4])
def test_500_timers_fired_by_concurrent_workers_each_fire_once(
    own_database: Database, frozen_clock: Any, workers: int
) -> None:
    database = own_database
    targets = [f"tkt_{n:03d}" for n in range(500)]

    def set_all(s: Session) -> None:
        for n, target in enumerate(targets):
            timers.set(s, KIND, target, frozen_clock.now - timedelta(seconds=n % 7))

    transaction.run(database, set_all)
    fired: list[str] = []
    lock = threading.Lock()

    def handler(_s: Session, due: Due) -> None:
        with lock:
            fired.append(due.target_id)

    errors: list[BaseException] = []
    start = threading.Barrier(workers)

    def work(name: str) -> None:
        try:
            start.wait(timeout=20)
            while timers.fire_due(database, {KIND: handler}, worker=name, limit=20, lease=LEASE):
                pass
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=work, args=(f"w{n}",)) for n in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    assert errors == []

    assert Counter(fired) == Counter(targets)
    left = transaction.run(
        database,
        lambda s: s.scalar(select(func.count()).select_from(Timer).where(Timer.kind == KIND)),
    )
    assert left == 0

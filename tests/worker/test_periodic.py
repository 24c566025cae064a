"""Periodic jobs run on timers: once per interval across all workers (not once per worker),
whichever fires them; a failing job is retried with backoff and never stops the others;
workers starting neither run nor move a job that waits."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch.core import clock, idempotency, timers, transaction
from dispatch.core.db import Database
from dispatch.core.idempotency import IdempotencyRecord
from dispatch.core.timers import Timer
from dispatch.settings import Settings
from dispatch.worker import timers as worker_timers
from dispatch.worker.timers import HOUR, SYSTEM, Periodic, TimerKinds

pytestmark = pytest.mark.usefixtures("frozen_clock")


def _record(session: Session, key: str, expires_in: timedelta) -> None:
    now = clock.now()
    session.add(
        IdempotencyRecord(
            account_id="acc_test",
            key=key,
            fingerprint="f" * 64,
            status_code=201,
            content_type="application/json",
            body=b"{}",
            created_at=now - timedelta(days=2),
            expires_at=now + expires_in,
        )
    )
    session.commit()


def _keys(session: Session) -> set[str]:
    session.expire_all()
    stmt = select(IdempotencyRecord.key).where(IdempotencyRecord.account_id == "acc_test")
    return set(session.scalars(stmt))


def _start(database: Database, kinds: TimerKinds) -> None:
    """What a worker does when it starts: make sure its jobs' timers exist."""
    transaction.run(database, kinds.schedule)


def _timer(session: Session, kind: str) -> Timer:
    session.expire_all()
    found = session.scalar(select(Timer).where(Timer.kind == kind, Timer.target_id == SYSTEM))
    assert found is not None
    return found


def _counting(kind: str, runs: list[str]) -> Periodic:
    def run(_session: Session) -> int:
        runs.append(kind)
        return 0

    return Periodic(kind, HOUR, run)


def test_expired_idempotency_records_are_deleted_and_live_ones_kept(
    session: Session, database: Database
) -> None:
    _record(session, "old", timedelta(seconds=-1))
    _record(session, "live", timedelta(hours=1))
    kinds = TimerKinds(periodic=[Periodic("test.idempotency", HOUR, idempotency.delete_expired)])
    _start(database, kinds)
    assert kinds.fire_due(database, worker="w1") == 1
    assert _keys(session) == {"live"}


def test_a_job_runs_once_per_interval_across_workers(
    session: Session, database: Database, frozen_clock: Any
) -> None:
    runs: list[str] = []
    job = _counting("test.counting", runs)
    # Three workers, each with the job, each started (and restarted) and firing.
    workers = [(f"w{n}", TimerKinds(periodic=[job])) for n in range(3)]
    for _name, kinds in workers:
        _start(database, kinds)

    def every_worker_fires() -> None:
        for name, kinds in workers:
            kinds.fire_due(database, worker=name)

    every_worker_fires()
    assert runs == ["test.counting"]
    frozen_clock.advance(minutes=59)
    for _name, kinds in workers:
        _start(database, kinds)  # restarting does not run it early
    every_worker_fires()
    assert runs == ["test.counting"]
    frozen_clock.advance(minutes=1)
    every_worker_fires()
    every_worker_fires()
    assert runs == ["test.counting"] * 2
    assert _timer(session, "test.counting").due_at == frozen_clock.now + HOUR


def test_a_failing_job_is_retried_with_backoff_and_the_others_still_run(
    session: Session, database: Database, frozen_clock: Any
) -> None:
    _record(session, "old", timedelta(seconds=-1))
    attempts: list[int] = []

    def broken(_session: Session) -> int:
        attempts.append(1)
        if len(attempts) < 3:
            raise RuntimeError("storage unreachable")
        return 0

    kinds = TimerKinds(
        periodic=[
            Periodic("test.broken", HOUR, broken),
            Periodic("test.idempotency", HOUR, idempotency.delete_expired),
        ]
    )
    _start(database, kinds)
    assert kinds.fire_due(database, worker="w1") == 1
    assert _keys(session) == set()
    failed = _timer(session, "test.broken")
    assert failed.attempts == 1
    assert failed.last_error == "RuntimeError: storage unreachable"
    assert failed.due_at == frozen_clock.now + timedelta(seconds=timers.BACKOFF[0])

    frozen_clock.advance(seconds=timers.BACKOFF[0] - 1)
    assert kinds.fire_due(database, worker="w1") == 0
    assert len(attempts) == 1
    frozen_clock.advance(seconds=1)
    kinds.fire_due(database, worker="w1")
    assert _timer(session, "test.broken").due_at == (
        frozen_clock.now + timedelta(seconds=timers.BACKOFF[1])
    )
    frozen_clock.advance(seconds=timers.BACKOFF[1])
    assert kinds.fire_due(database, worker="w1") == 1
    assert len(attempts) == 3
    recovered = _timer(session, "test.broken")
    assert (recovered.attempts, recovered.due_at) == (0, frozen_clock.now + HOUR)


def test_a_job_that_failed_for_good_is_revived_when_a_worker_starts(
    session: Session, database: Database, frozen_clock: Any
) -> None:
    def broken(_session: Session) -> int:
        raise RuntimeError("always")

    kinds = TimerKinds(periodic=[Periodic("test.broken", HOUR, broken)])
    _start(database, kinds)
    for _ in range(timers.MAX_ATTEMPTS):
        kinds.fire_due(database, worker="w1")
        frozen_clock.advance(hours=2)
    assert _timer(session, "test.broken").failed_at is not None
    assert kinds.fire_due(database, worker="w1") == 0

    _start(database, kinds)  # after a fix is deployed, workers restart
    revived = _timer(session, "test.broken")
    assert (revived.failed_at, revived.attempts, revived.due_at) == (None, 0, frozen_clock.now)


def test_default_jobs_purge_uploads_idempotency_records_and_the_stream_hourly(
    tmp_path: Any, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[timedelta] = []

    def purge(_session: Session, _storage: object, *, older_than: timedelta) -> int:
        calls.append(older_than)
        return 0

    monkeypatch.setattr(worker_timers.attachments, "purge_abandoned_uploads", purge)
    jobs = worker_timers.periodic_jobs(Settings(data_dir=tmp_path, pending_upload_ttl_hours=6))
    assert {j.kind for j in jobs} == {
        "uploads.purge_abandoned",
        "idempotency.delete_expired",
        "signin.purge_ended",
        "portal.purge_ended",
        "stream.prune",
    }
    assert all(j.every == HOUR for j in jobs)
    (uploads,) = [j for j in jobs if j.kind == "uploads.purge_abandoned"]
    uploads.run(session)
    assert calls == [timedelta(hours=6)]

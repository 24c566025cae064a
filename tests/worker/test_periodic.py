"""Periodic jobs in the worker: expired idempotency records and abandoned uploads are
cleaned up on their schedule; a failing job neither stops the others nor the worker."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch.core import clock, idempotency
from dispatch.core.db import Database
from dispatch.core.idempotency import IdempotencyRecord
from dispatch.settings import Settings
from dispatch.worker import scheduling
from dispatch.worker.scheduling import Job, Schedule

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


def test_expired_idempotency_records_are_deleted_and_live_ones_kept(
    session: Session, database: Database
) -> None:
    _record(session, "old", timedelta(seconds=-1))
    _record(session, "live", timedelta(hours=1))
    schedule = Schedule([Job("idempotency", 3600, idempotency.delete_expired)])
    assert schedule.run_due(database) == 1
    assert _keys(session) == {"live"}


def test_a_job_runs_again_only_after_its_interval(
    session: Session, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = [1000.0]
    monkeypatch.setattr(scheduling.time, "monotonic", lambda: now[0])
    runs: list[float] = []

    def job(_session: Session) -> int:
        runs.append(now[0])
        return 0

    schedule = Schedule([Job("counting", 3600, job)])
    schedule.run_due(database)
    now[0] += 3599
    schedule.run_due(database)
    assert schedule.seconds_until_next() == 1
    now[0] += 1
    schedule.run_due(database)
    assert runs == [1000.0, 4600.0]


def test_a_failing_job_is_logged_and_the_others_still_run(
    session: Session, database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    _record(session, "old", timedelta(seconds=-1))

    def broken(_session: Session) -> int:
        raise RuntimeError("storage unreachable")

    schedule = Schedule(
        [Job("broken", 60, broken), Job("idempotency", 60, idempotency.delete_expired)]
    )
    assert schedule.run_due(database) == 1
    assert _keys(session) == set()
    assert "periodic job failed: broken" in caplog.text


def test_default_jobs_purge_uploads_older_than_the_pending_upload_ttl(
    tmp_path: Any, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[timedelta] = []

    def purge(_session: Session, _storage: object, *, older_than: timedelta) -> int:
        calls.append(older_than)
        return 0

    monkeypatch.setattr(scheduling.attachments, "purge_abandoned_uploads", purge)
    jobs = scheduling.default_jobs(Settings(data_dir=tmp_path, pending_upload_ttl_hours=6))
    assert {j.name for j in jobs} == {
        "purge abandoned uploads",
        "delete expired idempotency records",
    }
    assert all(j.every_seconds == scheduling.HOUR for j in jobs)
    (uploads,) = [j for j in jobs if j.name == "purge abandoned uploads"]
    uploads.run(session)
    assert calls == [timedelta(hours=6)]

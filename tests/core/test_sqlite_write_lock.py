"""SQLite has one writer: a write holds the lock from its first statement to its commit,
so what needs no lock happens before it is taken. A request whose key is no good, or
whose brand is out of reach, is answered without ever waiting for the lock."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, text

from dispatch.accounts import service as accounts
from dispatch.app import create_app
from dispatch.core import db, transaction
from dispatch.core.db import make_engine
from dispatch.settings import Settings
from tests.conftest import BACKEND
from tests.tickets.helpers import committed_brand

pytestmark = pytest.mark.skipif(BACKEND != "sqlite", reason="SQLite's single writer")


def _answered_while_the_lock_is_held(client: TestClient, database: Any, **request: Any) -> int:
    """Hold the write lock in another transaction, send the request; its status if it was
    answered before the lock was let go (a request waiting for the lock never is)."""
    answered: list[int] = []
    done = threading.Event()

    def send() -> None:
        answered.append(client.request(**request).status_code)
        done.set()

    holder = database.session()
    holder.execute(text("SELECT 1"))  # a writing session takes the lock at its first statement
    try:
        threading.Thread(target=send, daemon=True).start()
        in_time = done.wait(timeout=15)
    finally:
        holder.rollback()
        holder.close()
    done.wait(timeout=30)
    assert in_time, f"the request waited for the write lock (answered {answered})"
    return answered[0]


def test_a_bad_key_or_a_brand_out_of_reach_never_waits_for_the_write_lock(
    database_url: str, tmp_path: Path
) -> None:
    with committed_brand(database_url) as (database, _actor, brand_id):
        other_key = transaction.run(
            database,
            lambda s: accounts.create_account(s, name="Other")[1].secret,
        )
        settings = Settings(data_dir=tmp_path, rate_limit="off")
        path = f"/v1/brands/{brand_id}/tickets"
        with TestClient(create_app(settings, database), raise_server_exceptions=False) as client:
            # The key's first use records it (a write of its own, once a minute at most).
            client.get("/v1/brands", headers={"Authorization": f"Bearer {other_key}"})
            bad_key = _answered_while_the_lock_is_held(
                client,
                database,
                method="POST",
                url=path,
                json={"title": "Locked out"},
                headers={"Authorization": "Bearer sk_live_not_a_key"},
            )
            out_of_reach = _answered_while_the_lock_is_held(
                client,
                database,
                method="POST",
                url=path,
                json={"title": "Not yours"},
                headers={"Authorization": f"Bearer {other_key}"},
            )
        assert (bad_key, out_of_reach) == (401, 404)


def test_a_writer_let_in_never_finds_the_database_still_locked(tmp_path: Path) -> None:
    """The writer lock is let go once the previous writer's COMMIT or ROLLBACK has run,
    not before: with SQLite's busy timeout at zero, a writer let in early fails at its
    BEGIN IMMEDIATE with 'database is locked' (with the timeout, it slept in the busy
    handler while the lock's queue stood still). Two engines stand for two processes."""
    url = f"sqlite:///{tmp_path / 'lock.db'}"
    engines = [make_engine(url, pool_size=4) for _ in range(2)]
    for engine in engines:
        event.listen(engine, "connect", _no_busy_wait)
    with engines[0].begin() as conn:
        conn.exec_driver_sql("CREATE TABLE hits (n INTEGER)")
    failures: list[BaseException] = []

    def write(engine: Any, rounds: int) -> None:
        writer = engine.execution_options(dispatch_write=True)
        try:
            for n in range(rounds):
                with writer.connect() as conn:
                    conn.exec_driver_sql("INSERT INTO hits VALUES (?)", (n,))
                    if n % 5:
                        conn.commit()
                    else:
                        conn.rollback()
        except BaseException as error:
            failures.append(error)

    threads = [
        threading.Thread(target=write, args=(engine, 150)) for engine in engines for _ in range(3)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    try:
        assert not failures, failures[0]
        with engines[0].connect() as conn:
            assert conn.exec_driver_sql("SELECT count(*) FROM hits").scalar() == 6 * 120
    finally:
        for engine in engines:
            engine.dispose()


def _no_busy_wait(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.execute("PRAGMA busy_timeout=0")


def test_the_log_is_checkpointed_every_so_many_commits_once_the_lock_is_let_go(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite's own checkpoints (inside a COMMIT, in the write lock) are off; a commit
    that makes CHECKPOINT_EVERY of them runs a passive one after letting go of the lock,
    and nothing else ever checkpoints."""
    monkeypatch.setattr(db, "CHECKPOINT_EVERY", 4)
    engine = make_engine(f"sqlite:///{tmp_path / 'log.db'}", pool_size=2)
    statements: list[tuple[str, bool]] = []

    @event.listens_for(engine, "connect")
    def trace(dbapi_connection: Any, _record: Any) -> None:
        def seen(sql: str) -> None:
            statements.append((sql, dbapi_connection.writer is not None))

        dbapi_connection.set_trace_callback(seen)

    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE hits (n INTEGER)")
            assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 0
        writer = engine.execution_options(dispatch_write=True)
        for n in range(9):
            with writer.connect() as conn:
                conn.exec_driver_sql("INSERT INTO hits VALUES (?)", (n,))
                conn.commit()
        checkpoints = [held for sql, held in statements if "wal_checkpoint" in sql]
        assert checkpoints == [False, False]  # after the 4th and the 8th, the lock let go
    finally:
        engine.dispose()

"""Workers wake within moments of a commit that leaves them events: on PostgreSQL a
trigger on the inbox NOTIFYs their channel, delivered at commit and never on rollback."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from sqlalchemy.orm import Session

from dispatch.core import events, transaction
from dispatch.core.db import Database, make_engine
from dispatch.core.events import NOTIFY_CHANNEL, Event
from dispatch.worker.wakeup import libpq_url
from tests.conftest import BACKEND, delete_events

pytestmark = [
    pytest.mark.skipif(BACKEND != "postgres", reason="NOTIFY is PostgreSQL's"),
    pytest.mark.committed,
]
BRAND = "br_wakeup_test"


@pytest.fixture
def own_database(database_url: str) -> Iterator[Database]:
    engine = make_engine(database_url, pool_size=2)
    yield Database(engine)
    with engine.begin() as conn:
        delete_events(conn, Event.brand_id == BRAND)
    engine.dispose()


@pytest.fixture
def listener(database_url: str) -> Iterator[psycopg.Connection]:
    with psycopg.connect(libpq_url(database_url), autocommit=True, connect_timeout=5) as conn:
        conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
        yield conn


def _heard(conn: psycopg.Connection, timeout: float) -> int:
    return sum(1 for _ in conn.notifies(timeout=timeout, stop_after=1))


def _emit(session: Session) -> None:
    for n in range(3):
        events.emit(session, "ticket.updated", BRAND, {"n": n})


def test_a_commit_with_events_wakes_the_listening_workers_once(
    own_database: Database, listener: psycopg.Connection
) -> None:
    transaction.run(own_database, _emit)
    assert _heard(listener, timeout=5) == 1
    assert _heard(listener, timeout=0.3) == 0  # three events, one notification


def test_a_rolled_back_transaction_wakes_nobody(
    own_database: Database, listener: psycopg.Connection
) -> None:
    class Boom(Exception):
        pass

    def fail(session: Session) -> None:
        _emit(session)
        # Write the inbox rows (the trigger fires) as the commit would, then fail.
        events._write_inbox(session, list(transaction.pending(session, events.INBOX)))
        raise Boom()

    with pytest.raises(Boom):
        transaction.run(own_database, fail)
    assert _heard(listener, timeout=0.5) == 0

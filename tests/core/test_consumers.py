"""The outbox's consumers: every event gets an inbox row per consumer when (and only when)
its transaction commits; each consumer takes each event exactly once, however many
workers claim at the same time; a worker that dies between claim and done loses nothing;
a batch that fails is held back without holding back the events behind it."""

from __future__ import annotations

import contextlib
import threading
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, event, inspect, select
from sqlalchemy.orm import Session

from dispatch.core import consumers, events, transaction
from dispatch.core.db import Database, make_engine
from dispatch.core.events import CONSUMERS, EMAIL, STREAM, WEBHOOKS, Event, EventInbox
from tests.conftest import delete_events

BRAND = "br_consumers"


class Boom(Exception):
    pass


def _emit(session: Session, n: int = 0, type: str = "ticket.updated", **data: Any) -> Event:
    """An event through the outbox, not committed (it is written, and has its position,
    when the transaction commits)."""
    return events.emit(session, type, BRAND, {"n": n, **data})


def _positions(emitted: list[Event]) -> list[int]:
    return [event.position for event in emitted]


def _inbox(session: Session, *positions: int) -> set[tuple[str, int]]:
    stmt = select(EventInbox.consumer, EventInbox.position)
    if positions:
        stmt = stmt.where(EventInbox.position.in_(positions))
    return {(consumer, position) for consumer, position in session.execute(stmt)}


def _take(database: Database, name: str, limit: int) -> list[int]:
    """One consumer batch: claim, (work), done, commit; the positions taken."""

    def batch(session: Session) -> list[int]:
        positions = [e.position for e in consumers.claim(session, name, limit=limit)]
        consumers.done(session, name, positions)
        return positions

    return transaction.run(database, batch)


def _take_all(database: Database, name: str, limit: int) -> list[int]:
    taken: list[int] = []
    while batch := _take(database, name, limit):
        taken += batch
    return taken


def test_inbox_rows_are_written_when_the_transaction_commits(database: Database) -> None:
    with database.session() as session:
        event = _emit(session)
        session.flush()
        assert _inbox(session) == set()
        assert session.scalar(select(Event).where(Event.id == event.id)) is None
        session.commit()
        assert _inbox(session, event.position) == {(c, event.position) for c in CONSUMERS}


def test_a_rolled_back_savepoint_takes_its_events_inbox_rows_with_it(
    database: Database, session: Session
) -> None:
    emitted: list[Event] = []

    def work(s: Session) -> None:
        emitted.append(_emit(s, 1))
        with contextlib.suppress(Boom), s.begin_nested():
            emitted.append(_emit(s, 2))
            raise Boom()
        with s.begin_nested():
            emitted.append(_emit(s, 3))

    transaction.run(database, work)

    kept, dropped, released = emitted
    positions = {kept.position, released.position}
    # (SQLite may give the dropped event's position to the next event.)
    assert _inbox(session) == {(c, p) for c in CONSUMERS for p in positions}
    assert session.scalar(select(Event).where(Event.id == dropped.id)) is None


def test_a_rolled_back_transaction_leaves_no_event_and_no_inbox_row(
    database: Database, session: Session
) -> None:
    emitted: list[Event] = []

    def work(s: Session) -> None:
        emitted.append(_emit(s))
        raise Boom()

    with pytest.raises(Boom):
        transaction.run(database, work)
    assert session.scalar(select(Event).where(Event.id == emitted[0].id)) is None
    assert _inbox(session) == set()


def test_internal_events_get_no_webhooks_row(session: Session) -> None:
    event = _emit(session, type="notification.requested", channel="email")
    session.commit()
    assert _inbox(session, event.position) == {(EMAIL, event.position)}


def test_each_consumer_takes_every_event_exactly_once_in_order(
    database: Database, session: Session
) -> None:
    emitted = [_emit(session, n) for n in range(25)]
    session.commit()
    positions = _positions(emitted)
    sizes = {WEBHOOKS: 10, EMAIL: 7, STREAM: 4}
    taken: dict[str, list[int]] = {name: [] for name in sizes}
    # Interleaved, in batches of different sizes: no consumer disturbs another.
    while True:
        batches = {name: _take(database, name, size) for name, size in sizes.items()}
        if not any(batches.values()):
            break
        for name, batch in batches.items():
            taken[name] += batch
    assert taken == dict.fromkeys(CONSUMERS, positions)
    assert _inbox(session, *positions) == set()


def test_a_crash_between_claim_and_done_leaves_the_events_to_the_next_claim(
    database: Database, session: Session
) -> None:
    emitted = [_emit(session, n) for n in range(3)]
    session.commit()
    positions = _positions(emitted)

    def crash(s: Session) -> None:
        assert [e.position for e in consumers.claim(s, WEBHOOKS, limit=10)] == positions
        raise Boom("worker died")

    with pytest.raises(Boom):
        transaction.run(database, crash)

    assert _take_all(database, WEBHOOKS, 10) == positions
    assert _take_all(database, WEBHOOKS, 10) == []


def test_a_claim_of_events_worked_ahead_reads_only_the_other_payloads(
    database: Database, session: Session
) -> None:
    """A batch worked on ahead is only matched by its claim (SQLite's write lock is held
    meanwhile): the payloads are read again, in one statement, only for the events not
    worked on ahead; any other payload still loads when used."""
    emitted = [_emit(session, n, note="x" * 50) for n in range(3)]
    session.commit()
    seen: list[str] = []

    def claim(s: Session) -> list[dict[str, Any]]:
        with _statements(s, seen):
            claimed = consumers.claim_worked_ahead(s, STREAM, limit=10, ahead={emitted[0].id})
        assert [e.position for e in claimed] == _positions(emitted)
        assert "data" in inspect(claimed[0]).unloaded
        assert not any("data" in inspect(e).unloaded for e in claimed[1:])
        return [e.data for e in claimed]

    assert transaction.run(database, claim) == [{"n": n, "note": "x" * 50} for n in range(3)]
    assert len(seen) == 2  # the claim, then the payloads it lacked


@contextlib.contextmanager
def _statements(session: Session, seen: list[str]) -> Iterator[None]:
    connection = session.connection()

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(connection, "before_cursor_execute", record)
    try:
        yield
    finally:
        event.remove(connection, "before_cursor_execute", record)


def test_has_work_says_whether_a_consumer_has_events_to_take(
    database: Database, session: Session
) -> None:
    assert not consumers.has_work(session, WEBHOOKS)
    _emit(session)
    session.commit()
    assert consumers.has_work(session, WEBHOOKS)
    _take_all(database, WEBHOOKS, 10)
    assert not consumers.has_work(session, WEBHOOKS)
    assert consumers.has_work(session, EMAIL)


def test_an_unknown_consumer_is_refused(session: Session) -> None:
    with pytest.raises(ValueError, match="unknown consumer"):
        consumers.claim(session, "webhook", limit=1)


def test_a_failing_batch_is_held_back_and_then_retried_one_event_at_a_time(
    database: Database, session: Session, frozen_clock: Any
) -> None:
    emitted = [_emit(session, n, poison=n == 2) for n in range(5)]
    session.commit()
    good, poison, after = _positions(emitted[:2]), emitted[2].position, _positions(emitted[3:])
    consumed: list[int] = []

    def work(s: Session) -> int:
        claimed = consumers.claim(s, WEBHOOKS, limit=3)
        if any(e.data.get("poison") for e in claimed):
            raise Boom("cannot render")
        consumers.done(s, WEBHOOKS, [e.position for e in claimed])
        consumed.extend(e.position for e in claimed)
        return len(claimed)

    def run() -> int | None:
        return consumers.run(database, WEBHOOKS, work, limit=3, worker="w1")

    # The first batch holds the poison: it is held back, the events behind it go on.
    assert run() is None
    assert run() == 2
    assert consumed == after
    assert run() == 0
    assert not consumers.has_work(session, WEBHOOKS)

    # Once the hold lapses, the held events come back one by one: only the poison stays.
    frozen_clock.advance(seconds=consumers.HOLD.total_seconds())
    assert [run(), run(), run()] == [1, 1, None]
    assert consumed == after + good
    assert _inbox(session, poison) == {(consumer, poison) for consumer in CONSUMERS}
    assert run() == 0
    frozen_clock.advance(seconds=consumers.HOLD.total_seconds())
    assert run() is None  # alone again, failing alone


# --- Many workers at once (real commits) ---------------------------------------------------


@pytest.fixture
def own_database(database_url: str) -> Iterator[Database]:
    engine: Engine = make_engine(database_url, pool_size=12)
    yield Database(engine)
    with engine.begin() as conn:
        delete_events(conn, Event.brand_id == BRAND)
    engine.dispose()


@pytest.mark.committed
def test_concurrent_workers_consume_each_event_once_per_consumer(
    own_database: Database,
) -> None:
    database = own_database
    emitted: list[int] = []
    for start in range(0, 400, 50):
        with database.session() as s:
            batch = [_emit(s, n) for n in range(start, start + 50)]
            s.commit()
            emitted += [e.position for e in batch]

    taken: dict[str, list[int]] = {name: [] for name in CONSUMERS}
    lock = threading.Lock()
    errors: list[BaseException] = []
    threads_per_consumer = 3
    start = threading.Barrier(len(CONSUMERS) * threads_per_consumer)

    def work(name: str) -> None:
        try:
            start.wait(timeout=20)
            while batch := _take(database, name, 9):
                with lock:
                    taken[name] += batch
        except BaseException as error:
            errors.append(error)

    threads = [
        threading.Thread(target=work, args=(name,))
        for name in CONSUMERS
        for _ in range(threads_per_consumer)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    assert errors == []

    for name in CONSUMERS:
        ours = Counter(p for p in taken[name] if p in set(emitted))
        assert ours == Counter(emitted), name
    with database.session() as s:
        assert _inbox(s, *emitted) == set()

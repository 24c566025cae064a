"""The stream consumer: the worker copies each event, once and in order, into the stream
with the body a webhook receives; appends run one at a time, so `seq` follows commit
order; old events are pruned, always from the oldest."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from dispatch.core import consumers, events, transaction
from dispatch.core.db import Database, make_engine
from dispatch.core.events import STREAM, WEBHOOKS, EventInbox
from dispatch.settings import Settings
from dispatch.stream import consumer, repository
from dispatch.stream.models import StreamEvent
from dispatch.tickets import service as tickets
from dispatch.tickets.schemas import TicketChanges
from dispatch.worker import timers as worker_timers
from dispatch.worker.fanout import fan_out
from dispatch.worker.runner import Worker
from tests.conftest import delete_events
from tests.stream.conftest import World
from tests.worker.helpers import TEST_CONFIG, add_webhook, deliveries_of

URL = "http://127.0.0.1:9/hook"


def _inbox_of(session: Session, consumer_name: str) -> list[int]:
    stmt = select(EventInbox.position).where(EventInbox.consumer == consumer_name)
    return list(session.scalars(stmt))


def test_events_are_appended_once_in_order_with_the_body_a_webhook_receives(
    world: World,
) -> None:
    webhook = add_webhook(world.session, world.brand.id, URL, commit=False)
    first = world.ticket(title="First")
    world.ticket(title="Second")
    world.session.commit()
    tickets.update_ticket(
        world.session, world.key, world.brand, first, TicketChanges(title="First, renamed")
    )
    world.session.commit()
    fan_out(world.session)

    assert world.append() == len(world.events(world.brand))
    emitted = world.events(world.brand)
    streamed = world.streamed(world.brand)
    assert [(row.event_id, row.type) for row in streamed] == [(e.id, e.type) for e in emitted]
    assert [e.type for e in emitted][-1] == "ticket.updated"
    bodies = {d.event_id: d.body for d in deliveries_of(world.session, webhook.id)}
    assert [row.payload for row in streamed] == [bodies[e.id] for e in emitted]
    seqs = [row.seq for row in streamed]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))
    assert repository.head_seq(world.session) == seqs[-1]
    # Consumed: nothing is left to append, and appending again adds nothing.
    assert _inbox_of(world.session, STREAM) == []
    assert world.append() == 0
    assert len(world.streamed(world.brand)) == len(emitted)


def test_internal_events_are_never_streamed(world: World) -> None:
    events.emit(world.session, "notification.requested", world.brand.id, {"reason": "comment"})
    events.emit(world.session, "ticket.updated", world.brand.id, {"id": "tkt_1"})
    world.session.commit()
    assert len(_inbox_of(world.session, STREAM)) == 1  # the outbox wrote no row for it
    world.append()
    assert [row.type for row in world.streamed(world.brand)] == ["ticket.updated"]


def test_the_worker_appends_pending_events_to_the_stream(world: World, database: Database) -> None:
    world.ticket()
    world.session.commit()
    worker = Worker(database, TEST_CONFIG, name="stream-test")
    try:
        passed = worker.run_once()
    finally:
        worker.close()
    assert passed.streamed == len(world.events(world.brand)) > 0
    assert [row.event_id for row in world.streamed(world.brand)] == [
        e.id for e in world.events(world.brand)
    ]


def test_on_sqlite_a_pass_takes_at_most_a_small_batch_per_consumer_transaction(
    world: World, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite: each consumer's transaction holds the write lock that every API write
    waits behind, so a pass takes at most `consumers.SQLITE_BATCH` events (and asks for
    the next pass at once); PostgreSQL takes its whole batch."""
    monkeypatch.setattr(consumers, "SQLITE_BATCH", 2)
    for title in ("One", "Two", "Three"):
        world.ticket(title=title)
    world.session.commit()
    pending = len(world.events(world.brand))
    assert pending > 2
    worker = Worker(database, TEST_CONFIG, name="stream-test")
    try:
        more = worker._pass()
        streamed = len(world.streamed(world.brand))
        fanned_out = pending - len(_inbox_of(world.session, WEBHOOKS))
        while worker._pass():
            pass
    finally:
        worker.close()
    if database.dialect == "sqlite":
        assert (streamed, fanned_out, more) == (2, 2, True)
    else:
        assert (streamed, fanned_out, more) == (pending, pending, False)
    assert len(world.streamed(world.brand)) == pending


# --- Retention -------------------------------------------------------------------------------


def test_pruning_forgets_the_events_older_than_the_retention(
    world: World, frozen_clock: Any
) -> None:
    world.ticket(title="Old")
    world.append()
    old = [row.event_id for row in world.streamed(world.brand)]
    frozen_clock.advance(days=3)
    world.ticket(title="Recent")
    world.append()
    frozen_clock.advance(days=5)

    assert consumer.prune(world.session, older_than=timedelta(days=7)) == len(old)
    kept = world.streamed(world.brand)
    assert kept
    assert not {row.event_id for row in kept} & set(old)


def test_pruning_takes_only_the_oldest_run_even_when_clocks_disagree(
    world: World, frozen_clock: Any
) -> None:
    """A row appended by a worker whose clock ran ahead is pruned with the older rows
    after it (by seq), never leaving a hole behind a kept row."""
    now = frozen_clock.now
    head = repository.head_seq(world.session)
    appended_at = [now - timedelta(days=3), now - timedelta(days=10), now]
    repository.add(
        world.session,
        [
            {
                "seq": head + n,
                "event_id": f"evt_skew{n}",
                "brand_id": world.brand.id,
                "type": "ticket.updated",
                "payload": "{}",
                "appended_at": at,
            }
            for n, at in enumerate(appended_at, 1)
        ],
    )
    repository.move_head(world.session, head + 3)
    assert consumer.prune(world.session, older_than=timedelta(days=7)) == 2
    assert [row.event_id for row in world.streamed(world.brand)] == ["evt_skew3"]


def test_seq_never_goes_back_after_pruning_everything(world: World, frozen_clock: Any) -> None:
    world.ticket()
    world.append()
    last = world.streamed(world.brand)[-1].seq
    frozen_clock.advance(days=30)
    consumer.prune(world.session, older_than=timedelta(days=7))
    assert world.streamed(world.brand) == []
    world.ticket()
    world.append()
    assert world.streamed(world.brand)[0].seq == last + 1


def test_the_workers_hourly_job_prunes_with_the_configured_retention(
    world: World, frozen_clock: Any, tmp_path: Path
) -> None:
    world.ticket()
    world.append()
    (job,) = [
        job
        for job in worker_timers.periodic_jobs(Settings(data_dir=tmp_path, stream_retention_days=2))
        if job.kind == "stream.prune"
    ]
    assert job.every == worker_timers.HOUR
    frozen_clock.advance(days=1)
    assert job.run(world.session) == 0
    frozen_clock.advance(days=1, seconds=1)
    assert job.run(world.session) > 0
    assert world.streamed(world.brand) == []


# --- Appends of several workers (real commits) -----------------------------------------------

BRAND = "br_stream_order"


@pytest.fixture
def own_database(database_url: str) -> Iterator[Database]:
    engine = make_engine(database_url, pool_size=4)
    yield Database(engine)
    with engine.begin() as conn:
        delete_events(conn, events.Event.brand_id == BRAND)
        conn.execute(delete(StreamEvent).where(StreamEvent.brand_id == BRAND))
    engine.dispose()


@pytest.mark.committed
def test_a_second_appender_waits_for_the_first_to_commit_so_seq_follows_commit_order(
    own_database: Database,
) -> None:
    database = own_database
    emitted = [transaction.run(database, _emit).id for _ in range(2)]
    start = transaction.run(database, repository.head_seq)

    def streamed() -> list[StreamEvent]:
        read = partial(repository.after, brand_ids=(BRAND,), seq=start, limit=10)
        return transaction.run(database, read, write=False)

    first_appended, release = threading.Event(), threading.Event()
    committed: list[str] = []
    errors: list[BaseException] = []

    def slow_first(session: Session) -> int:
        appended = consumer.append(session, limit=1)
        first_appended.set()
        release.wait(timeout=10)
        return appended

    def run(name: str, work: Any) -> None:
        try:
            transaction.run(database, work)
            committed.append(name)
        except BaseException as error:
            errors.append(error)

    first = threading.Thread(target=run, args=("first", slow_first))
    second = threading.Thread(target=run, args=("second", consumer.append))
    first.start()
    try:
        assert first_appended.wait(timeout=10)
        second.start()
        time.sleep(0.3)
        assert second.is_alive()  # waiting for the head, held until the first commits
        # Readers see nothing of an append that has not committed.
        assert streamed() == []
    finally:
        release.set()
        first.join(timeout=10)
        second.join(timeout=10)
    assert errors == []
    # Both committed (which thread noted it first after its commit is a race of its own);
    # the order that matters is the stream's: the first append took the lower seq.
    assert sorted(committed) == ["first", "second"]
    rows = streamed()
    assert [row.event_id for row in rows] == emitted
    assert rows[1].seq == rows[0].seq + 1


def _emit(session: Session) -> events.Event:
    return events.emit(session, "ticket.updated", BRAND, {"id": "tkt_order"})


def test_bodies_rendered_ahead_are_what_the_stream_and_the_fan_out_write(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On SQLite the worker renders the waiting events' bodies in a reading transaction,
    before the write lock: appending and fanning out then render nothing."""
    webhook = add_webhook(world.session, world.brand.id, URL, commit=False)
    world.ticket(title="First")
    world.ticket(title="Second")
    world.session.commit()
    bodies = consumer.render_ahead(world.session)
    world.ticket(title="Third, after the rendering")
    world.session.commit()
    rendered: list[str] = []
    real_render = consumer.payloads.render

    def render(event: Any) -> bytes:
        rendered.append(event.id)
        return real_render(event)

    monkeypatch.setattr(consumer.payloads, "render", render)
    fan_out(world.session, bodies=bodies)
    assert world.append_with(bodies) == len(world.events(world.brand))

    later = world.events(world.brand)[-1].id
    assert set(rendered) == {later}  # once by the fan-out, once by the stream
    assert len(rendered) == 2
    sent = {d.event_id: d.body for d in deliveries_of(world.session, webhook.id)}
    streamed = world.streamed(world.brand)
    assert {row.event_id: row.payload for row in streamed} == sent
    assert all(sent[event_id] == body for event_id, body in bodies.items())

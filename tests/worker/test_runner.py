"""The running worker (threads, real commits): woken by commits, several workers never
deliver an event twice, in-flight work is finished or released on stop."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, select

from dispatch.core import clock, timers, transaction
from dispatch.core.db import Database
from dispatch.webhooks.models import WebhookDelivery
from dispatch.worker.runner import DELIVERY_PASS_INTERVAL, Worker
from dispatch.worker.timers import TimerKinds
from tests.conftest import BACKEND
from tests.worker.conftest import Live
from tests.worker.helpers import TEST_CONFIG
from tests.worker.receiver import Receiver, Reply

pytestmark = pytest.mark.committed


@pytest.fixture
def start_worker(database_url: str) -> Iterator[object]:
    started: list[Worker] = []

    def start(database: Database, **config: object) -> Worker:
        w = Worker(database, replace(TEST_CONFIG, **config), database_url=database_url)  # type: ignore[arg-type]
        started.append(w)
        w.start()
        return w

    yield start
    for w in started:
        w.stop()


def _deliveries(database: Database, webhook_id: str) -> list[WebhookDelivery]:
    with database.session(write=False) as s:
        stmt = select(WebhookDelivery).where(WebhookDelivery.webhook_id == webhook_id)
        return list(s.scalars(stmt))


def _wait_until(condition: object, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


def test_a_committed_change_is_delivered_without_waiting_for_a_poll(
    live: Live, receiver: Receiver, start_worker: object, committed_database: Database
) -> None:
    # On PostgreSQL the fallback poll is far away: only the NOTIFY at commit can wake it.
    # SQLite has no NOTIFY: the worker polls every poll_seconds.
    worker = start_worker(  # type: ignore[operator]
        committed_database, listen_poll_seconds=60.0, poll_seconds=0.25
    )
    if BACKEND == "postgres":
        assert worker.wait_listening(5)
    # Let the worker fall asleep first.
    time.sleep(0.5)
    ticket = live.ticket()
    (request,) = receiver.wait_for(1, timeout=10)
    assert request.headers["x-dispatch-event"] == "ticket.created"
    assert ticket["id"].encode() in request.body
    assert receiver.signature_failures() == []


def test_a_delivery_retried_now_is_sent_without_waiting_for_a_poll(
    live: Live, receiver: Receiver, start_worker: object, committed_database: Database
) -> None:
    # As above: on PostgreSQL only the retry's NOTIFY can wake the worker in time (its
    # next poll and the delivery's scheduled attempt are a minute away).
    receiver.script(Reply(500))
    worker = start_worker(  # type: ignore[operator]
        committed_database, listen_poll_seconds=60.0, poll_seconds=0.25
    )
    if BACKEND == "postgres":
        assert worker.wait_listening(5)
    live.ticket()
    _wait_until(
        lambda: [d.status for d in _deliveries(committed_database, live.webhook_id)] == ["RETRYING"]
    )
    (delivery,) = _deliveries(committed_database, live.webhook_id)
    time.sleep(0.5)  # let the worker fall asleep

    live.api.ok(
        "post", f"/brands/{live.brand_id}/webhooks/{live.webhook_id}/deliveries/{delivery.id}/retry"
    )

    first, second = receiver.wait_for(2, timeout=10)
    assert first.webhook_id == second.webhook_id == delivery.id


def test_two_workers_deliver_each_event_exactly_once(
    live: Live, receiver: Receiver, start_worker: object, committed_database: Database
) -> None:
    for _ in range(2):
        start_worker(committed_database)  # type: ignore[operator]
    for i in range(60):
        live.ticket(title=f"Ticket {i}")
    _wait_until(lambda: len(receiver.received) >= 60, timeout=30)
    time.sleep(0.3)  # anything extra would arrive now
    ids = Counter(r.webhook_id for r in receiver.received)
    assert len(ids) == 60
    assert set(ids.values()) == {1}
    assert all(d.status == "SUCCESS" for d in _deliveries(committed_database, live.webhook_id))
    assert receiver.peak_open_requests <= TEST_CONFIG.max_in_flight_per_endpoint


def test_stop_waits_for_the_delivery_in_flight_and_records_it(
    live: Live, receiver: Receiver, committed_database: Database, database_url: str
) -> None:
    hold = threading.Event()
    receiver.script(Reply(200, hold=hold))
    worker = Worker(committed_database, TEST_CONFIG, database_url=database_url)
    worker.start()
    live.ticket()
    receiver.wait_for(1)
    threading.Timer(0.3, hold.set).start()
    worker.stop()
    (delivery,) = _deliveries(committed_database, live.webhook_id)
    assert delivery.status == "SUCCESS"
    assert delivery.leased_by is None


def test_stop_releases_what_could_not_finish_in_time(
    live: Live, receiver: Receiver, committed_database: Database, database_url: str
) -> None:
    hold = threading.Event()
    receiver.script(Reply(200, hold=hold))
    worker = Worker(
        committed_database, replace(TEST_CONFIG, shutdown_seconds=0.2), database_url=database_url
    )
    worker.start()
    live.ticket()
    receiver.wait_for(1)
    worker.stop()
    (delivery,) = _deliveries(committed_database, live.webhook_id)
    assert delivery.status == "PENDING"
    assert delivery.leased_by is None  # another worker may send it at once
    hold.set()


def test_worker_skips_nothing_when_deliveries_pile_up_beyond_its_concurrency(
    live: Live, receiver: Receiver, start_worker: object, committed_database: Database
) -> None:
    receiver.default = Reply(200, delay=0.05)
    start_worker(committed_database, concurrency=2, max_in_flight_per_endpoint=2)  # type: ignore[operator]
    for i in range(12):
        live.ticket(title=f"Ticket {i}")
    _wait_until(lambda: len(receiver.received) >= 12, timeout=30)
    assert receiver.peak_open_requests <= 2
    assert len({r.webhook_id for r in receiver.received}) == 12


def test_an_idle_worker_wakes_for_the_next_timer_not_its_next_poll(
    committed_database: Database, database_url: str
) -> None:
    fired = threading.Event()
    kind = "test.runner_wake"
    worker = Worker(
        committed_database,
        replace(TEST_CONFIG, poll_seconds=60.0, listen_poll_seconds=60.0),
        database_url=database_url,
        timer_kinds=TimerKinds({kind: lambda _session, _due: fired.set()}),
    )
    transaction.run(
        committed_database,
        lambda s: timers.set(s, kind, "target", clock.now() + timedelta(seconds=0.5)),
    )
    try:
        worker.start()
        # Its first pass sees the timer half a second away; a poll is a minute away.
        assert fired.wait(timeout=10)
    finally:
        worker.stop()
        cancelled = transaction.run(committed_database, lambda s: timers.cancel(s, kind, "target"))
    assert not cancelled  # firing deleted it


def test_commits_gather_between_passes_but_a_free_delivery_slot_never_waits(
    live: Live, receiver: Receiver, committed_database: Database, database_url: str
) -> None:
    """An idle delivery loop waits DELIVERY_PASS_INTERVAL before its next pass (one pass
    then serves every commit since), except while deliveries are in flight: each one that
    ends makes room for the next at once."""
    hold = threading.Event()
    receiver.script(Reply(200, hold=hold))
    worker = Worker(committed_database, TEST_CONFIG, database_url=database_url)
    assert worker._gather_pause() == DELIVERY_PASS_INTERVAL
    worker.start()
    try:
        live.ticket()
        receiver.wait_for(1)
        assert worker._gather_pause() == 0.0
    finally:
        hold.set()
        worker.stop()
    assert worker._gather_pause() == DELIVERY_PASS_INTERVAL


def test_a_probe_is_one_statement(
    live: Live, committed_database: Database, database_url: str
) -> None:
    """The delivery loop probes after every pause: whether events wait for fan-out and for
    the stream, whether deliveries are due, and when the next retry and timer fall due, in
    one round trip."""
    worker = Worker(committed_database, TEST_CONFIG, database_url=database_url)
    seen: list[str] = []

    def record(*args: Any) -> None:
        seen.append(args[2])

    def probe() -> tuple[bool, bool, bool]:
        seen.clear()
        event.listen(committed_database.bind, "before_cursor_execute", record)
        try:
            return worker._probe()
        finally:
            event.remove(committed_database.bind, "before_cursor_execute", record)

    def statements() -> list[str]:
        return [sql.split()[0] for sql in seen if sql != "BEGIN"]  # SQLite's own BEGIN

    assert probe() == (False, False, False)
    assert statements() == ["SELECT"]
    live.ticket()
    assert probe()[:2] == (True, True)
    assert statements() == ["SELECT"]

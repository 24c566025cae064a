"""Reliability of `dispatch worker` as a real process: killed with SIGKILL mid-delivery
(another worker re-sends with the same `webhook-id`), two workers racing over 2,000 events
(each delivered exactly once), and a receiver answering huge or endless bodies (the
worker's memory stays flat). The first two take 10-20 s each and are marked slow."""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from dispatch.core import events
from dispatch.core.db import Database
from dispatch.core.events import Event
from dispatch.webhooks import payloads
from dispatch.webhooks.models import WebhookDelivery
from tests.worker.conftest import Live
from tests.worker.processes import Process, worker_process
from tests.worker.receiver import Received, Receiver, Reply

pytestmark = pytest.mark.committed

MIB = 1024 * 1024


def _deliveries(database: Database, webhook_id: str) -> list[WebhookDelivery]:
    with database.session(write=False) as s:
        stmt = select(WebhookDelivery).where(WebhookDelivery.webhook_id == webhook_id)
        found = list(s.scalars(stmt))
        s.expunge_all()
    return found


def _wait_until(what: str, check: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout}s: {what}")
        time.sleep(0.1)


def _wait_all_succeeded(database: Database, webhook_id: str, count: int, timeout: float) -> None:
    def done() -> bool:
        statuses = Counter(d.status for d in _deliveries(database, webhook_id))
        return statuses == Counter({"SUCCESS": count})

    try:
        _wait_until(f"{count} deliveries SUCCESS", done, timeout)
    except AssertionError as exc:
        statuses = Counter(d.status for d in _deliveries(database, webhook_id))
        raise AssertionError(f"{exc}; have {dict(statuses)}") from None


def _emit(database: Database, brand_id: str, count: int, *, per_commit: int) -> list[str]:
    """`count` ticket.updated events through the outbox, `per_commit` per transaction."""
    ids: list[str] = []
    for start in range(0, count, per_commit):
        with database.session() as s:
            for n in range(start, min(count, start + per_commit)):
                data = {"id": f"tkt_reliability{n:06d}", "changes": ["status"], "n": n}
                ids.append(events.emit(s, "ticket.updated", brand_id, data).id)
            s.commit()
    return ids


def _deliverable_events(database: Database, brand_id: str) -> set[str]:
    """Ids of the brand's events a webhook subscribed to everything receives."""
    with database.session(write=False) as s:
        found = s.execute(select(Event.id, Event.type).where(Event.brand_id == brand_id))
        return {event_id for event_id, type in found if payloads.matches(["*"], type)}


def _event_id(request: Received) -> str:
    event_id: str = json.loads(request.body)["id"]
    return event_id


def _assert_exited_cleanly(process: Process, code: int | None) -> None:
    assert code == 0, process.output
    assert "Traceback" not in process.output


@pytest.mark.slow
def test_a_worker_killed_mid_delivery_is_taken_over_with_the_same_webhook_ids(
    live: Live, receiver: Receiver, database_url: str, tmp_path: Path
) -> None:
    # Attempts time out after 3 s, so a lease lapses 6 s after the claim.
    settings = {"webhook_timeout_seconds": "3", "webhook_max_in_flight_per_endpoint": "4"}
    for n in range(6):
        live.ticket(title=f"Ticket {n}")
    expected = _deliverable_events(live.database, live.brand_id)
    assert len(expected) >= 6

    # The first worker's requests are held open by the receiver until it is dead.
    held = threading.Event()
    killed = threading.Event()
    receiver.choose(lambda _r: Reply(200) if killed.is_set() else Reply(200, hold=held))
    first = worker_process(database_url, tmp_path, "first", **settings).start()
    second: Process | None = None
    code = None
    try:
        receiver.wait_for(4, timeout=20)
        first.kill()  # kill -9, well within the attempts' 3 s timeout
        killed.set()
        held.set()
        in_flight = {r.webhook_id for r in receiver.received}
        assert len(in_flight) == 4, in_flight  # the per-endpoint cap
        # Killed mid-delivery: sent, nothing recorded, still leased to the dead worker.
        for d in _deliveries(live.database, live.webhook_id):
            if d.id in in_flight:
                assert (d.status, d.attempts) == ("PENDING", 0)
                assert d.leased_by is not None

        second = worker_process(database_url, tmp_path, "second", **settings).start()
        _wait_all_succeeded(live.database, live.webhook_id, len(expected), timeout=30)
    finally:
        held.set()
        first.kill()
        if second is not None:
            code = second.stop()
    assert second is not None
    _assert_exited_cleanly(second, code)

    received = list(receiver.received)
    assert receiver.signature_failures() == []
    # Every delivery arrived (at least once), the interrupted ones again after the kill ...
    deliveries = _deliveries(live.database, live.webhook_id)
    assert {r.webhook_id for r in received} == {d.id for d in deliveries}
    assert {_event_id(r) for r in received} == expected
    resent = {r.webhook_id for r in received[4:] if r.webhook_id in in_flight}
    assert resent == in_flight
    # ... under the same webhook-id, with the same body: one id per event, one event per id.
    ids_of_event: dict[str, set[str]] = defaultdict(set)
    bodies_of_id: dict[str, set[bytes]] = defaultdict(set)
    for r in received:
        ids_of_event[_event_id(r)].add(r.webhook_id)
        bodies_of_id[r.webhook_id].add(r.body)
    assert all(len(ids) == 1 for ids in ids_of_event.values()), ids_of_event
    assert all(len(bodies) == 1 for bodies in bodies_of_id.values())
    assert len(ids_of_event) == len(expected)
    for d in deliveries:
        assert d.leased_by is None
        assert d.attempts == 1


@pytest.mark.slow
def test_two_workers_deliver_2000_events_each_exactly_once(
    live: Live, receiver: Receiver, database_url: str, tmp_path: Path
) -> None:
    count = 2000
    settings = {"worker_concurrency": "8", "webhook_max_in_flight_per_endpoint": "16"}
    workers = [
        worker_process(database_url, tmp_path, f"worker{n}", **settings).start() for n in (1, 2)
    ]
    try:
        # Committed while both workers run: fan-out and delivery race the commits.
        emitted = _emit(live.database, live.brand_id, count, per_commit=250)
        receiver.wait_for(count, timeout=50)
        _wait_all_succeeded(live.database, live.webhook_id, count, timeout=10)
        time.sleep(0.5)  # a duplicate sent late would arrive meanwhile
    finally:
        codes = [process.stop() for process in workers]
    for process, code in zip(workers, codes, strict=True):
        _assert_exited_cleanly(process, code)

    received = list(receiver.received)
    per_id = Counter(r.webhook_id for r in received)
    duplicates = {i: n for i, n in per_id.items() if n > 1}
    assert duplicates == {}
    assert len(received) == count
    assert sorted(_event_id(r) for r in received) == sorted(emitted)
    assert receiver.signature_failures() == []
    deliveries = _deliveries(live.database, live.webhook_id)
    assert {d.id for d in deliveries} == set(per_id)
    assert {d.attempts for d in deliveries} == {1}
    assert {d.leased_by for d in deliveries} == {None}


def _memory_kib(process: Process) -> dict[str, int]:
    """VmRSS (now) and VmHWM (peak since start) of a process, in KiB."""
    found = {}
    for line in Path(f"/proc/{process.pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            found[name] = int(value.split()[0])
    return found


def test_worker_memory_stays_flat_against_huge_and_endless_response_bodies(
    live: Live, receiver: Receiver, database_url: str, tmp_path: Path
) -> None:
    process = worker_process(database_url, tmp_path).start()
    try:
        # Warm up on small answers: threads, connections, caches exist before measuring.
        _emit(live.database, live.brand_id, 16, per_commit=16)
        _wait_all_succeeded(live.database, live.webhook_id, 16, timeout=20)
        before = _memory_kib(process)

        # Then 50 MB bodies and bodies that never end, alternately.
        turn = itertools.count()
        receiver.choose(
            lambda _r: (
                Reply(200, endless=True) if next(turn) % 2 else Reply(200, body_size=50 * MIB)
            )
        )
        started = time.monotonic()
        _emit(live.database, live.brand_id, 40, per_commit=10)
        _wait_all_succeeded(live.database, live.webhook_id, 56, timeout=40)
        elapsed = time.monotonic() - started
        after = _memory_kib(process)
    finally:
        code = process.stop()
    _assert_exited_cleanly(process, code)

    assert len(receiver.received) == 56
    # Peak (VmHWM) too, not only the resident size after the fact: a worker that read a
    # whole body and freed it again would hand the memory back but not lower its peak.
    assert after["VmRSS"] - before["VmRSS"] < 30 * 1024, (before, after)
    assert after["VmHWM"] - before["VmHWM"] < 30 * 1024, (before, after)
    # The bodies were cut off, not read to the end (2 GB endless ones would take long).
    assert elapsed < 30
    for d in _deliveries(live.database, live.webhook_id):
        assert len(d.response_body or "") <= 4096

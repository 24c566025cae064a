"""The worker's run loops: webhook deliveries and the live stream, and (when built from
settings) the email channel's jobs.

The delivery loop fans out events, appends them to the live stream (`stream.consumer`),
fires due timers (periodic jobs among them) and claims work, handing each leased
delivery to a pool of `concurrency` sending threads; a finished delivery rings the loop,
which claims more. Idle, it sleeps until the earliest of: a NOTIFY (PostgreSQL), the
next poll, the next scheduled retry, the next timer. The mail loop (`worker.mail`) runs
in a thread of its own and wakes on the same NOTIFYs. Database outages are waited out
with backoff; an outcome that cannot be recorded is retried until its lease would lapse.

Stopping (SIGTERM) stops claiming, lets in-flight deliveries finish for up to
`shutdown_seconds`, then releases whatever leases remain so another worker sends those
at once instead of after the lease lapses (timers too).
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_for
from dataclasses import dataclass
from datetime import datetime
from types import FrameType

from sqlalchemy import null, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from dispatch.core import clock, consumers, timers, transaction
from dispatch.core.db import Database
from dispatch.core.events import STREAM, WEBHOOKS
from dispatch.core.leases import worker_name
from dispatch.settings import Settings
from dispatch.stream import consumer as stream
from dispatch.worker import delivery, repository
from dispatch.worker.config import WorkerConfig
from dispatch.worker.delivery import Attempt, Job
from dispatch.worker.fanout import fan_out
from dispatch.worker.mail import MailJobs
from dispatch.worker.timers import TimerKinds
from dispatch.worker.transport import Sender
from dispatch.worker.wakeup import Listener, Wakeup

log = logging.getLogger("dispatch.worker")

# Backoff while the database is unreachable.
OUTAGE_BACKOFF_MIN = 0.25
OUTAGE_BACKOFF_MAX = 5.0
RECORD_RETRY_MAX = 2.0
# An idle mail loop runs at most this often: every commit NOTIFYs, and mail may wait a
# quarter second where a pass per commit would cost a quarter of a worker's CPU.
MAIL_PASS_INTERVAL = 0.25
# The same for the delivery loop, shorter (webhooks and the live stream wait at most this
# long): a pass per commit cost as much CPU as the write itself (a probe of five reads, a
# fan-out and a stream append per event); gathered, one pass serves every commit since.
DELIVERY_PASS_INTERVAL = 0.2


@dataclass(frozen=True, slots=True)
class Pass:
    """What one synchronous pass did (tests and the CLI's `--once`)."""

    events: int
    deliveries_created: int
    sent: int
    streamed: int


class Worker:
    def __init__(
        self,
        database: Database,
        config: WorkerConfig,
        *,
        database_url: str | None = None,
        timer_kinds: TimerKinds | None = None,
        mail_settings: Settings | None = None,
        name: str | None = None,
        owns_database: bool = False,
    ) -> None:
        self.database = database
        self.config = config
        self.name = name or worker_name()
        self.timer_kinds = timer_kinds or TimerKinds()
        self.sender = Sender(
            timeout=config.timeout,
            allow_private=config.allow_private,
            max_connections=max(8, config.concurrency * 2),
        )
        self.wakeup = Wakeup()
        # The email jobs run only where settings say how (relay, inbound domain, storage).
        self.mail = (
            MailJobs(database, mail_settings, self.name) if mail_settings is not None else None
        )
        self.mail_wakeup = Wakeup()
        self._owns_database = owns_database
        self._listener = (
            Listener(database_url, self._ring_all)
            if database_url is not None and database.dialect == "postgresql"
            else None
        )
        self._pool = ThreadPoolExecutor(config.concurrency, thread_name_prefix="dispatch-deliver")
        self._lock = threading.Lock()
        self._in_flight: dict[Future[None], Job] = {}
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._mail_thread: threading.Thread | None = None
        self._stopped = False
        # When the next scheduled retry and the next timer fall due, as the last pass saw.
        self._next_due_at: datetime | None = None
        self._next_timer_at: datetime | None = None
        self._scheduled = False
        self._fanout_limit = consumers.batch_size(database, config.fanout_batch)
        self._stream_limit = consumers.batch_size(database, stream.BATCH)

    @classmethod
    def from_settings(cls, settings: Settings, *, name: str | None = None) -> Worker:
        """A worker on its own connection pool, firing the timers (the periodic jobs)."""
        config = WorkerConfig.from_settings(settings)
        url = settings.effective_database_url
        return cls(
            # Sending threads hold a connection only to record an outcome: fewer than one
            # each.
            Database.from_url(url, pool_size=min(config.concurrency, 16) + 4),
            config,
            database_url=url,
            timer_kinds=TimerKinds.from_settings(settings),
            mail_settings=settings,
            name=name,
            owns_database=True,
        )

    # --- Lifecycle --------------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("the worker is already running")
        if self._listener is not None:
            self._listener.start()
        self._thread = threading.Thread(target=self._loop, name="dispatch-worker", daemon=True)
        self._thread.start()
        if self.mail is not None:
            self._mail_thread = threading.Thread(
                target=self._mail_loop, name="dispatch-mail", daemon=True
            )
            self._mail_thread.start()
        log.info("worker %s started (%d in flight at most)", self.name, self.config.concurrency)

    @property
    def listening(self) -> bool:
        return self._listener is not None and self._listener.connected

    def wait_listening(self, timeout: float) -> bool:
        """Wait until the LISTEN connection is up (False if there is none)."""
        return self._listener is not None and self._listener.wait_connected(timeout)

    def stop(self) -> None:
        """Stop claiming, let in-flight deliveries finish (bounded), release the rest."""
        if self._stopped:
            return
        self._stopped = True
        self._stopping.set()
        self._ring_all()
        if self._thread is not None:
            self._thread.join()
        if self._mail_thread is not None:
            # A pass in progress finishes first: its leases are released by its own jobs.
            self._mail_thread.join()
        if self.mail is not None:
            self.mail.close()
        with self._lock:
            running = list(self._in_flight)
        if running:
            log.info("waiting for %d delivery(ies) in flight", len(running))
            wait_for(running, timeout=self.config.shutdown_seconds)
        self._pool.shutdown(wait=False, cancel_futures=True)
        try:
            released = transaction.run(self.database, self._release)
            if released:
                log.info("released %d lease(s)", released)
        except DBAPIError as exc:
            log.warning("could not release leases (they lapse by themselves): %s", exc)
        if self._listener is not None:
            self._listener.stop()
        self.sender.close()
        if self._owns_database:
            self.database.dispose()
        log.info("worker %s stopped", self.name)

    def _release(self, session: Session) -> int:
        return delivery.release(session, worker=self.name) + timers.release(session, self.name)

    def run_until_signalled(self) -> None:
        """Run until SIGTERM or SIGINT, then stop cleanly (the standalone process; one
        that `dispatch serve` started is sent SIGTERM once `serve` is gone, `core.parent`)."""
        stop = threading.Event()

        def on_signal(signum: int, _frame: FrameType | None) -> None:
            log.info("received %s, stopping", signal.Signals(signum).name)
            stop.set()

        previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            self.start()
            while not stop.wait(0.5):  # timed: the signal handler runs between waits
                pass
        finally:
            self.stop()
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    # --- The loops --------------------------------------------------------------------------

    def _ring_all(self) -> None:
        self.wakeup.ring()
        self.mail_wakeup.ring()

    def _loop(self) -> None:
        self._run(self._pass, self._idle_seconds, self.wakeup, pause=self._gather_pause)

    def _mail_loop(self) -> None:
        assert self.mail is not None  # noqa: S101 - started only when there is one
        self.mail.bind()
        self._run(
            self.mail.run_pass,
            self._poll_seconds,
            self.mail_wakeup,
            pause=lambda: MAIL_PASS_INTERVAL,
        )

    def _run(
        self,
        one_pass: Callable[[], bool],
        idle_seconds: Callable[[], float],
        wakeup: Wakeup,
        *,
        pause: Callable[[], float] = lambda: 0.0,
    ) -> None:
        """Run passes until stopped, sleeping on `wakeup` when a pass found nothing more to
        do (at least `pause()` seconds: rings meanwhile are kept, not lost), and waiting out
        database outages with backoff."""
        outage = 0
        while not self._stopping.is_set():
            try:
                busy = one_pass()
                if outage:
                    log.info("database reachable again")
                outage = 0
            except DBAPIError as exc:
                outage += 1
                if outage == 1:
                    log.warning("database unavailable, retrying: %s", exc.orig)
                backoff = min(OUTAGE_BACKOFF_MAX, OUTAGE_BACKOFF_MIN * 2 ** min(outage, 5))
                self._stopping.wait(backoff)
                continue
            except Exception:
                log.exception("worker pass failed")
                self._stopping.wait(1.0)
                continue
            if not busy:
                seconds = pause()
                if seconds and self._stopping.wait(seconds):
                    break
                wakeup.wait(idle_seconds())

    def _gather_pause(self) -> float:
        """Events gather for a moment between passes; deliveries in flight do not wait:
        each one that ends rings for the next claim at once."""
        return 0.0 if self._in_flight_count() else DELIVERY_PASS_INTERVAL

    def _poll_seconds(self) -> float:
        return self.config.listen_poll_seconds if self.listening else self.config.poll_seconds

    def _pass(self) -> bool:
        """Fan out, append to the stream, fire due timers, claim what fits. True when
        there is more to do at once."""
        if not self._scheduled:
            transaction.run(self.database, self.timer_kinds.schedule)
            self._scheduled = True
        events, streamable, due = self._probe()
        bodies = self._render_ahead() if streamable else {}
        more_events, created = self._fan_out_batch(bodies) if events else (False, 0)
        more_streamable = self._stream_batch(bodies) >= self._stream_limit if streamable else False
        if self._timer_due():
            self.timer_kinds.fire_due(self.database, worker=self.name)
        if self._stopping.is_set():
            return False
        free = self.config.concurrency - self._in_flight_count()
        jobs = self._claim(free) if free > 0 and (due or created) else []
        for job in jobs:
            self._submit(job)
        return more_events or more_streamable or (free > 0 and len(jobs) == free)

    def _probe(self) -> tuple[bool, bool, bool]:
        """Whether events wait to be fanned out and to be streamed, and deliveries to be
        sent, read in one short session (so an idle pass takes no write lock), noting
        meanwhile when the next scheduled retry and the next timer fall due, for the idle
        wait."""
        now = clock.now()
        timer = self.timer_kinds.next_due(now)
        # One statement, one round trip: the loop probes after every gathering pause.
        probe = select(
            consumers.waiting(WEBHOOKS).exists(),
            consumers.waiting(STREAM).exists(),
            repository.due(now).exists(),
            repository.next_due(now).scalar_subquery(),
            timer.scalar_subquery() if timer is not None else null(),
        )
        with self.database.session(write=False) as session:
            events, streamable, due, self._next_due_at, self._next_timer_at = session.execute(
                probe
            ).one()
        return bool(events), bool(streamable), bool(due)

    def _timer_due(self) -> bool:
        return self._next_timer_at is not None and self._next_timer_at <= clock.now()

    def _idle_seconds(self) -> float:
        wait = self._poll_seconds()
        for next_at in (self._next_due_at, self._next_timer_at):
            if next_at is not None:
                wait = min(wait, max(0.0, (next_at - clock.now()).total_seconds()))
        return wait

    def _in_flight_count(self) -> int:
        with self._lock:
            return len(self._in_flight)

    def _render_ahead(self) -> dict[str, str]:
        """SQLite: the waiting events' bodies, rendered in a reading transaction before
        the fan-out and the stream take the write lock that every API write waits behind
        (PostgreSQL locks only the rows claimed: they render as they go)."""
        if self.database.dialect != "sqlite":
            return {}
        limit = self._stream_limit
        return transaction.run(
            self.database, lambda session: stream.render_ahead(session, limit=limit), write=False
        )

    def _fan_out_batch(self, bodies: dict[str, str]) -> tuple[bool, int]:
        """One fan-out transaction: (whether a full batch was taken, so more may wait;
        how many deliveries it created)."""
        batch = self._fanout_limit
        result = consumers.run(
            self.database,
            WEBHOOKS,
            lambda session: fan_out(session, batch=batch, bodies=bodies),
            limit=batch,
            worker=self.name,
        )
        if result is None:
            return False, 0
        return result.events >= batch, result.deliveries

    def _stream_batch(self, bodies: dict[str, str]) -> int:
        """One append to the live stream; how many events it took (0 if it failed)."""
        limit = self._stream_limit
        appended = consumers.run(
            self.database,
            STREAM,
            lambda session: stream.append(session, limit=limit, bodies=bodies),
            limit=limit,
            worker=self.name,
        )
        return appended or 0

    def _claim(self, capacity: int) -> list[Job]:
        return transaction.run(
            self.database,
            lambda session: delivery.claim(
                session, self.config, worker=self.name, capacity=capacity
            ),
        )

    def _submit(self, job: Job) -> None:
        with self._lock:
            future = self._pool.submit(self._deliver, job)
            self._in_flight[future] = job
        future.add_done_callback(self._done)

    def _done(self, future: Future[None]) -> None:
        with self._lock:
            self._in_flight.pop(future, None)
        self.wakeup.ring()

    def _deliver(self, job: Job) -> None:
        try:
            attempt = delivery.send(self.sender, job)
            self._record(job, attempt)
        except Exception:
            log.exception("delivery %s failed unexpectedly; its lease will lapse", job.delivery_id)

    def _record(self, job: Job, attempt: Attempt) -> None:
        """Record the outcome, retrying through a database outage until the lease would
        lapse (after that another worker sends the delivery again anyway)."""
        give_up = time.monotonic() + self.config.lease.total_seconds()
        pause = 0.1
        while True:
            try:
                self._record_once(job, attempt)
                return
            except DBAPIError as exc:
                if time.monotonic() + pause > give_up:
                    log.warning("delivery %s: outcome not recorded: %s", job.delivery_id, exc)
                    return
                time.sleep(pause)
                pause = min(pause * 2, RECORD_RETRY_MAX)

    def _record_once(self, job: Job, attempt: Attempt) -> None:
        try:
            transaction.run(
                self.database,
                lambda session: delivery.record(
                    session, self.config, job, attempt, worker=self.name
                ),
            )
        except delivery.LeaseLost:
            log.info("delivery %s: lease lost, outcome dropped", job.delivery_id)

    # --- Synchronously, for tests -----------------------------------------------------------

    def run_once(self) -> Pass:
        """Fan out and append to the stream everything pending, then claim and send (one
        by one, in this thread) as many due deliveries as the concurrency allows."""
        events = created = streamed = 0
        while True:
            result = transaction.run(
                self.database, lambda session: fan_out(session, batch=self.config.fanout_batch)
            )
            events += result.events
            created += result.deliveries
            if result.events < self.config.fanout_batch:
                break
        while (appended := transaction.run(self.database, stream.append)) > 0:
            streamed += appended
        jobs = self._claim(self.config.concurrency)
        for job in jobs:
            self._record_once(job, delivery.send(self.sender, job))
        return Pass(events, created, len(jobs), streamed)

    def close(self) -> None:
        """Release what a worker used only through run_once."""
        self._pool.shutdown(wait=False)
        self.sender.close()
        if self._owns_database:
            self.database.dispose()

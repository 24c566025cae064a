"""The worker's timers (`core.timers`): which function handles each kind, and the periodic
jobs, which are timers that set themselves again.

A periodic job runs once per interval across all workers, whichever fires its timer; each
worker makes sure at start that its jobs' timers exist, without moving one that waits.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select
from sqlalchemy.orm import Session

from dispatch.attachments import config as attachment_config
from dispatch.attachments import service as attachments
from dispatch.core import clock, idempotency, timers
from dispatch.core.db import Database
from dispatch.portal import service as portal
from dispatch.portal import sessions as portal_sessions
from dispatch.settings import Settings
from dispatch.signin import service as signin
from dispatch.stream import consumer as stream

log = logging.getLogger("dispatch.worker")

HOUR = timedelta(hours=1)
# The target of a job of the whole system (timers are per kind and target).
SYSTEM = "system"
# Timers leased per pass, and for how long: far longer than a handler takes.
BATCH = 50
LEASE = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class Periodic:
    """A job run every `every`, in one transaction; `run` returns how much it did."""

    kind: str
    every: timedelta
    run: Callable[[Session], int]

    def handle(self, session: Session, _due: timers.Due) -> None:
        count = self.run(session)
        if count:
            log.info("%s: %d", self.kind, count)
        timers.set(session, self.kind, SYSTEM, clock.now() + self.every)


def periodic_jobs(settings: Settings) -> list[Periodic]:
    storage = attachment_config.build_storage(settings)
    ttl = timedelta(hours=settings.pending_upload_ttl_hours)
    retention = timedelta(days=settings.stream_retention_days)

    def purge_uploads(session: Session) -> int:
        return attachments.purge_abandoned_uploads(session, storage, older_than=ttl)

    def purge_sessions(session: Session) -> int:
        return signin.purge(session, settings)

    def purge_portal(session: Session) -> int:
        return portal_sessions.purge(session) + portal.purge_links(session)

    def prune_stream(session: Session) -> int:
        return stream.prune(session, older_than=retention)

    return [
        Periodic("uploads.purge_abandoned", HOUR, purge_uploads),
        Periodic("idempotency.delete_expired", HOUR, idempotency.delete_expired),
        Periodic("signin.purge_ended", HOUR, purge_sessions),
        Periodic("portal.purge_ended", HOUR, purge_portal),
        Periodic("stream.prune", HOUR, prune_stream),
    ]


class TimerKinds:
    """The timers a worker fires: a handler per kind, its periodic jobs among them.
    Timers of other kinds are left to workers that know them."""

    def __init__(
        self,
        handlers: Mapping[str, timers.Handler] | None = None,
        periodic: Sequence[Periodic] = (),
    ) -> None:
        self.periodic = tuple(periodic)
        self.handlers = {**(handlers or {}), **{job.kind: job.handle for job in self.periodic}}

    @classmethod
    def from_settings(cls, settings: Settings) -> TimerKinds:
        return cls(periodic=periodic_jobs(settings))

    def schedule(self, session: Session) -> None:
        """Make sure every periodic job has its timer (due at once when it is new)."""
        for job in self.periodic:
            timers.ensure(session, job.kind, SYSTEM, clock.now())

    def next_due(self, now: datetime) -> Select[datetime] | None:
        """The due time of the earliest of these kinds' timers, as a statement (None: no
        kinds)."""
        return timers.next_due(self.handlers, now) if self.handlers else None

    def fire_due(self, database: Database, *, worker: str) -> int:
        """Fire up to BATCH due timers; how many fired."""
        return timers.fire_due(database, self.handlers, worker=worker, limit=BATCH, lease=LEASE)

"""Periodic jobs the worker runs between deliveries, each in its own transaction.

Every worker runs them; they are idempotent deletes, so several workers running them at
the same time only repeat a little work.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy.orm import Session

from dispatch.attachments import config as attachment_config
from dispatch.attachments import service as attachments
from dispatch.core import idempotency, transaction
from dispatch.core.db import Database
from dispatch.settings import Settings

log = logging.getLogger("dispatch.worker")

HOUR = 3600.0


@dataclass
class Job:
    name: str
    every_seconds: float
    run: Callable[[Session], int]
    # time.monotonic() of the next run; 0: at the first chance.
    next_run: float = field(default=0.0)


def default_jobs(settings: Settings) -> list[Job]:
    storage = attachment_config.build_storage(settings)
    ttl = timedelta(hours=settings.pending_upload_ttl_hours)

    def purge_uploads(session: Session) -> int:
        return attachments.purge_abandoned_uploads(session, storage, older_than=ttl)

    return [
        Job("purge abandoned uploads", HOUR, purge_uploads),
        Job("delete expired idempotency records", HOUR, idempotency.delete_expired),
    ]


class Schedule:
    def __init__(self, jobs: list[Job]) -> None:
        self.jobs = jobs

    def run_due(self, database: Database) -> int:
        """Run the jobs whose time has come; returns how many ran. A failing job is logged
        and tried again at its next time."""
        ran = 0
        for job in self.jobs:
            now = time.monotonic()
            if now < job.next_run:
                continue
            job.next_run = now + job.every_seconds
            try:
                count = transaction.run(database, job.run)
            except Exception:
                log.exception("periodic job failed: %s", job.name)
                continue
            ran += 1
            if count:
                log.info("%s: %d", job.name, count)
        return ran

    def seconds_until_next(self) -> float:
        if not self.jobs:
            return HOUR
        return max(0.0, min(job.next_run for job in self.jobs) - time.monotonic())

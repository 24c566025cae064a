"""The email channel's share of the worker: received mail becomes tickets and replies,
committed events become emails, due emails go to the relay.

It runs in its own thread beside the delivery loop, so a slow relay or a large message
never holds up webhook deliveries, nor the other way round. Every job leases what it
works on and commits its own short transactions, so any number of workers may run it.
"""

from __future__ import annotations

import contextvars
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from sqlalchemy import exists, select
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session

from dispatch.attachments import config as attachments_config
from dispatch.core import consumers, transaction
from dispatch.core.db import Database
from dispatch.core.events import EMAIL
from dispatch.email import inbound
from dispatch.email.notifications import Prepared, generate_from_events, prepare_next
from dispatch.email.outbound import send_due
from dispatch.email.service import received_waiting
from dispatch.settings import Settings

# Work taken per job and pass: small enough that a pass stays short and the loop notices
# a stop request quickly, large enough to keep up with a burst.
log = logging.getLogger("dispatch.worker.mail")

INBOUND_BATCH = 50
# Inbound messages processed side by side on PostgreSQL: a message costs a few dozen
# round trips, and threads overlap those waits (SQLite has a single writer: one).
INBOUND_THREADS = 4
EVENT_BATCH = 200
SEND_BATCH = 50


@dataclass
class MailJobs:
    database: Database
    settings: Settings
    worker: str
    _pool: ThreadPoolExecutor | None = field(default=None, init=False)

    @property
    def event_batch(self) -> int:
        return consumers.batch_size(self.database, EVENT_BATCH)

    @property
    def inbound_threads(self) -> int:
        return INBOUND_THREADS if self.database.dialect == "postgresql" else 1

    def bind(self) -> None:
        """Give this thread the configuration the jobs read from context (the domain for
        reply addresses, attachment storage for inbound files)."""
        inbound.bind(inbound.config_from_settings(self.settings))
        attachments_config.bind(attachments_config.from_settings(self.settings))

    def run_pass(self) -> bool:
        """One round of every job; True when any took a full batch (more may be waiting
        at once). Otherwise the loop lets work gather before the next pass: a pass per
        commit made batches of one, each paying the whole pass's reads."""
        received, events = self._waiting()
        processed = self._process_inbound() if received else 0
        considered = self._generate() if events else 0
        sent = send_due(self.database, limit=SEND_BATCH, settings=self.settings, worker=self.worker)
        return processed >= INBOUND_BATCH or considered >= self.event_batch or sent >= SEND_BATCH

    def _waiting(self) -> tuple[bool, bool]:
        """Whether received mail, and events for emails, wait: one read statement first.
        An idle pass (several a second) must not queue for SQLite's write lock, which the
        API's writes wait behind, nor cost a transaction per job and inbound thread."""

        def read(session: Session) -> tuple[bool, bool]:
            stmt = select(exists(received_waiting()), exists(consumers.waiting(EMAIL)))
            received, events = session.execute(stmt).one()
            return bool(received), bool(events)

        return transaction.run(self.database, read, write=False)

    def _generate(self) -> int:
        # SQLite: the emails are made first in a reading transaction, so the write lock,
        # which every API write waits behind, is held only to write them (rendering a
        # batch held it up to 150 ms). PostgreSQL locks only the rows claimed.
        limit = self.event_batch
        prepared = self._prepare(limit) if self.database.dialect == "sqlite" else None
        considered = consumers.run(
            self.database,
            EMAIL,
            lambda session: generate_from_events(
                session, limit=limit, settings=self.settings, prepared=prepared
            ),
            limit=limit,
            worker=self.worker,
        )
        return considered or 0

    def _prepare(self, limit: int) -> Prepared | None:
        try:
            return transaction.run(
                self.database,
                lambda session: prepare_next(session, limit=limit, settings=self.settings),
                write=False,
            )
        except (OperationalError, InterfaceError):
            raise
        except Exception:
            # Made under the lock instead, where a failure holds the batch back.
            log.exception("emails could not be made ahead")
            return None

    def _process_inbound(self) -> int:
        threads = self.inbound_threads
        if threads == 1:
            return self._process_some(INBOUND_BATCH)
        if self._pool is None:
            self._pool = ThreadPoolExecutor(threads, thread_name_prefix="dispatch-inbound")
        # Each thread leases its own share; each runs in a copy of this thread's context,
        # which carries the bound configuration.
        share = -(-INBOUND_BATCH // threads)
        futures = [
            self._pool.submit(contextvars.copy_context().run, self._process_some, share)
            for _ in range(threads)
        ]
        return sum(future.result() for future in futures)

    def _process_some(self, limit: int) -> int:
        return inbound.process_received(self.database, limit=limit)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)

"""Sending: lease due emails, send them through the relay with no transaction open, record
each outcome.

1. One short transaction leases up to `limit` due emails (PENDING, or RETRYING whose time
   has come) to this worker and reads what is needed to send them.
2. The batch goes through one SMTP session with the relay; no database transaction is open
   meanwhile, however slow the relay.
3. Each outcome is written in its own short transaction, guarded by the lease: SENT with
   `sent_at`; a temporary failure RETRYING at the next step of RETRY_SCHEDULE (about a day
   in all, with jitter) or FAILED once it is exhausted; a permanent (5xx) failure FAILED.
   Every attempt is counted and the last error kept.

A worker that dies mid-batch loses nothing: its leases lapse (LEASE) and another worker
sends those emails. An email whose send succeeded but whose outcome was never recorded is
sent again then: delivery is at least once, with the same Message-ID each time (mail
clients and most servers drop duplicates by it).

With no relay configured (DISPATCH_SMTP_RELAY empty) nothing is claimed: emails wait as
PENDING and a log line says why (at most every NO_RELAY_LOG_INTERVAL).
"""

from __future__ import annotations

import logging
import random
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from dispatch.core import backoff, clock, transaction
from dispatch.core.db import Database
from dispatch.core.leases import worker_name
from dispatch.email.addresses import brand_address
from dispatch.email.outbound import compose, repository
from dispatch.email.outbound.config import mail_from, resolve
from dispatch.email.relay import Outcome, RelayConfig, RelayConnection
from dispatch.settings import Settings

log = logging.getLogger("dispatch.email.outbound")

# Seconds before attempts 2, 3, ...: 1 min, 5 min, 15 min, 1 h, 4 h, 8 h, 12 h (about 25
# hours in all, each within ±20% jitter); eight attempts, then FAILED.
RETRY_SCHEDULE: tuple[float, ...] = (60.0, 300.0, 900.0, 3600.0, 14400.0, 28800.0, 43200.0)
# A leased email is ours this long; after it, another worker may send it.
LEASE = timedelta(minutes=10)
NO_RELAY_LOG_INTERVAL = 300.0
_last_no_relay_log: float | None = None


@dataclass(frozen=True, slots=True)
class Job:
    """A leased email, ready to send (no ORM objects leave the claiming transaction)."""

    email_id: str
    sender: str
    recipients: list[str]
    message: bytes
    attempts: int


def send_due(
    database: Database,
    *,
    limit: int = 20,
    settings: Settings | None = None,
    worker: str | None = None,
    rng: random.Random | None = None,
) -> int:
    """Send up to `limit` due emails through the relay; returns how many attempts were
    made (0 when nothing was due or no relay is configured). Each step is its own short
    transaction."""
    settings = resolve(settings)
    relay = RelayConfig.from_settings(settings)
    if relay is None:
        _log_no_relay(database)
        return 0
    worker = worker or worker_name()
    jobs = _claim(database, settings, worker=worker, limit=limit)
    if not jobs:
        return 0
    done: list[str] = []
    try:
        with RelayConnection(relay) as connection:
            for job in jobs:
                outcome = connection.send(job.message, sender=job.sender, recipients=job.recipients)
                _record(database, job, outcome, worker=worker, rng=rng)
                done.append(job.email_id)
    finally:
        left = [job.email_id for job in jobs if job.email_id not in done]
        if left:
            # Interrupted (shutdown, an unexpected error): hand the rest back at once.
            _release(database, worker, left)
    return len(done)


def _claim(database: Database, settings: Settings, *, worker: str, limit: int) -> list[Job]:
    def lease(session: Session) -> list[Job]:
        now = clock.now()
        leased = repository.lease_due(
            session, worker=worker, now=now, until=now + LEASE, limit=limit
        )
        return [
            Job(
                email_id=email.id,
                # Bounces come back to the brand's mailbox, where inbound mail handling
                # reads them (and marks the address undeliverable); the team's own mail
                # has no brand and bounces to the notifications address.
                sender=brand_address(settings, brand) if brand else mail_from(settings),
                recipients=compose.recipients(email),
                message=compose.build_message(email, date=now).as_bytes(),
                attempts=email.attempts,
            )
            for email, brand in repository.leased_with_brands(session, leased)
        ]

    return transaction.run(database, lease)


def result_of(
    outcome: Outcome, attempts: int, now: datetime, *, rng: random.Random | None = None
) -> repository.Result:
    """The email's next state after attempt number `attempts` ended with `outcome`."""
    if outcome.sent:
        note = None
        if outcome.refused:
            note = "Refused: " + "; ".join(f"{a}: {r}" for a, r in outcome.refused.items())
        return repository.Result("SENT", now, note[:1000] if note else None, now)
    error = (outcome.error or "failed")[:1000]
    delay = backoff.next_delay(attempts, RETRY_SCHEDULE, rng=rng) if outcome.temporary else None
    if delay is None:
        return repository.Result("FAILED", now, error, None)
    return repository.Result("RETRYING", now + timedelta(seconds=delay), error, None)


def _record(
    database: Database,
    job: Job,
    outcome: Outcome,
    *,
    worker: str,
    rng: random.Random | None,
) -> None:
    result = result_of(outcome, job.attempts + 1, clock.now(), rng=rng)
    recorded = transaction.run(
        database, lambda session: repository.finish_leased(session, job.email_id, worker, result)
    )
    if not recorded:
        log.info("email %s: lease lost, outcome dropped", job.email_id)
    if result.status == "FAILED":
        log.warning("email %s failed: %s", job.email_id, result.last_error)


def _release(database: Database, worker: str, email_ids: list[str]) -> None:
    try:
        transaction.run(database, lambda session: repository.release(session, worker, email_ids))
    except Exception:
        log.exception("could not release leases of %d emails", len(email_ids))


def _log_no_relay(database: Database) -> None:
    global _last_no_relay_log
    now = time.monotonic()
    if _last_no_relay_log is not None and now - _last_no_relay_log < NO_RELAY_LOG_INTERVAL:
        return
    # Looked at once an interval, whatever it finds: not a query per worker pass.
    _last_no_relay_log = now
    waiting = transaction.run(
        database, lambda session: repository.count_due(session, clock.now()), write=False
    )
    if waiting:
        log.warning(
            "%d email(s) waiting to be sent: DISPATCH_SMTP_RELAY is not set, so they stay "
            "PENDING until a relay is configured",
            waiting,
        )

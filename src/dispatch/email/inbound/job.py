"""The worker's inbound job: lease received messages, process each in its own transaction,
record failures in another (retried, or failed at once when the message itself cannot be
processed)."""

from __future__ import annotations

import contextlib
import logging
from datetime import timedelta
from functools import partial
from typing import Any

from pydantic import ValidationError
from sqlalchemy.exc import DataError, InterfaceError, OperationalError
from sqlalchemy.orm import Session

from dispatch.brands.models import Brand
from dispatch.core import clock, transaction
from dispatch.core.db import Database
from dispatch.core.errors import DomainError
from dispatch.core.leases import worker_name
from dispatch.email import service
from dispatch.email.inbound import message as message_processing
from dispatch.email.inbound.config import current
from dispatch.email.models import InboundMessage

logger = logging.getLogger("dispatch.email.inbound")

LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 5
# Seconds before another try after a failed attempt 1, 2, 3, 4.
RETRY_DELAYS = (30.0, 300.0, 1800.0, 7200.0)


def process_received(database: Database, *, limit: int = 50) -> int:
    """Lease up to `limit` received messages and process each in its own transaction
    (the lease first, then every message). Returns how many were processed; a message
    that fails is retried later, and marked FAILED after MAX_ATTEMPTS attempts (at once
    when it cannot be processed at all)."""
    if not transaction.run(database, service.has_received, write=False):
        return 0
    worker = worker_name()
    ids = transaction.run(
        database, lambda session: service.claim(session, worker, limit=limit, lease=LEASE)
    )
    done = 0
    for position, message_id in enumerate(ids):
        try:
            done += _process_one(database, message_id, worker)
        except BaseException:
            # Stopping (or the database unreachable): the rest is free for another worker
            # at once.
            with contextlib.suppress(Exception):
                unused = ids[position + 1 :]
                transaction.run(
                    database, partial(service.release, worker=worker, message_ids=unused)
                )
            raise
    return done


def _process_one(database: Database, message_id: str, worker: str) -> int:
    """Process the message in a transaction of its own (1), or, when that fails, roll it
    all back and record the failure in another (0). No savepoint around the processing:
    two more round trips per message, for the rare failure."""
    try:
        return transaction.run(
            database, partial(_process_leased, message_id=message_id, worker=worker)
        )
    except (OperationalError, InterfaceError):
        raise  # the database itself: the worker waits it out
    except Exception as error:
        logger.exception("inbound message %s failed", message_id)
        transaction.run(
            database,
            partial(_record_failure, message_id=message_id, worker=worker, error=error),
        )
        return 0


def _process_leased(session: Session, message_id: str, worker: str) -> int:
    """Process the message if `worker` still holds its lease (1; else 0)."""
    found = service.leased(session, message_id, worker)
    if found is None:
        return 0
    process_message(session, found.message, brand=found.brand)
    return 1


# Failures the message itself causes: processing the same bytes again fails the same way.
PERMANENT_FAILURES = (DomainError, ValidationError, DataError, UnicodeError)


def _record_failure(session: Session, message_id: str, worker: str, error: Exception) -> None:
    """Retry later after a failure that may pass (the database, storage, a bug being
    fixed); mark FAILED, with the reason, after the last attempt or at once when the
    message itself cannot be processed."""
    found = service.leased(session, message_id, worker)
    if found is None:
        return
    message = found.message
    message.error = f"{type(error).__name__}: {error}"[:1000]
    message.leased_by = None
    if message.attempts >= MAX_ATTEMPTS or isinstance(error, PERMANENT_FAILURES):
        message.status = service.FAILED
        message.lease_expires_at = None
        message.processed_at = clock.now()
        message.outcome = {"action": "failed", "error": message.error}
        return
    delay = RETRY_DELAYS[min(message.attempts, len(RETRY_DELAYS)) - 1]
    message.lease_expires_at = clock.now() + timedelta(seconds=delay)


def process_message(
    session: Session, message: InboundMessage, *, brand: Brand | None = None
) -> dict[str, Any]:
    """Process one stored message (flushes, never commits); its outcome, also stored on
    the row, which becomes PROCESSED. A message already processed is not processed again:
    its stored outcome is returned. `brand`: the message's, when already read."""
    if message.status != service.RECEIVED:
        return dict(message.outcome or {})
    config = current()
    if brand is None:
        brand = session.get(Brand, message.brand_id)
    if brand is None or brand.deleted_at is not None:
        outcome: dict[str, Any] = {"action": "ignored", "reason": "brand_deleted"}
    else:
        outcome = message_processing.process(session, config, brand, message)
    message.status = service.PROCESSED
    message.processed_at = clock.now()
    message.outcome = outcome
    message.error = None
    message.leased_by = None
    message.lease_expires_at = None
    session.flush()
    return outcome

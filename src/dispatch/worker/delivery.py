"""Sending one delivery: claim (lease) it, POST it signed, record the outcome.

The three steps run in separate transactions and no transaction is open while the request
is in flight. A delivery is leased before it is sent, so no two workers send it at the same
time; if a worker dies mid-send its lease lapses and another worker sends it again with the
same `webhook-id` (the delivery id), which receivers use to drop duplicates.

Outcomes: any 2xx is a success. Anything else (another status, a redirect, a timeout, a
reset connection, a refused address) is retried on the schedule, honouring Retry-After
within bounds, until the schedule is exhausted (FAILED). 410 Gone disables the webhook at
once; so does failing without a single success for `disable_after` (five days): then a
`webhook.disabled` event and one `notification.requested` event per account owner.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from dispatch.core import backoff, clock, events
from dispatch.core.ids import new_id
from dispatch.webhooks import payloads, signing
from dispatch.webhooks import service as webhooks
from dispatch.webhooks.models import DeliveryAttempt
from dispatch.worker import repository
from dispatch.worker.config import HEALTH_WRITE_INTERVAL, WorkerConfig
from dispatch.worker.repository import Result
from dispatch.worker.transport import Exchange, Sender

log = logging.getLogger("dispatch.worker")

NOTIFICATION_REQUESTED = "notification.requested"
GONE_REASON = "The endpoint answered 410 Gone"


@dataclass(frozen=True, slots=True)
class Job:
    """A leased delivery with everything needed to send it (no ORM objects cross threads)."""

    delivery_id: str
    webhook_id: str
    brand_id: str
    event_id: str
    event_type: str
    url: str
    body: bytes
    attempts: int
    secret: str
    previous_secret: str | None


@dataclass(frozen=True, slots=True)
class Attempt:
    """One attempt's outcome, as sent and as answered."""

    started_at: datetime
    exchange: Exchange

    @property
    def ok(self) -> bool:
        code = self.exchange.status_code
        return code is not None and 200 <= code < 300

    @property
    def error(self) -> str | None:
        exchange = self.exchange
        if exchange.error is not None:
            return exchange.error
        code = exchange.status_code
        if code is None or 200 <= code < 300:
            return None
        if 300 <= code < 400:
            target = exchange.headers.get("location", "")
            return f"Redirect not followed: {code}" + (f" to {target}" if target else "")
        return f"HTTP {code}"


def claim(session: Session, config: WorkerConfig, *, worker: str, capacity: int) -> list[Job]:
    """Lease up to `capacity` due deliveries to `worker`, fairly across endpoints and within
    each endpoint's in-flight cap; flushes, never commits (commit before sending)."""
    if capacity <= 0:
        return []
    now = clock.now()
    webhook_ids = repository.due_webhooks(session, now)
    if not webhook_ids:
        return []
    repository.lock_webhooks(session, webhook_ids)
    candidates = repository.fair_candidates(
        session,
        now,
        webhook_ids=webhook_ids,
        limit=capacity,
        per_endpoint=config.max_in_flight_per_endpoint,
    )
    leased = repository.lease(session, candidates, worker=worker, now=now, until=now + config.lease)
    if not leased:
        return []
    jobs = []
    for delivery, webhook in repository.leased_deliveries(session, leased):
        secret, previous = webhooks.signing_secrets(webhook, now)
        jobs.append(
            Job(
                delivery_id=delivery.id,
                webhook_id=webhook.id,
                brand_id=delivery.brand_id,
                event_id=delivery.event_id,
                event_type=delivery.event_type,
                url=webhook.url,
                body=delivery.body.encode("utf-8"),
                attempts=delivery.attempts,
                secret=secret,
                previous_secret=previous,
            )
        )
    # Fair order survives into the sending order.
    order = {delivery_id: i for i, delivery_id in enumerate(candidates)}
    return sorted(jobs, key=lambda job: order.get(job.delivery_id, len(order)))


def request_headers(job: Job, timestamp: int) -> dict[str, str]:
    return {
        **payloads.request_headers(job.event_type, job.delivery_id),
        **signing.signature_headers(
            job.secret,
            job.delivery_id,
            timestamp,
            job.body,
            previous_secret=job.previous_secret,
        ),
    }


def send(sender: Sender, job: Job) -> Attempt:
    """POST the delivery once (no database work)."""
    started = clock.now()
    headers = request_headers(job, int(started.timestamp()))
    return Attempt(started, sender.post(job.url, job.body, headers))


def _stored_body(exchange: Exchange) -> str | None:
    if exchange.status_code is None:
        return None
    return exchange.body.decode("utf-8", errors="replace")


class LeaseLost(Exception):
    """Another worker holds the delivery now (this one's lease lapsed)."""


def record(
    session: Session,
    config: WorkerConfig,
    job: Job,
    attempt: Attempt,
    *,
    worker: str,
    rng: random.Random | None = None,
) -> None:
    """Write the attempt, the delivery's new state and the webhook's health; flushes,
    never commits. LeaseLost when the lease was lost (it lapsed and another worker holds
    the delivery now): the transaction must then roll back, the outcome is not ours to
    write.

    The webhook row is updated first, then the delivery: the same order as claiming and as
    deleting a webhook, so these never deadlock."""
    now = clock.now()
    exchange = attempt.exchange
    number = job.attempts + 1
    error = attempt.error
    disable_reason: str | None = None
    if attempt.ok:
        repository.note_success(
            session, job.webhook_id, attempt.started_at, every=HEALTH_WRITE_INTERVAL
        )
    else:
        webhooks.record_failure(session, job.webhook_id, attempt.started_at)
        disable_reason = _disable_reason(session, config, job, exchange, now)

    result = _result(config, attempt, number, now, error, disable_reason, rng)
    written = repository.finish_leased(session, job.delivery_id, worker, result)
    if not written and not repository.note_stopped_attempt(session, job.delivery_id, result):
        raise LeaseLost(job.delivery_id)
    repository.add_attempt(
        session,
        DeliveryAttempt(
            id=new_id("wha"),
            delivery_id=job.delivery_id,
            number=number,
            started_at=attempt.started_at,
            duration_ms=exchange.duration_ms,
            response_code=exchange.status_code,
            response_body=_stored_body(exchange),
            response_headers=exchange.headers or None,
            error=error[:1000] if error else None,
        ),
    )
    if disable_reason is not None:
        _disable(session, job, disable_reason)
    session.flush()


def _result(
    config: WorkerConfig,
    attempt: Attempt,
    number: int,
    now: datetime,
    error: str | None,
    disable_reason: str | None,
    rng: random.Random | None,
) -> Result:
    exchange = attempt.exchange

    def result(status: str, next_attempt_at: datetime | None, message: str | None) -> Result:
        return Result(
            status=status,
            attempts=number,
            last_attempt_at=attempt.started_at,
            next_attempt_at=next_attempt_at,
            response_code=exchange.status_code,
            response_body=_stored_body(exchange),
            error=message[:1000] if message else None,
            duration_ms=exchange.duration_ms,
            completed_at=None if status == "RETRYING" else now,
        )

    if attempt.ok:
        return result("SUCCESS", None, None)
    message = error or "Failed"
    if disable_reason is not None:
        return result("FAILED", None, f"{message}; webhook disabled: {disable_reason}")
    retry_after = backoff.parse_retry_after(exchange.headers.get("retry-after"), now)
    delay = backoff.next_delay(number, config.retry_schedule, retry_after=retry_after, rng=rng)
    if delay is None:
        return result("FAILED", None, message)
    return result("RETRYING", now + timedelta(seconds=delay), message)


def _disable_reason(
    session: Session, config: WorkerConfig, job: Job, exchange: Exchange, now: datetime
) -> str | None:
    """Why this failure disables the webhook, if it does."""
    health = repository.webhook_health(session, job.webhook_id)
    if health is None or not health[0]:
        return None
    if exchange.status_code == 410:
        return GONE_REASON
    failing_since = health[1]
    if failing_since is not None and now - failing_since >= config.disable_after:
        hours = config.disable_after.total_seconds() / 3600
        return f"The endpoint failed every delivery for {hours:g} hours"
    return None


def _disable(session: Session, job: Job, reason: str) -> None:
    """Disable the webhook (its waiting deliveries fail, an activity entry and a
    `webhook.disabled` event are written) and ask for an email to each account owner."""
    disabled = webhooks.disable_webhook(session, job.webhook_id, reason=reason)
    if disabled is None:
        return
    log.warning("webhook %s disabled: %s", job.webhook_id, reason)
    url = job.url
    for owner in repository.owners_of_brand(session, job.brand_id):
        events.emit(
            session,
            NOTIFICATION_REQUESTED,
            job.brand_id,
            {
                "channel": "email",
                "recipient": owner.email,
                "memberId": owner.id,
                "memberName": owner.name,
                "reason": "webhook_disabled",
                "webhookId": job.webhook_id,
                "url": url,
                "disabledReason": reason,
            },
        )


def release(session: Session, *, worker: str) -> int:
    """Give back every lease `worker` holds (on shutdown, for what it could not finish)."""
    return repository.release(session, worker)

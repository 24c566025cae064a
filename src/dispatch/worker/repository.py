"""Every query of the worker: webhooks to fan out to, claiming deliveries, outcomes.

Deliveries are leased (`core.leases`): safe with any number of workers.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import (
    ColumnElement,
    CursorResult,
    Select,
    case,
    func,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session

from dispatch.accounts.models import Member
from dispatch.brands.models import Brand
from dispatch.core import leases
from dispatch.webhooks.models import DeliveryAttempt, Webhook, WebhookDelivery
from dispatch.webhooks.repository import OPEN_STATUSES


def _is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _rowcount(result: object) -> int:
    return result.rowcount if isinstance(result, CursorResult) else 0


# --- Fan-out ------------------------------------------------------------------------------


def live_webhooks(session: Session, brand_ids: Collection[str]) -> list[Webhook]:
    """The live (not deleted) webhooks of these brands, enabled or not."""
    stmt = (
        select(Webhook)
        .where(Webhook.brand_id.in_(brand_ids), Webhook.deleted_at.is_(None))
        .order_by(Webhook.created_at, Webhook.id)
    )
    return list(session.scalars(stmt))


# --- Claiming deliveries ------------------------------------------------------------------


def _waiting(now: datetime) -> list[ColumnElement[bool]]:
    """Open and its next attempt's time has come (leased or not)."""
    return [WebhookDelivery.status.in_(OPEN_STATUSES), WebhookDelivery.next_attempt_at <= now]


def _due(now: datetime) -> list[ColumnElement[bool]]:
    return [*_waiting(now), leases.free(WebhookDelivery, now)]


def _sendable() -> list[ColumnElement[bool]]:
    return [Webhook.deleted_at.is_(None), Webhook.enabled.is_(True)]


def due(now: datetime) -> Select[str]:
    """One delivery of a sendable webhook to send now (for an EXISTS)."""
    return (
        select(WebhookDelivery.id)
        .join(Webhook, Webhook.id == WebhookDelivery.webhook_id)
        .where(*_due(now), *_sendable())
        .limit(1)
    )


def next_due(now: datetime) -> Select[datetime]:
    """When the earliest delivery scheduled after `now` falls due."""
    return select(func.min(WebhookDelivery.next_attempt_at)).where(
        WebhookDelivery.status.in_(OPEN_STATUSES), WebhookDelivery.next_attempt_at > now
    )


def due_webhooks(session: Session, now: datetime) -> list[str]:
    """Webhooks with at least one delivery to send now."""
    stmt = (
        select(WebhookDelivery.webhook_id)
        .join(Webhook, Webhook.id == WebhookDelivery.webhook_id)
        .where(*_due(now), *_sendable())
        .distinct()
    )
    return list(session.scalars(stmt))


def lock_webhooks(session: Session, webhook_ids: Sequence[str]) -> None:
    """Serialise claims per webhook between PostgreSQL workers (in id order, so never a
    deadlock), so each sees the others' leases and the per-endpoint cap holds across them.
    FOR NO KEY UPDATE does not block inserting deliveries that reference the webhook."""
    if _is_postgres(session) and webhook_ids:
        stmt = (
            select(Webhook.id)
            .where(Webhook.id.in_(sorted(webhook_ids)))
            .order_by(Webhook.id)
            .with_for_update(key_share=True)  # FOR NO KEY UPDATE
        )
        session.execute(stmt)


def in_flight(session: Session, now: datetime, webhook_ids: Sequence[str]) -> dict[str, int]:
    """How many deliveries of each of these webhooks are leased (in flight) now."""
    stmt = (
        select(WebhookDelivery.webhook_id, func.count())
        .where(
            WebhookDelivery.webhook_id.in_(webhook_ids),
            WebhookDelivery.status.in_(OPEN_STATUSES),
            leases.active(WebhookDelivery, now),
        )
        .group_by(WebhookDelivery.webhook_id)
    )
    return {webhook_id: int(count) for webhook_id, count in session.execute(stmt)}


def fair_candidates(
    session: Session, now: datetime, *, webhook_ids: Sequence[str], limit: int, per_endpoint: int
) -> list[str]:
    """Up to `limit` due deliveries, fairly across endpoints: each webhook's due deliveries
    are ranked oldest first and taken round by round (every endpoint's first, then every
    endpoint's second, ...), and no webhook gets more than `per_endpoint` in flight
    counting the deliveries already leased.

    The leased counts are read first and passed in as constants: joined to the ranked rows
    as a subquery, PostgreSQL without fresh statistics (a new or quickly grown table)
    re-ran that aggregate once per due row, turning each claim into a scan of the backlog
    squared (half a second at 2,000 due) while the claim held the webhook's row lock."""
    if not webhook_ids or limit <= 0:
        return []
    busy = in_flight(session, now, webhook_ids)
    allowance = {w: per_endpoint - busy.get(w, 0) for w in webhook_ids}
    open_ids = sorted(w for w, left in allowance.items() if left > 0)
    if not open_ids:
        return []
    ranked = (
        select(
            WebhookDelivery.id,
            WebhookDelivery.webhook_id,
            WebhookDelivery.next_attempt_at,
            func.row_number()
            .over(
                partition_by=WebhookDelivery.webhook_id,
                order_by=(WebhookDelivery.next_attempt_at, WebhookDelivery.id),
            )
            .label("rank"),
        )
        .where(WebhookDelivery.webhook_id.in_(open_ids), *_due(now))
        .subquery()
    )
    cap: ColumnElement[int] = (
        case({w: allowance[w] for w in open_ids}, value=ranked.c.webhook_id, else_=0)
        if any(allowance[w] != per_endpoint for w in open_ids)
        else literal(per_endpoint)
    )
    stmt = (
        select(ranked.c.id)
        .where(ranked.c.rank <= cap)
        .order_by(ranked.c.rank, ranked.c.next_attempt_at, ranked.c.id)
        .limit(limit)
    )
    return list(session.scalars(stmt))


def lease(
    session: Session, delivery_ids: Sequence[str], *, worker: str, now: datetime, until: datetime
) -> list[str]:
    """Lease these deliveries to `worker` if they are still due and unleased; the ids
    leased."""
    return leases.lease(
        session,
        WebhookDelivery.id,
        delivery_ids,
        where=_waiting(now),
        worker=worker,
        now=now,
        until=until,
    )


def leased_deliveries(
    session: Session, delivery_ids: Sequence[str]
) -> list[tuple[WebhookDelivery, Webhook]]:
    stmt = (
        select(WebhookDelivery, Webhook)
        .join(Webhook, Webhook.id == WebhookDelivery.webhook_id)
        .where(WebhookDelivery.id.in_(delivery_ids))
    )
    return [(row[0], row[1]) for row in session.execute(stmt)]


def release(session: Session, worker: str) -> int:
    """Give back every lease of this worker so others may send those deliveries now."""
    return leases.release(
        session, WebhookDelivery.id, worker, where=[WebhookDelivery.status.in_(OPEN_STATUSES)]
    )


# --- Outcomes -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Result:
    """The delivery's columns after an attempt."""

    status: str
    attempts: int
    last_attempt_at: datetime
    next_attempt_at: datetime | None
    response_code: int | None
    response_body: str | None
    error: str | None
    duration_ms: int
    completed_at: datetime | None


def finish_leased(session: Session, delivery_id: str, worker: str, result: Result) -> bool:
    """Write an attempt's result if `worker` still holds the delivery's lease, releasing
    it; False when the lease was lost (it lapsed and another worker took it over)."""
    values: dict[str, object] = {
        "status": result.status,
        "attempts": result.attempts,
        "last_attempt_at": result.last_attempt_at,
        "response_code": result.response_code,
        "response_body": result.response_body,
        "error": result.error,
        "duration_ms": result.duration_ms,
        "completed_at": result.completed_at,
        **leases.UNLEASED,
    }
    if result.next_attempt_at is not None:
        values["next_attempt_at"] = result.next_attempt_at
    stmt = (
        update(WebhookDelivery)
        .where(
            WebhookDelivery.id == delivery_id,
            leases.held_by(WebhookDelivery, worker),
            WebhookDelivery.status.in_(OPEN_STATUSES),
        )
        .values(values)
        .execution_options(synchronize_session=False)
    )
    return _rowcount(session.execute(stmt)) == 1


def note_stopped_attempt(session: Session, delivery_id: str, result: Result) -> bool:
    """An attempt that was in flight when its delivery was stopped (webhook disabled or
    deleted): count and describe it, leave the delivery FAILED. False when the delivery
    is open again (another worker holds it now): then the attempt is not ours to write."""
    stmt = (
        update(WebhookDelivery)
        .where(
            WebhookDelivery.id == delivery_id,
            WebhookDelivery.status == "FAILED",
            WebhookDelivery.leased_by.is_(None),
        )
        .values(
            attempts=WebhookDelivery.attempts + 1,
            last_attempt_at=result.last_attempt_at,
            response_code=result.response_code,
            response_body=result.response_body,
            duration_ms=result.duration_ms,
        )
        .execution_options(synchronize_session=False)
    )
    return _rowcount(session.execute(stmt)) == 1


def add_attempt(session: Session, attempt: DeliveryAttempt) -> None:
    session.add(attempt)


def note_success(session: Session, webhook_id: str, at: datetime, *, every: timedelta) -> None:
    """A delivery succeeded: reset the webhook's failure streak and set its last success
    (and last triggered) time, unless the row already says so as of less than `every`
    ago. Writing the row on every success made it the hottest row of the database: every
    outcome and every claim of an endpoint queued behind its lock, capping a busy
    endpoint far below what the workers can send. A row that needs no change is skipped
    without being locked, so a busy endpoint's row is written about once per `every`."""
    session.execute(
        update(Webhook)
        .where(
            Webhook.id == webhook_id,
            or_(
                Webhook.failure_count != 0,
                Webhook.failing_since.is_not(None),
                Webhook.last_success_at.is_(None),
                Webhook.last_success_at < at - every,
            ),
        )
        .values(failure_count=0, failing_since=None, last_triggered_at=at, last_success_at=at)
        .execution_options(synchronize_session=False)
    )


def webhook_health(session: Session, webhook_id: str) -> tuple[bool, datetime | None] | None:
    """(enabled, failing_since) of a live webhook, None when it is deleted."""
    row = session.execute(
        select(Webhook.enabled, Webhook.failing_since).where(
            Webhook.id == webhook_id, Webhook.deleted_at.is_(None)
        )
    ).first()
    return (bool(row[0]), row[1]) if row is not None else None


def owners_of_brand(session: Session, brand_id: str) -> list[Member]:
    """The owners of the account a brand belongs to."""
    stmt = (
        select(Member)
        .join(Brand, Brand.account_id == Member.account_id)
        .where(Brand.id == brand_id, Member.role == "owner")
        .order_by(Member.email)
    )
    return list(session.scalars(stmt))

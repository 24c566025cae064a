"""Every query of the webhooks domain. A webhook is reached only through its brand, a
delivery only through its webhook."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    ColumnElement,
    CursorResult,
    and_,
    case,
    func,
    literal,
    select,
    update,
)
from sqlalchemy.orm import Session

from dispatch.brands.models import Brand
from dispatch.core import leases
from dispatch.core.pagination import Cursor, after_cursor
from dispatch.core.types import UTCDateTime
from dispatch.webhooks.models import DeliveryAttempt, Webhook, WebhookDelivery

OPEN_STATUSES = ("PENDING", "RETRYING")


def _live(brand_id: str) -> ColumnElement[bool]:
    return and_(Webhook.brand_id == brand_id, Webhook.deleted_at.is_(None))


def list_webhooks(session: Session, brand_id: str) -> list[Webhook]:
    stmt = select(Webhook).where(_live(brand_id)).order_by(Webhook.created_at, Webhook.id)
    return list(session.scalars(stmt))


def get_webhook(
    session: Session, brand_id: str, webhook_id: str, *, for_update: bool = False
) -> Webhook | None:
    stmt = select(Webhook).where(Webhook.id == webhook_id, _live(brand_id))
    if for_update:
        stmt = stmt.with_for_update()
    return session.scalar(stmt)


def get_any_webhook(session: Session, webhook_id: str) -> Webhook | None:
    """By id alone, deleted or not: for the worker, which holds ids from its own rows."""
    return session.get(Webhook, webhook_id)


def count_live(session: Session, brand_id: str) -> int:
    return session.scalar(select(func.count()).select_from(Webhook).where(_live(brand_id))) or 0


def enabled_webhooks(session: Session, brand_id: str) -> list[Webhook]:
    stmt = (
        select(Webhook)
        .where(_live(brand_id), Webhook.enabled.is_(True))
        .order_by(Webhook.created_at, Webhook.id)
    )
    return list(session.scalars(stmt))


def stop_open_deliveries(session: Session, webhook_id: str, reason: str, now: datetime) -> int:
    """Fail every delivery of the webhook still waiting to be sent; returns how many."""
    result = session.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.webhook_id == webhook_id,
            WebhookDelivery.status.in_(OPEN_STATUSES),
        )
        .values(
            status="FAILED",
            error=reason,
            completed_at=now,
            **leases.UNLEASED,
        )
        .execution_options(synchronize_session=False)
    )
    return _rowcount(result)


def _rowcount(result: object) -> int:
    return result.rowcount if isinstance(result, CursorResult) else 0


# --- Deliveries ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DeliveryFilter:
    status: str | None = None
    event_type: str | None = None


def list_deliveries(
    session: Session,
    webhook_id: str,
    f: DeliveryFilter,
    *,
    cursor: Cursor | None,
    limit: int,
) -> list[WebhookDelivery]:
    """Newest first, `limit + 1` rows so the caller can tell whether more follow."""
    stmt = select(WebhookDelivery).where(WebhookDelivery.webhook_id == webhook_id)
    if f.status is not None:
        stmt = stmt.where(WebhookDelivery.status == f.status)
    if f.event_type is not None:
        stmt = stmt.where(WebhookDelivery.event_type == f.event_type)
    if cursor is not None:
        stmt = stmt.where(
            after_cursor(WebhookDelivery.created_at, WebhookDelivery.id, cursor, descending=True)
        )
    stmt = stmt.order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id.desc())
    return list(session.scalars(stmt.limit(limit + 1)))


def get_delivery(
    session: Session, webhook_id: str, delivery_id: str, *, for_update: bool = False
) -> WebhookDelivery | None:
    stmt = select(WebhookDelivery).where(
        WebhookDelivery.id == delivery_id, WebhookDelivery.webhook_id == webhook_id
    )
    if for_update:
        stmt = stmt.with_for_update()
    return session.scalar(stmt)


def attempts_of(session: Session, delivery_id: str) -> list[DeliveryAttempt]:
    stmt = (
        select(DeliveryAttempt)
        .where(DeliveryAttempt.delivery_id == delivery_id)
        .order_by(DeliveryAttempt.number, DeliveryAttempt.started_at)
    )
    return list(session.scalars(stmt))


def send_now(session: Session, delivery_id: str, now: datetime) -> bool:
    """Make the delivery due now; False while an attempt is in flight (a worker's lease has
    not lapsed). A finished delivery (SUCCESS or FAILED) is queued again as PENDING; a
    waiting one keeps its status and attempt count, so its retry schedule goes on from
    this attempt."""
    waiting = WebhookDelivery.status.in_(OPEN_STATUSES)
    result = session.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.id == delivery_id,
            leases.free(WebhookDelivery, now),
        )
        .values(
            {
                **_requeued(now),
                "status": case((waiting, WebhookDelivery.status), else_=literal("PENDING")),
            }
        )
        .execution_options(synchronize_session=False)
    )
    return _rowcount(result) == 1


def requeue_failed_since(session: Session, webhook_id: str, since: datetime, now: datetime) -> int:
    """Every FAILED delivery of the webhook created at or after `since` becomes due now."""
    result = session.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.webhook_id == webhook_id,
            WebhookDelivery.status == "FAILED",
            WebhookDelivery.created_at >= since,
        )
        .values(_requeued(now))
        .execution_options(synchronize_session=False)
    )
    return _rowcount(result)


def _requeued(now: datetime) -> dict[str, object]:
    return {
        "status": "PENDING",
        "next_attempt_at": now,
        "completed_at": None,
        **leases.UNLEASED,
    }


# --- Webhook health (atomic, so concurrent workers never lose a count) ---------------------


def note_success(session: Session, webhook_id: str, at: datetime) -> None:
    session.execute(
        update(Webhook)
        .where(Webhook.id == webhook_id)
        .values(
            failure_count=0,
            failing_since=None,
            last_triggered_at=at,
            last_success_at=at,
        )
        .execution_options(synchronize_session=False)
    )


def note_failure(session: Session, webhook_id: str, at: datetime) -> None:
    session.execute(
        update(Webhook)
        .where(Webhook.id == webhook_id)
        .values(
            failure_count=Webhook.failure_count + 1,
            failing_since=func.coalesce(Webhook.failing_since, literal(at, UTCDateTime())),
            last_triggered_at=at,
            last_failure_at=at,
        )
        .execution_options(synchronize_session=False)
    )


def account_of_brand(session: Session, brand_id: str) -> str | None:
    """The account a brand belongs to (for the activity entry of a system change)."""
    return session.scalar(select(Brand.account_id).where(Brand.id == brand_id))

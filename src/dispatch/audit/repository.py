from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch.audit.models import AuditLog
from dispatch.core.pagination import Cursor, after_cursor


@dataclass(frozen=True, slots=True)
class LogFilter:
    entity_type: str | None = None
    entity_id: str | None = None
    event: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    performer_type: str | None = None
    performer_email: str | None = None
    ticket_id: str | None = None


def list_logs(
    session: Session, brand_id: str, f: LogFilter, *, cursor: Cursor | None, limit: int
) -> list[AuditLog]:
    """Newest first, `limit + 1` rows so the caller can tell whether more follow."""
    stmt = select(AuditLog).where(AuditLog.brand_id == brand_id)
    if f.entity_type is not None:
        stmt = stmt.where(AuditLog.entity_type == f.entity_type)
    if f.entity_id is not None:
        stmt = stmt.where(AuditLog.entity_id == f.entity_id)
    if f.event is not None:
        stmt = stmt.where(AuditLog.event == f.event)
    if f.ticket_id is not None:
        stmt = stmt.where(AuditLog.ticket_id == f.ticket_id)
    if f.start is not None:
        stmt = stmt.where(AuditLog.created_at >= f.start)
    if f.end is not None:
        stmt = stmt.where(AuditLog.created_at <= f.end)
    if f.performer_type is not None:
        stmt = stmt.where(AuditLog.performed_by["type"].as_string() == f.performer_type)
    if f.performer_email is not None:
        stmt = stmt.where(AuditLog.performed_by["email"].as_string() == f.performer_email)
    if cursor is not None:
        stmt = stmt.where(after_cursor(AuditLog.created_at, AuditLog.id, cursor, descending=True))
    stmt = stmt.order_by(AuditLog.created_at.desc(), AuditLog.id.desc()).limit(limit + 1)
    return list(session.scalars(stmt))


def ticket_history(
    session: Session, ticket_id: str, *, cursor: Cursor | None, limit: int
) -> list[AuditLog]:
    """Oldest first, `limit + 1` rows (one more tells whether another page follows)."""
    stmt = select(AuditLog).where(AuditLog.ticket_id == ticket_id)
    if cursor is not None:
        stmt = stmt.where(after_cursor(AuditLog.created_at, AuditLog.id, cursor, descending=False))
    stmt = stmt.order_by(AuditLog.created_at, AuditLog.id).limit(limit + 1)
    return list(session.scalars(stmt))

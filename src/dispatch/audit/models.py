from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from dispatch.core.db import Base
from dispatch.core.types import JSONType


class AuditLog(Base):
    """One immutable activity entry (the reference's AuditLog)."""

    __tablename__ = "audit_logs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(32))
    brand_id: Mapped[str] = mapped_column(String(32))
    # The ticket whose history this belongs to (also set for its comments, attachments...).
    ticket_id: Mapped[str | None] = mapped_column(String(32))
    event: Mapped[str] = mapped_column(String(64))
    entity_type: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str] = mapped_column(String(32))
    changes: Mapped[dict[str, Any] | None]
    performed_by: Mapped[dict[str, Any]]
    source: Mapped[str] = mapped_column(String(32))
    metadata_: Mapped[dict[str, Any] | None] = mapped_column("metadata", JSONType)
    created_at: Mapped[datetime]

    __table_args__ = (
        Index("ix_audit_logs_brand_created", "brand_id", "created_at", "id"),
        Index("ix_audit_logs_ticket_created", "ticket_id", "created_at", "id"),
        Index("ix_audit_logs_entity", "brand_id", "entity_type", "entity_id"),
    )

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from dispatch.core.db import Base
from dispatch.statuses.rules import is_active_status


class TicketStatus(Base):
    __tablename__ = "statuses"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    brand_id: Mapped[str] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(50))
    name: Mapped[str] = mapped_column(String(100))
    color: Mapped[str] = mapped_column(String(7))
    description: Mapped[str | None] = mapped_column(String(1000))
    is_system: Mapped[bool]
    sort_order: Mapped[int]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    __table_args__ = (UniqueConstraint("brand_id", "key"),)

    @property
    def is_active(self) -> bool:
        return is_active_status(self.key, is_system=self.is_system)


class StatusTicketCount(Base):
    """Live ticket counts per status, spread over a few slots so concurrent writers
    rarely contend on one row. Stats read the sum: constant time at any ticket volume."""

    __tablename__ = "status_ticket_counts"

    status_id: Mapped[str] = mapped_column(
        ForeignKey("statuses.id", ondelete="CASCADE"), primary_key=True
    )
    slot: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[str] = mapped_column(String(32), index=True)
    count: Mapped[int]

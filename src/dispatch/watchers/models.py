from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from dispatch.core.db import Base


class TicketWatcher(Base):
    __tablename__ = "ticket_watchers"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    brand_id: Mapped[str] = mapped_column(String(32))
    ticket_id: Mapped[str] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    # Watchers are identified by email; linked to the team member who has it, if any.
    member_email: Mapped[str] = mapped_column(String(320))
    member_id: Mapped[str | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    member_name: Mapped[str | None] = mapped_column(String(200))
    added_by: Mapped[dict[str, Any] | None]
    notify_on_comment: Mapped[bool]
    notify_on_status_change: Mapped[bool]
    added_at: Mapped[datetime]

    __table_args__ = (UniqueConstraint("ticket_id", "member_email"),)

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from dispatch.core.db import Base


class BlockedSender(Base):
    """A sender whose new tickets arrive as spam (set by marking one of theirs spam)."""

    __tablename__ = "blocked_senders"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    brand_id: Mapped[str] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(320))
    # The ticket whose spam marking blocked the sender.
    ticket_id: Mapped[str | None] = mapped_column(String(32))
    created_by: Mapped[dict[str, Any] | None]
    created_at: Mapped[datetime]

    __table_args__ = (UniqueConstraint("brand_id", "email"),)

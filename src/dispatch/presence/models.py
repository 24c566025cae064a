from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from dispatch.core.db import Base


class TicketViewer(Base):
    """A team member had a ticket's page open at `seen_at` (the page's heartbeat). Kept
    in the database, not in a process, so every server process sees every viewer."""

    __tablename__ = "ticket_viewers"

    ticket_id: Mapped[str] = mapped_column(
        ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True
    )
    member_id: Mapped[str] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), primary_key=True
    )
    seen_at: Mapped[datetime]

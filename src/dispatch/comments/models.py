from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from dispatch.core.db import Base
from dispatch.core.types import JSONType

# Who wrote a comment (`authorType`).
CUSTOMER, AGENT, SYSTEM = "CUSTOMER", "AGENT", "SYSTEM"


class Comment(Base):
    __tablename__ = "comments"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    brand_id: Mapped[str] = mapped_column(String(32))
    ticket_id: Mapped[str] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("comments.id", ondelete="SET NULL"))
    body: Mapped[str]
    author_id: Mapped[str | None] = mapped_column(String(64))
    author_name: Mapped[str | None] = mapped_column(String(200))
    author_email: Mapped[str | None] = mapped_column(String(320))
    author_type: Mapped[str] = mapped_column(String(10))  # CUSTOMER | AGENT | SYSTEM
    # Internal notes are never emailed and never shown to customers.
    is_internal: Mapped[bool]
    links: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", JSONType)
    source: Mapped[str] = mapped_column(String(20))
    source_id: Mapped[str | None] = mapped_column(String(500))
    source_data: Mapped[dict[str, Any] | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    deleted_at: Mapped[datetime | None]

    @property
    def is_public_agent_reply(self) -> bool:
        """The team's public reply: what a ticket's first response is."""
        return self.author_type == AGENT and not self.is_internal

    __table_args__ = (
        Index("ix_comments_ticket_created", "ticket_id", "created_at", "id"),
        Index("ix_comments_source_id", "brand_id", "source_id"),
    )

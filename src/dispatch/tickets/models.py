from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from dispatch.core import clock
from dispatch.core.db import Base
from dispatch.core.types import JSONType
from dispatch.tickets.priority import PriorityType

LIVE = text("deleted_at IS NULL")
# Tickets that lists and reports leave out (deleted, spam, merged away, closed as a
# duplicate), by dialect: few, so reports check rows of other tables against them.
UNCOUNTED_SQL = {
    "postgresql": "deleted_at IS NOT NULL OR is_spam OR merged_into_id IS NOT NULL"
    " OR close_reason = 'duplicate'",
    "sqlite": "deleted_at IS NOT NULL OR is_spam = 1 OR merged_into_id IS NOT NULL"
    " OR close_reason = 'duplicate'",
}


class Ticket(Base):
    __tablename__ = "tickets"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(32))
    brand_id: Mapped[str] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"))
    ticket_number: Mapped[int]
    title: Mapped[str] = mapped_column(String(500))
    body: Mapped[str | None]
    status_id: Mapped[str] = mapped_column(ForeignKey("statuses.id", ondelete="RESTRICT"))
    close_reason: Mapped[str | None] = mapped_column(String(20))
    priority: Mapped[str] = mapped_column(PriorityType())
    source: Mapped[str] = mapped_column(String(20))
    source_id: Mapped[str | None] = mapped_column(String(500))
    source_data: Mapped[dict[str, Any] | None]
    assignee_id: Mapped[str | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    assignee_email: Mapped[str | None] = mapped_column(String(320))
    created_by: Mapped[str | None] = mapped_column(String(320))
    customer_id: Mapped[str | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    customer_email: Mapped[str | None] = mapped_column(String(320))
    customer_name: Mapped[str | None] = mapped_column(String(200))
    category_id: Mapped[str | None] = mapped_column(
        ForeignKey("categories.id", ondelete="SET NULL")
    )
    custom_fields: Mapped[dict[str, Any]]
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", JSONType)
    links: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    comment_count: Mapped[int] = mapped_column(default=0)
    attachment_count: Mapped[int] = mapped_column(default=0)
    due_at: Mapped[datetime | None]
    is_spam: Mapped[bool] = mapped_column(default=False)
    merged_into_id: Mapped[str | None] = mapped_column(String(32))
    # Bumped by every change; also the per-ticket sequence number of its events.
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    deleted_at: Mapped[datetime | None]
    deleted_by: Mapped[dict[str, Any] | None]
    # Analytics rollups, kept in the same UPDATE as the change that sets them: the first
    # public agent reply, the first resolution (active to resolved or closed), the last
    # status change (NULL: none since creation; where the current stay began).
    first_response_at: Mapped[datetime | None]
    first_resolved_at: Mapped[datetime | None]
    status_changed_at: Mapped[datetime | None]

    __table_args__ = (
        UniqueConstraint("brand_id", "ticket_number"),
        # Keyset pages of live tickets: newest first, and per status (the active view).
        Index(
            "ix_tickets_live_created",
            "brand_id",
            "created_at",
            "id",
            sqlite_where=LIVE,
            postgresql_where=LIVE,
        ),
        Index(
            "ix_tickets_live_status_created",
            "brand_id",
            "status_id",
            "created_at",
            "id",
            sqlite_where=LIVE,
            postgresql_where=LIVE,
        ),
        Index(
            "ix_tickets_live_updated",
            "brand_id",
            "updated_at",
            "id",
            sqlite_where=LIVE,
            postgresql_where=LIVE,
        ),
        # The inbox sorted by priority (most urgent first, the id breaking ties).
        Index(
            "ix_tickets_live_priority",
            "brand_id",
            "priority",
            "id",
            sqlite_where=LIVE,
            postgresql_where=LIVE,
        ),
        # Moving every ticket off a status, and the foreign-key check when it is deleted.
        Index("ix_tickets_status_id", "status_id"),
        Index(
            "ix_tickets_live_customer",
            "brand_id",
            "customer_id",
            "created_at",
            sqlite_where=LIVE,
            postgresql_where=LIVE,
        ),
        # Analytics: a brand's first responses and first resolutions over a period.
        Index(
            "ix_tickets_first_response",
            "brand_id",
            "first_response_at",
            sqlite_where=text("first_response_at IS NOT NULL"),
            postgresql_where=text("first_response_at IS NOT NULL"),
        ),
        Index(
            "ix_tickets_first_resolved",
            "brand_id",
            "first_resolved_at",
            sqlite_where=text("first_resolved_at IS NOT NULL"),
            postgresql_where=text("first_resolved_at IS NOT NULL"),
        ),
        Index(
            "ix_tickets_uncounted",
            "id",
            postgresql_where=text(UNCOUNTED_SQL["postgresql"]),
            sqlite_where=text(UNCOUNTED_SQL["sqlite"]),
        ),
        Index(
            "ix_tickets_live_category",
            "brand_id",
            "category_id",
            "created_at",
            sqlite_where=LIVE,
            postgresql_where=LIVE,
        ),
    )

    def new_version(self, at: datetime | None = None) -> None:
        """Every change of a ticket (its own fields, a comment, a file) makes a new version:
        what conflict checks compare and what orders its events (`sequence`). The one
        place versions grow."""
        self.version += 1
        self.updated_at = at or clock.now()


class StatusStay(Base):
    """One stay of a ticket in a status, written when it ends (the analytics rollup of
    status changes): the status it was in, from when to when, the status it went to and
    the channel of the change (for a customer's reply that reopened the ticket, the
    reply's own channel). Its id is the id of the activity entry of that change."""

    __tablename__ = "status_stays"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    brand_id: Mapped[str] = mapped_column(String(32))
    ticket_id: Mapped[str] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    status_key: Mapped[str] = mapped_column(String(50))
    next_key: Mapped[str] = mapped_column(String(50))
    entered_at: Mapped[datetime]
    left_at: Mapped[datetime]
    channel: Mapped[str] = mapped_column(String(32))
    by_reply: Mapped[bool]

    __table_args__ = (
        # A brand's stays (and so its status changes) over a period; one ticket's in order.
        Index("ix_status_stays_brand_left", "brand_id", "left_at"),
        Index("ix_status_stays_ticket_left", "ticket_id", "left_at"),
    )

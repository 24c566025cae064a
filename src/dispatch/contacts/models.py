from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from dispatch.core.db import Base
from dispatch.core.types import JSONType

LIVE = text("deleted_at IS NULL")


class Company(Base):
    __tablename__ = "companies"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    brand_id: Mapped[str] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    # Email domain (lowercase) new contacts are matched to.
    domain: Mapped[str | None] = mapped_column(String(253))
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", JSONType)
    custom_fields: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    deleted_at: Mapped[datetime | None]

    __table_args__ = (
        Index(
            "uq_companies_live_domain",
            "brand_id",
            "domain",
            unique=True,
            sqlite_where=text("deleted_at IS NULL AND domain IS NOT NULL"),
            postgresql_where=text("deleted_at IS NULL AND domain IS NOT NULL"),
        ),
        Index(
            "ix_companies_live_name",
            "brand_id",
            "name",
            "id",
            sqlite_where=LIVE,
            postgresql_where=LIVE,
        ),
    )


class Contact(Base):
    """A customer of a brand (the API's `customers`, renamed contacts)."""

    __tablename__ = "contacts"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    brand_id: Mapped[str] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"))
    # Stored lowercase: addresses are matched case-insensitively.
    email: Mapped[str] = mapped_column(String(320))
    name: Mapped[str | None] = mapped_column(String(200))
    avatar_url: Mapped[str | None] = mapped_column(String(2048))
    company_id: Mapped[str | None] = mapped_column(ForeignKey("companies.id", ondelete="SET NULL"))
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", JSONType)
    custom_fields: Mapped[dict[str, Any]]
    # False suppresses every ticket-update email to this contact.
    notify_email: Mapped[bool] = mapped_column(default=True)
    # Set when mail to the address bounced (a delivery status notification came back).
    email_undeliverable_at: Mapped[datetime | None]
    # Live, non-spam, non-merged tickets of the contact, kept by `contacts.counts` in the
    # transaction of each change: shown with every contact, never counted per render.
    ticket_count: Mapped[int] = mapped_column(server_default="0")
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    deleted_at: Mapped[datetime | None]

    __table_args__ = (
        Index(
            "uq_contacts_live_email",
            "brand_id",
            "email",
            unique=True,
            sqlite_where=LIVE,
            postgresql_where=LIVE,
        ),
        Index(
            "ix_contacts_live_created",
            "brand_id",
            "created_at",
            "id",
            sqlite_where=LIVE,
            postgresql_where=LIVE,
        ),
        Index("ix_contacts_company", "company_id"),
    )

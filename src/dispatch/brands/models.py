from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, String, false, text, true
from sqlalchemy.orm import Mapped, mapped_column

from dispatch.core.db import Base
from dispatch.core.types import JSONType

DEFAULT_TICKET_NUMBER_START = 1001


def new_portal_secret() -> str:
    """A fresh portal secret: 32 random bytes, hex."""
    return secrets.token_hex(32)


class Brand(Base):
    __tablename__ = "brands"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(63))
    ticket_prefix: Mapped[str] = mapped_column(String(10))
    next_ticket_number: Mapped[int]
    url: Mapped[str | None] = mapped_column(String(2048))
    icon_url: Mapped[str | None] = mapped_column(String(2048))
    settings: Mapped[dict[str, Any]]
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", JSONType)
    # A JSON Schema (draft 2020-12) the customFields of ticket writes must satisfy.
    ticket_schema: Mapped[dict[str, Any] | None]

    inbound_email_enabled: Mapped[bool] = mapped_column(default=True)
    from_name: Mapped[str | None] = mapped_column(String(200))
    from_email: Mapped[str | None] = mapped_column(String(320))
    autoresponse_enabled: Mapped[bool] = mapped_column(default=False)
    autoresponse_subject: Mapped[str | None] = mapped_column(String(200))
    autoresponse_body: Mapped[str | None]

    csat_enabled: Mapped[bool] = mapped_column(default=False)
    csat_type: Mapped[str] = mapped_column(String(10), default="thumbs")
    csat_delay_minutes: Mapped[int] = mapped_column(default=60)
    csat_email_subject: Mapped[str | None] = mapped_column(String(200))
    csat_email_body: Mapped[str | None]

    sla_enabled: Mapped[bool] = mapped_column(default=False)
    sla_default_hours: Mapped[float | None] = mapped_column(default=72)
    sla_by_priority: Mapped[dict[str, Any]]
    sla_notify_overdue: Mapped[bool] = mapped_column(default=True)
    sla_business_hours_only: Mapped[bool] = mapped_column(default=False)
    sla_business_hours: Mapped[dict[str, Any] | None]

    portal_origins: Mapped[list[str]] = mapped_column(JSONType)
    # Signs the brand's portal tokens and binds its hosted portal sessions: rotating it
    # (`new_portal_secret`) ends every one of them at once. The empty server default only
    # lets SQLite add the column; every row gets a random one (and an empty secret signs
    # nothing: `portal.tokens`).
    portal_secret: Mapped[str] = mapped_column(
        String(64), default=new_portal_secret, server_default=text("''")
    )
    # The hosted portal (/support/<slug>) is served only when on; the portal API always is.
    portal_enabled: Mapped[bool] = mapped_column(default=True, server_default=true())
    # The portal's new-ticket form offers the brand's categories.
    portal_categories: Mapped[bool] = mapped_column(default=False, server_default=false())
    # The brand's own host name (help.example.com, lowercased, xn-- form) whose root
    # serves the hosted portal when it points at this server (web/portal/domains.py).
    portal_domain: Mapped[str | None] = mapped_column(String(253))
    # Set anew (at random) with every change to the brand's statuses or field
    # definitions: processes keep their copies of those for one version (core.versioned).
    config_version: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")

    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    deleted_at: Mapped[datetime | None]
    deleted_by: Mapped[dict[str, Any] | None]

    __table_args__ = (
        # Slugs route inbound mail, so they are unique across accounts among live brands.
        Index(
            "uq_brands_live_slug",
            "slug",
            unique=True,
            sqlite_where=text("deleted_at IS NULL"),
            postgresql_where=text("deleted_at IS NULL"),
        ),
        # A host serves one brand's portal, whichever account the brand is in. A deleted
        # brand keeps its domain (its portal host stays a 404, never the dashboard) until
        # a live brand takes it over (`brands.service`).
        Index("uq_brands_portal_domain", "portal_domain", unique=True),
        Index("ix_brands_account_id", "account_id"),
    )

    def public_id(self, ticket_number: int) -> str:
        """A ticket's number as people read it: `ACME-1042`."""
        return f"{self.ticket_prefix}-{ticket_number}"

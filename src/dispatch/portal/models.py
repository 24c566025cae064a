"""What the portal keeps: single-use magic links and hosted portal sessions.

Secrets (a link's token, a session's cookie) are stored as their SHA-256 only: they are
long random strings, so a fast hash is enough and a leaked table signs nobody in. Portal
API tokens are stateless (signed with the brand's `portal_secret`, `portal/tokens.py`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from dispatch.core.db import Base


class PortalLink(Base):
    """A magic link emailed to a customer: `portal_url?token=<secret>`. Opened once
    (`used_at`), before `expires_at`; it proves the address, so redeeming it finds or
    creates the brand's contact for `email`."""

    __tablename__ = "portal_links"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    brand_id: Mapped[str] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(320))  # lower case
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    portal_url: Mapped[str] = mapped_column(String(2048))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]

    __table_args__ = (
        # Links sent to an address lately (the per-address limit).
        Index("ix_portal_links_recent", "brand_id", "email", "created_at"),
        Index("ix_portal_links_expires_at", "expires_at"),
    )


class PortalSession(Base):
    """A customer signed in to the hosted portal (`portal/sessions.py`). It ends at
    `expires_at` (absolute), on sign-out (`revoked_at`), or when the brand's portal
    secret is rotated (`secret_version` no longer matches)."""

    __tablename__ = "portal_sessions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    brand_id: Mapped[str] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"))
    contact_id: Mapped[str] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # `tokens.secret_version(brand)` when the session began.
    secret_version: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_portal_sessions_expires_at", "expires_at"),)

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column

from dispatch.core.db import Base
from dispatch.core.types import JSONType


class Account(Base):
    __tablename__ = "accounts"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class ApiKey(Base):
    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    account_id: Mapped[str] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    # Only the SHA-256 of the secret is kept; secrets are 190 random bits, so no slow hash.
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(20))
    last_four: Mapped[str] = mapped_column(String(4))
    all_brands: Mapped[bool]
    # Brand ids this key may use when all_brands is false.
    brand_ids: Mapped[list[str]] = mapped_column(JSONType)
    created_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class Member(Base):
    """A team member of an account: someone tickets can be assigned to, who signs in to
    the dashboard. Owners and admins reach every brand; a member the brands listed."""

    __tablename__ = "members"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(320))
    name: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    all_brands: Mapped[bool] = mapped_column(server_default=true())
    brand_ids: Mapped[list[str]] = mapped_column(JSONType, server_default="[]")
    # argon2id; None until the member sets a password (an invitee, or one who signs in
    # by emailed link only).
    password_hash: Mapped[str | None] = mapped_column(String(200))
    last_sign_in_at: Mapped[datetime | None]
    # A deactivated member keeps their history but cannot sign in.
    deactivated_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    __table_args__ = (UniqueConstraint("account_id", "email"),)

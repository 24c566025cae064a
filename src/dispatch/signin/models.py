"""What signing in keeps: sessions, single-use emailed links, and failed attempts.

Secrets (session cookies, link tokens) are stored as their SHA-256 only: they are long
random strings, so a fast hash is enough and a leaked table signs nobody in."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from dispatch.core.db import Base


class WebSession(Base):
    """A signed-in browser. It ends at `expires_at` (absolute), after the idle limit
    since `last_seen_at`, on sign-out, or when the member signs out everywhere."""

    __tablename__ = "web_sessions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    member_id: Mapped[str] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    # Sent back with every state-changing request (form field or X-CSRF-Token header).
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    user_agent: Mapped[str | None] = mapped_column(String(300))
    ip: Mapped[str | None] = mapped_column(String(64))


class MemberToken(Base):
    """A single-use link sent by email: sign in, reset a password, accept an invitation;
    or the first run's printed link, which belongs to no member yet (whoever opens it
    becomes the account's owner)."""

    __tablename__ = "member_tokens"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    purpose: Mapped[str] = mapped_column(String(20))
    account_id: Mapped[str] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    member_id: Mapped[str | None] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class SignInFailure(Base):
    """One refused sign-in, counted per address and per client to throttle guessing."""

    __tablename__ = "sign_in_failures"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    # "email" (the address tried) or "ip" (the client).
    scope: Mapped[str] = mapped_column(String(8))
    key: Mapped[str] = mapped_column(String(320))
    at: Mapped[datetime]

    __table_args__ = (Index("ix_sign_in_failures_key", "scope", "key", "at"),)

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from dispatch.core.db import Base
from dispatch.core.leases import Leased
from dispatch.core.types import JSONType

DUE = text("status IN ('PENDING', 'RETRYING')")


class InboundMessage(Leased, Base):
    """A received email, stored (raw) before the sender is told 250, processed later."""

    __tablename__ = "inbound_messages"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    brand_id: Mapped[str] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"))
    # The address it was accepted for (brand slug, brand id or reply address).
    recipient: Mapped[str] = mapped_column(String(320))
    envelope_sender: Mapped[str | None] = mapped_column(String(320))
    message_id: Mapped[str | None] = mapped_column(String(998))
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    size: Mapped[int]
    source: Mapped[str] = mapped_column(String(10))  # smtp | http
    status: Mapped[str] = mapped_column(String(10))  # RECEIVED | PROCESSED | FAILED
    attempts: Mapped[int]
    received_at: Mapped[datetime]
    processed_at: Mapped[datetime | None]
    # What processing did: {action: created|replied|bounce|ignored|spam, ticketId, ...}.
    outcome: Mapped[dict[str, Any] | None]
    error: Mapped[str | None] = mapped_column(String(1000))

    __table_args__ = (
        # The same message delivered twice is stored once.
        Index(
            "uq_inbound_messages_message_id",
            "brand_id",
            "message_id",
            unique=True,
            sqlite_where=text("message_id IS NOT NULL"),
            postgresql_where=text("message_id IS NOT NULL"),
        ),
        Index(
            "ix_inbound_messages_received",
            "received_at",
            sqlite_where=text("status = 'RECEIVED'"),
            postgresql_where=text("status = 'RECEIVED'"),
        ),
    )


class EmailMessage(Base):
    """A Message-ID known to belong to a ticket (received or sent): what replies thread by."""

    __tablename__ = "email_messages"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    brand_id: Mapped[str] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"))
    ticket_id: Mapped[str] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    comment_id: Mapped[str | None] = mapped_column(String(32))
    message_id: Mapped[str] = mapped_column(String(998))
    direction: Mapped[str] = mapped_column(String(10))  # inbound | outbound
    created_at: Mapped[datetime]

    __table_args__ = (
        UniqueConstraint("brand_id", "message_id"),
        Index("ix_email_messages_ticket", "ticket_id"),
    )


class OutboundEmail(Leased, Base):
    """One email to send, generated from an event by the worker and sent through the relay
    with retries; every send is recorded here."""

    __tablename__ = "outbound_emails"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    # None for the account's own mail to its team (sign-in links, invitations).
    brand_id: Mapped[str | None] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"))
    ticket_id: Mapped[str | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"))
    # Why it is sent: comment, autoresponse, ticket_created, watcher_comment, ...
    kind: Mapped[str] = mapped_column(String(30))
    event_id: Mapped[str | None] = mapped_column(String(32))
    to_address: Mapped[str] = mapped_column(String(320))
    cc: Mapped[list[str]] = mapped_column(JSONType)
    from_address: Mapped[str] = mapped_column(String(320))
    from_name: Mapped[str | None] = mapped_column(String(200))
    reply_to: Mapped[str | None] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(998))
    message_id: Mapped[str] = mapped_column(String(998))
    in_reply_to: Mapped[str | None] = mapped_column(String(998))
    references: Mapped[str | None] = mapped_column(Text)
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str | None] = mapped_column(Text)
    auto_submitted: Mapped[bool]
    status: Mapped[str] = mapped_column(String(10))  # PENDING | RETRYING | SENT | FAILED
    attempts: Mapped[int]
    next_attempt_at: Mapped[datetime]
    last_error: Mapped[str | None] = mapped_column(String(1000))
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]

    __table_args__ = (
        # An event yields each kind of email to each recipient once, however often the
        # worker looks at it.
        UniqueConstraint("event_id", "kind", "to_address"),
        Index("ix_outbound_emails_due", "next_attempt_at", sqlite_where=DUE, postgresql_where=DUE),
        Index("ix_outbound_emails_ticket", "ticket_id", "created_at"),
    )


class InboundSecret(Base):
    """The per-account secret that authenticates inbound-parse webhooks (`POST
    /v1/inbound/email`); owners read and rotate it."""

    __tablename__ = "inbound_secrets"

    account_id: Mapped[str] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    # Unique and indexed: an inbound request is authenticated by looking its secret up.
    secret: Mapped[str] = mapped_column(String(100), unique=True)
    created_at: Mapped[datetime]
    rotated_at: Mapped[datetime | None]

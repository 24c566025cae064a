"""Web forms: a brand's form tokens. A public HTML form (or a script) posts to
`/forms/<token>` and each submission becomes a ticket."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from dispatch.core.db import Base
from dispatch.core.types import JSONType


class FormToken(Base):
    __tablename__ = "form_tokens"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    brand_id: Mapped[str] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    # `ft_...`, the secret part of the public URL; regenerating replaces it.
    token: Mapped[str] = mapped_column(String(64), unique=True)
    success_url: Mapped[str | None] = mapped_column(String(2048))
    error_url: Mapped[str | None] = mapped_column(String(2048))
    thank_you_message: Mapped[str | None] = mapped_column(String(2000))
    # Form field name -> ticket property (title, body, priority, customerEmail,
    # customerName, customFields.<key>); fields it does not name use the default mapping.
    field_mapping: Mapped[dict[str, str] | None] = mapped_column(JSONType)
    honeypot_field: Mapped[str | None] = mapped_column(String(100))
    # Exact, normalized origins (https://www.example.com) allowed to post from a browser.
    allowed_origins: Mapped[list[str]] = mapped_column(JSONType)
    enabled: Mapped[bool]
    submission_count: Mapped[int]
    last_submission_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    __table_args__ = (Index("ix_form_tokens_brand_id", "brand_id"),)

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from dispatch.core.db import Base


class SavedView(Base):
    """A named inbox filter: the query string of a bookmarkable inbox URL. Personal views
    are their member's; shared ones belong to everyone who may open their brand."""

    __tablename__ = "saved_views"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    # None: a view of All inboxes (the cross-brand queue).
    brand_id: Mapped[str | None] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"))
    member_id: Mapped[str] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    query: Mapped[str] = mapped_column(String(2000))
    shared: Mapped[bool]
    created_at: Mapped[datetime]

    __table_args__ = (Index("ix_saved_views_account_id_brand_id", "account_id", "brand_id"),)

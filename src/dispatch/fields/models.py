from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from dispatch.core.db import Base
from dispatch.core.types import JSONType


class FieldDefinition(Base):
    """A custom field of tickets, contacts or companies; values live in their
    `customFields` maps under `key`."""

    __tablename__ = "field_definitions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    brand_id: Mapped[str] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"))
    entity_type: Mapped[str] = mapped_column(String(10))  # ticket | contact | company
    key: Mapped[str] = mapped_column(String(50))
    label: Mapped[str] = mapped_column(String(100))
    type: Mapped[str] = mapped_column(String(12))
    required: Mapped[bool]
    default_value: Mapped[Any | None] = mapped_column(JSONType)
    description: Mapped[str | None] = mapped_column(String(1000))
    placeholder: Mapped[str | None] = mapped_column(String(200))
    options: Mapped[list[str] | None] = mapped_column(JSONType)
    show_on_create: Mapped[bool]
    show_in_table: Mapped[bool]
    show_in_detail: Mapped[bool]
    # A ticket field customers see (portal form and ticket view); no other value reaches them.
    portal_visible: Mapped[bool] = mapped_column(default=False, server_default=false())
    sort_order: Mapped[int]
    source: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    __table_args__ = (UniqueConstraint("brand_id", "entity_type", "key"),)

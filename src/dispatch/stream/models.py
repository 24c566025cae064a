"""The stream's rows: each event in commit order, and the last `seq` given out."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from dispatch.core.db import Base
from dispatch.core.events import PositionType

# The primary key of the single `stream_head` row.
HEAD_ID = 1


class StreamEvent(Base):
    """One event as the stream sends it. `seq` grows in the order the rows commit (see
    `repository.lock_head`), which is what lets a reader tail the table by `seq` without
    missing a row; `events.position` does not (a sequence value taken early may commit
    late). No foreign key, like `events`: rows age out (`consumer.prune`)."""

    __tablename__ = "stream_events"

    seq: Mapped[int] = mapped_column(PositionType, primary_key=True, autoincrement=False)
    event_id: Mapped[str] = mapped_column(String(32), unique=True)
    brand_id: Mapped[str] = mapped_column(String(32))
    type: Mapped[str] = mapped_column(String(64))
    # The exact JSON body a webhook receives for the event (`webhooks.payloads.render`).
    payload: Mapped[str] = mapped_column(Text)
    appended_at: Mapped[datetime]

    __table_args__ = (
        Index("ix_stream_events_brand_seq", "brand_id", "seq"),
        Index("ix_stream_events_appended_at", "appended_at"),
    )


class StreamHead(Base):
    """The last `seq` given out, in one row that every append locks: appends run one at
    a time, and `seq` never goes back, even when pruning empties `stream_events`."""

    __tablename__ = "stream_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(PositionType)

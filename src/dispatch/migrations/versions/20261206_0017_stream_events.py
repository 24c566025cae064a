"""stream_events and stream_head: the live event stream, in commit order

The outbox's new `stream` consumer copies each event into `stream_events` under a `seq`
that follows commit order (appends lock the single `stream_head` row, which holds the
last `seq` given out); Server-Sent Events readers tail the table by `seq`. Events already
in the outbox get no `stream` inbox row: the stream starts with the events after this
migration.

Revision ID: 0017_stream_events
Revises: 0016_ticket_viewers
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017_stream_events"
down_revision: str | None = "0016_ticket_viewers"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "stream_events",
        sa.Column("seq", SEQ, autoincrement=False, nullable=False),
        sa.Column("event_id", sa.String(length=32), nullable=False),
        sa.Column("brand_id", sa.String(length=32), nullable=False),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("appended_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_stream_events")),
        sa.UniqueConstraint("event_id", name=op.f("uq_stream_events_event_id")),
    )
    op.create_index("ix_stream_events_brand_seq", "stream_events", ["brand_id", "seq"])
    op.create_index("ix_stream_events_appended_at", "stream_events", ["appended_at"])
    head = op.create_table(
        "stream_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("seq", SEQ, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stream_head")),
    )
    op.bulk_insert(head, [{"id": 1, "seq": 0}])


def downgrade() -> None:
    op.drop_table("stream_head")
    op.drop_index("ix_stream_events_appended_at", table_name="stream_events")
    op.drop_index("ix_stream_events_brand_seq", table_name="stream_events")
    op.drop_table("stream_events")

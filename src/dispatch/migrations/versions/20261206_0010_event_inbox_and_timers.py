"""outbox consumers and timers: event_inbox replaces events.dispatched_at/emailed_at; timers

Each consumer of the outbox now takes its work from its own inbox rows (one per event it
has yet to consume) instead of a column per consumer on `events`. The events not yet fanned
out to webhooks (`dispatched_at` null) and not yet considered for email (`emailed_at`
null) become inbox rows of `webhooks` and `email`, so nothing pending is lost; then the
two columns and their partial indexes go. `timers` holds persisted timers (periodic jobs
now; per-ticket deadlines next). The lease columns of deliveries and emails stay as they
were.

Revision ID: 0010_inbox_timers
Revises: 0009_ticket_schema
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0010_inbox_timers"
down_revision: str | None = "0009_ticket_schema"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Consumer name -> the events column that said it had consumed an event.
CONSUMED_AT = {"webhooks": "dispatched_at", "email": "emailed_at"}
INDEXES = {"dispatched_at": "ix_events_undispatched", "emailed_at": "ix_events_unemailed"}


def upgrade() -> None:
    op.create_table(
        "event_inbox",
        sa.Column("consumer", sa.String(length=32), nullable=False),
        sa.Column(
            "position",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column("leased_by", sa.String(length=64), nullable=True),
        sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["position"],
            ["events.position"],
            name=op.f("fk_event_inbox_position_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("consumer", "position", name=op.f("pk_event_inbox")),
    )
    op.create_table(
        "timers",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("target_id", sa.String(length=64), nullable=False),
        sa.Column("brand_id", sa.String(length=32), nullable=True),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "payload",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=1000), nullable=True),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("leased_by", sa.String(length=64), nullable=True),
        sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["brand_id"], ["brands.id"], name=op.f("fk_timers_brand_id_brands"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_timers")),
        sa.UniqueConstraint("kind", "target_id", name=op.f("uq_timers_kind_target_id")),
    )
    op.create_index("ix_timers_brand", "timers", ["brand_id"], unique=False)
    op.create_index(
        "ix_timers_due",
        "timers",
        ["due_at"],
        unique=False,
        sqlite_where=sa.text("failed_at IS NULL"),
        postgresql_where=sa.text("failed_at IS NULL"),
    )

    for consumer, column in CONSUMED_AT.items():
        op.execute(
            sa.text(
                "INSERT INTO event_inbox (consumer, position) "
                f"SELECT :consumer, position FROM events WHERE {column} IS NULL"
            ).bindparams(consumer=consumer)
        )
    for column, index in INDEXES.items():
        op.drop_index(index, table_name="events")
        # A plain DROP COLUMN (SQLite 3.35+ has it): a batch rebuild of `events` would drop
        # the table its inbox rows and deliveries cascade from.
        op.drop_column("events", column)


def downgrade() -> None:
    for consumer, column in CONSUMED_AT.items():
        op.add_column("events", sa.Column(column, sa.DateTime(timezone=True), nullable=True))
        op.execute(
            sa.text(
                f"UPDATE events SET {column} = created_at WHERE position NOT IN "
                "(SELECT position FROM event_inbox WHERE consumer = :consumer)"
            ).bindparams(consumer=consumer)
        )
        op.create_index(
            INDEXES[column],
            "events",
            ["position"],
            unique=False,
            sqlite_where=sa.text(f"{column} IS NULL"),
            postgresql_where=sa.text(f"{column} IS NULL"),
        )
    op.drop_index("ix_timers_due", table_name="timers")
    op.drop_index("ix_timers_brand", table_name="timers")
    op.drop_table("timers")
    op.drop_table("event_inbox")

"""email: events know when the email channel considered them (emailed_at)

The email channel keeps its own place in the outbox, independent of webhook fan-out
(`dispatched_at`): every event gets `emailed_at` once the worker has turned it into its
emails (most events yield none). A partial index keeps finding the unconsidered ones cheap.

Revision ID: 0005b
Revises: 0005
Create Date: 2026-11-25 22:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005b"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("emailed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(
            "ix_events_unemailed",
            ["position"],
            unique=False,
            sqlite_where=sa.text("emailed_at IS NULL"),
            postgresql_where=sa.text("emailed_at IS NULL"),
        )

    # Events written before the email channel existed are history, not work: mailing
    # customers about months-old comments on upgrade would be wrong.
    op.execute("UPDATE events SET emailed_at = created_at")


def downgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_events_unemailed",
            sqlite_where=sa.text("emailed_at IS NULL"),
            postgresql_where=sa.text("emailed_at IS NULL"),
        )
        batch_op.drop_column("emailed_at")

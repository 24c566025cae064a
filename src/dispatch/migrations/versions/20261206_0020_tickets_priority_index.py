"""tickets: a keyset index for the inbox sorted by priority

Without it a brand's inbox sorted by priority read and sorted every ticket of the view
(the 20,000 active tickets of a 100k brand: ~95 ms); with it the page walks the index in
order and stops after a page of matches.

Revision ID: 0020_tickets_priority_index
Revises: 0019_analytics_indexes
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020_tickets_priority_index"
down_revision: str | None = "0019_analytics_indexes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LIVE = sa.text("deleted_at IS NULL")


def upgrade() -> None:
    op.create_index(
        "ix_tickets_live_priority",
        "tickets",
        ["brand_id", "priority", "id"],
        unique=False,
        sqlite_where=LIVE,
        postgresql_where=LIVE,
    )


def downgrade() -> None:
    op.drop_index("ix_tickets_live_priority", table_name="tickets")

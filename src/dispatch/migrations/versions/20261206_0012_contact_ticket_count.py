"""contacts: ticket_count, kept with each ticket change instead of counted per render

Revision ID: 0012_contact_ticket_count
Revises: 0011_member_brand_access
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_contact_ticket_count"
down_revision: str | None = "0011_member_brand_access"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The tickets a contact's count covers: live, not spam, not merged away.
BACKFILL = """
UPDATE contacts SET ticket_count = (
    SELECT count(*) FROM tickets
    WHERE tickets.customer_id = contacts.id
      AND tickets.deleted_at IS NULL
      AND NOT tickets.is_spam
      AND tickets.merged_into_id IS NULL
)
"""


# Plain ADD/DROP COLUMN (SQLite has both): a batch rebuild of `contacts` would drop its
# full-text triggers.
def upgrade() -> None:
    op.add_column(
        "contacts", sa.Column("ticket_count", sa.Integer(), server_default="0", nullable=False)
    )
    op.execute(BACKFILL)


def downgrade() -> None:
    op.drop_column("contacts", "ticket_count")

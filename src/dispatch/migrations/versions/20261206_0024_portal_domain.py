"""portal domain: a brand's own host name for its hosted portal, unique across brands

Revision ID: 0024_portal_domain
Revises: 0023_web_forms
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024_portal_domain"
down_revision: str | None = "0023_web_forms"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN (nullable): a batch rebuild of `brands` on SQLite would drop the
    # table, and with it (ON DELETE CASCADE) every brand's data.
    op.add_column("brands", sa.Column("portal_domain", sa.String(length=253), nullable=True))
    op.create_index("uq_brands_portal_domain", "brands", ["portal_domain"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_brands_portal_domain", table_name="brands")
    # DROP COLUMN, plain (SQLite 3.35+), for the same reason.
    op.drop_column("brands", "portal_domain")

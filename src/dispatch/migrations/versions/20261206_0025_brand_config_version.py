"""brand config version: set anew with every change to a brand's statuses or field
definitions, so processes can keep copies of them (core.versioned)

Revision ID: 0025_brand_config_version
Revises: 0024_portal_domain
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0025_brand_config_version"
down_revision: str | None = "0024_portal_domain"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN: a batch rebuild of `brands` on SQLite would drop the table, and
    # with it (ON DELETE CASCADE) every brand's data.
    op.add_column(
        "brands",
        sa.Column("config_version", sa.BigInteger(), nullable=False, server_default="0"),
    )


def downgrade() -> None:
    op.drop_column("brands", "config_version")

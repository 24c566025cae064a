"""email: inbound secrets are unique and indexed (requests are authenticated by lookup)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("inbound_secrets", schema=None) as batch_op:
        batch_op.create_unique_constraint("uq_inbound_secrets_secret", ["secret"])


def downgrade() -> None:
    with op.batch_alter_table("inbound_secrets", schema=None) as batch_op:
        batch_op.drop_constraint("uq_inbound_secrets_secret", type_="unique")

"""webhooks: when a webhook was disabled (disabled_at)

Revision ID: 0018_webhook_disabled_at
Revises: 0017_stream_events
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018_webhook_disabled_at"
down_revision: str | None = "0017_stream_events"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("webhooks", sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True))
    # The best record of when a webhook already disabled was disabled: its last change.
    op.execute("UPDATE webhooks SET disabled_at = updated_at WHERE enabled = false")


def downgrade() -> None:
    op.drop_column("webhooks", "disabled_at")

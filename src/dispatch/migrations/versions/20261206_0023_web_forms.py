"""web forms: a brand's form tokens (public `POST /forms/<token>` makes tickets)

Revision ID: 0023_web_forms
Revises: 0022_portal
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0023_web_forms"
down_revision: str | None = "0022_portal"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "form_tokens",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("brand_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("success_url", sa.String(length=2048), nullable=True),
        sa.Column("error_url", sa.String(length=2048), nullable=True),
        sa.Column("thank_you_message", sa.String(length=2000), nullable=True),
        sa.Column("field_mapping", JSON, nullable=True),
        sa.Column("honeypot_field", sa.String(length=100), nullable=True),
        sa.Column("allowed_origins", JSON, nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("submission_count", sa.Integer(), nullable=False),
        sa.Column("last_submission_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["brand_id"],
            ["brands.id"],
            name=op.f("fk_form_tokens_brand_id_brands"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_form_tokens")),
        sa.UniqueConstraint("token", name=op.f("uq_form_tokens_token")),
    )
    op.create_index("ix_form_tokens_brand_id", "form_tokens", ["brand_id"])


def downgrade() -> None:
    op.drop_index("ix_form_tokens_brand_id", table_name="form_tokens")
    op.drop_table("form_tokens")

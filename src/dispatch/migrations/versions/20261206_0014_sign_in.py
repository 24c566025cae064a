"""sign-in: members' passwords, web sessions, emailed links, failed attempts; team mail
without a brand

Revision ID: 0014_sign_in
Revises: 0013_notify_from_inbox
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014_sign_in"
down_revision: str | None = "0013_notify_from_inbox"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.add_column(sa.Column("password_hash", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("last_sign_in_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("deactivated_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("outbound_emails", schema=None) as batch_op:
        batch_op.alter_column("brand_id", existing_type=sa.String(length=32), nullable=True)
    op.create_table(
        "web_sessions",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("member_id", sa.String(length=32), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_agent", sa.String(length=300), nullable=True),
        sa.Column("ip", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_web_sessions_member_id_members"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_web_sessions_token_hash")),
    )
    op.create_index(op.f("ix_web_sessions_member_id"), "web_sessions", ["member_id"])
    op.create_table(
        "member_tokens",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("purpose", sa.String(length=20), nullable=False),
        sa.Column("account_id", sa.String(length=32), nullable=False),
        sa.Column("member_id", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_member_tokens_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_member_tokens_member_id_members"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_member_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_member_tokens_token_hash")),
    )
    op.create_index(op.f("ix_member_tokens_account_id"), "member_tokens", ["account_id"])
    op.create_index(op.f("ix_member_tokens_member_id"), "member_tokens", ["member_id"])
    op.create_table(
        "sign_in_failures",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("scope", sa.String(length=8), nullable=False),
        sa.Column("key", sa.String(length=320), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sign_in_failures")),
    )
    op.create_index("ix_sign_in_failures_key", "sign_in_failures", ["scope", "key", "at"])


def downgrade() -> None:
    op.drop_index("ix_sign_in_failures_key", table_name="sign_in_failures")
    op.drop_table("sign_in_failures")
    op.drop_index(op.f("ix_member_tokens_member_id"), table_name="member_tokens")
    op.drop_index(op.f("ix_member_tokens_account_id"), table_name="member_tokens")
    op.drop_table("member_tokens")
    op.drop_index(op.f("ix_web_sessions_member_id"), table_name="web_sessions")
    op.drop_table("web_sessions")
    op.execute("DELETE FROM outbound_emails WHERE brand_id IS NULL")
    with op.batch_alter_table("outbound_emails", schema=None) as batch_op:
        batch_op.alter_column("brand_id", existing_type=sa.String(length=32), nullable=False)
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.drop_column("deactivated_at")
        batch_op.drop_column("last_sign_in_at")
        batch_op.drop_column("password_hash")

"""email: inbound messages, message ids, outbound emails, inbound secrets

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 21:17:39.246570
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "inbound_secrets",
        sa.Column("account_id", sa.String(length=32), nullable=False),
        sa.Column("secret", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rotated_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_inbound_secrets_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_inbound_secrets")),
    )
    op.create_table(
        "inbound_messages",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("brand_id", sa.String(length=32), nullable=False),
        sa.Column("recipient", sa.String(length=320), nullable=False),
        sa.Column("envelope_sender", sa.String(length=320), nullable=True),
        sa.Column("message_id", sa.String(length=998), nullable=True),
        sa.Column("raw", sa.LargeBinary(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("leased_by", sa.String(length=64), nullable=True),
        sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "outcome",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("error", sa.String(length=1000), nullable=True),
        sa.ForeignKeyConstraint(
            ["brand_id"],
            ["brands.id"],
            name=op.f("fk_inbound_messages_brand_id_brands"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbound_messages")),
    )
    with op.batch_alter_table("inbound_messages", schema=None) as batch_op:
        batch_op.create_index(
            "ix_inbound_messages_received",
            ["received_at"],
            unique=False,
            sqlite_where=sa.text("status = 'RECEIVED'"),
            postgresql_where=sa.text("status = 'RECEIVED'"),
        )
        batch_op.create_index(
            "uq_inbound_messages_message_id",
            ["brand_id", "message_id"],
            unique=True,
            sqlite_where=sa.text("message_id IS NOT NULL"),
            postgresql_where=sa.text("message_id IS NOT NULL"),
        )

    op.create_table(
        "email_messages",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("brand_id", sa.String(length=32), nullable=False),
        sa.Column("ticket_id", sa.String(length=32), nullable=False),
        sa.Column("comment_id", sa.String(length=32), nullable=True),
        sa.Column("message_id", sa.String(length=998), nullable=False),
        sa.Column("direction", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["brand_id"],
            ["brands.id"],
            name=op.f("fk_email_messages_brand_id_brands"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
            name=op.f("fk_email_messages_ticket_id_tickets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_email_messages")),
        sa.UniqueConstraint(
            "brand_id", "message_id", name=op.f("uq_email_messages_brand_id_message_id")
        ),
    )
    with op.batch_alter_table("email_messages", schema=None) as batch_op:
        batch_op.create_index("ix_email_messages_ticket", ["ticket_id"], unique=False)

    op.create_table(
        "outbound_emails",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("brand_id", sa.String(length=32), nullable=False),
        sa.Column("ticket_id", sa.String(length=32), nullable=True),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("event_id", sa.String(length=32), nullable=True),
        sa.Column("to_address", sa.String(length=320), nullable=False),
        sa.Column(
            "cc",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("from_address", sa.String(length=320), nullable=False),
        sa.Column("from_name", sa.String(length=200), nullable=True),
        sa.Column("reply_to", sa.String(length=320), nullable=True),
        sa.Column("subject", sa.String(length=998), nullable=False),
        sa.Column("message_id", sa.String(length=998), nullable=False),
        sa.Column("in_reply_to", sa.String(length=998), nullable=True),
        sa.Column("references", sa.Text(), nullable=True),
        sa.Column("text_body", sa.Text(), nullable=False),
        sa.Column("html_body", sa.Text(), nullable=True),
        sa.Column("auto_submitted", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("leased_by", sa.String(length=64), nullable=True),
        sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=1000), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["brand_id"],
            ["brands.id"],
            name=op.f("fk_outbound_emails_brand_id_brands"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
            name=op.f("fk_outbound_emails_ticket_id_tickets"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbound_emails")),
        sa.UniqueConstraint(
            "event_id",
            "kind",
            "to_address",
            name=op.f("uq_outbound_emails_event_id_kind_to_address"),
        ),
    )
    with op.batch_alter_table("outbound_emails", schema=None) as batch_op:
        batch_op.create_index(
            "ix_outbound_emails_due",
            ["next_attempt_at"],
            unique=False,
            sqlite_where=sa.text("status IN ('PENDING', 'RETRYING')"),
            postgresql_where=sa.text("status IN ('PENDING', 'RETRYING')"),
        )
        batch_op.create_index(
            "ix_outbound_emails_ticket", ["ticket_id", "created_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("outbound_emails", schema=None) as batch_op:
        batch_op.drop_index("ix_outbound_emails_ticket")
        batch_op.drop_index(
            "ix_outbound_emails_due",
            sqlite_where=sa.text("status IN ('PENDING', 'RETRYING')"),
            postgresql_where=sa.text("status IN ('PENDING', 'RETRYING')"),
        )

    op.drop_table("outbound_emails")
    with op.batch_alter_table("email_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_email_messages_ticket")

    op.drop_table("email_messages")
    with op.batch_alter_table("inbound_messages", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_inbound_messages_message_id",
            sqlite_where=sa.text("message_id IS NOT NULL"),
            postgresql_where=sa.text("message_id IS NOT NULL"),
        )
        batch_op.drop_index(
            "ix_inbound_messages_received",
            sqlite_where=sa.text("status = 'RECEIVED'"),
            postgresql_where=sa.text("status = 'RECEIVED'"),
        )

    op.drop_table("inbound_messages")
    op.drop_table("inbound_secrets")

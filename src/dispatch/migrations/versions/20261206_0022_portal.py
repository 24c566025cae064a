"""portal: the brands' portal secret and switches, portal-visible ticket fields, magic
links and hosted portal sessions

Every existing brand gets its own random portal secret (new brands get one at creation).

Revision ID: 0022_portal
Revises: 0021_analytics_rollups
Create Date: 2026-12-06
"""

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022_portal"
down_revision: str | None = "0021_analytics_rollups"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _backfill_secrets(connection: sa.Connection) -> None:
    brands = sa.table("brands", sa.column("id", sa.String), sa.column("portal_secret", sa.String))
    ids = connection.execute(sa.select(brands.c.id)).scalars().all()
    for brand_id in ids:
        connection.execute(
            brands.update()
            .where(brands.c.id == brand_id)
            .values(portal_secret=secrets.token_hex(32))
        )


def upgrade() -> None:
    # Plain ADD COLUMN with server defaults (SQLite has it): a batch rebuild of `brands`
    # would drop the table, and with it (ON DELETE CASCADE) every brand's data.
    op.add_column(
        "brands",
        sa.Column(
            "portal_secret", sa.String(length=64), nullable=False, server_default=sa.text("''")
        ),
    )
    op.add_column(
        "brands",
        sa.Column("portal_enabled", sa.Boolean(), nullable=False, server_default=sa.true()),
    )
    op.add_column(
        "brands",
        sa.Column("portal_categories", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    _backfill_secrets(op.get_bind())
    op.add_column(
        "field_definitions",
        sa.Column("portal_visible", sa.Boolean(), nullable=False, server_default=sa.false()),
    )

    op.create_table(
        "portal_links",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("brand_id", sa.String(length=32), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("portal_url", sa.String(length=2048), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["brand_id"],
            ["brands.id"],
            name=op.f("fk_portal_links_brand_id_brands"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_links")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_portal_links_token_hash")),
    )
    op.create_index("ix_portal_links_recent", "portal_links", ["brand_id", "email", "created_at"])
    op.create_index("ix_portal_links_expires_at", "portal_links", ["expires_at"])
    op.create_table(
        "portal_sessions",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("brand_id", sa.String(length=32), nullable=False),
        sa.Column("contact_id", sa.String(length=32), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("secret_version", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["brand_id"],
            ["brands.id"],
            name=op.f("fk_portal_sessions_brand_id_brands"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.id"],
            name=op.f("fk_portal_sessions_contact_id_contacts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_portal_sessions_token_hash")),
    )
    op.create_index(op.f("ix_portal_sessions_contact_id"), "portal_sessions", ["contact_id"])
    op.create_index("ix_portal_sessions_expires_at", "portal_sessions", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_portal_sessions_expires_at", table_name="portal_sessions")
    op.drop_index(op.f("ix_portal_sessions_contact_id"), table_name="portal_sessions")
    op.drop_table("portal_sessions")
    op.drop_index("ix_portal_links_expires_at", table_name="portal_links")
    op.drop_index("ix_portal_links_recent", table_name="portal_links")
    op.drop_table("portal_links")
    # DROP COLUMN, plain (SQLite 3.35+), for the same reason.
    op.drop_column("field_definitions", "portal_visible")
    for column in ("portal_categories", "portal_enabled", "portal_secret"):
        op.drop_column("brands", column)

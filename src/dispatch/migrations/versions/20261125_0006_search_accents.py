"""search: accents ignored on PostgreSQL too (unaccent in the full-text indexes)

SQLite's FTS5 tables already fold diacritics (`remove_diacritics 2`). On PostgreSQL the
`unaccent` extension (trusted since PostgreSQL 13: a database owner may create it) is
wrapped in an IMMUTABLE function so index expressions may use it, and the three search
indexes are rebuilt over unaccented text.

Revision ID: 0006
Revises: 0005b
Create Date: 2026-11-25
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005b"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# unaccent() is STABLE because its dictionary could change; naming the dictionary
# explicitly makes the result depend on the input alone.
FUNCTION = (
    "CREATE OR REPLACE FUNCTION dispatch_unaccent(text) RETURNS text "
    "LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT "
    "AS $$ SELECT public.unaccent('public.unaccent'::regdictionary, $1) $$"
)


def _document(columns: str) -> str:
    return f"to_tsvector('simple'::regconfig, dispatch_unaccent(translate({columns}, '@.', '  ')))"


def _joined(*columns: str) -> str:
    return " || ' ' || ".join(f"coalesce({column}, '')" for column in columns)


INDEXES = {
    "ix_tickets_search": ("tickets", _joined("title", "body", "customer_email", "customer_name")),
    "ix_comments_search": ("comments", _joined("body")),
    "ix_contacts_search": ("contacts", _joined("name", "email")),
}


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS unaccent SCHEMA public")
    op.execute(FUNCTION)
    for name, (table, columns) in INDEXES.items():
        op.execute(f"DROP INDEX {name}")
        op.execute(
            f"CREATE INDEX {name} ON {table} USING gin ({_document(columns)}) "
            "WHERE deleted_at IS NULL"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, (table, columns) in INDEXES.items():
        op.execute(f"DROP INDEX {name}")
        op.execute(
            f"CREATE INDEX {name} ON {table} USING gin "
            f"(to_tsvector('simple'::regconfig, translate({columns}, '@.', '  '))) "
            "WHERE deleted_at IS NULL"
        )
    op.execute("DROP FUNCTION dispatch_unaccent(text)")

"""search: PostgreSQL full-text indexes; SQLite FTS5 tables kept by triggers

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

POSTGRESQL = [
    "CREATE INDEX ix_tickets_search ON tickets USING gin (to_tsvector('simple'::regconfig, translate((((((coalesce(title, '') || ' ') || coalesce(body, '')) || ' ') || coalesce(customer_email, '')) || ' ') || coalesce(customer_name, ''), '@.', '  '))) WHERE deleted_at IS NULL",
    "CREATE INDEX ix_comments_search ON comments USING gin (to_tsvector('simple'::regconfig, translate(coalesce(body, ''), '@.', '  '))) WHERE deleted_at IS NULL",
    "CREATE INDEX ix_contacts_search ON contacts USING gin (to_tsvector('simple'::regconfig, translate((coalesce(name, '') || ' ') || coalesce(email, ''), '@.', '  '))) WHERE deleted_at IS NULL",
]

SQLITE = [
    "CREATE VIRTUAL TABLE tickets_fts USING fts5(title, body, customer_email, customer_name, content='tickets', content_rowid='rowid', tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER tickets_fts_ai AFTER INSERT ON tickets BEGIN INSERT INTO tickets_fts(rowid, title, body, customer_email, customer_name) VALUES (new.rowid, new.title, new.body, new.customer_email, new.customer_name); END",
    "CREATE TRIGGER tickets_fts_ad AFTER DELETE ON tickets BEGIN INSERT INTO tickets_fts(tickets_fts, rowid, title, body, customer_email, customer_name) VALUES ('delete', old.rowid, old.title, old.body, old.customer_email, old.customer_name); END",
    "CREATE TRIGGER tickets_fts_au AFTER UPDATE OF title, body, customer_email, customer_name ON tickets BEGIN INSERT INTO tickets_fts(tickets_fts, rowid, title, body, customer_email, customer_name) VALUES ('delete', old.rowid, old.title, old.body, old.customer_email, old.customer_name); INSERT INTO tickets_fts(rowid, title, body, customer_email, customer_name) VALUES (new.rowid, new.title, new.body, new.customer_email, new.customer_name); END",
    "INSERT INTO tickets_fts(tickets_fts) VALUES ('rebuild')",
    "CREATE VIRTUAL TABLE comments_fts USING fts5(body, content='comments', content_rowid='rowid', tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER comments_fts_ai AFTER INSERT ON comments BEGIN INSERT INTO comments_fts(rowid, body) VALUES (new.rowid, new.body); END",
    "CREATE TRIGGER comments_fts_ad AFTER DELETE ON comments BEGIN INSERT INTO comments_fts(comments_fts, rowid, body) VALUES ('delete', old.rowid, old.body); END",
    "CREATE TRIGGER comments_fts_au AFTER UPDATE OF body ON comments BEGIN INSERT INTO comments_fts(comments_fts, rowid, body) VALUES ('delete', old.rowid, old.body); INSERT INTO comments_fts(rowid, body) VALUES (new.rowid, new.body); END",
    "INSERT INTO comments_fts(comments_fts) VALUES ('rebuild')",
    "CREATE VIRTUAL TABLE contacts_fts USING fts5(name, email, content='contacts', content_rowid='rowid', tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER contacts_fts_ai AFTER INSERT ON contacts BEGIN INSERT INTO contacts_fts(rowid, name, email) VALUES (new.rowid, new.name, new.email); END",
    "CREATE TRIGGER contacts_fts_ad AFTER DELETE ON contacts BEGIN INSERT INTO contacts_fts(contacts_fts, rowid, name, email) VALUES ('delete', old.rowid, old.name, old.email); END",
    "CREATE TRIGGER contacts_fts_au AFTER UPDATE OF name, email ON contacts BEGIN INSERT INTO contacts_fts(contacts_fts, rowid, name, email) VALUES ('delete', old.rowid, old.name, old.email); INSERT INTO contacts_fts(rowid, name, email) VALUES (new.rowid, new.name, new.email); END",
    "INSERT INTO contacts_fts(contacts_fts) VALUES ('rebuild')",
]


def upgrade() -> None:
    statements = POSTGRESQL if op.get_bind().dialect.name == "postgresql" else SQLITE
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for index in ("ix_tickets_search", "ix_comments_search", "ix_contacts_search"):
            op.execute(f"DROP INDEX {index}")
        return
    for table in ("tickets", "comments", "contacts"):
        for trigger in ("ai", "ad", "au"):
            op.execute(f"DROP TRIGGER {table}_fts_{trigger}")
        op.execute(f"DROP TABLE {table}_fts")

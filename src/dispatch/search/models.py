"""Full-text search structures.

PostgreSQL: each ticket stores its search document, `tickets.search_document` (title,
body, requester and its non-SYSTEM comments), kept by triggers and GIN-indexed (migration
0008; the column is outside the models). Contacts have a GIN index over the expression
`contact_document()`, which the queries in service.py repeat so the planner can use it.
Text is `dispatch_unaccent`ed (migration 0006: `unaccent` declared IMMUTABLE, as an index
expression must be): "cafe" finds "Café", as SQLite's `remove_diacritics` does.

SQLite: FTS5 tables kept in step by triggers (created by migration 0003); they are not
part of the SQLAlchemy metadata.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Index, func, literal_column, text

from dispatch.contacts.models import Contact

# Inline constants, not bind parameters: an index matches only the same expression.
_SIMPLE: ColumnElement[Any] = literal_column("'simple'::regconfig")
_EMPTY: ColumnElement[str] = literal_column("''")
_SPACE: ColumnElement[str] = literal_column("' '")


_PUNCTUATION: ColumnElement[str] = literal_column("'@.'")
_BLANKS: ColumnElement[str] = literal_column("'  '")


def _document(*columns: Any) -> ColumnElement[Any]:
    joined: Any = func.coalesce(columns[0], _EMPTY)
    for column in columns[1:]:
        joined = joined.op("||")(_SPACE).op("||")(func.coalesce(column, _EMPTY))
    # '@' and '.' become spaces, so "ann@example.com" is found by "ann" or "example.com"
    # alike, as SQLite's tokenizer does.
    return func.to_tsvector(
        _SIMPLE, func.dispatch_unaccent(func.translate(joined, _PUNCTUATION, _BLANKS))
    )


# The stored document and its index (PostgreSQL only), which the models do not know.
TICKET_DOCUMENT_COLUMN = "search_document"
TICKET_DOCUMENT_INDEX = "ix_tickets_search_document"
TICKET_DOCUMENT: ColumnElement[Any] = literal_column(f"tickets.{TICKET_DOCUMENT_COLUMN}")


def contact_document() -> ColumnElement[Any]:
    return _document(Contact.name, Contact.email)


def _gin(name: str, table: Any, expression: ColumnElement[Any]) -> Index:
    # PostgreSQL only: SQLite searches through FTS5 instead.
    return Index(
        name,
        expression,
        postgresql_using="gin",
        postgresql_where=text("deleted_at IS NULL"),
        _table=table,
    ).ddl_if(dialect="postgresql")


CONTACT_SEARCH = _gin("ix_contacts_search", Contact.__table__, contact_document())

FTS_TABLES = ("tickets_fts", "comments_fts", "contacts_fts")


def is_fts_table(name: str | None) -> bool:
    """SQLite's FTS5 tables and their shadow tables (tickets_fts_data, ...)."""
    return bool(name) and any(str(name).startswith(t) for t in FTS_TABLES)


def rebuild_sqlite_fts(execute: Any) -> None:
    """Re-index every FTS5 table from its content table. A migration that rebuilds one of
    those tables on SQLite (batch mode copies rows, changing rowids and dropping
    triggers) must recreate the triggers and call this."""
    for table in FTS_TABLES:  # constant names, not input
        execute(text(f"INSERT INTO {table}({table}) VALUES ('rebuild')"))  # noqa: S608

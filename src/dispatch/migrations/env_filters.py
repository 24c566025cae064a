"""What autogenerate and the models-vs-migrations test compare."""

from __future__ import annotations

from typing import Any

from dispatch.search.models import TICKET_DOCUMENT_COLUMN, TICKET_DOCUMENT_INDEX, is_fts_table


def include_name(name: str | None, type_: str, parents: Any) -> bool:
    # Made by migrations' raw SQL, outside the metadata: SQLite's FTS5 tables, and
    # PostgreSQL's stored ticket search document with its index.
    if type_ == "table":
        return not is_fts_table(name)
    if type_ == "column":
        return not (parents.get("table_name") == "tickets" and name == TICKET_DOCUMENT_COLUMN)
    if type_ == "index":
        return name != TICKET_DOCUMENT_INDEX
    return True

"""What autogenerate and the models-vs-migrations test compare."""

from __future__ import annotations

from typing import Any

from dispatch.search.models import is_fts_table


def include_name(name: str | None, type_: str, _parents: Any) -> bool:
    # SQLite's FTS5 tables are made by a migration's raw SQL, outside the metadata.
    return not (type_ == "table" and is_fts_table(name))

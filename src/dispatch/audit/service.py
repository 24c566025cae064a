"""The activity log: who changed what, when and through which channel."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from dispatch.audit import repository
from dispatch.audit.models import AuditLog
from dispatch.audit.repository import LogFilter
from dispatch.core import clock, transaction
from dispatch.core.actor import Actor
from dispatch.core.db import insert_rows, insert_rows_part
from dispatch.core.ids import new_id
from dispatch.core.pagination import Cursor, split_page

LOG_SORT = "createdAt:desc"


def record(
    session: Session,
    actor: Actor,
    *,
    brand_id: str,
    event: str,
    entity_type: str,
    entity_id: str,
    ticket_id: str | None = None,
    changes: Mapping[str, tuple[Any, Any]] | None = None,
    source: str | None = None,
    metadata: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> AuditLog:
    """An activity entry, written at commit; `at` (default: now) when the caller keeps
    the same instant elsewhere."""
    entry = AuditLog(
        id=new_id("log"),
        account_id=actor.account_id,
        brand_id=brand_id,
        ticket_id=ticket_id,
        event=event,
        entity_type=entity_type,
        entity_id=entity_id,
        changes={f: {"old": old, "new": new} for f, (old, new) in changes.items()}
        if changes
        else None,
        performed_by=actor.performed_by(),
        source=source or actor.source,
        metadata_=metadata,
        created_at=at or clock.now(),
    )
    transaction.record(session, ENTRIES, entry)
    return entry


# Entries are inserted just before the commit, all of a transaction's in one statement,
# as plain rows (nothing reads them back in the transaction); on PostgreSQL as part of the
# commit's one statement.
ENTRIES = transaction.SideState[AuditLog](
    "activity entries", write=insert_rows, part=insert_rows_part
)


def list_logs(
    session: Session, brand_id: str, f: LogFilter, *, cursor: str | None, limit: int
) -> tuple[list[AuditLog], str | None]:
    query = f"{brand_id}/logs:{LOG_SORT}"
    decoded = Cursor.decode(cursor, query=query, datetime_value=True) if cursor else None
    rows = repository.list_logs(session, brand_id, f, cursor=decoded, limit=limit)
    return split_page(
        rows, limit, lambda last: Cursor(query=query, value=last.created_at, id=last.id)
    )


def ticket_history(
    session: Session, ticket_id: str, *, cursor: str | None, limit: int
) -> tuple[list[AuditLog], str | None]:
    """A ticket's entries, oldest first, a page at a time."""
    query = f"{ticket_id}/logs:createdAt:asc"
    decoded = Cursor.decode(cursor, query=query, datetime_value=True) if cursor else None
    rows = repository.ticket_history(session, ticket_id, cursor=decoded, limit=limit)
    return split_page(
        rows, limit, lambda last: Cursor(query=query, value=last.created_at, id=last.id)
    )

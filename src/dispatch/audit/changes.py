"""The event and the activity entry of one change to a brand's record, in the caller's
transaction: the event carries the record as the API shows it and, for an update, the
changed fields (`changes`) and their old values (`previous`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from dispatch.audit import service as audit
from dispatch.core import events
from dispatch.core.actor import Actor

Changes = Mapping[str, tuple[Any, Any]]


def with_changes(data: dict[str, Any], changes: Changes | None) -> dict[str, Any]:
    """`data` plus, when `changes` is given, `changes` (the field names) and `previous`
    (their old values)."""
    if changes is None:
        return data
    return {
        **data,
        "changes": list(changes),
        "previous": {field: old for field, (old, _new) in changes.items()},
    }


def record_change(
    session: Session,
    actor: Actor,
    event: str,
    *,
    brand_id: str,
    entity_type: str,
    entity_id: str,
    data: dict[str, Any],
    changes: Changes | None = None,
    extra: dict[str, Any] | None = None,
    metadata: dict[str, Any] | None = None,
    source: str | None = None,
) -> None:
    """Emit `event` with `data` (with its changes, then `extra`) and record the activity
    entry with `metadata` (and `source` when not the API)."""
    events.emit(session, event, brand_id, {**with_changes(data, changes), **(extra or {})})
    audit.record(
        session,
        actor,
        brand_id=brand_id,
        event=event,
        entity_type=entity_type,
        entity_id=entity_id,
        changes=changes,
        source=source,
        metadata=metadata,
    )

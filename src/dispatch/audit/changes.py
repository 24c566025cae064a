"""The event and the activity entry of one change to a brand's record, in the caller's
transaction: the event carries the record as the API shows it and, for an update, the
changed fields (`changes`) and their old values (`previous`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pydantic.alias_generators import to_camel
from sqlalchemy.orm import Session

from dispatch.audit import service as audit
from dispatch.core import events
from dispatch.core.actor import Actor

Changes = Mapping[str, tuple[Any, Any]]


def assign(
    record: object, given: Mapping[str, Any], fields: Iterable[str]
) -> dict[str, tuple[Any, Any]]:
    """Set each of `fields` that `given` holds with a new value on `record`; the changes,
    by wire name (camelCase), as (old, new)."""
    changes: dict[str, tuple[Any, Any]] = {}
    for field in fields:
        if field in given and given[field] != getattr(record, field):
            changes[to_camel(field)] = (getattr(record, field), given[field])
            setattr(record, field, given[field])
    return changes


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

"""How a contact or company write is checked and recorded: custom field values against
their definitions, unique emails and domains raced for by concurrent writers, and the
activity entry and `contact.*`/`customer.*`/`company.*` events of each change."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dispatch.audit import service as audit
from dispatch.audit.changes import with_changes
from dispatch.brands.models import Brand
from dispatch.contacts.models import Company, Contact
from dispatch.contacts.rendering import render_contacts
from dispatch.contacts.schemas import (
    CompanyOut,
    ContactOut,
)
from dispatch.core import events
from dispatch.core.actor import Actor
from dispatch.core.errors import DomainError
from dispatch.core.pagination import Cursor
from dispatch.fields import service as custom_values

EntityType = Literal["contact", "company"]


def custom_field_values(
    session: Session,
    brand_id: str,
    entity_type: EntityType,
    patch: dict[str, Any] | None,
    *,
    current: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """customFields of a contact or company, checked against the brand's field definitions
    (a patch merged onto `current`; `current=None` is a create: defaults, required)."""
    return custom_values.validate_values(session, brand_id, entity_type, patch, current=current)


def wire(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def flush_unique(
    session: Session,
    conflict: Callable[[], DomainError | None],
    add: Contact | Company | None = None,
) -> None:
    """Add and flush inside a savepoint: a unique index a concurrent transaction won (a
    live email or domain) becomes the caller's 409 and leaves the session usable (the
    row added here is gone again), instead of failing the whole transaction."""
    try:
        with session.begin_nested():
            if add is not None:
                session.add(add)
            session.flush()
    except IntegrityError:
        error = conflict()
        if error is None:
            raise
        raise error from None


def record(
    session: Session,
    actor: Actor,
    *,
    entity_type: EntityType,
    entity_id: str,
    brand_id: str,
    event_types: tuple[str, ...],
    data: dict[str, Any],
    changes: dict[str, tuple[Any, Any]] | None = None,
    metadata: dict[str, Any] | None = None,
) -> None:
    """One activity entry and the events of one change, in the caller's transaction."""
    payload = with_changes(dict(data), changes)
    if metadata:
        payload.update(metadata)
    for event_type in event_types:
        events.emit(session, event_type, brand_id, payload)
    audit.record(
        session,
        actor,
        brand_id=brand_id,
        event=event_types[0],
        entity_type=entity_type,
        entity_id=entity_id,
        changes=changes,
        metadata=metadata,
    )


def record_contact(
    session: Session,
    actor: Actor,
    out: ContactOut,
    event_types: tuple[str, ...],
    changes: dict[str, tuple[Any, Any]] | None = None,
    metadata: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
) -> None:
    record(
        session,
        actor,
        entity_type="contact",
        entity_id=out.id,
        brand_id=out.brand_id,
        event_types=event_types,
        data={**out.model_dump(mode="json", by_alias=True), **(extra or {})},
        changes=changes,
        metadata=metadata,
    )


def record_company(
    session: Session,
    actor: Actor,
    out: CompanyOut,
    event_type: str,
    changes: dict[str, tuple[Any, Any]] | None = None,
    metadata: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
) -> None:
    record(
        session,
        actor,
        entity_type="company",
        entity_id=out.id,
        brand_id=out.brand_id,
        event_types=(event_type,),
        data={**out.model_dump(mode="json", by_alias=True), **(extra or {})},
        changes=changes,
        metadata=metadata,
    )


def record_relinked(
    session: Session,
    actor: Actor,
    brand: Brand,
    contacts: list[Contact],
    company: Company | None,
    old_company_id: str | None,
    trigger: str,
) -> None:
    """`contact.updated` (and an activity entry) for each contact a company change linked
    (`company`) or unlinked (None)."""
    rendered = render_contacts(session, brand.id, [(c, company) for c in contacts])
    new_company_id = company.id if company is not None else None
    for out in rendered:
        record_contact(
            session,
            actor,
            out,
            ("contact.updated",),
            changes={"companyId": (old_company_id, new_company_id)},
            metadata={"trigger": trigger},
        )


def apply(
    entity: Contact | Company, values: dict[str, Any], names: dict[str, str]
) -> dict[str, tuple[Any, Any]]:
    """Set the values that differ; return {wire name: (old, new)} of what changed
    (`names`: attribute -> wire name)."""
    changes: dict[str, tuple[Any, Any]] = {}
    for attribute, value in values.items():
        old = getattr(entity, attribute)
        if old != value:
            changes[names[attribute]] = (wire(old), wire(value))
            setattr(entity, attribute, value)
    return changes


def decode_cursor(token: str | None, query: str, sort: str) -> Cursor | None:
    if not token:
        return None
    return Cursor.decode(token, query=query, datetime_value=sort == "createdAt")

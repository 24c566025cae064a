from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from dispatch.brands import repository as brands
from dispatch.core.versioned import VersionedCache
from dispatch.fields.models import FieldDefinition


def list_fields(
    session: Session, brand_id: str, entity_type: str | None = None
) -> list[FieldDefinition]:
    """A brand's definitions (of one entity type, or all) in display order."""
    stmt = select(FieldDefinition).where(FieldDefinition.brand_id == brand_id)
    if entity_type is not None:
        stmt = stmt.where(FieldDefinition.entity_type == entity_type)
    stmt = stmt.order_by(
        FieldDefinition.entity_type, FieldDefinition.sort_order, FieldDefinition.id
    )
    return list(session.scalars(stmt))


def brand_fields(session: Session, brand_id: str, entity_type: str) -> list[FieldDefinition]:
    """`list_fields` of one entity type, to read: the process's copies for the brand's
    config version (`core.versioned`: never change them), this transaction's own rows
    once it changed them. Every new ticket's custom fields are checked against them."""

    def load(reader: Session) -> tuple[FieldDefinition, ...]:
        return tuple(list_fields(reader, brand_id, entity_type))

    version = brands.config_version(session, brand_id)
    return list(_COPIES.get(session, (brand_id, entity_type), version, load))


_COPIES = VersionedCache[tuple[FieldDefinition, ...]]()


def get_field(
    session: Session, brand_id: str, entity_type: str, key: str
) -> FieldDefinition | None:
    return session.scalar(
        select(FieldDefinition).where(
            FieldDefinition.brand_id == brand_id,
            FieldDefinition.entity_type == entity_type,
            FieldDefinition.key == key,
        )
    )


def delete_field(session: Session, field: FieldDefinition) -> None:
    session.execute(delete(FieldDefinition).where(FieldDefinition.id == field.id))
    session.expunge(field)

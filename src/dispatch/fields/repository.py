from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

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

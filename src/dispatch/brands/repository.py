from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from dispatch.brands.models import Brand


def get_brand(session: Session, account_id: str, brand_id: str) -> Brand | None:
    return session.scalar(
        select(Brand).where(
            Brand.id == brand_id, Brand.account_id == account_id, Brand.deleted_at.is_(None)
        )
    )


def list_brands(session: Session, account_id: str, brand_ids: Iterable[str] | None) -> list[Brand]:
    stmt = select(Brand).where(Brand.account_id == account_id, Brand.deleted_at.is_(None))
    if brand_ids is not None:
        stmt = stmt.where(Brand.id.in_(list(brand_ids)))
    return list(session.scalars(stmt.order_by(Brand.name, Brand.id)))


def existing_brand_ids(session: Session, account_id: str, brand_ids: list[str]) -> set[str]:
    if not brand_ids:
        return set()
    stmt = select(Brand.id).where(
        Brand.account_id == account_id, Brand.deleted_at.is_(None), Brand.id.in_(brand_ids)
    )
    return set(session.scalars(stmt))


def slug_taken(session: Session, slug: str, *, except_brand_id: str | None = None) -> bool:
    stmt = select(Brand.id).where(Brand.slug == slug, Brand.deleted_at.is_(None))
    if except_brand_id is not None:
        stmt = stmt.where(Brand.id != except_brand_id)
    return session.scalar(stmt.limit(1)) is not None


def allocate_ticket_number(session: Session, brand_id: str) -> int:
    """Take the brand's next ticket number atomically (the row lock serialises writers)."""
    number = session.execute(
        update(Brand)
        .where(Brand.id == brand_id)
        .values(next_ticket_number=Brand.next_ticket_number + 1)
        .returning(Brand.next_ticket_number)
        .execution_options(synchronize_session=False)
    ).scalar_one()
    return int(number) - 1

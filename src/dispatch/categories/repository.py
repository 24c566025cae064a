from __future__ import annotations

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from dispatch.categories.models import Category
from dispatch.tickets.models import Ticket


def list_categories(session: Session, brand_id: str) -> list[Category]:
    """The brand's live categories in display order."""
    stmt = (
        select(Category)
        .where(Category.brand_id == brand_id, Category.deleted_at.is_(None))
        .order_by(Category.sort_order, Category.id)
    )
    return list(session.scalars(stmt))


def live_by_id(session: Session, brand_id: str, category_ids: set[str]) -> dict[str, Category]:
    """The brand's live categories among `category_ids`, by id."""
    stmt = select(Category).where(
        Category.brand_id == brand_id,
        Category.id.in_(category_ids),
        Category.deleted_at.is_(None),
    )
    return {c.id: c for c in session.scalars(stmt)}


def count_live(session: Session, brand_id: str) -> int:
    stmt = select(func.count()).where(Category.brand_id == brand_id, Category.deleted_at.is_(None))
    return session.scalar(stmt) or 0


def get_category(session: Session, brand_id: str, category_id: str) -> Category | None:
    return session.scalar(
        select(Category).where(
            Category.id == category_id,
            Category.brand_id == brand_id,
            Category.deleted_at.is_(None),
        )
    )


def get_category_by_key(session: Session, brand_id: str, key: str) -> Category | None:
    return session.scalar(
        select(Category).where(
            Category.key == key, Category.brand_id == brand_id, Category.deleted_at.is_(None)
        )
    )


def live_keys(session: Session, brand_id: str) -> set[str]:
    stmt = select(Category.key).where(Category.brand_id == brand_id, Category.deleted_at.is_(None))
    return set(session.scalars(stmt))


def tickets_in_category(session: Session, category_id: str, *, batch: int) -> list[Ticket]:
    """Tickets (deleted ones too) that still carry the category, locked in id order."""
    stmt = (
        select(Ticket)
        .where(Ticket.category_id == category_id)
        .order_by(Ticket.id)
        .limit(batch)
        .with_for_update()
    )
    return list(session.scalars(stmt))


def with_ticket_counts(session: Session, brand_id: str) -> list[tuple[Category, int]]:
    """Every live category with its number of live, non-spam, non-merged tickets: one
    grouped query."""
    counted = and_(
        Ticket.category_id == Category.id,
        Ticket.deleted_at.is_(None),
        Ticket.is_spam.is_(False),
        Ticket.merged_into_id.is_(None),
    )
    stmt = (
        select(Category, func.count(Ticket.id))
        .outerjoin(Ticket, counted)
        .where(Category.brand_id == brand_id, Category.deleted_at.is_(None))
        .group_by(Category.id)
        .order_by(Category.sort_order, Category.id)
    )
    return [(category, int(n)) for category, n in session.execute(stmt)]

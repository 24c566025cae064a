"""A brand's categories as other domains read them (records level, no service imports)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from dispatch.brands.models import Brand
from dispatch.categories import repository
from dispatch.categories.errors import UnknownCategory
from dispatch.categories.models import Category
from dispatch.core.errors import NotFound, ValidationFailed


def list_categories(session: Session, brand_id: str) -> list[Category]:
    return repository.list_categories(session, brand_id)


def categories_by_id(session: Session, brand_id: str) -> dict[str, Category]:
    """The brand's live categories by id (one query), for rendering many tickets."""
    return {c.id: c for c in repository.list_categories(session, brand_id)}


def get_category(session: Session, brand: Brand, category_id: str) -> Category:
    category = repository.get_category(session, brand.id, category_id)
    if category is None:
        raise NotFound("category", category_id)
    return category


def resolve_category(
    session: Session, brand: Brand, *, category_id: str | None, category_key: str | None
) -> Category | None:
    """The category a ticket request names by `categoryId` or `categoryKey` (None when it
    names none). Unknown ones are a 422 on the field that named them; both must agree."""
    by_id = by_key = None
    if category_id is not None:
        by_id = repository.get_category(session, brand.id, category_id)
        if by_id is None:
            raise UnknownCategory("categoryId", category_id)
    if category_key is not None:
        by_key = repository.get_category_by_key(session, brand.id, category_key)
        if by_key is None:
            raise UnknownCategory("categoryKey", category_key)
    if by_id is not None and by_key is not None and by_id.id != by_key.id:
        raise ValidationFailed(
            "categoryKey", "categoryId and categoryKey name different categories"
        )
    return by_id or by_key

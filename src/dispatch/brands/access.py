"""Brand scoping: a brand outside the caller's account or key scope does not exist for it."""

from __future__ import annotations

from sqlalchemy.orm import Session

from dispatch.brands import repository
from dispatch.brands.models import Brand
from dispatch.core.actor import Actor
from dispatch.core.errors import NotFound


def require_brand(session: Session, actor: Actor, brand_id: str) -> Brand:
    brand = repository.get_brand(session, actor.account_id, brand_id)
    if brand is None or not actor.can_access_brand(brand.id):
        raise NotFound("brand", brand_id)
    return brand

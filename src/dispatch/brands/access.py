"""Brand scoping: a brand outside the caller's account or key scope does not exist for it."""

from __future__ import annotations

from sqlalchemy.orm import Session

from dispatch.brands import repository
from dispatch.brands.models import Brand
from dispatch.core.actor import Actor
from dispatch.core.errors import NotFound


def require_brand(session: Session, actor: Actor, brand_id: str) -> Brand:
    return in_scope(actor, repository.get_brand(session, actor.account_id, brand_id), brand_id)


def in_scope(actor: Actor, brand: Brand | None, brand_id: str) -> Brand:
    """The account's brand, if the actor's key may use it; 404 otherwise."""
    if brand is None or not actor.can_access_brand(brand.id):
        raise NotFound("brand", brand_id)
    return brand

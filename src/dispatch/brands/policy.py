"""Which brands an actor reaches: a brand outside its account or access does not exist
for it (404). Who may change a brand's settings is `core.actor.require_settings_manager`."""

from __future__ import annotations

from dispatch.brands.models import Brand
from dispatch.core.actor import Actor
from dispatch.core.errors import NotFound


def in_scope(actor: Actor, brand: Brand | None, brand_id: str) -> Brand:
    """The account's brand, if the actor may use it; 404 otherwise."""
    if brand is None or not actor.can_access_brand(brand.id):
        raise NotFound("brand", brand_id)
    return brand

from __future__ import annotations

from fastapi import Depends, Path
from sqlalchemy.orm import Session

from dispatch.accounts.auth import current_actor
from dispatch.brands.access import require_brand
from dispatch.brands.models import Brand
from dispatch.core.actor import Actor
from dispatch.core.routing import get_session

BrandIdPath = Path(alias="brandId", max_length=64, description="Brand id (br_...)")


def brand_in_scope(
    brand_id: str = BrandIdPath,
    actor: Actor = Depends(current_actor),
    session: Session = Depends(get_session),
) -> Brand:
    """The brand named in the path, if the caller may use it (404 otherwise)."""
    return require_brand(session, actor, brand_id)

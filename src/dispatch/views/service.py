"""Saved inbox views: create, list, delete, for the member acting."""

from __future__ import annotations

from sqlalchemy.orm import Session

from dispatch.brands.models import Brand
from dispatch.core import clock
from dispatch.core.actor import Actor
from dispatch.core.errors import NotFound
from dispatch.core.ids import new_id
from dispatch.views import policy, repository
from dispatch.views.errors import ViewNameTaken
from dispatch.views.models import SavedView
from dispatch.views.schemas import NewView


def list_views(session: Session, actor: Actor, brand: Brand | None) -> list[SavedView]:
    """The views of a brand's inbox (`brand` None: All inboxes) the actor may see; the
    brand comes from `brands.get_brand`, already in the actor's reach."""
    member_id = policy.require_member(actor)
    brand_id = brand.id if brand else None
    return repository.visible_views(session, actor.account_id, brand_id, member_id)


def create_view(session: Session, actor: Actor, brand: Brand | None, data: NewView) -> SavedView:
    member_id = policy.require_member(actor)
    name = data.name.strip()
    # Names are how views are told apart in the sidebar: unique among those one sees.
    if any(v.name.lower() == name.lower() for v in list_views(session, actor, brand)):
        raise ViewNameTaken(name)
    view = SavedView(
        id=new_id("view"),
        account_id=actor.account_id,
        brand_id=brand.id if brand else None,
        member_id=member_id,
        name=name,
        query=data.query.lstrip("?"),
        shared=data.shared,
        created_at=clock.now(),
    )
    repository.add(session, view)
    return view


def delete_view(session: Session, actor: Actor, view_id: str) -> None:
    policy.require_member(actor)
    view = repository.get_view(session, actor.account_id, view_id)
    if view is None:
        raise NotFound("view", view_id)
    policy.check_delete(actor, view)
    repository.delete(session, view)

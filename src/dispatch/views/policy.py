"""Who sees and removes a saved view: a personal view is its member's alone (another
member gets a 404, as for anything outside their reach); a shared view is seen by
everyone who may open its brand and removed by its author or an owner/admin."""

from __future__ import annotations

from dispatch.core.actor import Actor, Role
from dispatch.core.errors import Forbidden, NotFound
from dispatch.views.models import SavedView


def require_member(actor: Actor) -> str:
    """Saved views belong to team members (an API key or a customer has none)."""
    if actor.member_id is None:
        raise Forbidden("Only team members keep saved views")
    return actor.member_id


def can_see(actor: Actor, view: SavedView) -> bool:
    if view.brand_id is not None and not actor.can_access_brand(view.brand_id):
        return False
    return view.shared or view.member_id == actor.member_id


def check_delete(actor: Actor, view: SavedView) -> None:
    if not can_see(actor, view):
        raise NotFound("view", view.id)
    if view.member_id != actor.member_id and actor.role not in (Role.OWNER, Role.ADMIN):
        raise Forbidden("Only its author or an owner or admin removes a shared view")

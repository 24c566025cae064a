"""What an actor may do with the account itself: keys, the team, brands."""

from __future__ import annotations

from dispatch.accounts.errors import AllBrandsKeyRequired
from dispatch.core.actor import Actor, ActorKind, require_settings_manager


def require_account_admin(actor: Actor, action: str) -> None:
    """Keys and the team are managed with an all-brands key, or by an owner or admin."""
    require_settings_manager(actor, action)
    if actor.kind is not ActorKind.MEMBER and not actor.all_brands:
        raise AllBrandsKeyRequired(action)

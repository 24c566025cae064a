"""Account settings beside the team (web/dashboard/team.py): API keys, brands and the
inbound email channel. Owners and admins manage them (the services refuse anyone else,
as they refuse an API key without every brand); members see the brands list only."""

from __future__ import annotations

from fastapi import APIRouter

from dispatch.web.dashboard.account import brands, inbound, keys

router = APIRouter(include_in_schema=False)
router.include_router(keys.router)
router.include_router(brands.router)
router.include_router(inbound.router)

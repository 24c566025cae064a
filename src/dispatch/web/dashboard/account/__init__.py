"""Account settings beside the team (web/dashboard/team.py): API keys, brands and the
inbound email channel. Owners and admins manage them (the services refuse anyone else,
as they refuse an API key without every brand); members see the brands list only."""

from __future__ import annotations

from fastapi import APIRouter

from dispatch.web.dashboard.account import brands, inbound, keys

router = APIRouter(include_in_schema=False)
# The routes themselves, flat (include_router would wrap them, and the route policy test
# checks each APIRoute).
for screen in (keys, brands, inbound):
    router.routes.extend(screen.router.routes)

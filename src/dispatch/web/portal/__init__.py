"""The hosted customer portal at /support/<brand-slug>: sign in by magic link, a
customer's own tickets, their conversations, replies and new tickets. Routes are added
flat (see web/mount.py), like the dashboard's."""

from __future__ import annotations

from fastapi import APIRouter

from dispatch.web.portal import signin, tickets

router = APIRouter(include_in_schema=False)
for part in (signin, tickets):
    router.routes.extend(part.router.routes)

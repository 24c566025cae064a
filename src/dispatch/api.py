"""The `/v1` API: every domain's routes, mounted in matching order."""

from __future__ import annotations

from fastapi import APIRouter

from dispatch.accounts.api import router as accounts_router
from dispatch.audit.api import router as audit_router
from dispatch.brands.api import router as brands_router
from dispatch.statuses.api import router as statuses_router
from dispatch.tickets.api import router as tickets_router

DOMAIN_ROUTERS: tuple[APIRouter, ...] = (
    accounts_router,
    brands_router,
    statuses_router,
    tickets_router,
    audit_router,
)


def build_v1_router() -> APIRouter:
    router = APIRouter(prefix="/v1")
    for domain in DOMAIN_ROUTERS:
        router.include_router(domain)
    return router

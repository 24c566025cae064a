"""The `/v1` API: every domain's routes behind one authenticated, idempotent front."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from dispatch.accounts.api import router as accounts_router
from dispatch.accounts.auth import current_actor
from dispatch.audit.api import router as audit_router
from dispatch.brands.access import require_brand
from dispatch.brands.api import router as brands_router
from dispatch.core import idempotency
from dispatch.core.actor import Actor
from dispatch.core.routing import get_session
from dispatch.statuses.api import router as statuses_router
from dispatch.tickets.api import router as tickets_router


async def idempotency_guard(
    request: Request,
    actor: Actor = Depends(current_actor),
    session: Session = Depends(get_session),
) -> None:
    """On POST with `Idempotency-Key` (or `X-Idempotency-Key`): replay a stored response,
    refuse a reused key with a different request, or remember the key for the commit."""
    if request.method != "POST":
        return
    key = idempotency.requested_key(request)
    if key is None:
        return
    brand_id = request.path_params.get("brandId")
    if brand_id is not None:
        # Scope first: a replay must not show a brand's data to a key that cannot use it.
        await run_in_threadpool(require_brand, session, actor, brand_id)
    body = await request.body()
    pending = idempotency.PendingKey(
        account_id=actor.account_id,
        key=key,
        fingerprint=idempotency.fingerprint(
            request.method, request.url.path, request.url.query, body
        ),
    )
    await run_in_threadpool(idempotency.check, session, pending)
    request.state.idempotency = pending


# Every domain's router, in matching order; each is mounted under /v1.
DOMAIN_ROUTERS: tuple[APIRouter, ...] = (
    accounts_router,
    brands_router,
    statuses_router,
    tickets_router,
    audit_router,
)


def build_v1_router() -> APIRouter:
    router = APIRouter(prefix="/v1", dependencies=[Depends(idempotency_guard)])
    for domain in DOMAIN_ROUTERS:
        router.include_router(domain)
    return router

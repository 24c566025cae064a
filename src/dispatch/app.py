"""Application factory: settings and database in, a ready FastAPI app out."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from anyio import to_thread
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from starlette.concurrency import run_in_threadpool

from dispatch import __version__
from dispatch.accounts.auth import authenticate_api_key
from dispatch.api import v1_routes
from dispatch.attachments.api import UPLOAD_BODY_LIMIT
from dispatch.core import stopping
from dispatch.core.db import Database
from dispatch.core.errors import install_error_handlers, problem
from dispatch.core.middleware import (
    RateLimitMiddleware,
    RequestGuardMiddleware,
    RequestIdMiddleware,
    UnhandledErrorMiddleware,
)
from dispatch.email.api import INBOUND_BODY_LIMIT
from dispatch.portal.cors import PortalCorsMiddleware
from dispatch.settings import Settings
from dispatch.web.mount import mount_web
from dispatch.web.portal.domains import PortalDomainMiddleware
from dispatch.web.portal.tickets import PORTAL_FORM_BODY_LIMIT
from dispatch.web.public_forms import FORM_BODY_LIMIT
from dispatch.worker.runner import Worker

DESCRIPTION = """
Dispatch is a self-hostable, API-first customer-support ticketing system.

Authenticate with `Authorization: Bearer sk_live_...` (the legacy `X-API-Key` header works
too). Every response carries `X-Request-Id` and `X-RateLimit-*` headers. Errors are JSON
with the RFC 9457 members plus `message`, `code`, `requestId` and, for validation,
`errors: [{field, message}]`, sent as `application/json` (as `application/problem+json`
when `Accept` asks for it). Send `Idempotency-Key` on any POST to make retries safe.
"""


def _ping(database: Database) -> None:
    with database.session(write=False) as session:
        session.execute(text("SELECT 1"))


def create_app(settings: Settings | None = None, database: Database | None = None) -> FastAPI:
    settings = settings or Settings()
    owns_database = database is None
    db = database or Database.from_url(
        settings.effective_database_url, pool_size=settings.db_pool_size, echo=settings.db_echo
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
        # The delivery worker runs inside the server only when asked (`dispatch serve` asks
        # unless --no-worker); an app built by a test never starts one on its own.
        # The pool that runs the (sync) endpoints, per process: see request_threads.
        to_thread.current_default_thread_limiter().total_tokens = settings.request_threads
        worker = Worker.from_settings(settings) if settings.embedded_worker else None
        if worker is not None:
            worker.start()
            app.state.worker = worker
        state = stopping.lifespan_state()
        try:
            yield state
        finally:
            stopping.announce(state)
            if worker is not None:
                await run_in_threadpool(worker.stop)
            if owns_database:
                db.dispose()

    app = FastAPI(
        title="Dispatch",
        version=__version__,
        description=DESCRIPTION,
        openapi_url="/openapi.json",
        docs_url="/docs",
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.database = db
    app.state.authenticate = authenticate_api_key
    install_error_handlers(app)

    # Added innermost first: the request id wraps everything, so even a 429 carries one.
    app.add_middleware(
        RequestGuardMiddleware,
        max_bytes=settings.max_body_bytes,
        limits=[UPLOAD_BODY_LIMIT, INBOUND_BODY_LIMIT, FORM_BODY_LIMIT, PORTAL_FORM_BODY_LIMIT],
    )
    app.add_middleware(UnhandledErrorMiddleware)
    # Brands' portals on their own domains: the path is rewritten before the body cap and
    # the routes see it, after the rate limit has counted the request.
    app.add_middleware(PortalDomainMiddleware)
    if settings.rate_limit_enabled:
        app.add_middleware(
            RateLimitMiddleware, limit=settings.rate_limit, storage_uri=settings.rate_limit_storage
        )
    # Outside the rate limit: a browser's preflight is answered without counting.
    app.add_middleware(PortalCorsMiddleware)
    app.add_middleware(RequestIdMiddleware)

    @app.get("/health", tags=["Health"], summary="Liveness and database reachability (no auth)")
    async def health(request: Request) -> Any:
        try:
            await run_in_threadpool(_ping, db)
        except DBAPIError:
            return problem(
                request,
                503,
                "database_unavailable",
                "The database is unavailable",
                headers={"Retry-After": "2"},
            )
        return JSONResponse({"status": "ok", "database": "ok", "version": __version__})

    app.router.routes.extend(v1_routes())
    mount_web(app)
    return app

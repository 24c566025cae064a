"""Every API request is one unit of work: one session, committed once, before the reply.

`TransactionalRoute` opens the session, runs the endpoint, stores the idempotency record
(if the request carried a key) and commits; on any error it rolls back. Services only flush.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute, APIRouter
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from dispatch.core import idempotency
from dispatch.core.db import Database
from dispatch.core.schemas import ProblemOut
from dispatch.settings import Settings

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class StrictJSONRequest(Request):
    """Parses bodies as strict JSON: Python's parser also takes NaN and Infinity, which are
    not JSON, cannot be stored in a JSON column and do not survive a round trip."""

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            body = await self.body()

            def reject(constant: str) -> Any:
                doc = body.decode(errors="replace")
                raise json.JSONDecodeError(f"{constant} is not valid JSON", doc, 0)

            self._json = json.loads(body, parse_constant=reject)
        return self._json


# Async on purpose: trivial lookups run on the event loop instead of a threadpool hop.
async def get_session(request: Request) -> Session:
    session: Session = request.state.session
    return session


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _finish(session: Session, request: Request, response: Response) -> Response:
    """Commit a successful unit of work; runs in the threadpool (blocking I/O)."""
    pending: idempotency.PendingKey | None = getattr(request.state, "idempotency", None)
    try:
        if pending is not None:
            settings: Settings = request.app.state.settings
            redact = getattr(request.state, "idempotency_redact", ())
            idempotency.store(
                session, pending, response, settings.idempotency_ttl_seconds, redact=redact
            )
        session.commit()
    except IntegrityError:
        session.rollback()
        if pending is None:
            raise
        # A concurrent request with the same key committed first: answer as it did.
        winner = idempotency.find_live(session, pending.account_id, pending.key)
        if winner is None:
            raise
        if winner.fingerprint != pending.fingerprint:
            raise idempotency.IdempotencyKeyReused() from None
        return idempotency.StoredResponse(winner).to_response()
    return response


def _abandon(session: Session) -> None:
    try:
        session.rollback()
    finally:
        session.close()


class TransactionalRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def run_in_transaction(request: Request) -> Response:
            request = StrictJSONRequest(request.scope, request.receive)
            database: Database = request.app.state.database
            session = database.session(write=request.method not in READ_METHODS)
            request.state.session = session
            try:
                response = await handler(request)
            except idempotency.StoredResponse as replay:
                await run_in_threadpool(_abandon, session)
                return replay.to_response()
            except BaseException:
                await run_in_threadpool(_abandon, session)
                raise
            if response.status_code >= 400:
                await run_in_threadpool(_abandon, session)
                return response
            try:
                return await run_in_threadpool(_finish, session, request, response)
            finally:
                await run_in_threadpool(session.close)

        return run_in_transaction


def _problem(description: str) -> dict[str, Any]:
    return {
        "model": ProblemOut,
        "description": description,
        "content": {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/ProblemOut"}}
        },
    }


# Documented on every API route (the OpenAPI document lists them with the error shape).
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: _problem("Malformed request: invalid JSON, cursor or characters"),
    401: _problem("Missing, invalid, revoked or expired API key"),
    403: _problem("The key's scope does not allow this action"),
    404: _problem("Not found, or outside the key's account or brands"),
    409: _problem("Conflicts with existing data (duplicate key, name or slug)"),
    413: _problem("Request body too large"),
    422: _problem("Validation failed: see errors[{field, message}]"),
    429: _problem("Rate limit exceeded: see Retry-After"),
    503: _problem("Database unavailable: retry shortly"),
}


def api_router(**kwargs: Any) -> APIRouter:
    """A router whose every route runs as one transaction and documents its errors."""
    return APIRouter(route_class=TransactionalRoute, responses=ERROR_RESPONSES, **kwargs)

"""Resolve the caller from `Authorization: Bearer sk_live_...` (or the legacy X-API-Key)."""

from __future__ import annotations

from fastapi import Request
from fastapi.security import APIKeyHeader, HTTPBearer
from sqlalchemy.orm import Session

from dispatch.accounts import service
from dispatch.accounts.errors import InvalidApiKey
from dispatch.brands.models import Brand
from dispatch.core import ratelimit, transaction
from dispatch.core.actor import Actor
from dispatch.core.db import Database
from dispatch.core.routing import READ_METHODS
from dispatch.settings import Settings

# auto_error=False: missing credentials are answered by us, in the API's error format.
bearer = HTTPBearer(auto_error=False, description="API key: `Authorization: Bearer sk_live_...`")
api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="Legacy header")


def _touch(request: Request, session: Session, key_id: str) -> None:
    database: Database = request.app.state.database
    if request.method not in READ_METHODS and database.dialect == "sqlite":
        # SQLite has one writer and this request already holds the lock: touch inside it.
        service.touch_key(session, key_id)
        return
    # Otherwise its own short transaction: reads stay read-only, and concurrent writers
    # with the same key do not queue on the key's row until their commits.
    transaction.run(database, lambda own: service.touch_key(own, key_id))


def authenticate_request(
    request: Request,
    session: Session,
    settings: Settings,
    secret: str | None,
    *,
    brand_id: str | None = None,
) -> tuple[Actor, Brand | None]:
    """The actor behind the presented API key (401 when there is none or it is no good),
    and the account's brand `brand_id` names, fetched in the same query (scope unchecked).

    The request counts against the key's rate limit, or the client address's when the
    key is no good (429 once spent)."""
    pending = ratelimit.pending_for(request)
    try:
        if not secret:
            raise InvalidApiKey()
        key, brand = service.authenticate(session, secret.strip(), with_brand=brand_id)
    except InvalidApiKey:
        if pending is not None:
            pending.count_address()
        raise
    if pending is not None:
        pending.count_key(key.id)
    if service.needs_touch(key, settings.api_key_touch_seconds):
        _touch(request, session, key.id)
    actor = service.actor_for(key)
    request.state.actor = actor
    return actor, brand

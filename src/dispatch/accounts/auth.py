"""Resolve the caller from `Authorization: Bearer sk_live_...` (or the legacy X-API-Key)."""

from __future__ import annotations

from fastapi import Request
from sqlalchemy.orm import Session

from dispatch.accounts import service
from dispatch.brands.models import Brand
from dispatch.brands.policy import in_scope
from dispatch.core import ratelimit, transaction
from dispatch.core.actor import Actor
from dispatch.core.db import Database
from dispatch.core.errors import InvalidApiKey
from dispatch.settings import Settings


def _touch(request: Request, key_id: str) -> None:
    # Its own short transaction (at most once a key per `api_key_touch_seconds`): reads
    # stay read-only, concurrent writers with the same key do not queue on the key's row
    # until their commits, and on SQLite the key is read before the write lock is taken.
    database: Database = request.app.state.database
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
        _touch(request, key.id)
    actor = service.actor_for(key)
    request.state.actor = actor
    return actor, brand


def authenticate_api_key(
    request: Request, session: Session, secret: str | None, brand_id: str | None
) -> tuple[Actor, Brand | None]:
    """What the API's unit of work calls (through `app.state.authenticate`): the key's
    actor and the path's brand, 404 when the key may not use it."""
    settings: Settings = request.app.state.settings
    actor, found = authenticate_request(request, session, settings, secret, brand_id=brand_id)
    return actor, in_scope(actor, found, brand_id) if brand_id is not None else None

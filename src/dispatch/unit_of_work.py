"""Every API request is one unit of work, run in one worker thread.

In that thread, in one transaction of `core.transaction.run` (which commits, rolls back
and retries deadlocks): authenticate the key, load the brand the path names (404 outside
the key's scope), replay or guard an `Idempotency-Key`, run the service call, render the
JSON and store the idempotency record. Services only flush; the commit happens before
the response leaves.

Why one thread hop: FastAPI runs each synchronous dependency, endpoint and response check
in its own threadpool hop, and those hops (not SQL) were the largest cost of a request.
Endpoints are therefore `async def` and hand all their blocking work to `UnitOfWork.run`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fastapi import Depends, Path, Request, Response
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from pydantic_core import to_json
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from dispatch.core import idempotency, transaction
from dispatch.core.actor import Actor
from dispatch.core.db import Database
from dispatch.core.errors import InvalidApiKey
from dispatch.core.routing import READ_METHODS
from dispatch.settings import Settings

if TYPE_CHECKING:  # the type only: this layer imports no domain
    from dispatch.brands.models import Brand


# auto_error=False: missing credentials are answered by us, in the API's error format.
bearer = HTTPBearer(auto_error=False, description="API key: `Authorization: Bearer sk_live_...`")
api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="Legacy header")

# How a request's credential becomes its actor and the path's brand (404 out of scope):
# set on `app.state.authenticate` by the app (the accounts domain's API-key check), so
# this layer imports no domain.
Authenticate = Callable[[Request, Session, str | None, str | None], tuple[Actor, "Brand | None"]]


@dataclass(frozen=True, slots=True)
class Work:
    """What a unit of work runs with: the session, the caller and the path's brand."""

    session: Session
    actor: Actor
    path_brand: Brand | None

    @property
    def brand(self) -> Brand:
        if self.path_brand is None:
            raise LookupError("this route has no {brandId} in its path")
        return self.path_brand


def render(result: Any, status_code: int) -> Response:
    if isinstance(result, Response):
        return result
    if result is None:
        return Response(status_code=204)
    return Response(to_json(result, by_alias=True), status_code, media_type="application/json")


class UnitOfWork:
    def __init__(
        self,
        request: Request,
        secret: str | None,
        idempotency_key: tuple[str, str] | None,
        authenticate: Authenticate | None = None,
    ) -> None:
        self.request = request
        self.secret = secret
        # (key, request fingerprint) of a POST that carried an Idempotency-Key.
        self.idempotency_key = idempotency_key
        # How the credential becomes the actor: the app's API-key check unless a channel
        # with its own credential (the portal's tokens) says otherwise.
        self.authenticate = authenticate

    async def run(
        self,
        work: Callable[[Work], Any],
        *,
        status_code: int = 200,
        redact_on_replay: tuple[str, ...] = (),
    ) -> Response:
        """Run `work` in one transaction; its result (a model, a list of models, None for
        204, or a Response) becomes the JSON response."""
        return await run_in_threadpool(self._execute, work, status_code, redact_on_replay)

    def _execute(
        self, work: Callable[[Work], Any], status_code: int, redact: tuple[str, ...]
    ) -> Response:
        request = self.request
        database: Database = request.app.state.database
        settings: Settings = request.app.state.settings
        authenticate: Authenticate = self.authenticate or request.app.state.authenticate
        pending: idempotency.PendingKey | None = None
        write = request.method not in READ_METHODS
        brand_id = request.path_params.get("brandId")

        def caller(session: Session) -> tuple[Actor, Brand | None]:
            return authenticate(request, session, self.secret, brand_id)

        # SQLite has a single writer, and a write holds its lock from its first statement
        # to its commit: the key and the brand are read before, in a read transaction (a
        # sixth of the time the lock was held). PostgreSQL reads them in the transaction.
        known = None
        if write and database.dialect == "sqlite":
            known = transaction.run(database, caller, write=False)

        def in_transaction(session: Session) -> Any:
            nonlocal pending
            if known is None:
                actor, brand = caller(session)
            else:
                actor, brand = known
                if brand is not None:
                    # The read transaction's copy joins this one as it is (a merge copied
                    # every attribute into a new one, in the write lock). Were this
                    # transaction run again, its rollback expired the copy: read afresh.
                    session.add(brand)
            if self.idempotency_key is not None:
                # After the brand check: a replay never shows a brand's data to a key
                # that cannot use that brand.
                pending = idempotency.PendingKey(actor.idempotency_scope, *self.idempotency_key)
                idempotency.check(session, pending)
            result = work(Work(session, actor, brand))
            if pending is None and not isinstance(result, Response):
                # Rendered after the commit: on SQLite the write lock is held until then.
                return result
            response = render(result, status_code)
            if response.status_code >= 400:
                raise _Refused(response)
            if pending is not None:
                idempotency.store(
                    session, pending, response, settings.idempotency_ttl_seconds, redact=redact
                )
            return response

        try:
            result = transaction.run(database, in_transaction, write=write)
            return render(result, status_code)
        except _Refused as refused:
            return refused.response
        except idempotency.StoredResponse as stored:
            return stored.to_response()
        except IntegrityError:
            winner = _replay_winner(database, pending) if pending is not None else None
            if winner is None:
                raise
            return winner


class _Refused(Exception):
    """A work that answered with an error response: its changes are rolled back."""

    def __init__(self, response: Response) -> None:
        self.response = response


def _replay_winner(database: Database, pending: idempotency.PendingKey) -> Response | None:
    """A concurrent request with the same key committed first: answer as it did (None if
    the conflict was another one)."""

    def find(session: Session) -> idempotency.StoredResponse | None:
        winner = idempotency.find_live(session, pending.account_id, pending.key)
        if winner is None:
            return None
        if winner.fingerprint != pending.fingerprint:
            raise idempotency.IdempotencyKeyReused()
        return idempotency.StoredResponse(winner)

    stored = transaction.run(database, find, write=False)
    return stored.to_response() if stored is not None else None


async def unit_of_work(
    request: Request,
    credentials: HTTPAuthorizationCredentials | None = Depends(bearer),
    legacy_key: str | None = Depends(api_key_header),
) -> UnitOfWork:
    """The request's unit of work (no database work happens here, on the event loop).

    A request without any credential is refused here, before its body is validated; the
    key itself is checked in the unit of work's thread."""
    secret = credentials.credentials if credentials is not None else legacy_key
    if not secret or not secret.strip():
        raise InvalidApiKey()
    return await open_unit(request, secret)


async def open_unit(
    request: Request, secret: str, *, authenticate: Authenticate | None = None
) -> UnitOfWork:
    """The unit of work of a request carrying `secret`, with an `Idempotency-Key` POST's
    key and fingerprint taken from the request."""
    guarded = None
    if request.method == "POST":
        key = idempotency.requested_key(request)
        if key is not None:
            body = await request.body()
            fingerprint = idempotency.fingerprint(
                request.method, request.url.path, request.url.query, body
            )
            guarded = (key, fingerprint)
    return UnitOfWork(request, secret, guarded, authenticate)


BrandIdPath = Path(alias="brandId", max_length=64, description="Brand id (br_...)")


async def brand_path(_brand_id: str = BrandIdPath) -> None:
    """Router dependency that declares (documents and validates) `{brandId}`."""

"""CORS for the portal API (`/v1/portal/*`): only a brand's `portalOrigins`, exact
origins, never a wildcard, always `Vary: Origin`.

A browser's preflight carries no token, so it cannot say which brand it is for. It is
answered (204 with the allowed methods and headers) when its origin is among the portal
origins of ANY live brand, and refused (401 `origin_not_allowed`, no CORS headers)
otherwise. The real request then carries the token, and the token's brand decides: a
request whose `Origin` its brand does not list is refused before anything is read or
changed (`check_origin`, called where the token is checked), so an origin allowed for
one brand gains nothing over another brand's customers. Only then does the response
carry `Access-Control-Allow-Origin` for that origin. Error answers (an expired token,
say) also carry it when the origin is some brand's, so a portal app can read why and
refresh. Requests without `Origin` (a brand's backend, the recommended proxy pattern)
are not browsers' cross-origin calls and pass as they are. No credentials mode: the
token travels in `Authorization`, never in a cookie.
"""

from __future__ import annotations

from fastapi import Request
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dispatch.brands.models import Brand
from dispatch.core import transaction
from dispatch.core.middleware import send_problem
from dispatch.portal import repository
from dispatch.portal.errors import OriginNotAllowed

PREFIX = "/v1/portal/"
ALLOW_METHODS = "GET, POST, OPTIONS"
ALLOW_HEADERS = "Authorization, Content-Type, X-Idempotency-Key, Idempotency-Key, X-Request-Id"
EXPOSE_HEADERS = (
    "X-Request-Id, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset, "
    "Retry-After, Idempotent-Replayed"
)
MAX_AGE = "600"
# Where the request's check leaves the origin its brand allows (request.state).
ALLOWED = "portal_cors_origin"


def check_origin(request: Request, brand: Brand) -> None:
    """Refuse a browser request from an origin the token's brand does not list; remember
    an allowed one for the response's CORS headers."""
    origin = request.headers.get("origin")
    if origin is None:
        return
    if origin not in brand.portal_origins:
        raise OriginNotAllowed(origin)
    setattr(request.state, ALLOWED, origin)


def _listed_anywhere(scope: Scope, origin: str) -> bool:
    database = scope["app"].state.database
    return bool(
        transaction.run(database, lambda s: repository.origin_listed(s, origin), write=False)
    )


def _cors_headers(origin: str) -> list[tuple[bytes, bytes]]:
    return [
        (b"access-control-allow-origin", origin.encode("latin-1")),
        (b"access-control-expose-headers", EXPOSE_HEADERS.encode()),
    ]


VARY = (b"vary", b"Origin")


def _header(scope: Scope, name: bytes) -> str | None:
    value = next((v for k, v in scope.get("headers", []) if k == name), None)
    return value.decode("latin-1") if value is not None else None


class PortalCorsMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(PREFIX):
            await self.app(scope, receive, send)
            return
        origin = _header(scope, b"origin")
        if scope["method"] == "OPTIONS" and _header(scope, b"access-control-request-method"):
            await self._preflight(scope, send, origin)
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [*message.get("headers", []), VARY]
                allowed = scope.get("state", {}).get(ALLOWED)
                # An error before (or instead of) the brand's check is readable by any
                # brand's portal app, so it can tell an expired token from a fault.
                if (
                    origin is not None
                    and allowed is None
                    and message["status"] >= 400
                    and await run_in_threadpool(_listed_anywhere, scope, origin)
                ):
                    allowed = origin
                if origin is not None and allowed == origin:
                    headers.extend(_cors_headers(origin))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_cors)

    async def _preflight(self, scope: Scope, send: Send, origin: str | None) -> None:
        if origin is not None and await run_in_threadpool(_listed_anywhere, scope, origin):
            headers = [
                VARY,
                (b"access-control-allow-origin", origin.encode("latin-1")),
                (b"access-control-allow-methods", ALLOW_METHODS.encode()),
                (b"access-control-allow-headers", ALLOW_HEADERS.encode()),
                (b"access-control-max-age", MAX_AGE.encode()),
                (b"content-length", b"0"),
            ]
            await send({"type": "http.response.start", "status": 204, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return
        refused = OriginNotAllowed(origin or "null")
        await send_problem(scope, send, refused.status, refused.code, refused.message, [VARY])

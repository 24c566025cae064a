"""ASGI middleware: request ids, rate limits and the request body cap.

Written as plain ASGI (not BaseHTTPMiddleware) because they sit on every request.
Starlette/FastAPI have a body-size limiter, but it renders its own error body; ours
answers in the API's error format like every other error.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass

from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dispatch.core.errors import problem_body, problem_media_type
from dispatch.core.ids import random_token
from dispatch.core.ratelimit import STATE_KEY, Pending, RateLimiter, RateLimitExceeded

REQUEST_ID_HEADER = "x-request-id"

logger = logging.getLogger("dispatch.errors")


async def send_problem(
    scope: Scope,
    send: Send,
    status: int,
    code: str,
    message: str,
    headers: list[tuple[bytes, bytes]] | None = None,
) -> None:
    request_id = scope.get("state", {}).get("request_id")
    body = json.dumps(problem_body(status, code, message, request_id)).encode()
    accept = next((v for k, v in scope.get("headers", []) if k == b"accept"), b"")
    raw_headers = [
        (b"content-type", problem_media_type(accept.decode("latin-1")).encode()),
        (b"content-length", str(len(body)).encode()),
        *(headers or []),
    ]
    await send({"type": "http.response.start", "status": status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": body})


class RequestIdMiddleware:
    """Give every request an id, echo it as X-Request-Id and keep it for error bodies."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = f"req_{random_token()}"
        scope.setdefault("state", {})["request_id"] = request_id

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message).append(REQUEST_ID_HEADER, request_id)
            await send(message)

        await self.app(scope, receive, send_with_id)


def _presents_credential(scope: Scope) -> bool:
    """Whether the request carries a credential as the auth layer reads it: a non-empty
    Bearer token or X-API-Key value."""
    name: bytes
    value: bytes
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            scheme, _, token = value.partition(b" ")
            if scheme.lower() == b"bearer" and token.strip():
                return True
        elif name == b"x-api-key" and value.strip():
            return True
    return False


# Never limited: load balancers and monitors probe it.
UNLIMITED_PATHS = frozenset({"/health"})


class RateLimitMiddleware:
    """Counts each request once (see core.ratelimit) and reports the window in
    X-RateLimit-* on every response."""

    def __init__(self, app: ASGIApp, *, limit: str, storage_uri: str) -> None:
        self.app = app
        self.limiter = RateLimiter(limit, storage_uri)

    def reset(self) -> None:
        self.limiter.reset()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path") in UNLIMITED_PATHS:
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        pending = Pending(self.limiter, client[0] if client else "unknown")
        if _presents_credential(scope):
            # Counted once authentication has decided whose request it is.
            scope.setdefault("state", {})[STATE_KEY] = pending
        else:
            try:
                pending.count_address()
            except RateLimitExceeded as exceeded:
                await send_problem(
                    scope,
                    send,
                    exceeded.status,
                    exceeded.code,
                    exceeded.message,
                    [*_window_headers(pending), *_raw(exceeded.headers)],
                )
                return

        async def send_with_limits(message: Message) -> None:
            if message["type"] == "http.response.start":
                if pending.window is None:
                    # Answered without anyone authenticated (a refused body, an unknown
                    # route): it counts against the address, for the next request.
                    with contextlib.suppress(RateLimitExceeded):
                        pending.count_address()
                message["headers"] = [*message.get("headers", []), *_window_headers(pending)]
            await send(message)

        await self.app(scope, receive, send_with_limits)


def _window_headers(pending: Pending) -> list[tuple[bytes, bytes]]:
    return pending.window.headers() if pending.window is not None else []


def _raw(headers: dict[str, str] | None) -> list[tuple[bytes, bytes]]:
    return [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]


class UnhandledErrorMiddleware:
    """Answer an unhandled exception with a 500 in the API's error format.

    Starlette renders those in its outermost layer, outside every other middleware, so the
    reply would lack X-Request-Id and X-RateLimit-*. Placed inside them, ours carries both.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        response_started = False

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            if response_started:
                raise
            logger.exception("unhandled error")
            await send_problem(scope, send, 500, "server_error", "Internal server error")


class BodyTooLarge(HTTPException):
    """An HTTPException so FastAPI's body parsing re-raises it to our error handlers (and a
    route reading its own body can catch it)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"Request body exceeds the limit of {limit} bytes")
        self.limit = limit


@dataclass(frozen=True, slots=True)
class BodyLimit:
    """Routes whose bodies have a cap of their own instead of the JSON one (file uploads,
    raw mail). The cap is the app's `settings.<setting>` at request time, plus
    `overhead` (room for multipart framing); refusals say `code` and `message` (formatted
    with {limit})."""

    path: re.Pattern[str]
    setting: str
    code: str
    message: str
    overhead: int = 0


class RequestGuardMiddleware:
    """Refuse what no route can take, before routing: NUL characters in the URL (PostgreSQL
    cannot compare text with them) and bodies over the cap, by Content-Length or while
    streaming. A request matching one of `limits` gets that cap instead of `max_bytes`."""

    def __init__(self, app: ASGIApp, *, max_bytes: int, limits: Sequence[BodyLimit] = ()) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.limits = tuple(limits)

    def _limit(self, scope: Scope) -> tuple[int, str, str]:
        """(byte limit, error code, message) for this request."""
        path = scope.get("path", "")
        for rule in self.limits:
            if rule.path.fullmatch(path):
                limit = int(getattr(scope["app"].state.settings, rule.setting))
                return limit + rule.overhead, rule.code, rule.message.format(limit=limit)
        limit = self.max_bytes
        return limit, "payload_too_large", f"Request body exceeds the limit of {limit} bytes"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if "\x00" in scope.get("path", "") or b"%00" in scope.get("query_string", b""):
            message = "The URL contains a NUL character"
            await send_problem(scope, send, 400, "invalid_characters", message)
            return
        limit, code, message = self._limit(scope)
        for name, value in scope.get("headers", []):
            if name == b"content-length" and value.isdigit() and int(value) > limit:
                await send_problem(scope, send, 413, code, message)
                return

        received = 0
        response_started = False

        async def counting_receive() -> Message:
            nonlocal received
            incoming = await receive()
            if incoming["type"] == "http.request":
                received += len(incoming.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return incoming

        async def tracking_send(outgoing: Message) -> None:
            nonlocal response_started
            if outgoing["type"] == "http.response.start":
                response_started = True
            await send(outgoing)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            if not response_started:
                await send_problem(scope, send, 413, code, message)

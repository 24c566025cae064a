"""Rate limits: per authenticated API key, else per client address.

A presented credential is only a claim until the key is checked, and a bucket per
presented credential lets anyone reset their budget by sending a new random key. So a
request carrying a credential is counted when authentication has decided: against the
key when it is good, against the client address when it is not (or when nothing
authenticated the request at all). A request without a credential counts against its
address at once, before any work. The middleware (`core.middleware.RateLimitMiddleware`)
owns the limiter and reports the window in `X-RateLimit-*` on every response.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from limits import parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter
from starlette.requests import HTTPConnection

from dispatch.core.errors import DomainError

# Where a request's pending decision waits in the ASGI scope's state.
STATE_KEY = "rate_limit"


@dataclass(frozen=True, slots=True)
class Window:
    allowed: bool
    limit: int
    remaining: int
    reset_at: float

    def headers(self) -> list[tuple[bytes, bytes]]:
        return [
            (b"x-ratelimit-limit", str(self.limit).encode()),
            (b"x-ratelimit-remaining", str(max(self.remaining, 0)).encode()),
            (b"x-ratelimit-reset", str(math.ceil(self.reset_at)).encode()),
        ]

    @property
    def retry_after(self) -> int:
        return max(1, math.ceil(self.reset_at - time.time()))


class RateLimitExceeded(DomainError):
    status = 429
    code = "rate_limit_exceeded"

    def __init__(self, limit: str, window: Window) -> None:
        super().__init__(
            f"Rate limit of {limit} exceeded; retry after {window.retry_after}s",
            headers={"Retry-After": str(window.retry_after)},
        )


class RateLimiter:
    """A moving window per identity (`key:<id>` or `ip:<address>`)."""

    def __init__(self, limit: str, storage_uri: str) -> None:
        self.item = parse(limit)
        self.limiter = MovingWindowRateLimiter(storage_from_string(storage_uri))

    def hit(self, identity: str) -> Window:
        allowed = self.limiter.hit(self.item, identity)
        stats = self.limiter.get_window_stats(self.item, identity)
        return Window(allowed, self.item.amount, stats.remaining, stats.reset_time)

    def reset(self) -> None:
        self.limiter.storage.reset()


class Pending:
    """The rate-limit decision of one request that presented a credential, made once."""

    def __init__(self, limiter: RateLimiter, address: str) -> None:
        self.limiter = limiter
        self.address = address
        self.window: Window | None = None

    def count_key(self, key_id: str) -> None:
        """The key is good: the request counts against it (429 once it is spent)."""
        self._count(f"key:{key_id}")

    def count_address(self) -> None:
        """Nobody was authenticated: the request counts against the client address."""
        self._count(f"ip:{self.address}")

    def _count(self, identity: str) -> None:
        if self.window is not None:
            return
        self.window = self.limiter.hit(identity)
        if not self.window.allowed:
            raise RateLimitExceeded(str(self.limiter.item), self.window)


def pending_for(connection: HTTPConnection) -> Pending | None:
    """The request's pending decision; None when limits are off or it was already made
    (the request carried no credential)."""
    pending: Pending | None = connection.scope.get("state", {}).get(STATE_KEY)
    return pending

"""A brand's hosted portal at the root of its own domain.

When a request's Host is a brand's `portal_domain` (help.example.com, pointed at this
server by a CNAME), the portal answers at that host's root: `/` is the portal's home and
`/signin`, `/tickets/...` are the `/support/<slug>/...` routes. The path is rewritten
before routing, so the portal's own routes, unit of work and policies serve it unchanged
(`visit.home` and `visit.site` put its links in the root form). Only the portal's static
files and the signed downloads its file links lead to pass through as they are: nothing
else of Dispatch (dashboard, API, web forms) is reachable on a customer's domain. A host
whose brand was deleted or whose portal is off answers 404 to every path.

Which brand a host belongs to is remembered per app for `TTL`: a lookup is a thread hop
and a read transaction, measured at 0.4-1 ms a request (SQLite, PostgreSQL; 10-20% of the
sign-in page, more of a stylesheet), and a page with its stylesheet and downloads makes
several requests. Remembered, it costs nothing measurable. A change shows within `TTL` at
most, and what is served never goes stale: the portal's unit of work loads the brand by
slug and checks, in the request's own transaction, that the host is still its portal
domain (`brands.service.portal_brand`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from dispatch.brands import service as brands
from dispatch.brands.service import PortalHost
from dispatch.core import clock, transaction
from dispatch.core.errors import NotFound
from dispatch.core.hosts import host_name, may_be_domain, url_host
from dispatch.web.templating import page

TTL = timedelta(seconds=5)
# Hosts remembered at most (Host is the client's to choose): past it, the table starts over.
MAX_HOSTS = 1024
# scope["state"] key: the portal domain this request came to (read by visit.py).
STATE_KEY = "portal_domain"
# What passes a portal domain unchanged: the portal's stylesheet and the signed downloads
# its file links redirect to (where DISPATCH_PUBLIC_URL is not set, that is this host).
PASSING = re.compile(r"/static/.+|/v1/attachments/[^/]+/download")


@dataclass(frozen=True, slots=True)
class _Known:
    until: datetime
    found: PortalHost | None


class PortalDomainMiddleware:
    """Serves brands' portals on their own domains; every other host passes unchanged."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        host = host_name(_header(scope, b"host")) if scope["type"] == "http" else ""
        found = await _portal_at(scope["app"], host) if may_be_domain(host) else None
        if found is None:
            await self.app(scope, receive, send)
            return
        if found.slug is None:
            request = Request(scope, receive)
            error = NotFound("portal", host)
            await page(request, "portal/error.html", 404, brand=None, error=error)(
                scope, receive, send
            )
            return
        scope.setdefault("state", {})[STATE_KEY] = host
        if not PASSING.fullmatch(scope["path"]):
            scope = _under(scope, f"/support/{found.slug}")
        await self.app(scope, receive, send)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return str(value.decode("latin-1"))
    return None


def _under(scope: Scope, prefix: str) -> Scope:
    """The request with its path under `prefix` (`/` is the prefix itself). A trailing
    slash goes: the router would answer it with a redirect to the rewritten path, which
    does not exist on this host."""
    path = scope["path"].rstrip("/")
    raw = (scope.get("raw_path") or scope["path"].encode()).rstrip(b"/")
    moved: dict[str, Any] = {**scope, "path": prefix + path, "raw_path": prefix.encode() + raw}
    return moved


async def _portal_at(app: Any, host: str) -> PortalHost | None:
    """What `host` serves if it is a brand's portal domain (None: it is not one)."""
    if host == url_host(app.state.settings.public_url):
        return None
    known: dict[str, _Known] | None = getattr(app.state, "portal_hosts", None)
    if known is None:
        known = app.state.portal_hosts = {}
    now = clock.now()
    hit = known.get(host)
    if hit is not None and hit.until > now:
        return hit.found
    found = await run_in_threadpool(
        transaction.run, app.state.database, lambda s: brands.portal_host(s, host), write=False
    )
    if len(known) >= MAX_HOSTS:
        known.clear()
    known[host] = _Known(now + TTL, found)
    return found

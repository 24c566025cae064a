"""Account → Inbound email: where mail reaches Dispatch (each brand's mailbox, the SMTP
listener, the inbound-parse URL for mail providers) and the account's inbound secret
that authenticates the URL: hidden until revealed (a POST: reading it may create it),
replaced after a confirmation (the old one stops working at once)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit, urlunsplit

from fastapi import APIRouter, Request
from starlette.responses import Response

from dispatch.accounts.policy import require_account_admin
from dispatch.email import addresses
from dispatch.email import service as email
from dispatch.email.api import INBOUND_PATH
from dispatch.email.models import InboundSecret
from dispatch.web.dashboard.account.shell import account_shell
from dispatch.web.runner import Screen, run
from dispatch.web.security import base_url, is_htmx
from dispatch.web.templating import page

router = APIRouter(include_in_schema=False)

BASE = "/account/inbound"


def _with_secret(url: str, secret: str) -> str:
    """The URL with the secret as its Basic auth password, for providers that take only a
    URL (`https://inbound:<secret>@host/v1/inbound/email`)."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=f"inbound:{secret}@{parts.netloc}"))


def _inbound(
    screen: Screen, request_base: str, secret: InboundSecret | None = None, **extra: Any
) -> dict[str, Any]:
    require_account_admin(screen.actor, "manage the inbound secret")
    brands = screen.brands()
    settings = screen.settings
    url = request_base.rstrip("/") + INBOUND_PATH
    return {
        **account_shell(screen, "inbound"),
        "parse_url": url,
        "smtp_address": f"{settings.smtp_host}:{settings.smtp_port}",
        "inbound_domain": addresses.inbound_domain(settings),
        "mailboxes": [(b, addresses.brand_address(settings, b)) for b in brands],
        "secret": secret,
        "url_with_secret": _with_secret(url, secret.secret) if secret else None,
        **extra,
    }


def _render(request: Request, context: dict[str, Any]) -> Response:
    """The secret's part alone for htmx (Reveal, Rotate), else the whole page."""
    partial = is_htmx(request) and request.method == "POST"
    return page(request, "account/_secret.html" if partial else "account/inbound.html", **context)


@router.get(BASE)
async def inbound_page(request: Request) -> Response:
    request_base = base_url(request)
    return _render(request, await run(request, lambda s: _inbound(s, request_base)))


@router.post(BASE + "/reveal")
async def reveal(request: Request) -> Response:
    request_base = base_url(request)

    def work(screen: Screen) -> dict[str, Any]:
        secret = email.get_or_create_secret(screen.session, screen.actor)
        return _inbound(screen, request_base, secret)

    return _render(request, await run(request, work, write=True))


@router.post(BASE + "/rotate")
async def rotate(request: Request) -> Response:
    request_base = base_url(request)

    def work(screen: Screen) -> dict[str, Any]:
        secret = email.rotate_secret(screen.session, screen.actor)
        return _inbound(screen, request_base, secret, rotated=True)

    return _render(request, await run(request, work, write=True))

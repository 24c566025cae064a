"""Settings → Brand → Portal: the hosted customer portal (on or off, its address to copy,
the brand's own domain for it, whether its new-ticket form offers a category), the
origins allowed to call the portal API from a browser, the custom ticket fields customers
see, and rotating the portal secret, which signs every customer out (portal API tokens
and hosted sessions alike)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from dispatch.brands import service as brands
from dispatch.brands.models import Brand
from dispatch.brands.schemas import BrandChanges
from dispatch.core.errors import ValidationFailed
from dispatch.core.hosts import may_be_domain, server_hosts, url_host
from dispatch.fields import service as fields
from dispatch.portal import service as portal
from dispatch.web.dashboard.brand_settings.screen import (
    done,
    form_errors,
    managing,
    notice_of,
    shell,
    url_of,
)
from dispatch.web.portal.visit import hosted_path
from dispatch.web.runner import Screen, WebError, command, run
from dispatch.web.security import base_url
from dispatch.web.templating import page

router = APIRouter(include_in_schema=False)

NAV = "portal"
BASE = "/brands/{brand_id}/settings/portal"
ROTATED = "rotated"


def _values(brand: Brand) -> dict[str, Any]:
    return {
        "portal_enabled": brand.portal_enabled,
        "portal_categories": brand.portal_categories,
        "portal_origins": "\n".join(brand.portal_origins),
        "portal_domain": brand.portal_domain or "",
    }


def _context(screen: Screen, request: Request, brand_id: str) -> dict[str, Any]:
    context = shell(screen, brand_id, NAV)
    brand = context["brand"]
    ticket_fields = fields.all_fields(screen.session, brand.id)["ticket"]
    return {
        **context,
        "portal_url": base_url(request).rstrip("/") + hosted_path(brand.slug),
        "server_host": url_host(base_url(request)),
        "server_is_name": may_be_domain(url_host(base_url(request))),
        "visible_fields": [f for f in ticket_fields if f.portal_visible],
        "fields_url": url_of(brand.id, "fields"),
        "values": _values(brand),
    }


def _server_hosts(request: Request) -> frozenset[str]:
    return server_hosts(request.app.state.settings.public_url, request.headers.get("host"))


def _notice(request: Request) -> str | None:
    if ROTATED in request.query_params:
        return "Portal secret rotated: every customer is signed out"
    return notice_of(request)


@router.get(BASE)
async def portal_page(request: Request, brand_id: str) -> Response:
    context = await run(request, lambda screen: _context(screen, request, brand_id))
    return page(request, "settings/portal.html", notice=_notice(request), **context)


@router.post(BASE)
async def save_portal(
    request: Request,
    brand_id: str,
    portal_enabled: Annotated[str, Form()] = "",
    portal_categories: Annotated[str, Form()] = "",
    portal_origins: Annotated[str, Form()] = "",
    portal_domain: Annotated[str, Form()] = "",
) -> Response:
    origins = [line.strip() for line in portal_origins.splitlines() if line.strip()]
    own_hosts = _server_hosts(request)

    def work(screen: Screen) -> Brand:
        brand = screen.brand(brand_id)
        data = command(
            BrandChanges,
            portal_enabled=portal_enabled == "true",
            portal_categories=portal_categories == "true",
            portal_origins=origins,
            portal_domain=portal_domain.strip() or None,
        )
        return brands.update_brand(
            screen.session, screen.actor, brand, data, server_hosts=own_hosts
        )

    try:
        saved = await run(request, work, write=True)
    except WebError as refused:
        errors = form_errors(refused, by_code={"portal_domain_taken": "portalDomain"})
        context = await run(request, lambda screen: _context(screen, request, brand_id))
        typed = {
            "portal_enabled": portal_enabled == "true",
            "portal_categories": portal_categories == "true",
            "portal_origins": portal_origins,
            "portal_domain": portal_domain,
        }
        context.update(values=typed, errors=errors)
        return page(request, "settings/portal.html", 422, **context)
    return done(url_of(saved.id, NAV), "saved", "the portal settings")


@router.post(f"{BASE}/rotate-secret")
async def rotate_secret(
    request: Request, brand_id: str, confirm: Annotated[str, Form()] = ""
) -> Response:
    """Rotate only when the box saying what it does is ticked (works without scripts)."""

    def work(screen: Screen) -> Brand:
        context = managing(screen, brand_id, NAV, "rotate the portal secret")
        brand: Brand = context["brand"]
        if confirm != "yes":
            raise ValidationFailed(
                "confirm", "Tick the box to confirm that every customer will be signed out"
            )
        portal.rotate_secret(screen.session, screen.actor, brand)
        return brand

    try:
        brand = await run(request, work, write=True)
    except WebError as refused:
        errors = form_errors(refused)
        context = await run(request, lambda screen: _context(screen, request, brand_id))
        context.update(errors=errors)
        return page(request, "settings/portal.html", 422, **context)
    return done(url_of(brand.id, NAV), ROTATED)

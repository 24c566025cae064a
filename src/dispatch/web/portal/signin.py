"""Signing a customer in to the hosted portal: by magic link only (no passwords).

The email form answers the same "check your inbox" page whether the address is known or
not (and when the service's rate limit quietly drops the request). The link opens a page
with a button rather than acting on GET, so mail scanners that prefetch links do not
spend it; the button redeems it (single use) and starts a session bound to the link's
contact of this brand."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import RedirectResponse, Response

from dispatch.portal import service as portal
from dispatch.portal import sessions
from dispatch.web.forms import field_errors
from dispatch.web.portal.rendering import form_page
from dispatch.web.portal.visit import (
    COOKIE,
    PortalError,
    Visit,
    clear_cookie,
    home,
    home_url,
    run,
    set_cookie,
    site,
)

router = APIRouter(include_in_schema=False)
Field = Annotated[str, Form()]
BASE = "/support/{slug}"
EMAIL_MAX = 320


@router.get(BASE)
async def portal_home(request: Request, slug: str) -> Response:
    """Signed in: the customer's tickets; otherwise the sign-in form."""
    target = "/tickets" if request.cookies.get(COOKIE) else "/signin"
    brand = await run(request, slug, lambda visit: visit.brand, signed_in=False)
    return RedirectResponse(home(request, brand.slug) + target, status_code=303)


@router.get(BASE + "/signin")
async def signin_page(request: Request, slug: str, token: str = "") -> Response:
    brand = await run(request, slug, lambda visit: visit.brand, signed_in=False)
    if token:
        return form_page(request, brand, "portal/link_landing.html", token=token[:500])
    return form_page(request, brand, "portal/signin.html")


@router.post(BASE + "/signin/link")
async def request_link(request: Request, slug: str, email: Field = "") -> Response:
    typed = email.strip()[:EMAIL_MAX]
    own_origin = site(request)

    def send(visit: Visit) -> None:
        portal_url = home_url(request, visit.brand.slug) + "/signin"
        portal.send_magic_link(
            visit.session, visit.settings, visit.brand, typed, portal_url, own_origin=own_origin
        )

    try:
        await run(request, slug, send, write=True, signed_in=False)
    except PortalError as refused:
        if refused.brand is None or "email" not in (field_errors(refused.error) or {}):
            raise
        return form_page(
            request, refused.brand, "portal/signin.html", status_code=422,
            email=typed, error="Enter your email address, like you@example.com.",
        )  # fmt: skip
    brand = await run(request, slug, lambda visit: visit.brand, signed_in=False)
    return form_page(request, brand, "portal/link_sent.html", email=typed)


@router.post(BASE + "/signin")
async def redeem_link(request: Request, slug: str, token: Field = "") -> Response:
    def redeem(visit: Visit) -> sessions.Started:
        actor = portal.redeem_magic_link(visit.session, token, brand_id=visit.brand.id)
        assert actor.contact_id is not None  # noqa: S101 - a customer actor has one
        return sessions.start(visit.session, visit.brand, actor.contact_id)

    try:
        started = await run(request, slug, redeem, write=True, signed_in=False)
    except PortalError as refused:
        if refused.brand is None or refused.error.status != 401:
            raise
        return form_page(
            request, refused.brand, "portal/signin.html", status_code=400,
            error="This sign-in link has expired or was already used. Enter your email "
            "address to get a new one.",
        )  # fmt: skip
    response = RedirectResponse(home(request, slug) + "/tickets", status_code=303)
    set_cookie(response, request, slug, started.secret)
    return response


@router.post(BASE + "/signout")
async def signout(request: Request, slug: str) -> Response:
    def end(visit: Visit) -> None:
        if visit.portal_session is not None:
            sessions.end(visit.session, visit.portal_session.id)

    await run(request, slug, end, write=True)
    response = RedirectResponse(home(request, slug) + "/signin?signed_out=1", status_code=303)
    clear_cookie(response, request, slug)
    return response

"""The hosted portal's unit of work: one transaction per request, for the brand at
/support/<slug> (or at the root of its own domain, see domains.py) and, on signed-in
pages, the customer its cookie names.

A customer is not a team member: the portal's cookie has its own name and path (the
brand's portal), and a dashboard session means nothing here. Every form, signed in or
not, carries the double-submit token of web/security.py (the `dispatch_form` cookie
and the same value in the form)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from fastapi import Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from dispatch.brands import service as brands
from dispatch.brands.models import Brand
from dispatch.core import transaction
from dispatch.core.actor import Actor
from dispatch.core.db import Database
from dispatch.core.errors import DomainError
from dispatch.core.routing import READ_METHODS
from dispatch.portal import service as portal
from dispatch.portal import sessions
from dispatch.portal.models import PortalSession
from dispatch.settings import Settings
from dispatch.web.portal.domains import STATE_KEY
from dispatch.web.runner import CsrfRejected
from dispatch.web.security import (
    CSRF_FIELD,
    FORM_COOKIE,
    base_url,
    same_token,
    secure_cookies,
)

T = TypeVar("T")

COOKIE = "dispatch_portal"


def hosted_path(slug: str) -> str:
    """The brand's portal on Dispatch's own host."""
    return f"/support/{slug}"


def own_domain(request: Request) -> str | None:
    """The brand's portal domain when the request came to it (domains.py)."""
    found = request.scope.get("state", {}).get(STATE_KEY)
    return found if isinstance(found, str) else None


def home(request: Request, slug: str) -> str:
    """The portal's base path as the customer's browser sees it: the root ('') on the
    brand's own domain, /support/<slug> elsewhere. Links append to it (`home + /tickets`)."""
    return "" if own_domain(request) else hosted_path(slug)


def site(request: Request) -> str:
    """The origin for the portal's absolute links (the emailed sign-in link): the brand's
    own domain as this request reached it, else where the public reaches Dispatch."""
    if own_domain(request):
        return str(request.base_url).rstrip("/")
    return base_url(request).rstrip("/")


def home_url(request: Request, slug: str) -> str:
    """`home` as an absolute URL, for links that leave the page (emails, file links)."""
    return site(request) + home(request, slug)


@dataclass(frozen=True, slots=True)
class Visit:
    """What a portal route's work runs with; `actor` is the signed-in customer."""

    session: Session
    brand: Brand
    settings: Settings
    actor: Actor | None = None
    portal_session: PortalSession | None = None

    @property
    def customer(self) -> Actor:
        assert self.actor is not None  # noqa: S101 - only signed-in work asks
        return self.actor


class PortalSignedOut(Exception):
    """No live customer session for this brand: the page sends the browser to sign in."""

    def __init__(self, slug: str) -> None:
        super().__init__(slug)
        self.slug = slug


@dataclass(frozen=True, slots=True)
class BrandLook:
    """What a portal page shows of its brand, kept apart from the row: a refused
    transaction rolls back and expires the row, and the refusal still renders."""

    id: str
    name: str
    slug: str
    icon_url: str | None
    url: str | None

    @classmethod
    def of(cls, brand: Brand) -> BrandLook:
        return cls(brand.id, brand.name, brand.slug, brand.icon_url, brand.url)


class PortalError(Exception):
    """A refusal shown as the portal's own page (in the brand's look when it is known)."""

    def __init__(self, error: DomainError, brand: BrandLook | None = None) -> None:
        super().__init__(error.message)
        self.error = error
        self.brand = brand


async def csrf_of(request: Request) -> str | None:
    field = (await request.form()).get(CSRF_FIELD)
    return field if isinstance(field, str) else None


async def run(
    request: Request,
    slug: str,
    work: Callable[[Visit], T],
    *,
    write: bool = False,
    signed_in: bool = True,
) -> T:
    """Run `work` for the brand's portal in one transaction. Raises PortalError (404)
    for an unknown slug or a portal that is off, PortalSignedOut when `signed_in` work
    has no live session, PortalError for a refused form token or a service's refusal."""
    if request.method not in READ_METHODS and not same_token(
        request.cookies.get(FORM_COOKIE), await csrf_of(request)
    ):
        raise PortalError(CsrfRejected())
    database: Database = request.app.state.database
    settings: Settings = request.app.state.settings
    secret = request.cookies.get(COOKIE, "")
    domain = own_domain(request)
    seen: dict[str, Any] = {}

    def in_transaction(session: Session) -> T:
        brand = brands.portal_brand(session, slug, domain=domain)
        seen["brand"] = BrandLook.of(brand)
        if not signed_in:
            return work(Visit(session, brand, settings))
        row = sessions.resume(session, brand, secret)
        if row is None:
            raise PortalSignedOut(brand.slug)
        seen["touch"] = row.id if sessions.needs_touch(row) else None
        actor = portal.customer_actor(session, brand.id, row.contact_id)
        return work(Visit(session, brand, settings, actor, row))

    try:
        result = await run_in_threadpool(transaction.run, database, in_transaction, write=write)
    except DomainError as error:
        raise PortalError(error, seen.get("brand")) from error
    touched = seen.get("touch")
    if touched:
        # A page that only reads keeps its reading transaction; the idle clock moves
        # in its own short write when due (as the dashboard's does).
        await run_in_threadpool(
            transaction.run, database, lambda session: sessions.touch(session, touched)
        )
    return result


def set_cookie(response: Response, request: Request, slug: str, secret: str) -> None:
    response.set_cookie(
        COOKIE,
        secret,
        max_age=int(sessions.LIFETIME.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=secure_cookies(request, request.app.state.settings),
        path=home(request, slug) or "/",
    )


def clear_cookie(response: Response, request: Request, slug: str) -> None:
    response.delete_cookie(COOKIE, path=home(request, slug) or "/")

"""Mounts the web channel on the app: static files, the dashboard's and the customer
portal's routes, and how a missing session or a refused action shows in a browser."""

from __future__ import annotations

import importlib
import pkgutil
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.staticfiles import StaticFiles
from starlette.responses import RedirectResponse, Response
from starlette.types import Scope

from dispatch.web import dashboard, portal, public_forms
from dispatch.web.portal.rendering import form_page
from dispatch.web.portal.visit import PortalError, PortalSignedOut, home
from dispatch.web.runner import NotSignedIn, WebError
from dispatch.web.security import is_htmx
from dispatch.web.templating import STATIC_DIR, page


class _CachedStatic(StaticFiles):
    """Static files are fingerprinted in their URLs (`static_url`): cache them long."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if response.status_code == 200:
            response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        return response


async def _on_not_signed_in(request: Request, _error: Exception) -> Response:
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    target = "/signin?next=" + quote(here)
    if is_htmx(request):
        # htmx follows HX-Redirect with a full page load.
        return Response(status_code=401, headers={"HX-Redirect": target})
    if request.method != "GET":
        return RedirectResponse("/signin", status_code=303)
    return RedirectResponse(target, status_code=303)


async def _on_web_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, WebError)  # noqa: S101 - registered for WebError only
    refused = error.error
    if is_htmx(request):
        # Shown in the page's message area whatever the request targeted.
        response = page(request, "_flash.html", status_code=refused.status, error=refused)
        response.headers["HX-Retarget"] = "#flash"
        response.headers["HX-Reswap"] = "innerHTML"
        return response
    return page(request, "error.html", status_code=refused.status, error=refused)


async def _on_portal_signed_out(request: Request, error: Exception) -> Response:
    assert isinstance(error, PortalSignedOut)  # noqa: S101 - registered for it only
    return RedirectResponse(home(request, error.slug) + "/signin", status_code=303)


async def _on_portal_error(request: Request, error: Exception) -> Response:
    """A refusal in the portal, on the portal's own page: a customer never sees the
    dashboard's. A token the portal no longer accepts (the contact is gone) signs out."""
    assert isinstance(error, PortalError)  # noqa: S101 - registered for it only
    if error.error.status == 401 and error.brand is not None:
        return RedirectResponse(home(request, error.brand.slug) + "/signin", status_code=303)
    return form_page(
        request, error.brand, "portal/error.html", status_code=error.error.status,
        error=error.error,
    )  # fmt: skip


def mount_web(app: FastAPI) -> None:
    app.mount("/static", _CachedStatic(directory=STATIC_DIR), name="static")
    for module in pkgutil.iter_modules(dashboard.__path__):
        routes = importlib.import_module(f"{dashboard.__name__}.{module.name}")
        # Flat, like the API's routes (see dispatch.api): each route is complete.
        app.router.routes.extend(routes.router.routes)
    # The customer portal's routes, flat as well.
    app.router.routes.extend(portal.router.routes)
    # The public end of web forms, where brands' own pages post (no session, no CSRF).
    app.router.routes.extend(public_forms.router.routes)
    app.add_exception_handler(NotSignedIn, _on_not_signed_in)
    app.add_exception_handler(PortalSignedOut, _on_portal_signed_out)
    app.add_exception_handler(PortalError, _on_portal_error)
    app.add_exception_handler(WebError, _on_web_error)

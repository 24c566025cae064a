"""The root: the inbox for a signed-in member, the sign-in page otherwise."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from dispatch.web.security import SESSION_COOKIE

router = APIRouter(include_in_schema=False)


@router.get("/")
async def home(request: Request) -> Response:
    # The inbox checks the session itself (and comes back here through sign-in).
    target = "/inbox" if request.cookies.get(SESSION_COOKIE) else "/signin"
    return RedirectResponse(target, status_code=303)

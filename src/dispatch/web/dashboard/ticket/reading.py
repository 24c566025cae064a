"""Reading a ticket: the page, its history, the presence heartbeat, the reply's preview."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from markupsafe import Markup
from starlette.responses import HTMLResponse, Response

from dispatch.email.rendering import body_html
from dispatch.presence import service as presence
from dispatch.tickets import service as tickets
from dispatch.web.dashboard.ticket.view import PATH, parse_seen_at, ticket_view
from dispatch.web.runner import Screen, run
from dispatch.web.templating import page

router = APIRouter(include_in_schema=False)

HISTORY_PAGE = 25


@router.get(PATH)
async def ticket_page(request: Request, brand_id: str, ticket_id: str) -> Response:
    view = await run(request, lambda s: ticket_view(s, request, brand_id, ticket_id))
    return page(request, "ticket/page.html", **view)


@router.get(PATH + "/live")
async def refreshed(
    request: Request, brand_id: str, ticket_id: str, seen_at: str = Query("", max_length=64)
) -> Response:
    """The ticket as it is now, for a page the live stream told that it changed: what
    others wrote after the page's newest entry (`seen_at`) is marked new, and the reply
    box moves on to the new version (the member sees what changed)."""
    since = parse_seen_at(seen_at)

    def work(screen: Screen) -> dict[str, Any]:
        return ticket_view(screen, request, brand_id, ticket_id, new_since=since)

    return page(request, "ticket/_changed.html", **await run(request, work))


@router.get(PATH + "/history")
async def history(
    request: Request, brand_id: str, ticket_id: str, cursor: str | None = None
) -> Response:
    def work(screen: Screen) -> dict[str, Any]:
        brand = screen.brand(brand_id)
        entries, next_cursor = tickets.history(
            screen.session, screen.actor, brand, ticket_id, cursor=cursor, limit=HISTORY_PAGE
        )
        return {"brand": brand, "ticket_id": ticket_id, "log": entries, "next_cursor": next_cursor}

    return page(request, "ticket/_history.html", **await run(request, work))


@router.post(PATH + "/viewers")
async def heartbeat(request: Request, brand_id: str, ticket_id: str) -> Response:
    """The page's heartbeat (every 20 s): marks the member as viewing; the others."""

    def work(screen: Screen) -> dict[str, Any]:
        brand = screen.brand(brand_id)
        return {"viewers": presence.heartbeat(screen.session, screen.actor, brand, ticket_id)}

    return page(request, "ticket/_viewers.html", **await run(request, work, write=True))


@router.post(PATH + "/preview")
async def preview(request: Request, brand_id: str, ticket_id: str) -> Response:
    """The reply's Markdown as the customer's email will show it."""
    form = await request.form()
    text = str(form.get("body") or "")

    def work(screen: Screen) -> Markup:
        tickets.get_ticket(screen.session, screen.actor, screen.brand(brand_id), ticket_id)
        return body_html(text, {})

    html = await run(request, work)
    return HTMLResponse(html or Markup("<p class='muted'>Nothing to preview</p>"))

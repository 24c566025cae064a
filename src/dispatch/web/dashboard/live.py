"""Live updates for the dashboard: the API's event stream (`/v1/brands/{b}/events/stream`)
behind the session cookie instead of an API key, for one brand (`?brand=`) or every
brand the member sees (All inboxes).

Pages only need to know *that* a ticket changed (they then fetch what they show, with
their own filters), so each event goes out as a short notice, `{brandId, ticketId}`
(ticketId null for events about no ticket), under the event's id and type: the browser's
EventSource resumes after the last id it got, from the same table as the API's stream.

The session is checked again every SESSION_CHECK_SECONDS: signing out (here or
everywhere), expiry, deactivation or a narrower brand access ends the stream, and the
reconnect is answered 204, which tells EventSource to stop for good.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import StreamingResponse
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from dispatch.accounts.service import member_actor
from dispatch.core import transaction
from dispatch.core.actor import Actor
from dispatch.core.db import Database
from dispatch.core.stopping import server_stopping
from dispatch.settings import Settings
from dispatch.signin import service as signin
from dispatch.stream import live, sse
from dispatch.stream import service as stream
from dispatch.stream.errors import ResyncRequired
from dispatch.stream.models import StreamEvent
from dispatch.stream.service import Cursor
from dispatch.web.runner import NotSignedIn, Screen, run
from dispatch.web.security import SESSION_COOKIE

router = APIRouter(include_in_schema=False)

SESSION_CHECK_SECONDS = 30.0
# Sent first when the event to resume after is no longer kept: the page reloads what it
# shows, since what it missed cannot be replayed.
RESYNC = "event: resync\ndata: {}\n\n"


def notice(row: StreamEvent) -> str:
    """The event as a page needs it: which brand, which ticket."""
    data = json.loads(row.payload)["data"]
    ticket_id = data.get("ticketId") or (data.get("id") if row.type.startswith("ticket.") else None)
    body = json.dumps({"brandId": row.brand_id, "ticketId": ticket_id}, separators=(",", ":"))
    return sse.frame(row.event_id, row.type, body)


def _session_ended(
    request: Request, database: Database, settings: Settings, cursor: Cursor
) -> Callable[[], Awaitable[bool]]:
    """`disconnected` for the stream: the client has gone, or (checked every
    SESSION_CHECK_SECONDS) its session no longer reaches the cursor's brands."""
    secret = request.cookies.get(SESSION_COOKIE, "")
    next_check = time.monotonic() + SESSION_CHECK_SECONDS

    def still_allowed(session: Session) -> bool:
        found = signin.resume(session, settings, secret)
        if found is None:
            return False
        actor = member_actor(found[1])
        return all(actor.can_access_brand(b) for b in cursor.brand_ids)

    async def ended() -> bool:
        nonlocal next_check
        if await request.is_disconnected():
            return True
        if time.monotonic() < next_check:
            return False
        next_check = time.monotonic() + SESSION_CHECK_SECONDS
        allowed = await run_in_threadpool(transaction.run, database, still_allowed, write=False)
        return not allowed

    return ended


@router.get("/events")
async def events(
    request: Request,
    brand: str | None = Query(None, max_length=64),
    last_event_id: str | None = Header(None, alias="Last-Event-ID", max_length=64),
) -> Response:
    resume = (last_event_id or "").strip() or None

    def work(screen: Screen) -> tuple[Actor, Cursor, bool]:
        """Who reads, where the stream starts, and whether the page must reload what it
        shows first."""
        brand_ids = [screen.brand(brand).id] if brand else [b.id for b in screen.brands()]
        try:
            cursor, resync = stream.start(screen.session, screen.actor, brand_ids, resume), False
        except ResyncRequired:
            cursor, resync = stream.start(screen.session, screen.actor, brand_ids, None), True
        return screen.actor, cursor, resync

    try:
        actor, cursor, resync = await run(request, work)
    except NotSignedIn:
        return Response(status_code=204)  # EventSource stops reconnecting
    database: Database = request.app.state.database
    settings: Settings = request.app.state.settings
    frames = live.frames(
        database,
        actor,
        cursor,
        pace=live.Pace.from_settings(settings),
        disconnected=_session_ended(request, database, settings, cursor),
        stopping=server_stopping(request),
        render=notice,
    )
    return StreamingResponse(_after(RESYNC, frames) if resync else frames, headers=sse.HEADERS)


async def _after(first: str, frames: AsyncIterator[str]) -> AsyncIterator[str]:
    yield first
    async for frame in frames:
        yield frame

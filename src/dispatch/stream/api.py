from __future__ import annotations

from fastapi import Depends, Header, Query, Request, Response
from fastapi.responses import StreamingResponse

from dispatch.core.db import Database
from dispatch.core.routing import ERROR_RESPONSES, api_router
from dispatch.core.stopping import server_stopping
from dispatch.settings import Settings
from dispatch.stream import live, service, sse
from dispatch.unit_of_work import UnitOfWork, Work, brand_path, unit_of_work

router = api_router(
    prefix="/brands/{brandId}/events", tags=["Events"], dependencies=[Depends(brand_path)]
)

DESCRIPTION = """
The brand's events as Server-Sent Events, as they happen: `id:` is the event id,
`event:` its type, `data:` the same JSON body a webhook receives for it. A comment
(`: keep-alive`) comes when nothing else has for a while.

To resume after a dropped connection, send the last id received as `Last-Event-ID`
(browsers' EventSource does) or as `lastEventId`: the stream goes on right after that
event, without gaps or repeats. Events are kept for a limited time
(`DISPATCH_STREAM_RETENTION_DAYS`); resuming after one no longer kept (or unknown) is a
409 `stream_resync_required`: reload the state, then connect without an id. Without an
id the stream starts now.
"""


@router.get(
    "/stream",
    summary="Follow the brand's events live (Server-Sent Events)",
    description=DESCRIPTION,
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "An endless `text/event-stream`",
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
        },
        409: {
            **ERROR_RESPONSES[409],
            "description": "The event to resume after is unknown or no longer kept",
        },
    },
)
async def stream_events(
    request: Request,
    last_event_id: str | None = Header(
        None, alias="Last-Event-ID", max_length=64, description="Resume after this event"
    ),
    last_event_id_query: str | None = Query(
        None,
        alias="lastEventId",
        max_length=64,
        description="Resume after this event, for clients that cannot set headers",
    ),
    uow: UnitOfWork = Depends(unit_of_work),
) -> Response:
    database: Database = request.app.state.database
    settings: Settings = request.app.state.settings
    # The header wins: a browser reconnecting sends it, beside the query its page
    # opened the stream with. Empty means none, as in the standard.
    resume = (last_event_id or last_event_id_query or "").strip() or None

    def work(w: Work) -> Response:
        # The checks (key, brand, resume id) answer in the API's error format before the
        # stream begins; the stream itself reads in transactions of its own.
        cursor = service.start(w.session, w.actor, [w.brand.id], resume)
        frames = live.frames(
            database,
            w.actor,
            cursor,
            pace=live.Pace.from_settings(settings),
            disconnected=request.is_disconnected,
            stopping=server_stopping(request),
        )
        return StreamingResponse(frames, headers=sse.HEADERS)

    return await uow.run(work)

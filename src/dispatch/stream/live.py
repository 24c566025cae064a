"""Following the stream: the frames of a Server-Sent Events response, for any web channel.

`frames` yields the `retry:` hint, then looks for new rows every `poll_seconds`, each time
in a thread of the pool and in a short read-only transaction of its own (never one held
open for the life of the stream, and the event loop never waits on the database). After
`heartbeat_seconds` with nothing sent it yields a keep-alive comment. It ends when the
client has gone, when the server stops, or when the database fails: a client reconnects
with the last id it received and resumes there.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from functools import partial

from sqlalchemy.exc import DBAPIError
from starlette.concurrency import run_in_threadpool

from dispatch.core import transaction
from dispatch.core.actor import Actor
from dispatch.core.db import Database
from dispatch.settings import Settings
from dispatch.stream import service, sse
from dispatch.stream.models import StreamEvent
from dispatch.stream.service import Cursor

log = logging.getLogger("dispatch.stream")


@dataclass(frozen=True, slots=True)
class Pace:
    poll_seconds: float = 1.0
    heartbeat_seconds: float = 15.0
    # How long a client waits before reconnecting once the stream ends (`retry:`).
    retry_milliseconds: int = 3000

    @classmethod
    def from_settings(cls, settings: Settings) -> Pace:
        return cls(
            poll_seconds=settings.stream_poll_seconds,
            heartbeat_seconds=settings.stream_heartbeat_seconds,
        )


async def frames(
    database: Database,
    actor: Actor,
    cursor: Cursor,
    *,
    pace: Pace,
    disconnected: Callable[[], Awaitable[bool]],
    stopping: asyncio.Event,
    render: Callable[[StreamEvent], str] = sse.event,
) -> AsyncIterator[str]:
    """The frames of the stream from `cursor` (made by `service.start`), until the client
    has gone (`disconnected()` says so) or `stopping` is set. `render` makes an event's
    frame (by default with its whole payload, as webhooks get it)."""
    yield sse.retry(pace.retry_milliseconds)
    quiet_since = time.monotonic()
    while not stopping.is_set() and not await disconnected():
        read = partial(service.events_after, actor=actor, cursor=cursor)
        try:
            rows = await run_in_threadpool(transaction.run, database, read, write=False)
        except DBAPIError as error:
            log.warning("an event stream ended: the database is unavailable (%s)", error.orig)
            return
        for row in rows:
            yield render(row)
        if rows:
            cursor = cursor.past(rows)
            quiet_since = time.monotonic()
            if len(rows) == service.BATCH:
                continue  # more are waiting: read on at once
        elif time.monotonic() - quiet_since >= pace.heartbeat_seconds:
            yield sse.KEEP_ALIVE
            quiet_since = time.monotonic()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), pace.poll_seconds)

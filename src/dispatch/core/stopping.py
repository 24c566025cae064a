"""Telling responses that never end by themselves (event streams) that the server stops.

uvicorn, asked to stop, waits for every response in progress to finish before it shuts
the app down, and an event stream would keep it waiting forever. So the app's lifespan
puts an `asyncio.Event` in the lifespan state (`lifespan_state`), which uvicorn shares
with its HTTP protocol and copies into every request's scope. `dispatch serve`'s protocol
sets it the moment the server begins its graceful shutdown (`core.http_protocol`), and
streams end when it is set. The lifespan sets it too, at its end: under another server
(plain `uvicorn dispatch.asgi:app`) that comes only after `--timeout-graceful-shutdown`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from starlette.requests import HTTPConnection

KEY = "server_stopping"


def lifespan_state() -> dict[str, Any]:
    return {KEY: asyncio.Event()}


def announce(state: Mapping[str, Any]) -> None:
    """The server stops: set the event of this lifespan state (if it has one)."""
    event = state.get(KEY)
    if isinstance(event, asyncio.Event):
        event.set()


def server_stopping(connection: HTTPConnection) -> asyncio.Event:
    """The event set when the server stops (a fresh one, never set, for an app run
    without its lifespan)."""
    event = connection.scope.get("state", {}).get(KEY)
    return event if isinstance(event, asyncio.Event) else asyncio.Event()

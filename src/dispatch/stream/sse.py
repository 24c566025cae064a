"""The Server-Sent Events wire format (the HTML standard's `text/event-stream`)."""

from __future__ import annotations

from dispatch.stream.models import StreamEvent

# Content-Type exactly (not with the charset Starlette would add to a text/ type: the
# format is always UTF-8). No caching, and no buffering by a proxy such as nginx, which
# would hold events back.
HEADERS = {
    "Content-Type": "text/event-stream",
    "Cache-Control": "no-cache",
    "X-Accel-Buffering": "no",
}
# A comment line: clients ignore it, proxies see traffic and keep the connection open.
KEEP_ALIVE = ": keep-alive\n\n"


def retry(milliseconds: int) -> str:
    """How long a client waits before reconnecting after the stream ends."""
    return f"retry: {milliseconds}\n\n"


def frame(event_id: str, event_type: str, data: str) -> str:
    """One event; `data` is compact JSON, which never holds a raw line break (one inside
    a string is escaped), so it is one `data:` line."""
    return f"id: {event_id}\nevent: {event_type}\ndata: {data}\n\n"


def event(row: StreamEvent) -> str:
    """One event with its whole payload (`webhooks.payloads.render`), as webhooks get it."""
    return frame(row.event_id, row.type, row.payload)

from __future__ import annotations

from dispatch.core.errors import Conflict


class ResyncRequired(Conflict):
    """A client resuming after an event the stream does not have (never had for these
    brands, or pruned): what it missed cannot be replayed."""

    code = "stream_resync_required"

    def __init__(self, event_id: str) -> None:
        super().__init__(
            f"Event {event_id} is unknown or no longer kept: reload the current state, "
            "then reconnect without Last-Event-ID"
        )

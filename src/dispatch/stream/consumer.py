"""The worker's share of the stream: the outbox's `stream` consumer, and pruning.

`append` is one batch of the `stream` consumer (`core.consumers`, run by the worker's
delivery loop): it locks the stream's head first (`repository.lock_head`: one appender at
a time, in commit order), then claims the oldest events of its inbox and copies them, in
that order, into `stream_events` with the body a webhook receives for each; marking them
done in the same transaction, so each event is appended exactly once. Internal events
never reach it (the outbox writes no `stream` inbox row for them).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

from sqlalchemy.orm import Session

from dispatch.core import clock, consumers
from dispatch.core.events import STREAM
from dispatch.stream import repository
from dispatch.webhooks import payloads

# Events appended per transaction.
BATCH = 500


def render_ahead(session: Session, *, limit: int = BATCH) -> dict[str, str]:
    """The bodies of the events `append` would take now, by event id, rendered in a
    reading transaction: on SQLite the worker renders them before it takes the write
    lock that every API write waits behind. An event never changes: its body is good
    whenever it is used."""
    events = consumers.peek(session, STREAM, limit=limit)
    return {event.id: payloads.render(event).decode("utf-8") for event in events}


def append(session: Session, *, limit: int = BATCH, bodies: Mapping[str, str] | None = None) -> int:
    """Append up to `limit` events to the stream; how many. Flushes, never commits.
    `bodies` are those rendered ahead (`render_ahead`); others are rendered here."""
    bodies = bodies or {}
    # The lock before the claim: batches of concurrent workers then follow one another
    # whole, in the order of their events, instead of interleaving.
    head = repository.lock_head(session)
    events = consumers.claim_worked_ahead(session, STREAM, limit=limit, ahead=bodies.keys())
    if not events:
        return 0
    now = clock.now()
    repository.add(
        session,
        [
            {
                "seq": head + number,
                "event_id": event.id,
                "brand_id": event.brand_id,
                "type": event.type,
                "payload": bodies.get(event.id) or payloads.render(event).decode("utf-8"),
                "appended_at": now,
            }
            for number, event in enumerate(events, 1)
        ],
    )
    repository.move_head(session, head + len(events))
    consumers.done(session, STREAM, [event.position for event in events])
    return len(events)


def prune(session: Session, *, older_than: timedelta) -> int:
    """Forget the events appended more than `older_than` ago (a periodic job): clients
    resuming from one of them are told to resync. How many went."""
    return repository.prune(session, clock.now() - older_than)

"""Reading the live stream, for any channel: where a reader starts, and what it reads next.

A reader follows one or several brands (the API: the path's brand; the dashboard: every
inbox a member sees). `start` applies the policies once (staff only, every brand in the
actor's reach) and resolves where to begin: right after the client's last event, or now.
The `Cursor` it returns is then read with `events_after`, one short transaction at a time
(`live.frames` does that for a Server-Sent Events response).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from sqlalchemy.orm import Session

from dispatch.brands import repository as brands
from dispatch.brands.policy import in_scope
from dispatch.core.actor import Actor
from dispatch.core.errors import NotFound
from dispatch.stream import repository
from dispatch.stream.errors import ResyncRequired
from dispatch.stream.models import StreamEvent
from dispatch.tickets.policy import require_staff

# Rows read per transaction: a reader far behind catches up in batches.
BATCH = 100


@dataclass(frozen=True, slots=True)
class Cursor:
    """Where a reader is: the brands it follows (checked by `start`) and the last `seq` it
    has been given."""

    brand_ids: tuple[str, ...]
    seq: int

    def past(self, rows: Sequence[StreamEvent]) -> Cursor:
        """The cursor after these rows (as `events_after` returned them)."""
        return replace(self, seq=rows[-1].seq) if rows else self


def start(
    session: Session, actor: Actor, brand_ids: Sequence[str], last_event_id: str | None
) -> Cursor:
    """Where a reader of these brands starts: right after `last_event_id` (the id of the
    last event it received), or now when None. 404 for a brand outside the actor's reach,
    403 for a customer, 409 (`ResyncRequired`) for an event the stream does not keep for
    these brands (unknown, or older than the retention)."""
    require_staff(actor, "follow the event stream")
    wanted = list(dict.fromkeys(brand_ids))
    found = {brand.id: brand for brand in brands.list_brands(session, actor.account_id, wanted)}
    for brand_id in wanted:
        in_scope(actor, found.get(brand_id), brand_id)
    if last_event_id is None:
        return Cursor(tuple(wanted), repository.head_seq(session))
    seq = repository.seq_of(session, last_event_id, wanted)
    if seq is None:
        raise ResyncRequired(last_event_id)
    return Cursor(tuple(wanted), seq)


def events_after(
    session: Session, actor: Actor, cursor: Cursor, *, limit: int = BATCH
) -> list[StreamEvent]:
    """The next events of the cursor's brands, oldest first (at most `limit`); move on
    with `cursor.past(rows)`. The actor must still reach every brand (checked in memory;
    `start` checked the brands themselves)."""
    for brand_id in cursor.brand_ids:
        if not actor.can_access_brand(brand_id):
            raise NotFound("brand", brand_id)
    return repository.after(session, cursor.brand_ids, cursor.seq, limit)

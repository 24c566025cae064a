"""Comment timestamps that keep a ticket's thread in order.

A comment and the SYSTEM comment of the status change it causes are written in the same
transaction, often within the same microsecond (always, under a frozen test clock). Each
new comment is therefore stamped strictly after the ticket's newest one, so the thread
reads in the order things happened.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from dispatch.comments import repository
from dispatch.core import clock

TICK = timedelta(microseconds=1)


def stamp(session: Session, ticket_id: str) -> datetime:
    now = clock.now()
    latest = repository.latest_created_at(session, ticket_id)
    if latest is not None and latest >= now:
        return latest + TICK
    return now

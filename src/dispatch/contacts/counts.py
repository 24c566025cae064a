"""Each contact's count of tickets, kept current so no page counts them per row.

Like the status counts: a change records a delta in its transaction's side-state
(`core.transaction`: a savepoint that rolls back takes its deltas with it); the deltas are
written once, just before the outermost commit, in contact order, so concurrent
transactions lock contact rows in the same order and only for the commit.
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import bindparam, update
from sqlalchemy.orm import Session

from dispatch.contacts.models import Contact
from dispatch.core import transaction


def _write(session: Session, deltas: list[tuple[str, int]]) -> None:
    totals: dict[str, int] = defaultdict(int)
    for contact_id, delta in deltas:
        totals[contact_id] += delta
    rows = [{"cid": cid, "delta": d} for cid, d in sorted(totals.items()) if d]
    if rows:
        stmt = (
            update(Contact)
            .where(Contact.id == bindparam("cid"))
            .values(ticket_count=Contact.ticket_count + bindparam("delta"))
            .execution_options(synchronize_session=False)
        )
        session.connection().execute(stmt, rows)


DELTAS = transaction.SideState[tuple[str, int]]("contact ticket counts", write=_write)


def record(session: Session, contact_id: str, delta: int) -> None:
    transaction.record(session, DELTAS, (contact_id, delta))


def current(session: Session, contact: Contact) -> int:
    """The contact's count as this transaction will leave it."""
    pending = sum(d for cid, d in transaction.pending(session, DELTAS) if cid == contact.id)
    return contact.ticket_count + pending

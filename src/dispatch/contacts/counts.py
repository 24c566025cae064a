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


def _rows(deltas: list[tuple[str, int]]) -> list[dict[str, object]]:
    totals: dict[str, int] = defaultdict(int)
    for contact_id, delta in deltas:
        totals[contact_id] += delta
    return [{"cid": cid, "delta": d} for cid, d in sorted(totals.items()) if d]


def _write(session: Session, deltas: list[tuple[str, int]]) -> None:
    rows = _rows(deltas)
    if rows:
        session.connection().execute(_ADD, rows)


def _part(deltas: list[tuple[str, int]]) -> transaction.CommitPart | None:
    """One contact's delta within the commit's one statement (PostgreSQL). Several are
    written on their own, row by row in contact order: one UPDATE over a join would lock
    them in no set order (deadlocks with a concurrent transaction)."""
    rows = _rows(deltas)
    if len(rows) != 1:
        return None  # none (the deltas cancelled out: `_write` writes nothing), or several
    [row] = rows
    return transaction.CommitPart(
        (_ADD_CLAUSE,), {"contact_count_id": row["cid"], "contact_count_delta": row["delta"]}
    )


_ADD = (
    update(Contact)
    .where(Contact.id == bindparam("cid"))
    .values(ticket_count=Contact.ticket_count + bindparam("delta"))
    .execution_options(synchronize_session=False)
)
# By its key, not joined to the row set: the planner guesses a set function at 100 rows and
# answered that join with a scan of every contact of every brand, in every ticket write.
_ADD_CLAUSE = (
    "contact_counts_in AS (UPDATE contacts "
    "SET ticket_count = contacts.ticket_count + CAST(:contact_count_delta AS integer) "
    "WHERE contacts.id = CAST(:contact_count_id AS varchar))"
)
DELTAS = transaction.SideState[tuple[str, int]]("contact ticket counts", write=_write, part=_part)


def record(session: Session, contact_id: str, delta: int) -> None:
    transaction.record(session, DELTAS, (contact_id, delta))


def current(session: Session, contact: Contact) -> int:
    """The contact's count as this transaction will leave it."""
    pending = sum(d for cid, d in transaction.pending(session, DELTAS) if cid == contact.id)
    return contact.ticket_count + pending

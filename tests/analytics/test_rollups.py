"""The analytics rollups (`status_stays`, the tickets' first response, first resolution
and last status change) are kept by the changes themselves: after a scripted history
(status deletion, auto-reopen by a customer's reply, reopen by the API, a bulk action,
merges, a deleted ticket) they equal a recomputation from the activity log and the
comments, and so does migration 0021's backfill of the same history."""

from __future__ import annotations

import importlib.util
from datetime import datetime
from types import ModuleType
from typing import Any

import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from dispatch.audit.models import AuditLog
from dispatch.comments.models import Comment
from dispatch.core import migrate as migrations
from dispatch.statuses.rules import INACTIVE_KEYS
from dispatch.tickets.models import StatusStay, Ticket
from tests.analytics.history import History, at
from tests.conftest import Api, make_ticket

Json = dict[str, Any]
Stay = tuple[str, str, str, str, datetime, datetime, str, bool]
Marks = dict[str, tuple[datetime | None, datetime | None, datetime | None]]


@pytest.fixture
def more(api: Api, history: History, frozen_clock: Any) -> None:
    """After the fixed history: a merge whose source was answered before its target, and
    a bulk resolution of two tickets in one transaction."""
    b = history.brand["id"]
    frozen_clock.now = at(5, 9)
    target = make_ticket(api, history.brand, title="Target")
    frozen_clock.now = at(5, 10)
    source = make_ticket(api, history.brand, title="Source")
    frozen_clock.now = at(5, 11)
    api.ok(
        "post",
        f"/brands/{b}/tickets/{source['id']}/comments",
        201,
        json={"body": "On it", "authorType": "AGENT"},
    )
    frozen_clock.now = at(5, 12)
    api.ok(
        "post",
        f"/brands/{b}/tickets/{target['id']}/merge",
        json={"sourceTicketIds": [source["id"]]},
    )
    frozen_clock.now = at(5, 13)
    tickets = [target, history.tickets["t5"]]
    body = {"action": "resolve", "ticketIds": [t["id"] for t in tickets]}
    api.ok("post", f"/brands/{b}/tickets/bulk", json=body)
    frozen_clock.now = at(6, 12)


def _stays(session: Session, brand_id: str) -> set[Stay]:
    s = StatusStay
    rows = session.execute(
        select(
            s.id,
            s.ticket_id,
            s.status_key,
            s.next_key,
            s.entered_at,
            s.left_at,
            s.channel,
            s.by_reply,
        ).where(s.brand_id == brand_id)
    )
    return {(*row,) for row in rows}  # type: ignore[misc]


def _marks(session: Session, brand_id: str) -> Marks:
    t = Ticket
    rows = session.execute(
        select(t.id, t.first_response_at, t.first_resolved_at, t.status_changed_at).where(
            t.brand_id == brand_id
        )
    )
    return {ticket_id: (first, resolved, changed) for ticket_id, first, resolved, changed in rows}


def _recomputed(session: Session, brand_id: str) -> tuple[set[Stay], Marks]:
    """The rollups worked out in Python from the activity entries and the comments."""
    tickets = {t.id: t for t in session.scalars(select(Ticket).where(Ticket.brand_id == brand_id))}
    comments = list(session.scalars(select(Comment).where(Comment.brand_id == brand_id)))
    sources = {c.id: c.source for c in comments}
    entries = session.scalars(
        select(AuditLog)
        .where(AuditLog.brand_id == brand_id, AuditLog.entity_type == "ticket")
        .order_by(AuditLog.created_at, AuditLog.id)
    )
    stays: set[Stay] = set()
    marks: Marks = {}
    for ticket_id in tickets:
        replies = [
            c.created_at
            for c in comments
            if c.ticket_id == ticket_id and c.author_type == "AGENT" and not c.is_internal
        ]
        marks[ticket_id] = (min(replies, default=None), None, None)
    for entry in entries:
        if not entry.changes or "status" not in entry.changes or entry.ticket_id is None:
            continue
        old, new = entry.changes["status"]["old"], entry.changes["status"]["new"]
        first, resolved, changed = marks[entry.ticket_id]
        by_reply = entry.source == "auto-reopen"
        comment_id = (entry.metadata_ or {}).get("commentId")
        stays.add(
            (
                entry.id,
                entry.ticket_id,
                old,
                new,
                changed or tickets[entry.ticket_id].created_at,
                entry.created_at,
                sources[comment_id] if by_reply else entry.source,
                by_reply,
            )
        )
        if resolved is None and old not in INACTIVE_KEYS and new in INACTIVE_KEYS:
            resolved = entry.created_at
        marks[entry.ticket_id] = (first, resolved, entry.created_at)
    return stays, marks


def test_rollups_equal_a_recomputation_from_the_history(
    history: History, more: None, session: Session
) -> None:
    brand_id = history.brand["id"]
    stays, marks = _recomputed(session, brand_id)

    assert _stays(session, brand_id) == stays
    assert _marks(session, brand_id) == marks
    # The history holds what the rollups must follow: a status deletion's move, a
    # customer's reply reopening (under the reply's channel), a bulk action's two changes.
    t1, t2 = history.tickets["t1"]["id"], history.tickets["t2"]["id"]
    assert ("waiting", "pending") in {(s[2], s[3]) for s in stays if s[1] == t2}
    assert {(s[3], s[6]) for s in stays if s[1] == t1 and s[7]} == {("open", "email")}
    assert sum(1 for s in stays if s[5] == at(5, 13)) == 2


def test_a_merge_carries_the_sources_earlier_first_response_to_the_target(
    history: History, more: None, session: Session
) -> None:
    target = session.scalars(select(Ticket).where(Ticket.title == "Target")).one()
    assert target.first_response_at == at(5, 11)


def _backfill() -> ModuleType:
    path = migrations.MIGRATIONS / "versions" / "20261206_0021_analytics_rollups.py"
    spec = importlib.util.spec_from_file_location("analytics_rollups_migration", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_migrations_backfill_rebuilds_the_rollups_from_the_history(
    history: History, more: None, session: Session
) -> None:
    brand_id = history.brand["id"]
    kept = _stays(session, brand_id), _marks(session, brand_id)
    assert kept[0]
    session.execute(delete(StatusStay))
    unmarked = {"first_response_at": None, "first_resolved_at": None, "status_changed_at": None}
    session.execute(update(Ticket).values(**unmarked))
    assert not _stays(session, brand_id)

    _backfill().backfill(session.connection())
    session.expire_all()

    assert (_stays(session, brand_id), _marks(session, brand_id)) == kept

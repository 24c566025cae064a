"""Every query of the analytics reports. Each aggregates in the database and returns one
row per bucket, status or group; none loads tickets, comments or entries into Python.

Which tickets count: those of the scope's brands that normal lists show (not deleted,
not spam, not merged away) and not closed as duplicates, judged by their state now.
The filters (assignee, category, priority, channel) are the ticket's values now too.

Where the history lives: a ticket's creation is its `created_at`; each status change is
an activity entry whose `changes.status` holds the old and new keys (made by the one
ticket-change function, whoever changed it: API, dashboard, bulk action, auto-reopen on
a customer's reply, a status deletion moving tickets to its replacement); first responses
are the team's public comments.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    case,
    exists,
    false,
    func,
    literal,
    literal_column,
    null,
    or_,
    select,
    text,
    union_all,
)
from sqlalchemy.orm import Session, aliased

from dispatch.analytics.expressions import (
    bucket_index,
    duration_stats,
    is_public_agent_reply,
    is_status_change,
    is_uncounted,
    json_text,
    seconds_between,
    status_change,
)
from dispatch.audit.models import AuditLog
from dispatch.comments.models import Comment
from dispatch.core.types import UTCDateTime
from dispatch.statuses.models import TicketStatus
from dispatch.statuses.rules import INACTIVE_KEYS
from dispatch.tickets.models import Ticket

# A filter value meaning "not set" (unassigned, no category).
NONE = "none"
DONE_KEYS = tuple(sorted(INACTIVE_KEYS))
# The channel recorded for a customer's reply that reopened a ticket.
AUTO_REOPEN = "auto-reopen"


@dataclass(frozen=True, slots=True)
class Filters:
    assignee_id: str | None = None
    category_id: str | None = None
    priority: str | None = None
    channel: str | None = None


@dataclass(frozen=True, slots=True)
class Scope:
    brand_ids: tuple[str, ...]
    filters: Filters


def _bucket(t: Any, starts: Sequence[datetime]) -> ColumnElement[int]:
    """Which bucket (by its start) `t` falls in; `t` must not precede the first."""
    return bucket_index(t, *(literal(start, UTCDateTime()) for start in starts))


def no_jit(session: Session) -> None:
    """PostgreSQL's JIT compiler would spend far longer compiling a report's query than
    running it (its cost estimates for JSON predicates are high): off for this
    transaction."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL jit = off"))


def _counted(t: Any, scope: Scope) -> list[ColumnElement[bool]]:
    f = scope.filters
    where: list[ColumnElement[bool]] = [
        t.brand_id.in_(scope.brand_ids),
        t.deleted_at.is_(None),
        t.is_spam == false(),
        t.merged_into_id.is_(None),
        or_(t.close_reason.is_(None), t.close_reason != "duplicate"),
    ]
    for attribute, value in ((t.assignee_id, f.assignee_id), (t.category_id, f.category_id)):
        if value is not None:
            where.append(attribute.is_(None) if value == NONE else attribute == value)
    if f.priority is not None:
        where.append(t.priority == f.priority)
    if f.channel is not None:
        where.append(t.source == f.channel)
    return where


def _ticket_counts(ticket_id: Any, scope: Scope) -> ColumnElement[bool]:
    """For a row of another table: its ticket counts. Without filters, a check against
    the few tickets that do not (`ix_tickets_uncounted`) rather than a join to every
    ticket; with filters, the ticket's own row."""
    t = aliased(Ticket)
    if scope.filters == Filters():
        uncounted = is_uncounted(t.deleted_at, t.is_spam, t.merged_into_id, t.close_reason)
        return ~exists().where(t.id == ticket_id, uncounted)
    return exists().where(t.id == ticket_id, *_counted(t, scope))


def _old(entry: Any) -> ColumnElement[str]:
    return status_change(entry.changes, literal_column("old"))


def _new(entry: Any) -> ColumnElement[str]:
    return status_change(entry.changes, literal_column("new"))


def _status_changes(entry: Any, scope: Scope) -> list[ColumnElement[bool]]:
    return [entry.brand_id.in_(scope.brand_ids), is_status_change(entry.changes)]


def _is_resolution(entry: Any) -> ColumnElement[bool]:
    """From an active status to resolved or closed."""
    return and_(_new(entry).in_(DONE_KEYS), _old(entry).not_in(DONE_KEYS))


def _is_reopen(entry: Any) -> ColumnElement[bool]:
    """From resolved or closed back to an active status."""
    return and_(_old(entry).in_(DONE_KEYS), _new(entry).not_in(DONE_KEYS))


def _in(t: Any, lo: Any, hi: Any) -> ColumnElement[bool]:
    return and_(t >= lo, t < hi)


# --- volume ------------------------------------------------------------------------------


def created_per_bucket(
    session: Session, scope: Scope, starts: Sequence[datetime], end: datetime
) -> dict[int, int]:
    t = aliased(Ticket)
    rows = (
        select(_bucket(t.created_at, starts).label("k"))
        .where(_in(t.created_at, starts[0], end), *_counted(t, scope))
        .subquery("created")
    )
    return dict(session.execute(select(rows.c.k, func.count()).group_by(rows.c.k)).all())


def resolved_per_bucket(
    session: Session, scope: Scope, starts: Sequence[datetime], end: datetime
) -> dict[int, int]:
    a = aliased(AuditLog)
    rows = (
        select(_bucket(a.created_at, starts).label("k"))
        .where(
            *_status_changes(a, scope),
            _in(a.created_at, starts[0], end),
            _is_resolution(a),
            _ticket_counts(a.ticket_id, scope),
        )
        .subquery("resolved")
    )
    return dict(session.execute(select(rows.c.k, func.count()).group_by(rows.c.k)).all())


# --- backlog -----------------------------------------------------------------------------


def current_backlog(session: Session, scope: Scope) -> dict[str, int]:
    """Tickets in each active status now."""
    t, s = aliased(Ticket), aliased(TicketStatus)
    stmt = (
        select(s.key, func.count())
        .select_from(t)
        .join(s, s.id == t.status_id)
        .where(*_counted(t, scope), s.key.not_in(DONE_KEYS))
        .group_by(s.key)
    )
    return dict(session.execute(stmt).all())


def backlog_changes(
    session: Session, scope: Scope, starts: Sequence[datetime]
) -> list[tuple[int, str, int]]:
    """(k, status key, net change) of every status (done ones too) from `starts[k]` to
    the next start (the last: to now): +1 for each ticket created into it and each
    change into it, -1 for each change out of it. A ticket's first status is the old
    status of its first change (its status now if it never changed)."""
    t, s, first = aliased(Ticket), aliased(TicketStatus), aliased(AuditLog)
    first_status = (
        select(_old(first))
        .where(first.ticket_id == t.id, is_status_change(first.changes))
        .order_by(first.created_at)
        .limit(1)
        .scalar_subquery()
    )
    created = (
        select(
            _bucket(t.created_at, starts).label("k"),
            func.coalesce(first_status, s.key).label("key"),
        )
        .select_from(t)
        .join(s, s.id == t.status_id)
        .where(t.created_at >= starts[0], *_counted(t, scope))
    ).subquery("created")
    a = aliased(AuditLog)
    moves = (
        select(
            _bucket(a.created_at, starts).label("k"), _old(a).label("old"), _new(a).label("new")
        ).where(
            *_status_changes(a, scope),
            a.created_at >= starts[0],
            _ticket_counts(a.ticket_id, scope),
        )
    ).subquery("moves")
    deltas = union_all(
        select(created.c.k, created.c.key, literal(1).label("delta")),
        select(moves.c.k, moves.c.new, literal(1)),
        select(moves.c.k, moves.c.old, literal(-1)),
    ).subquery("deltas")
    # Resolved and closed are left to the caller: a filter here would be pushed into
    # `created` and run its first-status lookup twice.
    stmt = select(deltas.c.k, deltas.c.key, func.sum(deltas.c.delta)).group_by(
        deltas.c.k, deltas.c.key
    )
    return [(k, key, int(n)) for k, key, n in session.execute(stmt)]


# --- durations ---------------------------------------------------------------------------


def group_column(t: Any, group_by: str | None) -> ColumnElement[Any]:
    columns: dict[str | None, Any] = {
        "agent": t.assignee_id,
        "category": t.category_id,
        "priority": t.priority,
        "channel": t.source,
        None: null(),
    }
    return columns[group_by]  # type: ignore[no-any-return]


def first_response_rows(
    scope: Scope, start: datetime, end: datetime, group_by: str | None
) -> Select[Any, float]:
    """(grp, seconds) for each ticket whose first public agent reply is in the range."""
    c, earlier, t = aliased(Comment), aliased(Comment), aliased(Ticket)
    first = ~exists().where(
        earlier.ticket_id == c.ticket_id,
        is_public_agent_reply(earlier.author_type, earlier.is_internal),
        earlier.created_at < c.created_at,
    )
    return (
        select(
            group_column(t, group_by).label("grp"),
            seconds_between(c.created_at, t.created_at).label("seconds"),
        )
        .select_from(c)
        .join(t, t.id == c.ticket_id)
        .where(
            c.brand_id.in_(scope.brand_ids),
            is_public_agent_reply(c.author_type, c.is_internal),
            _in(c.created_at, start, end),
            first,
            *_counted(t, scope),
        )
    )


def resolution_rows(
    scope: Scope, start: datetime, end: datetime, group_by: str | None
) -> Select[Any, float]:
    """(grp, seconds) for each ticket first resolved (or closed) in the range."""
    a, earlier, t = aliased(AuditLog), aliased(AuditLog), aliased(Ticket)
    first = ~exists().where(
        earlier.ticket_id == a.ticket_id,
        is_status_change(earlier.changes),
        _is_resolution(earlier),
        earlier.created_at < a.created_at,
    )
    return (
        select(
            group_column(t, group_by).label("grp"),
            seconds_between(a.created_at, t.created_at).label("seconds"),
        )
        .select_from(a)
        .join(t, t.id == a.ticket_id)
        .where(
            *_status_changes(a, scope),
            _in(a.created_at, start, end),
            _is_resolution(a),
            first,
            *_counted(t, scope),
        )
    )


def status_stay_rows(scope: Scope, start: datetime, end: datetime) -> Select[Any, float]:
    """(status key, seconds) for each stay in a status that ended in the range: from the
    change into it (the ticket's previous change in the range, else its last change
    before, else its creation) to the change out of it."""
    a = aliased(AuditLog)
    changes = (
        select(
            a.ticket_id,
            _old(a).label("grp"),
            a.created_at.label("left_at"),
            func.lag(a.created_at)
            .over(partition_by=a.ticket_id, order_by=(a.created_at, a.id))
            .label("previous"),
        )
        .where(*_status_changes(a, scope), _in(a.created_at, start, end))
        .where(_ticket_counts(a.ticket_id, scope))
    ).subquery("changes")
    before, t = aliased(AuditLog), aliased(Ticket)
    created = select(t.created_at).where(t.id == changes.c.ticket_id).scalar_subquery()
    last_before = (
        select(func.max(before.created_at))
        .where(
            before.ticket_id == changes.c.ticket_id,
            is_status_change(before.changes),
            before.created_at < start,
        )
        .scalar_subquery()
    )
    # Only a ticket's first change in the range looks further back, and only when the
    # ticket is older than the range.
    entered = case(
        (changes.c.previous.is_not(None), changes.c.previous),
        (created >= start, created),
        else_=func.coalesce(last_before, created),
    )
    return select(changes.c.grp, seconds_between(changes.c.left_at, entered).label("seconds"))


@dataclass(frozen=True, slots=True)
class Stats:
    total: bool
    group: Any
    count: int
    sum: float
    average: float | None
    median: float | None
    p90: float | None
    below: tuple[int, ...]


def stats(
    session: Session, rows: Select[Any, float], bins: Sequence[int], *, with_total: bool
) -> list[Stats]:
    """Duration statistics of `rows` (grp, seconds) per group and, `with_total`, over
    all of them (the row with `total` set)."""
    base = rows.cte("durations")
    grp, seconds = base.c.grp, base.c.seconds
    parts = [select(literal(0).label("total"), grp.label("grp"), seconds.label("seconds"))]
    if with_total:
        parts.append(select(literal(1), null(), seconds))
    combined = union_all(*parts).subquery("combined")
    result = []
    for row in session.execute(duration_stats(combined, bins)):
        values = row._mapping
        result.append(
            Stats(
                total=bool(values["total"]),
                group=values["grp"],
                count=values["count"],
                sum=float(values["sum"] or 0),
                average=None if values["average"] is None else float(values["average"]),
                median=float(values["median"]),
                p90=float(values["p90"]),
                below=tuple(int(values[f"below_{i}"]) for i in range(len(bins))),
            )
        )
    return result


# --- reopens -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Reopens:
    resolved_tickets: int
    reopened_tickets: int
    reopens: int
    customer_replies: int
    by_channel: list[tuple[str, int, int]]  # channel, reopens, tickets


def reopens(session: Session, scope: Scope, start: datetime, end: datetime) -> Reopens:
    """The tickets resolved in the range, and their reopens since their first resolution
    in it, by channel: the entry's source, or for a customer's reply (auto-reopen) the
    channel of the reply itself."""
    a = aliased(AuditLog)
    resolved = (
        select(a.ticket_id, func.min(a.created_at).label("resolved_at"))
        .where(
            *_status_changes(a, scope),
            _in(a.created_at, start, end),
            _is_resolution(a),
            _ticket_counts(a.ticket_id, scope),
        )
        .group_by(a.ticket_id)
    ).cte("resolved")
    r, reply = aliased(AuditLog), aliased(Comment)
    channel = case((r.source == AUTO_REOPEN, func.coalesce(reply.source, r.source)), else_=r.source)
    reopened = (
        select(
            resolved.c.ticket_id,
            channel.label("channel"),
            case((r.source == AUTO_REOPEN, 1), else_=0).label("by_reply"),
        )
        .select_from(resolved)
        .join(
            r,
            and_(
                r.ticket_id == resolved.c.ticket_id,
                is_status_change(r.changes),
                r.created_at > resolved.c.resolved_at,
            ),
        )
        .outerjoin(reply, reply.id == json_text(r.metadata_, literal_column("commentId")))
        .where(_is_reopen(r))
    ).cte("reopened")
    by_channel = session.execute(
        select(
            reopened.c.channel,
            func.count(),
            func.count(reopened.c.ticket_id.distinct()),
        )
        .group_by(reopened.c.channel)
        .order_by(func.count().desc(), reopened.c.channel)
    )
    totals = session.execute(
        select(
            select(func.count()).select_from(resolved).scalar_subquery(),
            select(func.count(reopened.c.ticket_id.distinct())).scalar_subquery(),
            select(func.count()).select_from(reopened).scalar_subquery(),
            select(func.coalesce(func.sum(reopened.c.by_reply), 0)).scalar_subquery(),
        )
    ).one()
    return Reopens(
        resolved_tickets=totals[0],
        reopened_tickets=totals[1],
        reopens=totals[2],
        customer_replies=int(totals[3]),
        by_channel=[(ch, n, tickets) for ch, n, tickets in by_channel],
    )

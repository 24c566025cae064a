"""Every query of the analytics reports. Each aggregates in the database and returns one
row per bucket, status or group; none loads tickets, comments or entries into Python.

Which tickets count: those of the scope's brands that normal lists show (not deleted,
not spam, not merged away) and not closed as duplicates, judged by their state now.
The filters (assignee, category, priority, channel) are the ticket's values now too.

Where the history lives: the rollups kept in the transaction of each change. A ticket's
creation is its `created_at`, its first public agent reply its `first_response_at`, its
first resolution its `first_resolved_at`; each status change (made by the one
ticket-change function, whoever changed it: API, dashboard, bulk action, auto-reopen on
a customer's reply, a status deletion moving tickets to its replacement) is a
`StatusStay`: the status left, since when, the status entered and through which channel.
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
    is_uncounted,
    seconds_between,
)
from dispatch.core.types import UTCDateTime
from dispatch.statuses.models import TicketStatus
from dispatch.statuses.rules import INACTIVE_KEYS
from dispatch.tickets.models import StatusStay, Ticket

# A filter value meaning "not set" (unassigned, no category).
NONE = "none"
DONE_KEYS = tuple(sorted(INACTIVE_KEYS))


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


def _stays(stay: Any, scope: Scope) -> ColumnElement[bool]:
    in_scope: ColumnElement[bool] = stay.brand_id.in_(scope.brand_ids)
    return in_scope


def _is_resolution(stay: Any) -> ColumnElement[bool]:
    """From an active status to resolved or closed."""
    return and_(stay.status_key.not_in(DONE_KEYS), stay.next_key.in_(DONE_KEYS))


def _is_reopen(stay: Any) -> ColumnElement[bool]:
    """From resolved or closed back to an active status."""
    return and_(stay.status_key.in_(DONE_KEYS), stay.next_key.not_in(DONE_KEYS))


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
    s = aliased(StatusStay)
    rows = (
        select(_bucket(s.left_at, starts).label("k"))
        .where(
            _stays(s, scope),
            _in(s.left_at, starts[0], end),
            _is_resolution(s),
            _ticket_counts(s.ticket_id, scope),
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
    the next start (the last: to now). Each stay counts +1 for its status when it began
    (the ticket's creation or the change into it) and -1 when it ended; each ticket's
    current stay +1 when it began. No ticket's history is looked up: the stays carry
    both ends."""
    t, s = aliased(Ticket), aliased(TicketStatus)
    since = func.coalesce(t.status_changed_at, t.created_at)
    current = (
        select(_bucket(since, starts).label("k"), s.key.label("key"), literal(1).label("delta"))
        .select_from(t)
        .join(s, s.id == t.status_id)
        .where(since >= starts[0], *_counted(t, scope))
    )
    st = aliased(StatusStay)
    stays = (
        select(st.status_key, st.entered_at, st.left_at).where(
            _stays(st, scope), st.left_at >= starts[0], _ticket_counts(st.ticket_id, scope)
        )
    ).subquery("stays")
    deltas = union_all(
        current,
        select(_bucket(stays.c.left_at, starts), stays.c.status_key, literal(-1)),
        select(_bucket(stays.c.entered_at, starts), stays.c.status_key, literal(1)).where(
            stays.c.entered_at >= starts[0]
        ),
    ).subquery("deltas")
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


def _first_rows(
    scope: Scope, t: Any, at: Any, start: datetime, end: datetime, group_by: str | None
) -> Select[Any, float]:
    """(grp, seconds) for each ticket `t` whose `at` (one of its first-time marks) is in
    the range: seconds since the ticket's creation. One range scan of the mark's index;
    the group and the filters are on the same row."""
    return select(
        group_column(t, group_by).label("grp"),
        seconds_between(at, t.created_at).label("seconds"),
    ).where(_in(at, start, end), *_counted(t, scope))


def first_response_rows(
    scope: Scope, start: datetime, end: datetime, group_by: str | None
) -> Select[Any, float]:
    """(grp, seconds) for each ticket whose first public agent reply is in the range."""
    t = aliased(Ticket)
    return _first_rows(scope, t, t.first_response_at, start, end, group_by)


def resolution_rows(
    scope: Scope, start: datetime, end: datetime, group_by: str | None
) -> Select[Any, float]:
    """(grp, seconds) for each ticket first resolved (or closed) in the range."""
    t = aliased(Ticket)
    return _first_rows(scope, t, t.first_resolved_at, start, end, group_by)


def status_stay_rows(scope: Scope, start: datetime, end: datetime) -> Select[Any, float]:
    """(status key, seconds) for each stay in a status that ended in the range: from the
    change into it (or the ticket's creation) to the change out of it."""
    s = aliased(StatusStay)
    return select(
        s.status_key.label("grp"), seconds_between(s.left_at, s.entered_at).label("seconds")
    ).where(_stays(s, scope), _in(s.left_at, start, end), _ticket_counts(s.ticket_id, scope))


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
    in it, by channel (for a customer's reply that reopened the ticket, the reply's)."""
    s = aliased(StatusStay)
    resolved = (
        select(s.ticket_id, func.min(s.left_at).label("resolved_at"))
        .where(
            _stays(s, scope),
            _in(s.left_at, start, end),
            _is_resolution(s),
            _ticket_counts(s.ticket_id, scope),
        )
        .group_by(s.ticket_id)
    ).cte("resolved")
    r = aliased(StatusStay)
    reopened = (
        select(
            resolved.c.ticket_id,
            r.channel,
            case((r.by_reply, 1), else_=0).label("by_reply"),
        )
        .select_from(resolved)
        .join(
            r,
            and_(r.ticket_id == resolved.c.ticket_id, r.left_at > resolved.c.resolved_at),
        )
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

"""The analytics reports, for one brand or every brand an actor reaches. Each report runs
a few aggregate queries (`repository`) and shapes their rows into series."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

from sqlalchemy.orm import Session

from dispatch.accounts import repository as accounts_repository
from dispatch.analytics import periods, repository
from dispatch.analytics.periods import Period
from dispatch.analytics.repository import Filters, Scope, Stats
from dispatch.analytics.schemas import (
    BacklogPoint,
    BacklogReport,
    DistributionBin,
    DurationStats,
    PeriodOut,
    ReopenChannel,
    ReopensReport,
    ReportQuery,
    ResponseTimesGroup,
    ResponseTimesReport,
    StatusRef,
    StatusTime,
    TimeInStatusReport,
    VolumePoint,
    VolumeReport,
    VolumeTotals,
)
from dispatch.brands import repository as brands_repository
from dispatch.brands.models import Brand
from dispatch.categories.loading import categories_by_id
from dispatch.core import clock
from dispatch.core.actor import Actor
from dispatch.core.errors import ValidationFailed
from dispatch.statuses import repository as statuses_repository
from dispatch.statuses.rules import INACTIVE_KEYS
from dispatch.tickets.policy import require_staff

# The distribution's bin edges: 15 minutes, 1, 4 and 8 hours, 1, 3 and 7 days.
BIN_EDGES = (900, 3600, 4 * 3600, 8 * 3600, 86400, 3 * 86400, 7 * 86400)


def account_brands(session: Session, actor: Actor, brand_ids: Sequence[str] | None) -> list[Brand]:
    """The brands an account-wide report covers: every brand in the actor's reach, or
    those of `brand_ids` (each must be in reach: 422 otherwise)."""
    require_staff(actor, "read analytics")
    reach = brands_repository.list_brands(session, actor.account_id, actor.brand_ids)
    if brand_ids is None:
        return reach
    by_id = {b.id: b for b in reach}
    unknown = [i for i in brand_ids if i not in by_id]
    if unknown:
        raise ValidationFailed("brandIds", f"Unknown brand {unknown[0]!r}", code="unknown_brand")
    return [by_id[i] for i in dict.fromkeys(brand_ids)]


def volume(session: Session, actor: Actor, brands: Sequence[Brand], q: ReportQuery) -> VolumeReport:
    """Tickets created and resolved per bucket."""
    period, scope = _prepare(session, actor, brands, q)
    starts = [b.start for b in period.buckets]
    created = repository.created_per_bucket(session, scope, starts, period.end)
    resolved = repository.resolved_per_bucket(session, scope, starts, period.end)
    data = [
        VolumePoint(
            date=b.date,
            start=b.start,
            end=b.end,
            created=created.get(k, 0),
            resolved=resolved.get(k, 0),
        )
        for k, b in enumerate(period.buckets)
    ]
    return VolumeReport(
        period=_period_out(period),
        brand_ids=list(scope.brand_ids),
        totals=VolumeTotals(
            created=sum(p.created for p in data), resolved=sum(p.resolved for p in data)
        ),
        data=data,
    )


def backlog(
    session: Session, actor: Actor, brands: Sequence[Brand], q: ReportQuery
) -> BacklogReport:
    """Tickets in each active status at the end of each bucket (now, for the current one).

    Worked back from the live counts: the backlog at an instant is today's minus every
    change since, so only the history after the range's start is read."""
    period, scope = _prepare(session, actor, brands, q)
    now = clock.now()
    at = [min(b.end, now) for b in period.buckets]
    current = repository.current_backlog(session, scope)
    changes: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    # Changes from at[k] to at[k+1] (the last: to now) undo the backlog at at[k+1] on.
    for k, key, delta in repository.backlog_changes(session, scope, at):
        if key not in INACTIVE_KEYS:
            changes[k][key] += delta

    counts: list[dict[str, int]] = []
    running = dict(current)
    for k in reversed(range(len(at))):
        # The backlog at at[k]: now, less every change from at[k] on.
        for key, delta in changes[k].items():
            running[key] = running.get(key, 0) - delta
        counts.append(dict(running))
    counts.reverse()

    seen = {key for c in counts for key, n in c.items() if n}
    statuses = [
        s
        for s in _status_refs(session, brands, seen)
        if s.key not in INACTIVE_KEYS and (not s.deleted or s.key in seen)
    ]
    data = [
        BacklogPoint(
            date=b.date,
            start=b.start,
            end=b.end,
            at=when,
            total=sum(c.get(s.key, 0) for s in statuses),
            by_status={s.key: c.get(s.key, 0) for s in statuses},
        )
        for b, when, c in zip(period.buckets, at, counts, strict=True)
    ]
    return BacklogReport(
        period=_period_out(period), brand_ids=list(scope.brand_ids), statuses=statuses, data=data
    )


def response_times(
    session: Session, actor: Actor, brands: Sequence[Brand], q: ReportQuery
) -> ResponseTimesReport:
    """First-response and resolution times over the range, overall and per group."""
    period, scope = _prepare(session, actor, brands, q)
    grouped = q.group_by is not None
    sources = {
        "first_response": repository.first_response_rows,
        "resolution": repository.resolution_rows,
    }
    results: dict[str, dict[object, DurationStats]] = {}
    totals: dict[str, DurationStats] = {}
    for name, rows in sources.items():
        stats = repository.stats(
            session,
            rows(scope, period.start, period.end, q.group_by),
            BIN_EDGES,
            with_total=grouped,
        )
        results[name] = {s.group: _duration(s) for s in stats if grouped and not s.total}
        overall = [s for s in stats if s.total == grouped]
        totals[name] = _duration(overall[0]) if overall else _duration(None)

    groups = []
    if q.group_by is not None:
        labels = _labels(session, actor, brands, q.group_by)
        keys = set(results["first_response"]) | set(results["resolution"])
        for key in keys:
            first = results["first_response"].get(key, _duration(None))
            resolution = results["resolution"].get(key, _duration(None))
            label = labels.get(key) if key is not None else None
            groups.append(
                ResponseTimesGroup(
                    key=None if key is None else str(key),
                    label=label or (str(key) if key is not None else _NO_GROUP[q.group_by]),
                    first_response=first,
                    resolution=resolution,
                )
            )
        groups.sort(key=lambda g: (-(g.first_response.count + g.resolution.count), g.label))
    return ResponseTimesReport(
        period=_period_out(period),
        brand_ids=list(scope.brand_ids),
        group_by=q.group_by,
        first_response=totals["first_response"],
        resolution=totals["resolution"],
        groups=groups,
    )


def time_in_status(
    session: Session, actor: Actor, brands: Sequence[Brand], q: ReportQuery
) -> TimeInStatusReport:
    """How long tickets stayed in each status, for the stays that ended in the range."""
    period, scope = _prepare(session, actor, brands, q)
    rows = repository.status_stay_rows(scope, period.start, period.end)
    by_key = {s.group: s for s in repository.stats(session, rows, BIN_EDGES, with_total=False)}
    statuses = [
        StatusTime(**ref.model_dump(), time=_duration(by_key.get(ref.key)))
        for ref in _status_refs(session, brands, set(by_key))
        if not ref.deleted or ref.key in by_key
    ]
    return TimeInStatusReport(
        period=_period_out(period), brand_ids=list(scope.brand_ids), statuses=statuses
    )


def reopens(
    session: Session, actor: Actor, brands: Sequence[Brand], q: ReportQuery
) -> ReopensReport:
    """Of the tickets resolved or closed in the range, how many were reopened since, how
    often and through which channel."""
    period, scope = _prepare(session, actor, brands, q)
    found = repository.reopens(session, scope, period.start, period.end)
    return ReopensReport(
        period=_period_out(period),
        brand_ids=list(scope.brand_ids),
        resolved_tickets=found.resolved_tickets,
        reopened_tickets=found.reopened_tickets,
        reopen_rate=(
            round(found.reopened_tickets / found.resolved_tickets, 4)
            if found.resolved_tickets
            else None
        ),
        reopens=found.reopens,
        customer_replies=found.customer_replies,
        by_channel=[
            ReopenChannel(channel=channel, reopens=n, tickets=tickets)
            for channel, n, tickets in found.by_channel
        ],
    )


# --- shared ------------------------------------------------------------------------------

_NO_GROUP = {
    "agent": "Unassigned",
    "category": "No category",
    "priority": "No priority",
    "channel": "No channel",
}


def _prepare(
    session: Session, actor: Actor, brands: Sequence[Brand], q: ReportQuery
) -> tuple[Period, Scope]:
    require_staff(actor, "read analytics")
    repository.no_jit(session)
    period = periods.build(q.first, q.last, q.timezone, q.interval, clock.now())
    filters = Filters(
        assignee_id=q.assignee_id,
        category_id=q.category_id,
        priority=q.priority,
        channel=q.channel,
    )
    return period, Scope(tuple(b.id for b in brands), filters)


def _period_out(period: Period) -> PeriodOut:
    return PeriodOut(
        from_=period.first,
        to=period.last,
        timezone=period.timezone,
        interval=period.interval,
        start=period.start,
        end=period.end,
    )


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _duration(stats: Stats | None) -> DurationStats:
    below = stats.below if stats is not None else (0,) * len(BIN_EDGES)
    count = stats.count if stats is not None else 0
    cumulative = [0, *below, count]
    edges = [0, *BIN_EDGES, None]
    return DurationStats(
        count=count,
        median_seconds=_rounded(stats.median) if stats else None,
        p90_seconds=_rounded(stats.p90) if stats else None,
        average_seconds=_rounded(stats.average) if stats else None,
        total_seconds=stats.sum if stats else 0.0,
        distribution=[
            DistributionBin(
                min_seconds=edges[i] or 0,
                max_seconds=edges[i + 1],
                count=cumulative[i + 1] - cumulative[i],
            )
            for i in range(len(BIN_EDGES) + 1)
        ],
    )


def _status_refs(session: Session, brands: Sequence[Brand], keys: Iterable[str]) -> list[StatusRef]:
    """The brands' statuses in display order (the first brand's order first), then the
    deleted ones among `keys`. Ids and colors only when the report covers one brand."""
    single = len(brands) == 1
    refs: dict[str, StatusRef] = {}
    for brand in brands:
        for status in statuses_repository.brand_statuses(session, brand.id):
            refs.setdefault(
                status.key,
                StatusRef(
                    key=status.key,
                    name=status.name,
                    status_id=status.id if single else None,
                    color=status.color if single else None,
                    deleted=False,
                ),
            )
    for key in sorted(set(keys) - set(refs)):
        refs[key] = StatusRef(key=key, name=key, status_id=None, color=None, deleted=True)
    return list(refs.values())


def _labels(
    session: Session, actor: Actor, brands: Sequence[Brand], group_by: str
) -> dict[object, str]:
    if group_by == "agent":
        members = accounts_repository.list_members(session, actor.account_id)
        return {m.id: m.name or m.email for m in members}
    if group_by == "category":
        return {
            category_id: category.name
            for brand in brands
            for category_id, category in categories_by_id(session, brand.id).items()
        }
    return {}

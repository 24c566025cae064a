"""The analytics API: five reports, for one brand (`/brands/{brandId}/analytics/...`)
and across the brands a key reaches (`/analytics/...`, optionally `brandIds`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from fastapi import Depends, Query, Response

from dispatch.analytics import service
from dispatch.analytics.periods import Interval
from dispatch.analytics.schemas import (
    BacklogReport,
    GroupBy,
    ReopensReport,
    ReportOut,
    ReportQuery,
    ResponseTimesReport,
    TimeInStatusReport,
    VolumeReport,
)
from dispatch.brands.models import Brand
from dispatch.core.actor import Actor
from dispatch.core.query import text_filter
from dispatch.core.routing import api_router
from dispatch.tickets.priority import Priority
from dispatch.tickets.schemas import Source
from dispatch.unit_of_work import UnitOfWork, Work, brand_path, unit_of_work

router = api_router(tags=["Analytics"])

Report = Callable[[Any, Actor, Sequence[Brand], ReportQuery], ReportOut]

COMMON = """
The range is `from` to `to` (calendar dates in `timezone`, both included; by default the
30 days up to today), cut into `interval` buckets (days, or ISO weeks cut at the range's
ends). Tickets that are deleted, spam, merged away or closed as duplicates are left out;
`assigneeId`, `categoryId`, `priority` and `channel` (the ticket's source) narrow the
tickets counted, by their values now (`none` for unassigned / no category)."""


def report_query(
    first: date | None = Query(None, alias="from", description="First day (YYYY-MM-DD)"),
    last: date | None = Query(None, alias="to", description="Last day, included"),
    timezone: str = Query("UTC", max_length=64, description="IANA time zone"),
    interval: Interval = Query("day"),
    assignee_id: str | None = Query(None, alias="assigneeId", max_length=64),
    category_id: str | None = Query(None, alias="categoryId", max_length=64),
    priority: Priority | None = Query(None),
    channel: Source | None = Query(None, description="The tickets' source"),
) -> ReportQuery:
    return ReportQuery(
        first=first,
        last=last,
        timezone=timezone,
        interval=interval,
        assignee_id=text_filter(assignee_id),
        category_id=text_filter(category_id),
        priority=priority,
        channel=channel,
    )


def grouped_query(
    q: ReportQuery = Depends(report_query),
    group_by: GroupBy | None = Query(None, alias="groupBy", description="Also per group"),
) -> ReportQuery:
    return q.model_copy(update={"group_by": group_by})


def brand_ids_filter(
    brand_ids: str | None = Query(
        None, alias="brandIds", max_length=2000, description="Comma-separated brand ids"
    ),
) -> list[str] | None:
    if brand_ids is None:
        return None
    return [part.strip() for part in brand_ids.split(",") if part.strip()] or None


def _routes(
    path: str,
    report: Report,
    model: type[ReportOut],
    summary: str,
    description: str,
    query: Callable[..., ReportQuery] = report_query,
) -> None:
    """The report's two routes: for the path's brand, and across brands."""

    @router.get(
        f"/brands/{{brandId}}/analytics/{path}",
        response_model=model,
        summary=f"{summary} (one brand)",
        description=description + COMMON,
        dependencies=[Depends(brand_path)],
        operation_id=f"analytics_{path.replace('-', '_')}",
    )
    async def for_brand(
        q: ReportQuery = Depends(query), uow: UnitOfWork = Depends(unit_of_work)
    ) -> Response:
        return await uow.run(lambda w: report(w.session, w.actor, [w.brand], q))

    @router.get(
        f"/analytics/{path}",
        response_model=model,
        summary=f"{summary} (across brands)",
        description=description
        + COMMON
        + "\n\nCovers every brand the key reaches, or those of `brandIds`.",
        operation_id=f"account_analytics_{path.replace('-', '_')}",
    )
    async def across_brands(
        q: ReportQuery = Depends(query),
        brand_ids: list[str] | None = Depends(brand_ids_filter),
        uow: UnitOfWork = Depends(unit_of_work),
    ) -> Response:
        def work(w: Work) -> ReportOut:
            brands = service.account_brands(w.session, w.actor, brand_ids)
            return report(w.session, w.actor, brands, q)

        return await uow.run(work)


_routes(
    "volume",
    service.volume,
    VolumeReport,
    "Tickets created and resolved",
    "Per bucket: tickets created, and resolutions (a move from an active status to "
    "resolved or closed; a ticket resolved again after a reopen counts again).",
)
_routes(
    "backlog",
    service.backlog,
    BacklogReport,
    "Backlog by status",
    "Per bucket: tickets in each active status (open, pending, custom) at the bucket's "
    "end, or now for the current bucket, keyed by status key.",
)
_routes(
    "response-times",
    service.response_times,
    ResponseTimesReport,
    "First-response and resolution times",
    "Median, 90th percentile, average and distribution of the time from creation to the "
    "first public agent reply (for first replies in the range) and to the first "
    "resolution (for first resolutions in the range), overall and per `groupBy` group: "
    "agent (the assignee), category, priority or channel (the ticket's source).",
    query=grouped_query,
)
_routes(
    "time-in-status",
    service.time_in_status,
    TimeInStatusReport,
    "Time spent in each status",
    "Per status: how long tickets stayed in it (from the change into it, or the ticket's "
    "creation, to the change out of it), for stays that ended in the range, read from "
    "the activity log.",
)
_routes(
    "reopens",
    service.reopens,
    ReopensReport,
    "Reopen rate",
    "Of the tickets resolved or closed in the range, how many were reopened after, how "
    "often and through which channel (api, dashboard, email, portal, automation...; a "
    "customer's reply counts by the channel of the reply).",
)

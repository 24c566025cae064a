"""The reports on the wire: every series lists its buckets with their local date and
their edges (UTC), so a chart needs no date arithmetic of its own."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field

from dispatch.analytics.periods import Interval
from dispatch.core.schemas import ApiModel, Command
from dispatch.tickets.priority import Priority
from dispatch.tickets.schemas import Source

GroupBy = Literal["agent", "category", "priority", "channel"]


class ReportQuery(Command):
    """What a report covers: a range of days in a time zone, cut by day or week, and the
    tickets it counts (`assignee_id`/`category_id` take "none" for unassigned / none)."""

    first: dt.date | None = None
    last: dt.date | None = None
    timezone: str = "UTC"
    interval: Interval = "day"
    assignee_id: str | None = None
    category_id: str | None = None
    priority: Priority | None = None
    channel: Source | None = None
    group_by: GroupBy | None = None


class PeriodOut(ApiModel):
    from_: dt.date = Field(alias="from", description="First day of the range, in `timezone`")
    to: dt.date = Field(description="Last day of the range (included), in `timezone`")
    timezone: str = Field(description="IANA time zone the days are cut in")
    interval: Interval
    start: dt.datetime = Field(description="When the range begins (UTC)")
    end: dt.datetime = Field(description="When the range ends, exclusive (UTC)")


class ReportOut(ApiModel):
    period: PeriodOut
    brand_ids: list[str] = Field(description="The brands the report covers")


class BucketOut(ApiModel):
    date: dt.date = Field(description="The local day the bucket starts on")
    start: dt.datetime = Field(description="Bucket start (UTC)")
    end: dt.datetime = Field(description="Bucket end, exclusive (UTC)")


class VolumePoint(BucketOut):
    created: int = Field(description="Tickets created in the bucket")
    resolved: int = Field(
        description="Resolutions in the bucket: a ticket moving from an active status to "
        "resolved or closed (a ticket resolved again after a reopen counts again)"
    )


class VolumeTotals(ApiModel):
    created: int
    resolved: int


class VolumeReport(ReportOut):
    totals: VolumeTotals
    data: list[VolumePoint]


class StatusRef(ApiModel):
    key: str
    name: str
    status_id: str | None = Field(
        description="The status in this brand; null across brands and for a deleted status"
    )
    color: str | None = Field(description="The status's color; null as for statusId")
    deleted: bool = Field(description="The status was deleted since (its key stays in history)")


class BacklogPoint(BucketOut):
    at: dt.datetime = Field(description="When the backlog was measured: the bucket's end, or now")
    total: int
    by_status: dict[str, int] = Field(description="Open tickets by status key (zeros included)")


class BacklogReport(ReportOut):
    statuses: list[StatusRef] = Field(description="The active statuses of the series, in order")
    data: list[BacklogPoint]


class DistributionBin(ApiModel):
    min_seconds: int
    max_seconds: int | None = Field(description="Exclusive; null for the last, open bin")
    count: int


class DurationStats(ApiModel):
    count: int
    median_seconds: float | None
    p90_seconds: float | None
    average_seconds: float | None
    total_seconds: float
    distribution: list[DistributionBin]


class ResponseTimes(ApiModel):
    first_response: DurationStats = Field(
        description="Creation to the first public agent reply, for first replies in the range"
    )
    resolution: DurationStats = Field(
        description="Creation to the first time the ticket was resolved or closed, for first "
        "resolutions in the range"
    )


class ResponseTimesGroup(ResponseTimes):
    key: str | None = Field(
        description="Member id, category id, priority or channel; null for none"
    )
    label: str


class ResponseTimesReport(ReportOut, ResponseTimes):
    group_by: GroupBy | None
    groups: list[ResponseTimesGroup]


class StatusTime(StatusRef):
    time: DurationStats = Field(description="How long tickets stayed, for stays that ended")


class TimeInStatusReport(ReportOut):
    statuses: list[StatusTime]


class ReopenChannel(ApiModel):
    channel: str = Field(
        description="Where the reopen came from: api, dashboard, email, portal, automation..."
    )
    reopens: int
    tickets: int


class ReopensReport(ReportOut):
    resolved_tickets: int = Field(description="Tickets resolved or closed in the range")
    reopened_tickets: int = Field(description="Of those, tickets reopened since")
    reopen_rate: float | None = Field(
        description="reopenedTickets / resolvedTickets (null when none was resolved)"
    )
    reopens: int = Field(description="Reopens of those tickets since (a ticket may reopen twice)")
    customer_replies: int = Field(description="Reopens by a customer's reply (auto-reopen)")
    by_channel: list[ReopenChannel]

"""A brand's activity log: who changed what, when and through which channel, newest
first, filtered by who (people, API keys, the system, or one teammate), event type,
entity (type and id) and a date range (UTC days), in cursor pages; and the filtered log
as CSV, every page, streamed (each page read in its own short transaction).

Read through the activity log's service, as the API's `GET /brands/{id}/logs`."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, fields, replace
from typing import Any, TypeVar
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from starlette.responses import Response, StreamingResponse

from dispatch.accounts import service as accounts
from dispatch.audit import service as audit
from dispatch.audit.models import AuditLog
from dispatch.audit.repository import LogFilter
from dispatch.contacts import service as contacts
from dispatch.contacts.models import Company, Contact
from dispatch.tickets import service as tickets
from dispatch.web.dashboard.inbox import day_bound
from dispatch.web.listing import QUERY_MAX, shell
from dispatch.web.runner import Screen, run
from dispatch.web.templating import page
from dispatch.webhooks.payloads import EVENT_TYPES

router = APIRouter(include_in_schema=False)
T = TypeVar("T")
Work = Callable[[Screen], T]

BASE = "/brands/{brand_id}/activity"
PAGE_SIZE = 50
# A CSV export reads the log this many entries per transaction.
EXPORT_PAGE = 500
PERFORMER_TYPES = {"user": "People", "api": "API keys", "system": "System"}
ENTITY_TYPES = ("ticket", "comment", "attachment", "watcher", "contact", "company",
                "category", "tag", "field", "status", "brand", "blocked_sender")  # fmt: skip
EVENTS = sorted(EVENT_TYPES | {"sender.blocked", "sender.unblocked"})
CSV_COLUMNS = ("createdAt", "event", "entityType", "entityId", "ticketId", "performerType",
               "performerEmail", "performerName", "apiKeyPrefix", "source", "changes",
               "metadata")  # fmt: skip
# A spreadsheet runs a cell starting with these as a formula: such text is quoted.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True, slots=True)
class LogQuery:
    """The log's view as its URL says it (names are the query parameters)."""

    who: str = ""  # user | api | system | a teammate's email
    event: str = ""
    entity: str = ""  # an entity type
    entity_id: str = ""
    date_from: str = ""  # YYYY-MM-DD, inclusive
    date_to: str = ""  # YYYY-MM-DD, inclusive
    cursor: str = ""

    @classmethod
    def parse(cls, request: Request) -> LogQuery:
        params = request.query_params
        return cls(**{f.name: (params.get(f.name) or "").strip()[:QUERY_MAX] for f in fields(cls)})

    def url(self, **changes: str) -> str:
        """The query string with `changes`; any change but a page's starts at the first."""
        changed = replace(self, **({"cursor": ""} | changes))
        return urlencode({f.name: getattr(changed, f.name) for f in fields(changed)
                          if getattr(changed, f.name)})  # fmt: skip

    def filtered(self) -> bool:
        return any(getattr(self, f.name) for f in fields(self) if f.name != "cursor")

    def log_filter(self) -> LogFilter:
        by_type = self.who in PERFORMER_TYPES
        return LogFilter(
            performer_type=self.who if by_type else None,
            performer_email=self.who.lower() if self.who and not by_type else None,
            event=self.event or None,
            entity_type=self.entity or None,
            entity_id=self.entity_id or None,
            start=day_bound(self.date_from, "date_from"),
            end=day_bound(self.date_to, "date_to", next_day=True),
        )


def _log(screen: Screen, brand_id: str, view: LogQuery) -> dict[str, Any]:
    brand = screen.brand(brand_id)
    entries, next_cursor = audit.list_logs(
        screen.session, brand.id, view.log_filter(), cursor=view.cursor or None, limit=PAGE_SIZE
    )
    named = {entry.ticket_id for entry in entries if entry.ticket_id}
    people = {
        kind: contacts.labels(
            screen.session,
            brand,
            model,
            {entry.entity_id for entry in entries if entry.entity_type == kind},
        )
        for kind, model in (("contact", Contact), ("company", Company))
    }

    return {
        **shell(screen, brand, "activity"),
        "base": BASE.format(brand_id=brand.id),
        "view": view,
        "entries": entries,
        "tickets": tickets.labels(screen.session, screen.actor, brand, named),
        "people": people,
        "next_cursor": next_cursor,
        "team": accounts.list_members(screen.session, screen.actor),
        "performer_types": PERFORMER_TYPES,
        "entity_types": ENTITY_TYPES,
        "events": EVENTS,
    }


@router.get(BASE)
async def activity_page(request: Request, brand_id: str) -> Response:
    view = LogQuery.parse(request)
    context = await run(request, lambda s: _log(s, brand_id, view))
    partial = request.headers.get("hx-target") == "activity-results"
    return page(request, "activity/_results.html" if partial else "activity/page.html", **context)


# --- CSV ----------------------------------------------------------------------------------


def _cell(value: Any) -> str:
    if value is None:
        return ""
    text = value if isinstance(value, str) else json.dumps(value, default=str, sort_keys=True)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_row(entry: AuditLog) -> list[str]:
    by = entry.performed_by or {}
    values = (entry.created_at.isoformat(), entry.event, entry.entity_type, entry.entity_id,
              entry.ticket_id, by.get("type"), by.get("email"), by.get("name"),
              by.get("apiKeyPrefix"), entry.source, entry.changes, entry.metadata_)  # fmt: skip
    return [_cell(v) for v in values]


def _lines(rows: Iterable[Iterable[str]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue()


ExportPage = tuple[str, list[list[str]], str | None]  # (brand slug, rows, next cursor)


def _export_page(brand_id: str, log_filter: LogFilter, cursor: str | None) -> Work[ExportPage]:
    def work(screen: Screen) -> ExportPage:
        brand = screen.brand(brand_id)
        entries, next_cursor = audit.list_logs(
            screen.session, brand.id, log_filter, cursor=cursor, limit=EXPORT_PAGE
        )
        return brand.slug, [csv_row(e) for e in entries], next_cursor

    return work


@router.get(BASE + ".csv")
async def export(request: Request, brand_id: str) -> Response:
    log_filter = LogQuery.parse(request).log_filter()
    # The first page before the answer starts: a refusal is still a proper error page.
    slug, first, cursor = await run(request, _export_page(brand_id, log_filter, None))

    async def stream() -> AsyncIterator[str]:
        yield _lines([CSV_COLUMNS, *first])
        next_cursor = cursor
        while next_cursor:
            page_of = _export_page(brand_id, log_filter, next_cursor)
            _, rows, next_cursor = await run(request, page_of)
            yield _lines(rows)

    return StreamingResponse(
        stream(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="activity-{slug}.csv"'},
    )

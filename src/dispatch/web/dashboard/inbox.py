"""The inbox: a brand's tickets (`/brands/{id}/inbox`) or every reachable brand's (`/inbox`),
filtered by URL query parameters (bookmarkable; htmx swaps only the results), with status
pills counted from the kept status counters, cursor paging, bulk actions and saved views.

Every read and change goes through the services the API calls, with the member's actor."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, fields, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any, get_args
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Form, Request
from pydantic import ValidationError
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from dispatch.accounts import service as accounts
from dispatch.brands.models import Brand
from dispatch.categories import loading as categories
from dispatch.core.errors import ValidationFailed
from dispatch.statuses import service as statuses
from dispatch.statuses.rules import SYSTEM_STATUSES
from dispatch.tags import service as tags
from dispatch.tickets import bulk as bulk_actions
from dispatch.tickets import service as tickets
from dispatch.tickets.merge import merge_tickets
from dispatch.tickets.priority import Priority
from dispatch.tickets.schemas import SortField, TicketOut
from dispatch.views import service as views
from dispatch.views.schemas import NewView
from dispatch.web.pickers import company_choices
from dispatch.web.runner import Screen, run
from dispatch.web.templating import page

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 25
PRIORITIES: tuple[str, ...] = get_args(Priority)
SORTS: tuple[str, ...] = get_args(SortField)
VIEWS = ("mine", "unassigned")
# Columns whose natural first click reads A→Z or 1→9; the others show the newest first.
ASCENDING_FIRST = {"title", "ticketNumber", "status"}
FIELD_MAX = 320


@dataclass(frozen=True, slots=True)
class Filters:
    """One inbox view, exactly as its URL says it (names are the query parameters)."""

    status: str = "active"  # active | inactive | all | a status key
    view: str = ""  # "" | mine | unassigned
    priority: str = ""
    assignee: str = ""  # an email address
    category: str = ""  # a category id, "null" for none
    tag: str = ""  # a tag id
    contact: str = ""  # the contact's email address
    company: str = ""  # a company id: tickets of its contacts
    created_from: str = ""  # YYYY-MM-DD, inclusive
    created_to: str = ""  # YYYY-MM-DD, inclusive
    q: str = ""
    sort: str = "updatedAt"
    order: str = "desc"
    cursor: str = ""

    @classmethod
    def parse(cls, params: Mapping[str, str]) -> Filters:
        given = {f.name: (params.get(f.name) or "").strip()[:FIELD_MAX] for f in fields(cls)}
        defaults = cls()
        values = {name: value or getattr(defaults, name) for name, value in given.items()}
        if values["sort"] not in SORTS:
            values["sort"] = defaults.sort
        if values["order"] not in ("asc", "desc"):
            values["order"] = defaults.order
        if values["view"] not in VIEWS:
            values["view"] = ""
        return cls(**values)

    def url(self, **changes: str) -> str:
        """This view's query string with `changes`, defaults left out. Any change but a
        page's starts again at the first page."""
        changed = replace(self, **changes) if "cursor" in changes else replace(
            self, cursor="", **changes
        )  # fmt: skip
        defaults = asdict(Filters())
        kept = {k: v for k, v in asdict(changed).items() if v and v != defaults[k]}
        return urlencode(kept)

    def sort_url(self, column: str) -> str:
        if self.sort == column:
            return self.url(order="asc" if self.order == "desc" else "desc")
        return self.url(sort=column, order="asc" if column in ASCENDING_FIRST else "desc")

    def aria_sort(self, column: str) -> str:
        if self.sort != column:
            return "none"
        return "ascending" if self.order == "asc" else "descending"

    def filtered(self) -> int:
        """How many filters beyond the status pill are set (shown on the filters toggle)."""
        names = ("priority", "assignee", "category", "tag", "contact", "company")
        return sum(bool(getattr(self, name)) for name in (*names, "created_from", "created_to"))

    def ticket_query(self, member_email: str) -> tickets.TicketQuery:
        return tickets.TicketQuery(
            status=None if self.status == "all" else self.status,
            priority=self.priority or None,
            assignee_id="null" if self.view == "unassigned" else None,
            assignee_email=member_email if self.view == "mine" else (self.assignee or None),
            customer_email=self.contact or None,
            company_id=self.company or None,
            category_id=self.category or None,
            tag_ids=self.tag or None,
            created_after=day_bound(self.created_from, "created_from"),
            created_before=day_bound(self.created_to, "created_to", next_day=True),
            search=self.q or None,
            sort=self.sort,
            order=self.order,
            cursor=self.cursor or None,
            limit=PAGE_SIZE,
        )


def day_bound(value: str, field: str, *, next_day: bool = False) -> datetime | None:
    """The start of a YYYY-MM-DD day in UTC (of the next day, for an inclusive end)."""
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise ValidationFailed(field, f"{value!r} is not a date (YYYY-MM-DD)") from None
    return datetime.combine(day + timedelta(days=int(next_day)), time(), tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Pill:
    key: str  # the `status` parameter it sets
    name: str
    count: int
    color: str | None = None


def _brand_pills(screen: Screen, brand: Brand) -> list[Pill]:
    """Active, each status in display order, Inactive, All: from the kept counters (the
    API's status stats), never a count over tickets."""
    stats = statuses.stats(screen.session, brand)
    active = sum(s.count for s in stats if s.is_active)
    inactive = sum(s.count for s in stats if not s.is_active)
    return [
        Pill("active", "Active", active),
        *(Pill(s.key, s.name, s.count, s.color) for s in stats),
        Pill("inactive", "Inactive", inactive),
        Pill("all", "All", active + inactive),
    ]


def _account_pills(screen: Screen, brands: Sequence[Brand]) -> list[Pill]:
    """For All inboxes: the system statuses' counters summed across brands (names and
    colors of the seed: each brand may rename its own), with Active/Inactive/All totals
    that include custom statuses."""
    by_key: dict[str, int] = defaultdict(int)
    active = inactive = 0
    for brand in brands:
        for s in statuses.stats(screen.session, brand):
            by_key[s.key] += s.count if s.is_system else 0
            active += s.count if s.is_active else 0
            inactive += 0 if s.is_active else s.count
    system = [Pill(key, name, by_key[key], color) for key, name, color, _ in SYSTEM_STATUSES]
    return [
        Pill("active", "Active", active),
        *system,
        Pill("inactive", "Inactive", inactive),
        Pill("all", "All", active + inactive),
    ]


def _list(
    screen: Screen, brand: Brand | None, filters: Filters
) -> tuple[list[TicketOut], str | None]:
    query = filters.ticket_query(screen.member.email)
    if brand is None:
        return tickets.list_account_tickets(screen.session, screen.actor, query)
    return tickets.list_tickets(screen.session, screen.actor, brand, query)


def _inbox(screen: Screen, brand: Brand | None, filters: Filters, **extra: Any) -> dict[str, Any]:
    """Everything the inbox template shows; a bounded number of queries whatever the
    number of rows (a few per brand for All inboxes)."""
    brands = screen.brands()
    found, next_cursor = _list(screen, brand, filters)
    session = screen.session
    team = accounts.list_members(session, screen.actor)
    return {
        "member": screen.member,
        "brands": brands,
        "brand": brand,
        "brand_by_id": {b.id: b for b in brands},
        "nav": "inbox",
        "q": filters.q,
        "filters": filters,
        "base": f"/brands/{brand.id}/inbox" if brand else "/inbox",
        "live_url": f"/events?brand={brand.id}" if brand else "/events",
        "tickets": found,
        "next_cursor": next_cursor,
        "pills": _brand_pills(screen, brand) if brand else _account_pills(screen, brands),
        "statuses": statuses.stats(session, brand) if brand else [],
        "system_statuses": SYSTEM_STATUSES,
        "priorities": PRIORITIES,
        "team": team,
        "team_names": {m.email: m.name or m.email for m in team},
        "categories": categories.list_categories(session, brand.id) if brand else [],
        "tags": tags.list_tags(session, brand.id) if brand else [],
        "companies": company_choices(screen, brand, filters.company) if brand else [],
        "views": views.list_views(session, screen.actor, brand),
        **extra,
    }


def _render(request: Request, context: dict[str, Any], name: str = "inbox") -> Response:
    """`inbox/<name>.html`, or only its `_<name>.html` part for htmx: filters, pages and
    bulk actions target the results; anything else (a link, a history restore) gets the
    whole page."""
    partial = request.headers.get("hx-target") == "inbox-results"
    return page(request, f"inbox/{'_' if partial else ''}{name}.html", **context)


async def _show(request: Request, brand_id: str | None) -> Response:
    filters = Filters.parse(request.query_params)

    def work(screen: Screen) -> dict[str, Any]:
        brand = screen.brand(brand_id) if brand_id else None
        return _inbox(screen, brand, filters)

    return _render(request, await run(request, work))


@router.get("/inbox")
async def all_inboxes(request: Request) -> Response:
    return await _show(request, None)


@router.get("/brands/{brand_id}/inbox")
async def brand_inbox(request: Request, brand_id: str) -> Response:
    return await _show(request, brand_id)


# --- Bulk actions -------------------------------------------------------------------------

Text = Annotated[str, Form()]


@dataclass(frozen=True, slots=True)
class BulkForm:
    """The bulk bar's fields; `action` is the button pressed."""

    action: str
    selected: list[str]  # "brandId:ticketId" values of the checked rows
    status: str = ""
    assignee: str = ""
    category: str = ""
    tags: str = ""
    priority: str = ""
    target: str = ""  # the merge target, "brandId:ticketId"

    @classmethod
    def of(cls, form: FormData) -> BulkForm:
        def text(name: str) -> str:
            value = form.get(name)
            return value if isinstance(value, str) else ""

        return cls(
            action=text("action"),
            selected=[v for v in form.getlist("ticket_ids") if isinstance(v, str)],
            status=text("status"),
            assignee=text("assignee").strip(),
            category=text("category"),
            tags=text("tags"),
            priority=text("priority"),
            target=text("target"),
        )

    def by_brand(self) -> dict[str, list[str]]:
        grouped: dict[str, list[str]] = defaultdict(list)
        for value in self.selected:
            brand_id, _, ticket_id = value.partition(":")
            if brand_id and ticket_id and ticket_id not in grouped[brand_id]:
                grouped[brand_id].append(ticket_id)
        return grouped

    def command(self, ticket_ids: list[str]) -> bulk_actions.BulkAction:
        """The bulk service's command for this action (ValidationError on bad input)."""
        data: dict[str, Any] = {"action": self.action, "ticket_ids": ticket_ids}
        names = [name.strip() for name in self.tags.split(",") if name.strip()]
        match self.action:
            case "setStatus":
                data["status"] = self.status
            case "assign":
                data["assignee_email"] = self.assignee or None
            case "setCategory":
                data["category_id"] = None if self.category in ("", "null") else self.category
            case "addTags" | "removeTags":
                data["tags"] = names
            case "setPriority":
                data["priority"] = self.priority
        return bulk_actions.BulkAction.model_validate(data)


ACTIONS = {
    "setStatus", "assign", "setCategory", "addTags", "removeTags", "setPriority", "resolve",
    "spam", "notSpam", "delete",
}  # fmt: skip


def _summary(done: int, failures: list[str]) -> str:
    """'12 updated, 1 failed: Unknown status ...'"""
    text = f"{done} updated"
    if failures:
        text += f", {len(failures)} failed: " + "; ".join(dict.fromkeys(failures))
    return text


def run_bulk(screen: Screen, form: BulkForm) -> tuple[str, bool]:
    """The action on the selection, brand by brand (All inboxes may mix brands), through
    the bulk service; a brand outside the member's reach is a 404 for the whole request."""
    grouped = form.by_brand()
    if not grouped or form.action not in ACTIONS:
        raise ValidationFailed("ticket_ids", "Select tickets and an action first")
    done, failures = 0, []
    for brand_id, ticket_ids in grouped.items():
        brand = screen.brand(brand_id)
        try:
            command = form.command(ticket_ids)
        except ValidationError as error:
            raise ValidationFailed("action", _first_message(error)) from None
        outcome = bulk_actions.run(screen.session, screen.actor, brand, command)
        done += outcome.success
        failures += [r.message or r.code or "refused" for r in outcome.results if not r.success]
    return _summary(done, failures), bool(failures)


def _first_message(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"])
    return f"{where}: {first['msg']}" if where else first["msg"]


def _merge_selection(form: BulkForm) -> tuple[str, list[str]]:
    grouped = form.by_brand()
    if len(grouped) != 1 or len(next(iter(grouped.values()))) < 2:
        raise ValidationFailed("ticket_ids", "Merge takes two or more tickets of one brand")
    return next(iter(grouped.items()))


def run_merge(screen: Screen, form: BulkForm) -> str:
    brand_id, ticket_ids = _merge_selection(form)
    target = form.target.partition(":")[2]
    if target not in ticket_ids:
        raise ValidationFailed("target", "Choose which selected ticket the others merge into")
    brand = screen.brand(brand_id)
    sources = [t for t in ticket_ids if t != target]
    merged_into, merged = merge_tickets(screen.session, screen.actor, brand, target, sources)
    return f"{len(merged)} merged into {merged_into.public_id}"


async def _bulk(request: Request, brand_id: str | None, form: BulkForm) -> Response:
    filters = Filters.parse(request.query_params)

    def work(screen: Screen) -> tuple[bool, dict[str, Any]]:
        """(whether the merge target is still to choose, the page's context)"""
        brand = screen.brand(brand_id) if brand_id else None
        if form.action == "merge" and not form.target:
            return True, _merge_choice(screen, brand, filters, form)
        if form.action == "merge":
            notice, failed = run_merge(screen, form), False
        else:
            notice, failed = run_bulk(screen, form)
        return False, _inbox(screen, brand, filters, notice=notice, notice_failed=failed)

    choosing, context = await run(request, work, write=True)
    return _render(request, context, "merge" if choosing else "inbox")


def _merge_choice(
    screen: Screen, brand: Brand | None, filters: Filters, form: BulkForm
) -> dict[str, Any]:
    """Merge needs a target: a page listing the selected tickets to pick it from."""
    return {
        "member": screen.member,
        "brands": screen.brands(),
        "brand": brand,
        "nav": "inbox",
        "q": filters.q,
        "choices": merge_choices(screen, form),
        "back": (f"/brands/{brand.id}/inbox" if brand else "/inbox"),
        "query": filters.url(cursor=filters.cursor),
    }


def merge_choices(screen: Screen, form: BulkForm) -> list[TicketOut]:
    """The selected tickets, for the page where the merge's target is chosen."""
    brand_id, ticket_ids = _merge_selection(form)
    owner = screen.brand(brand_id)
    return [tickets.get_ticket(screen.session, screen.actor, owner, t) for t in ticket_ids]


def bulk_choices(screen: Screen, brand: Brand) -> dict[str, Any]:
    """What the bulk bar offers for one brand's tickets (inbox/_bulk.html)."""
    team = accounts.list_members(screen.session, screen.actor)
    return {
        "statuses": statuses.stats(screen.session, brand),
        "categories": categories.list_categories(screen.session, brand.id),
        "priorities": PRIORITIES,
        "team": team,
        "team_names": {m.email: m.name or m.email for m in team},
    }


@router.post("/inbox/bulk")
@router.post("/brands/{brand_id}/inbox/bulk")
async def bulk(request: Request, brand_id: str | None = None) -> Response:
    return await _bulk(request, brand_id, BulkForm.of(await request.form()))


# --- Saved views --------------------------------------------------------------------------


@router.post("/inbox/views")
@router.post("/brands/{brand_id}/inbox/views")
async def save_view(
    request: Request,
    name: Text,
    query: Text = "",
    shared: Text = "",
    brand_id: str | None = None,
) -> Response:
    # Saved without its page: a view opens at its first page.
    saved = Filters.parse(dict(parse_qsl(query.lstrip("?")))).url()

    def work(screen: Screen) -> str:
        brand = screen.brand(brand_id) if brand_id else None
        try:
            data = NewView(name=name, query=saved, shared=bool(shared))
        except ValidationError as error:
            raise ValidationFailed("name", _first_message(error)) from None
        views.create_view(screen.session, screen.actor, brand, data)
        return saved

    kept = await run(request, work, write=True)
    target = (f"/brands/{brand_id}/inbox" if brand_id else "/inbox") + (f"?{kept}" if kept else "")
    return RedirectResponse(target, status_code=303)


@router.post("/inbox/views/{view_id}/delete")
async def delete_view(request: Request, view_id: str, back: Text = "/inbox") -> Response:
    await run(request, lambda s: views.delete_view(s.session, s.actor, view_id), write=True)
    return RedirectResponse(_safe_back(back), status_code=303)


def _safe_back(target: str) -> str:
    return target if target.startswith("/") and not target.startswith("//") else "/inbox"

"""Changing a ticket from its page: the header's fields and the watchers.

Every edit form carries the ticket's `version` it was rendered from and saves through
`update_ticket(..., expected_version=)`: a ticket changed meanwhile is refused (409) and
shown as it is now, with who changed what, never overwritten."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from dispatch.audit import service as audit
from dispatch.audit.repository import LogFilter
from dispatch.brands.models import Brand
from dispatch.core.errors import ValidationFailed
from dispatch.fields import service as fields
from dispatch.tickets import service as tickets
from dispatch.tickets.errors import VersionConflict
from dispatch.tickets.schemas import TicketChanges, TicketOut
from dispatch.watchers import service as watchers
from dispatch.watchers.schemas import NewWatcher
from dispatch.web.dashboard.ticket.view import (
    PATH,
    page_url,
    performer,
    ticket_view,
)
from dispatch.web.forms import custom_fields_of, editable
from dispatch.web.runner import Screen, WebError, command, run
from dispatch.web.security import is_htmx
from dispatch.web.templating import page

router = APIRouter(include_in_schema=False)

# How the conflict message names a changed field, by its activity-log name.
FIELD_LABELS = {
    "status": "status",
    "title": "title",
    "priority": "priority",
    "assigneeId": "assignee",
    "assigneeEmail": "assignee",
    "categoryId": "category",
    "tags": "tags",
    "customFields": "custom fields",
}


def _changes(form: FormData, field_types: dict[str, str]) -> dict[str, Any]:
    """What an edit form changes, as `TicketChanges` fields (only those it carries)."""
    data: dict[str, Any] = {}
    for name in ("title", "status", "priority"):
        if name in form:
            data[name] = str(form[name])
    if "assignee_id" in form:
        data["assignee_id"] = str(form["assignee_id"]) or None
    if str(form.get("assignee_email") or "").strip():
        data["assignee_email"] = str(form["assignee_email"]).strip()
    if "category_id" in form:
        data["category_id"] = str(form["category_id"]) or None
    if "set_tags" in form:
        names = [str(t).strip() for t in [*form.getlist("tags"), form.get("new_tag") or ""]]
        data["tags"] = [t for t in dict.fromkeys(names) if t]
    custom = custom_fields_of(form, field_types)
    if custom:
        data["custom_fields"] = custom
    return data


def _version(form: FormData) -> int:
    raw = str(form.get("version") or "")
    if not raw.isdigit():
        raise WebError(ValidationFailed("version", "The form has no ticket version: reload"))
    return int(raw)


def _conflict_message(screen: Screen, brand: Brand, ticket: TicketOut) -> str:
    """'Alex changed this ticket while you were editing: status is now Pending'."""
    latest, _ = audit.list_logs(
        screen.session, brand.id, LogFilter(ticket_id=ticket.id, event="ticket.updated"),
        cursor=None, limit=1,
    )  # fmt: skip
    if not latest:
        return "This ticket changed while you were editing. Its current values are shown."
    entry = latest[0]
    now = {
        "status": ticket.status_ref.name,
        "title": f"“{ticket.title}”",
        "priority": ticket.priority,
        "assignee": ticket.assignee_email or "nobody",
        "category": ticket.category.name if ticket.category else "none",
        "tags": ", ".join(t.name for t in ticket.tags) or "none",
        "custom fields": "updated",
    }
    changed = dict.fromkeys(FIELD_LABELS.get(name, name) for name in entry.changes or {})
    what = ", ".join(f"{label} is now {now.get(label, 'changed')}" for label in changed)
    who = performer(entry.performed_by)
    return f"{who} changed this ticket while you were editing: {what}"


async def _edit(
    request: Request,
    brand_id: str,
    ticket_id: str,
    change: Callable[[Screen, Brand], None],
) -> Response:
    """Run one change, then answer with the ticket as it is now: for htmx the view (and
    the reply box's version), else a redirect to the page."""

    def work(screen: Screen) -> dict[str, Any]:
        change(screen, screen.brand(brand_id))
        return ticket_view(screen, request, brand_id, ticket_id)

    try:
        view = await run(request, work, write=True)
    except WebError as refused:
        if not isinstance(refused.error, VersionConflict):
            raise
        return await stale(request, brand_id, ticket_id)
    if not is_htmx(request):
        return RedirectResponse(page_url(brand_id, ticket_id), status_code=303)
    return page(request, "ticket/_changed.html", **view)


async def stale(request: Request, brand_id: str, ticket_id: str) -> Response:
    """A save from an old version: nothing changed; the ticket as it is now, and who
    changed what meanwhile."""

    def work(screen: Screen) -> dict[str, Any]:
        view = ticket_view(screen, request, brand_id, ticket_id)
        view["conflict"] = _conflict_message(screen, view["brand"], view["ticket"])
        return view

    view = await run(request, work)
    template = "ticket/_changed.html" if is_htmx(request) else "ticket/page.html"
    return page(request, template, status_code=409, **view)


@router.post(PATH)
async def update(request: Request, brand_id: str, ticket_id: str) -> Response:
    """Save the fields an edit form carries (title, status, priority, assignee, category,
    tags, custom fields) against the version it was rendered from."""
    form = await request.form()
    version = _version(form)

    def change(screen: Screen, brand: Brand) -> None:
        types = editable(fields.list_fields(screen.session, brand.id, "ticket"))
        data = _changes(form, types)
        tickets.update_ticket(
            screen.session, screen.actor, brand, ticket_id,
            command(TicketChanges, **data), expected_version=version,
        )  # fmt: skip

    return await _edit(request, brand_id, ticket_id, change)


@router.post(PATH + "/watchers")
async def add_watcher(request: Request, brand_id: str, ticket_id: str) -> Response:
    form = await request.form()
    member_id = str(form.get("member_id") or "") or None
    email = str(form.get("email") or "").strip() or None

    def change(screen: Screen, brand: Brand) -> None:
        spec = command(NewWatcher, member_id=member_id, member_email=email)
        watchers.add_watcher(screen.session, screen.actor, brand, ticket_id, spec)

    return await _edit(request, brand_id, ticket_id, change)


@router.post(PATH + "/watchers/remove")
async def remove_watcher(request: Request, brand_id: str, ticket_id: str) -> Response:
    form = await request.form()
    ref = str(form.get("ref") or "")

    def change(screen: Screen, brand: Brand) -> None:
        watchers.remove_watcher(screen.session, screen.actor, brand, ticket_id, ref)

    return await _edit(request, brand_id, ticket_id, change)

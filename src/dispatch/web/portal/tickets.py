"""A signed-in customer's tickets: "My tickets" (open and closed tabs, paged), a ticket's
conversation with its files, replying, and opening a new ticket.

Forms are plain multipart POSTs that redirect (they work without scripts); a refusal
about the form's fields brings the form back with them and the typed input. Files are
stored as the customer's pending uploads in the same transaction that writes the ticket
or reply, so a refused form keeps none of them."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from markupsafe import Markup
from starlette.datastructures import FormData, UploadFile
from starlette.responses import RedirectResponse, Response

from dispatch.attachments import config as attachment_config
from dispatch.attachments import service as attachments
from dispatch.categories import loading as categories
from dispatch.core.errors import DomainError, ValidationFailed
from dispatch.core.middleware import BodyLimit
from dispatch.email.rendering import attachment_ids, body_html
from dispatch.fields import service as fields
from dispatch.fields.models import FieldDefinition
from dispatch.portal import service as portal
from dispatch.portal.schemas import (
    PortalAttachment,
    PortalCommentCreate,
    PortalTicketCreate,
    PortalTicketDetail,
)
from dispatch.portal.service import STAFF
from dispatch.settings import PORTAL_FORM_FILES
from dispatch.web.downloads import links
from dispatch.web.forms import CUSTOM_FIELD_PREFIX, custom_fields_of, editable, field_errors
from dispatch.web.portal.rendering import form_page
from dispatch.web.portal.visit import PortalError, Visit, home, home_url, run
from dispatch.web.runner import command

router = APIRouter(include_in_schema=False)

BASE = "/support/{slug}/tickets"
TICKET = BASE + "/{ticket_id}"
PAGE_SIZE = 20
# The tabs of "My tickets" and the portal service's status group behind each.
TABS = {"open": "Open", "closed": "Resolved and closed"}
GROUPS = {"open": "active", "closed": "inactive"}
# Statuses a reply reopens, told beside the reply box.
FINISHED = frozenset({"resolved", "closed"})
MAX_FILES = PORTAL_FORM_FILES
# A form's body: its files and its text (the JSON cap would refuse most photos).
PORTAL_FORM_BODY_LIMIT = BodyLimit(
    re.compile(r"/support/[^/]+/tickets(/[^/]+/replies)?/?"),
    "portal_form_max_bytes",
    "payload_too_large",
    "A message with its files may be at most {limit} bytes",
)
# The service's field names as this page's inputs.
INPUT_OF = {"categoryId": "category_id"}


def _customer(visit: Visit) -> dict[str, Any]:
    """What every signed-in page shows: the brand and who is signed in."""
    return {"brand": visit.brand, "customer": visit.customer}


def _errors(error: DomainError) -> dict[str, str] | None:
    """A refusal by this page's input names (`cf.<key>` for custom fields), or None
    when it is not about the form's fields."""
    found = field_errors(error)
    if found is None:
        return None
    return {
        "cf." + name.removeprefix(CUSTOM_FIELD_PREFIX)
        if name.startswith(CUSTOM_FIELD_PREFIX)
        else INPUT_OF.get(name, name): message
        for name, message in found.items()
    }


def _filled(value: str, field: str, message: str) -> None:
    """A blank required input, said in words (before the service's length checks)."""
    if not value.strip():
        raise ValidationFailed(field, message)


def _files(form: FormData) -> list[UploadFile]:
    """The files a form carries (an empty file input sends one without a name)."""
    return [f for f in form.getlist("files") if isinstance(f, UploadFile) and f.filename]


def _store(visit: Visit, request: Request, files: list[UploadFile]) -> list[str]:
    config = attachment_config.for_app(request.app)
    return [
        portal.upload_pending_file(
            visit.session,
            visit.customer,
            attachments.Upload(f.filename or "file", f.content_type or "", f.file),
            config,
        ).id
        for f in files
    ]


# --- My tickets ----------------------------------------------------------------------------


@router.get(BASE)
async def my_tickets(request: Request, slug: str, tab: str = "open", cursor: str = "") -> Response:
    tab = tab if tab in TABS else "open"

    def work(visit: Visit) -> dict[str, Any]:
        found, next_cursor = portal.list_tickets(
            visit.session, visit.customer, status=GROUPS[tab], sort="updatedAt",
            limit=PAGE_SIZE, cursor=cursor or None,
        )  # fmt: skip
        return {**_customer(visit), "tickets": found, "next_cursor": next_cursor}

    context = await run(request, slug, work)
    return form_page(
        request, context.pop("brand"), "portal/tickets.html", nav="tickets", tab=tab,
        tabs=TABS, cursor=cursor, **context,
    )  # fmt: skip


# --- a new ticket ------------------------------------------------------------------------


def _form_context(visit: Visit) -> dict[str, Any]:
    brand = visit.brand
    offered = categories.list_categories(visit.session, brand.id) if brand.portal_categories else []
    return {**_customer(visit), "categories": offered, "fields": _portal_fields(visit)}


def _portal_fields(visit: Visit) -> list[FieldDefinition]:
    """The brand's ticket fields a customer fills, as inputs this form can offer."""
    listed = fields.list_fields(visit.session, visit.brand.id, "ticket")
    offered = editable(listed)
    return [f for f in listed if f.portal_visible and f.key in offered]


@router.get(BASE + "/new")
async def new_ticket_form(request: Request, slug: str) -> Response:
    context = await run(request, slug, _form_context)
    return form_page(
        request, context.pop("brand"), "portal/new_ticket.html", nav="new", values={},
        errors={}, known=[], **context,
    )  # fmt: skip


@router.post(BASE)
async def create_ticket(request: Request, slug: str) -> Response:
    form = await request.form(max_files=MAX_FILES)
    try:
        typed = {k: v for k, v in form.multi_items() if isinstance(v, str)}
        title, body = str(form.get("title") or ""), str(form.get("body") or "")
        category_id = str(form.get("category_id") or "") or None
        files = _files(form)

        def work(visit: Visit) -> str:
            _filled(title, "title", "Give your ticket a subject")
            command(PortalTicketCreate, title=title.strip(), body=body.strip() or None)
            offered = {f.key: f.type for f in _portal_fields(visit)}
            custom = {k: v for k, v in custom_fields_of(form, offered).items() if v is not None}
            created = portal.create_ticket(
                visit.session, visit.customer, title.strip(), body.strip() or None,
                attachment_ids=_store(visit, request, files), category_id=category_id,
                custom_fields=custom or None,
            )  # fmt: skip
            return created.id

        try:
            ticket_id = await run(request, slug, work, write=True)
        except PortalError as refused:
            errors = _errors(refused.error)
            if errors is None:
                raise
            context = await run(request, slug, _form_context)
            known = ["title", "body", "category_id", "files"]
            known += [f"cf.{f.key}" for f in context["fields"]]
            return form_page(
                request, context.pop("brand"), "portal/new_ticket.html", status_code=422,
                nav="new", values=typed, errors=errors, known=known, **context,
            )  # fmt: skip
    finally:
        await form.close()
    return RedirectResponse(f"{home(request, slug)}/tickets/{ticket_id}?created=1", status_code=303)


# --- a ticket ------------------------------------------------------------------------------


def _custom_display(value: Any) -> str:
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


@dataclass(frozen=True, slots=True)
class Message:
    """One message of the conversation as the page shows it."""

    staff: bool
    author: str | None
    at: datetime
    html: Markup
    files: list[PortalAttachment]


def _conversation(detail: PortalTicketDetail, files_url: str) -> list[Message]:
    """The opening message and the public replies, markdown rendered as the dashboard
    renders it; `attachment:<id>` references lead to this portal's download route, and a
    file some message's text links is not listed under a message again."""
    every = [*detail.attachments, *(a for c in detail.comments for a in c.attachments)]
    urls: dict[str, str | None] = {a.id: f"{files_url}/{a.id}" for a in every}
    linked = set(attachment_ids(detail.body or "", *(c.body for c in detail.comments)))

    def message(staff: bool, author: str | None, at: datetime, body: str,
                files: list[PortalAttachment]) -> Message:  # fmt: skip
        shown = [f for f in files if f.id not in linked]
        return Message(staff, author, at, body_html(body, urls), shown)

    opening = message(False, None, detail.created_at, detail.body or "", detail.attachments)
    return [opening] + [
        message(c.author_type == STAFF, c.author_name, c.created_at, c.body, c.attachments)
        for c in detail.comments
    ]


def _ticket_context(visit: Visit, ticket_id: str, home_link: str) -> dict[str, Any]:
    """The ticket page's context; `home_link` is the portal's absolute base URL."""
    detail: PortalTicketDetail = portal.get_ticket(visit.session, visit.customer, ticket_id)
    shown = [
        {"label": f.label, "display": _custom_display(f.value)}
        for f in detail.custom_fields
        if f.value is not None and f.value != ""
    ]
    files_url = f"{home_link}/tickets/{detail.id}/attachments"
    return {
        **_customer(visit),
        "ticket": detail,
        "messages": _conversation(detail, files_url),
        "custom_fields": shown,
        "finished": detail.status_ref.key in FINISHED,
    }


def _ticket_page(
    request: Request, context: dict[str, Any], status_code: int = 200, **more: Any
) -> Response:
    query: Mapping[str, str] = request.query_params
    shown = {
        "nav": "tickets",
        "errors": {},
        **{outcome: outcome in query for outcome in ("sent", "reopened", "created")},
        **context,
        **more,
    }
    brand = shown.pop("brand")
    return form_page(request, brand, "portal/ticket.html", status_code=status_code, **shown)


@router.get(TICKET)
async def ticket_page(request: Request, slug: str, ticket_id: str) -> Response:
    portal_base = home_url(request, slug)
    context = await run(request, slug, lambda visit: _ticket_context(visit, ticket_id, portal_base))
    return _ticket_page(request, context)


@router.post(TICKET + "/replies")
async def reply(request: Request, slug: str, ticket_id: str) -> Response:
    form = await request.form(max_files=MAX_FILES)
    try:
        body = str(form.get("body") or "")
        files = _files(form)

        def work(visit: Visit) -> bool:
            _filled(body, "body", "Write your reply")
            command(PortalCommentCreate, body=body)
            ids = _store(visit, request, files)
            sent = portal.add_comment(visit.session, visit.customer, ticket_id, body, ids)
            return sent.reopened

        try:
            reopened = await run(request, slug, work, write=True)
        except PortalError as refused:
            errors = _errors(refused.error)
            if errors is None:
                raise
            portal_base = home_url(request, slug)
            context = await run(
                request, slug, lambda visit: _ticket_context(visit, ticket_id, portal_base)
            )
            return _ticket_page(request, context, 422, errors=errors, draft=body)
    finally:
        await form.close()
    outcome = "reopened" if reopened else "sent"
    return RedirectResponse(
        f"{home(request, slug)}/tickets/{ticket_id}?{outcome}=1", status_code=303
    )


@router.get(TICKET + "/attachments/{attachment_id}")
async def download(request: Request, slug: str, ticket_id: str, attachment_id: str) -> Response:
    """A file the customer sees, through a fresh signed link (links expire; the page
    keeps working however long it stays open)."""
    signed = links(request)

    def work(visit: Visit) -> str | None:
        found = portal.get_attachment(
            visit.session, visit.customer, ticket_id, attachment_id, signed
        )
        return found.download_url

    url = await run(request, slug, work)
    if url is None:
        raise PortalError(DomainError("This file is still uploading", code="not_ready", status=409))
    return RedirectResponse(url, status_code=303)

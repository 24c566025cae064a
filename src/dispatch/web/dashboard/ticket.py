"""The ticket page: header and fields, the conversation, the reply box, the history and
who else is looking.

Every edit form carries the ticket's `version` it was rendered from and saves through
`update_ticket(..., expected_version=)`: a ticket changed meanwhile is refused (409) and
shown as it is now, never overwritten. A reply carries `seen_at`, the time of the newest
entry the member saw: a public reply written since is shown and the reply is not sent
until the member sends again (having read it). htmx swaps `#ticket-view` (header,
conversation, sidebar); the reply box sits outside it so a draft survives every save.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from fastapi import APIRouter, Request
from markupsafe import Markup
from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData, UploadFile
from starlette.responses import HTMLResponse, RedirectResponse, Response

from dispatch.accounts import service as accounts
from dispatch.attachments import config as attachment_config
from dispatch.attachments import service as attachments
from dispatch.attachments.links import Links
from dispatch.audit import service as audit
from dispatch.audit.repository import LogFilter
from dispatch.brands.models import Brand
from dispatch.categories import loading as categories
from dispatch.comments import service as comments
from dispatch.comments.models import CUSTOMER, SYSTEM
from dispatch.comments.schemas import CommentOut, NewComment
from dispatch.core.errors import ValidationFailed
from dispatch.email.rendering import attachment_ids, body_html
from dispatch.fields import service as fields
from dispatch.presence import service as presence
from dispatch.statuses import loading as statuses
from dispatch.tickets import service as tickets
from dispatch.tickets.errors import VersionConflict
from dispatch.tickets.loading import load_ticket
from dispatch.tickets.schemas import TicketChanges, TicketOut
from dispatch.watchers import service as watchers
from dispatch.watchers.schemas import NewWatcher
from dispatch.web.forms import EDITABLE_FIELD_TYPES, custom_fields_of, editable
from dispatch.web.runner import Screen, WebError, run
from dispatch.web.security import is_htmx
from dispatch.web.templating import page

router = APIRouter(include_in_schema=False)
M = TypeVar("M", bound=BaseModel)

PATH = "/brands/{brand_id}/tickets/{ticket_id}"
HISTORY_PAGE = 25
OTHER_TICKETS = 5
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


# --- what the templates show --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class File:
    filename: str
    size: int
    url: str | None


@dataclass(frozen=True, slots=True)
class Entry:
    """One item of the conversation (the description first)."""

    kind: str  # description | public | internal | system
    id: str
    author: str
    at: datetime
    html: Markup
    source: str
    files: list[File] = field(default_factory=list)
    new: bool = False


def _links(request: Request) -> Links:
    config = attachment_config.for_app(request.app)
    return Links(config, config.public_url or str(request.base_url).rstrip("/"))


def _kind(comment: CommentOut) -> str:
    if comment.author_type == SYSTEM:
        return "system"
    return "internal" if comment.is_internal else "public"


def _performer(performed_by: dict[str, Any] | None) -> str:
    by = performed_by or {}
    return str(by.get("name") or by.get("email") or by.get("apiKeyPrefix") or "Someone")


def _system_html(comment: CommentOut) -> Markup:
    """'Status changed from Resolved to Open by auto-reopen (customer reply) · Jane'."""
    meta = comment.metadata
    who = _performer(meta.get("performedBy"))
    return Markup("{} <span class='muted'>· {} via {}</span>").format(
        comment.body, who, meta.get("source") or comment.source
    )


def _conversation(
    ticket: TicketOut,
    found: list[CommentOut],
    files: dict[str | None, list[File]],
    urls: dict[str, str | None],
    new_ids: frozenset[str],
) -> list[Entry]:
    opening = Entry(
        kind="description",
        id=ticket.id,
        author=ticket.customer_name or ticket.customer_email or ticket.created_by or "Unknown",
        at=ticket.created_at,
        html=body_html(ticket.body or "", urls),
        source=ticket.source,
        files=files.get(None, []),
    )
    return [opening] + [
        Entry(
            kind=_kind(c),
            id=c.id,
            author=c.author_name or c.author_email or c.author_type.title(),
            at=c.created_at,
            html=_system_html(c) if c.author_type == SYSTEM else body_html(c.body, urls),
            source=c.source,
            files=files.get(c.id, []),
            new=c.id in new_ids,
        )
        for c in found
    ]


def _files(
    screen: Screen, brand: Brand, ticket: TicketOut, found: list[CommentOut], links: Links
) -> tuple[dict[str | None, list[File]], dict[str, str | None]]:
    """Files by the comment they came with (None: the ticket's own), and download URLs
    for every file and every `attachment:` reference in the bodies, in one lookup. A
    file its entry's body already links is not listed again."""
    listed = attachments.list_for_ticket(screen.session, screen.actor, brand, ticket.id)
    bodies = [ticket.body or "", *(c.body for c in found)]
    signed = attachments.download_urls(
        screen.session, brand, [a.id for a in listed] + attachment_ids(*bodies), links
    )
    urls = {id_: (s.url if s else None) for id_, s in signed.items()}
    referenced = set(attachment_ids(*bodies))
    by_comment: dict[str | None, list[File]] = {}
    for a in listed:
        if a.status == "UPLOADED" and a.id not in referenced:
            by_comment.setdefault(a.comment_id, []).append(File(a.filename, a.size, urls[a.id]))
    return by_comment, urls


def _view(
    screen: Screen,
    request: Request,
    brand_id: str,
    ticket_id: str,
    *,
    new_ids: frozenset[str] = frozenset(),
    **extra: Any,
) -> dict[str, Any]:
    """Everything the page shows, read through the same services as the API (a fixed
    number of statements, whatever the length of the conversation)."""
    session, actor = screen.session, screen.actor
    brand = screen.brand(brand_id)
    ticket = tickets.get_ticket(session, actor, brand, ticket_id)
    found = comments.list_comments(session, actor, brand, ticket.id)
    files, urls = _files(screen, brand, ticket, found, _links(request))
    others: list[TicketOut] = []
    if ticket.customer_id:
        query = tickets.TicketQuery(customer_id=ticket.customer_id, limit=OTHER_TICKETS + 1)
        others = [
            t for t in tickets.list_tickets(session, actor, brand, query)[0] if t.id != ticket.id
        ]
    return {
        "member": screen.member,
        "brands": screen.brands(),
        "brand": brand,
        "nav": "inbox",
        "ticket": ticket,
        "entries": _conversation(ticket, found, files, urls, new_ids),
        "seen_at": max([ticket.created_at, *(c.created_at for c in found)]).isoformat(),
        "statuses": statuses.list_for_brand(session, brand.id),
        "members": accounts.list_members(session, actor),
        "categories": categories.list_categories(session, brand.id),
        "fields": [f for f in fields.list_fields(session, brand.id, "ticket") if f.show_in_detail],
        "editable_types": EDITABLE_FIELD_TYPES,
        "watchers": watchers.list_watchers(session, actor, brand, ticket.id),
        "others": others[:OTHER_TICKETS],
        **extra,
    }


# --- reading ------------------------------------------------------------------------------


@router.get(PATH)
async def ticket_page(request: Request, brand_id: str, ticket_id: str) -> Response:
    view = await run(request, lambda s: _view(s, request, brand_id, ticket_id))
    return page(request, "ticket/page.html", **view)


@router.get(PATH + "/history")
async def history(
    request: Request, brand_id: str, ticket_id: str, cursor: str | None = None
) -> Response:
    def work(screen: Screen) -> dict[str, Any]:
        brand = screen.brand(brand_id)
        entries, next_cursor = tickets.history(
            screen.session, screen.actor, brand, ticket_id, cursor=cursor, limit=HISTORY_PAGE
        )
        return {"brand": brand, "ticket_id": ticket_id, "log": entries, "next_cursor": next_cursor}

    return page(request, "ticket/_history.html", **await run(request, work))


@router.post(PATH + "/viewers")
async def heartbeat(request: Request, brand_id: str, ticket_id: str) -> Response:
    """The page's heartbeat (every 20 s): marks the member as viewing; the others."""

    def work(screen: Screen) -> dict[str, Any]:
        brand = screen.brand(brand_id)
        return {"viewers": presence.heartbeat(screen.session, screen.actor, brand, ticket_id)}

    return page(request, "ticket/_viewers.html", **await run(request, work, write=True))


@router.post(PATH + "/preview")
async def preview(request: Request, brand_id: str, ticket_id: str) -> Response:
    """The reply's Markdown as the customer's email will show it."""
    form = await request.form()
    text = str(form.get("body") or "")

    def work(screen: Screen) -> Markup:
        tickets.get_ticket(screen.session, screen.actor, screen.brand(brand_id), ticket_id)
        return body_html(text, {})

    html = await run(request, work)
    return HTMLResponse(html or Markup("<p class='muted'>Nothing to preview</p>"))


# --- changing -----------------------------------------------------------------------------


def _command(model: type[M], data: dict[str, Any]) -> M:
    """A service command from form values; a refusal reads like a service's (422)."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"]) or "form"
        message = str(error["msg"]).removeprefix("Value error, ")
        raise ValidationFailed(where, message) from None


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
    who = _performer(entry.performed_by)
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
        return _view(screen, request, brand_id, ticket_id)

    try:
        view = await run(request, work, write=True)
    except WebError as refused:
        if not isinstance(refused.error, VersionConflict):
            raise
        return await _stale(request, brand_id, ticket_id)
    if not is_htmx(request):
        return RedirectResponse(_page_url(brand_id, ticket_id), status_code=303)
    return page(request, "ticket/_changed.html", **view)


def _page_url(brand_id: str, ticket_id: str) -> str:
    return PATH.format(brand_id=brand_id, ticket_id=ticket_id)


async def _stale(request: Request, brand_id: str, ticket_id: str) -> Response:
    """A save from an old version: nothing changed; the ticket as it is now, and who
    changed what meanwhile."""

    def work(screen: Screen) -> dict[str, Any]:
        view = _view(screen, request, brand_id, ticket_id)
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
            _command(TicketChanges, data), expected_version=version,
        )  # fmt: skip

    return await _edit(request, brand_id, ticket_id, change)


@router.post(PATH + "/watchers")
async def add_watcher(request: Request, brand_id: str, ticket_id: str) -> Response:
    form = await request.form()
    member_id = str(form.get("member_id") or "") or None
    email = str(form.get("email") or "").strip() or None

    def change(screen: Screen, brand: Brand) -> None:
        spec = _command(NewWatcher, {"member_id": member_id, "member_email": email})
        watchers.add_watcher(screen.session, screen.actor, brand, ticket_id, spec)

    return await _edit(request, brand_id, ticket_id, change)


@router.post(PATH + "/watchers/remove")
async def remove_watcher(request: Request, brand_id: str, ticket_id: str) -> Response:
    form = await request.form()
    ref = str(form.get("ref") or "")

    def change(screen: Screen, brand: Brand) -> None:
        watchers.remove_watcher(screen.session, screen.actor, brand, ticket_id, ref)

    return await _edit(request, brand_id, ticket_id, change)


# --- replying -----------------------------------------------------------------------------


def _seen_at(form: FormData) -> datetime | None:
    try:
        return datetime.fromisoformat(str(form.get("seen_at") or ""))
    except ValueError:
        return None


def _replied_meanwhile(
    screen: Screen, brand: Brand, ticket_id: str, seen_at: datetime | None
) -> frozenset[str]:
    """Public replies by others written after the newest entry the member saw."""
    if seen_at is None:
        return frozenset()
    found = comments.list_comments(screen.session, screen.actor, brand, ticket_id)
    return frozenset(
        c.id
        for c in found
        if c.created_at > seen_at
        and not c.is_internal
        and c.author_type != SYSTEM
        and (c.author_type == CUSTOMER or c.author_id != screen.actor.member_id)
    )


def _reply_body(body: str, uploads: list[Any]) -> str:
    """The reply with its files referenced as the API's comments do, so the email to
    the customer links them (`[name](attachment:<id>)`)."""
    refs = [f"[{a.filename}](attachment:{a.id})" for a in uploads]
    return "\n\n".join([body.rstrip(), *refs]) if refs else body


@router.post(PATH + "/comments")
async def reply(request: Request, brand_id: str, ticket_id: str) -> Response:
    """Send a reply or an internal note, optionally setting a status with it. A public
    reply written meanwhile by someone else stops it once: it is shown, the draft kept,
    and sending again sends it."""
    form = await request.form()
    body = str(form.get("body") or "")
    set_status = str(form.get("set_status") or "") if form.get("action") == "set" else ""
    wanted = [str(i) for i in form.getlist("attachment_ids")]
    seen_at = _seen_at(form)

    def work(screen: Screen) -> dict[str, Any]:
        session, actor = screen.session, screen.actor
        brand = screen.brand(brand_id)
        newer = _replied_meanwhile(screen, brand, ticket_id, seen_at)
        if newer:
            return _view(screen, request, brand_id, ticket_id, new_ids=newer, replied=True)
        uploads = attachments.pending_uploads(session, brand.id, wanted)
        data = _command(
            NewComment,
            {
                "body": _reply_body(body, uploads),
                "is_internal": form.get("internal") == "on",
                "set_status": set_status or None,
                "source": "web",
            },
        )
        comment = comments.create_comment(session, actor, brand, ticket_id, data)
        if uploads:
            ticket = load_ticket(session, actor, brand, comment.ticket_id, for_update=False)
            attachments.attach_pending(
                session, actor, brand, ticket, uploads, comment_id=comment.id
            )
        return _view(screen, request, brand_id, ticket_id, sent=True)

    view = await run(request, work, write=True)
    if view.get("replied"):
        template = "ticket/_changed.html" if is_htmx(request) else "ticket/page.html"
        return page(request, template, status_code=409, draft=body, **view)
    if not is_htmx(request):
        return RedirectResponse(_page_url(brand_id, ticket_id), status_code=303)
    return page(request, "ticket/_changed.html", **view)


@router.post(PATH + "/uploads")
async def upload(request: Request, brand_id: str, ticket_id: str) -> Response:
    """A file picked or dropped on the reply box: stored as a pending upload (as the
    API's), attached when the reply is sent."""
    config = attachment_config.for_app(request.app)
    form = await request.form(max_files=1)
    try:
        file = form.get("file")
        if not isinstance(file, UploadFile):
            raise WebError(ValidationFailed("file", "Choose a file"))
        sent = attachments.Upload(file.filename or "file", file.content_type or "", file.file)

        def work(screen: Screen) -> dict[str, Any]:
            brand = screen.brand(brand_id)
            tickets.get_ticket(screen.session, screen.actor, brand, ticket_id)
            stored = attachments.upload_pending(screen.session, screen.actor, brand, sent, config)
            return {"upload": stored}

        attachment_config.bind(config)
        return page(request, "ticket/_upload.html", **await run(request, work, write=True))
    finally:
        await form.close()

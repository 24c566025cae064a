"""Replying from the ticket page: replies and internal notes (optionally setting a
status), and the files dropped on the reply box.

A reply carries `seen_at`, the time of the newest entry the member saw: a public reply
written since by someone else is shown and the reply is not sent until the member sends
again (having read it)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from starlette.datastructures import UploadFile
from starlette.responses import RedirectResponse, Response

from dispatch.attachments import config as attachment_config
from dispatch.attachments import service as attachments
from dispatch.brands.models import Brand
from dispatch.comments import service as comments
from dispatch.comments.schemas import NewComment
from dispatch.core.errors import ValidationFailed
from dispatch.tickets import service as tickets
from dispatch.tickets.loading import load_ticket
from dispatch.web.dashboard.ticket.view import (
    PATH,
    by_others_since,
    is_reply,
    page_url,
    parse_seen_at,
    ticket_view,
)
from dispatch.web.runner import Screen, WebError, command, run
from dispatch.web.security import is_htmx
from dispatch.web.templating import page

router = APIRouter(include_in_schema=False)


def _replied_meanwhile(
    screen: Screen, brand: Brand, ticket_id: str, seen_at: datetime | None
) -> frozenset[str]:
    """Public replies by others written after the newest entry the member saw."""
    if seen_at is None:
        return frozenset()
    found = comments.list_comments(screen.session, screen.actor, brand, ticket_id)
    newer = by_others_since(found, seen_at, screen.actor.member_id)
    return frozenset(c.id for c in newer if is_reply(c))


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
    seen_at = parse_seen_at(str(form.get("seen_at") or ""))

    def work(screen: Screen) -> dict[str, Any]:
        session, actor = screen.session, screen.actor
        brand = screen.brand(brand_id)
        newer = _replied_meanwhile(screen, brand, ticket_id, seen_at)
        if newer:
            return ticket_view(screen, request, brand_id, ticket_id, new_ids=newer, replied=True)
        uploads = attachments.pending_uploads(session, brand.id, wanted)
        data = command(
            NewComment,
            body=_reply_body(body, uploads),
            is_internal=form.get("internal") == "on",
            set_status=set_status or None,
            source="web",
        )
        comment = comments.create_comment(session, actor, brand, ticket_id, data)
        if uploads:
            ticket = load_ticket(session, actor, brand, comment.ticket_id, for_update=False)
            attachments.attach_pending(
                session, actor, brand, ticket, uploads, comment_id=comment.id
            )
        return ticket_view(screen, request, brand_id, ticket_id, sent=True)

    view = await run(request, work, write=True)
    if view.get("replied"):
        template = "ticket/_changed.html" if is_htmx(request) else "ticket/page.html"
        return page(request, template, status_code=409, draft=body, **view)
    if not is_htmx(request):
        return RedirectResponse(page_url(brand_id, ticket_id), status_code=303)
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

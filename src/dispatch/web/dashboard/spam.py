"""A brand's spam: its spam tickets (newest activity first, cursor pages) with Restore on
each and the inbox's bulk actions on a selection (Restore among them), and the blocked
senders (whose new tickets arrive as spam): add one by hand, remove one.

Marking a ticket spam blocks its sender and restoring it unblocks them (the spam
domain's rule, for every caller); the list changes by hand only the blocks."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from dispatch.spam import service as spam
from dispatch.tickets import service as tickets
from dispatch.web.dashboard import inbox
from dispatch.web.forms import field_errors
from dispatch.web.listing import QUERY_MAX, redirect_to, shell
from dispatch.web.runner import Screen, WebError, run
from dispatch.web.templating import page

router = APIRouter(include_in_schema=False)

BASE = "/brands/{brand_id}/spam"
PAGE_SIZE = 25


def _spam(screen: Screen, brand_id: str, cursor: str | None, **extra: Any) -> dict[str, Any]:
    brand = screen.brand(brand_id)
    query = tickets.TicketQuery(is_spam=True, sort="updatedAt", cursor=cursor, limit=PAGE_SIZE)
    found, next_cursor = tickets.list_tickets(screen.session, screen.actor, brand, query)
    base = BASE.format(brand_id=brand.id)
    return {
        **shell(screen, brand, "spam"),
        "base": base,
        "tickets": found,
        "next_cursor": next_cursor,
        "cursor": cursor or "",
        "bulk_action": base + "/bulk" + (f"?{urlencode({'cursor': cursor})}" if cursor else ""),
        "spam_list": True,
        "blocked": spam.list_blocked(screen.session, brand),
        "values": {},
        "errors": {},
        **inbox.bulk_choices(screen, brand),
        **extra,
    }


def _notice(request: Request) -> str | None:
    query = request.query_params
    for name, text in (("restored", "Restored {} to the inbox"), ("blocked", "Blocked {}"),
                       ("unblocked", "Unblocked {}")):  # fmt: skip
        if value := query.get(name, "")[:QUERY_MAX]:
            return text.format(value)
    return None


def _is_partial(request: Request) -> bool:
    return request.headers.get("hx-target") == "inbox-results"


@router.get(BASE)
async def spam_page(request: Request, brand_id: str) -> Response:
    cursor = request.query_params.get("cursor") or None
    context = await run(request, lambda s: _spam(s, brand_id, cursor))
    template = "spam/_tickets.html" if _is_partial(request) else "spam/page.html"
    return page(request, template, notice=_notice(request), **context)


@router.post(BASE + "/bulk")
async def bulk(request: Request, brand_id: str) -> Response:
    """The inbox's bulk actions on the selected spam tickets, then the list again with the
    outcome (merging is the inbox's: spam is restored first)."""
    form = inbox.BulkForm.of(await request.form())
    cursor = request.query_params.get("cursor") or None

    def work(screen: Screen) -> dict[str, Any]:
        screen.brand(brand_id)  # the page's brand first: another's is a 404
        notice, failed = inbox.run_bulk(screen, form)
        return {**_spam(screen, brand_id, cursor), "notice": notice, "notice_failed": failed}

    context = await run(request, work, write=True)
    return page(request, "spam/_tickets.html" if _is_partial(request) else "spam/page.html",
                **context)  # fmt: skip


@router.post(BASE + "/{ticket_id}/restore")
async def restore(request: Request, brand_id: str, ticket_id: str) -> Response:
    def work(screen: Screen) -> str:
        brand = screen.brand(brand_id)
        return tickets.set_spam(screen.session, screen.actor, brand, ticket_id, False).public_id

    restored = await run(request, work, write=True)
    return redirect_to(BASE.format(brand_id=brand_id), restored=restored)


@router.post(BASE + "/blocked")
async def block(request: Request, brand_id: str, email: Annotated[str, Form()] = "") -> Response:
    def work(screen: Screen) -> str:
        return spam.block_sender(screen.session, screen.actor, screen.brand(brand_id), email).email

    try:
        blocked = await run(request, work, write=True)
    except WebError as refused:
        errors = field_errors(refused.error, by_code={"sender_blocked": "email"})
        if errors is None:
            raise
        context = await run(
            request, lambda s: _spam(s, brand_id, None, values={"email": email}, errors=errors)
        )
        return page(request, "spam/page.html", status_code=refused.error.status, **context)
    return redirect_to(BASE.format(brand_id=brand_id), blocked=blocked)


@router.post(BASE + "/blocked/{blocked_id}/remove")
async def unblock(request: Request, brand_id: str, blocked_id: str) -> Response:
    def work(screen: Screen) -> str:
        brand = screen.brand(brand_id)
        return spam.unblock_sender(screen.session, screen.actor, brand, blocked_id)

    return redirect_to(
        BASE.format(brand_id=brand_id), unblocked=await run(request, work, write=True)
    )

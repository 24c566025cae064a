"""What the ticket page shows, read through the same services as the API: the ticket,
its conversation with files, and the pickers its forms need."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from fastapi import Request
from markupsafe import Markup

from dispatch.accounts import service as accounts
from dispatch.attachments import service as attachments
from dispatch.attachments.links import Links
from dispatch.brands.models import Brand
from dispatch.categories import loading as categories
from dispatch.comments import service as comments
from dispatch.comments.models import CUSTOMER, SYSTEM
from dispatch.comments.schemas import CommentOut
from dispatch.email.rendering import attachment_ids, body_html
from dispatch.fields import service as fields
from dispatch.statuses import loading as statuses
from dispatch.tickets import service as tickets
from dispatch.tickets.schemas import TicketOut
from dispatch.watchers import service as watchers
from dispatch.web.downloads import links
from dispatch.web.forms import EDITABLE_FIELD_TYPES
from dispatch.web.runner import Screen

PATH = "/brands/{brand_id}/tickets/{ticket_id}"
OTHER_TICKETS = 5


def page_url(brand_id: str, ticket_id: str) -> str:
    return PATH.format(brand_id=brand_id, ticket_id=ticket_id)


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


def _kind(comment: CommentOut) -> str:
    if comment.author_type == SYSTEM:
        return "system"
    return "internal" if comment.is_internal else "public"


def performer(performed_by: dict[str, Any] | None) -> str:
    by = performed_by or {}
    return str(by.get("name") or by.get("email") or by.get("apiKeyPrefix") or "Someone")


def _system_html(comment: CommentOut) -> Markup:
    """'Status changed from Resolved to Open by auto-reopen (customer reply) · Jane'."""
    meta = comment.metadata
    who = performer(meta.get("performedBy"))
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


def parse_seen_at(raw: str) -> datetime | None:
    """The page's `seen_at` (the time of the newest entry it shows); None if unreadable."""
    try:
        seen = datetime.fromisoformat(raw)
    except ValueError:
        return None
    return seen if seen.tzinfo else seen.replace(tzinfo=UTC)


def by_others_since(
    found: list[CommentOut], since: datetime, member_id: str | None
) -> list[CommentOut]:
    """The entries written after `since` by anyone but this member."""
    return [
        c
        for c in found
        if c.created_at > since and (c.author_type == CUSTOMER or c.author_id != member_id)
    ]


def is_reply(comment: CommentOut) -> bool:
    """A public reply (not an internal note, not a system entry)."""
    return not comment.is_internal and comment.author_type != SYSTEM


def ticket_view(
    screen: Screen,
    request: Request,
    brand_id: str,
    ticket_id: str,
    *,
    new_ids: frozenset[str] = frozenset(),
    new_since: datetime | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """Everything the page shows, read through the same services as the API (a fixed
    number of statements, whatever the length of the conversation). Entries in `new_ids`,
    and those by others since `new_since` (a page refreshed live), are marked new; the
    public replies among the latter are `arrived`."""
    session, actor = screen.session, screen.actor
    brand = screen.brand(brand_id)
    ticket = tickets.get_ticket(session, actor, brand, ticket_id)
    found = comments.list_comments(session, actor, brand, ticket.id)
    fresh = by_others_since(found, new_since, actor.member_id) if new_since else []
    new_ids = new_ids | {c.id for c in fresh}
    files, urls = _files(screen, brand, ticket, found, links(request))
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
        "live_url": f"/events?brand={brand.id}",
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
        # Who wrote the new public replies, for the reply box's notice.
        "arrived": list(
            dict.fromkeys(
                c.author_name or c.author_email or "The customer" for c in fresh if is_reply(c)
            )
        ),
        **extra,
    }

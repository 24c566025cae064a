"""Generation: committed outbox events become emails to send (OutboundEmail rows).

The worker's job `generate_from_events` is the outbox's `email` consumer
(`core.consumers`): it claims the oldest events the email channel has not considered yet
(rows another worker holds are skipped), queues their emails and marks them done, all in
the caller's transaction, so every event is turned into its emails exactly once however
many workers run. Emails are written from the current state of the ticket, comment and
contact, not from the event's snapshot: a comment deleted or a contact who turned email
off since is not mailed.

What is sent:
- `comment.created`, a public AGENT comment -> the ticket's contact (kind `comment`),
  unless the contact has `notifyEmail` false or an undeliverable address; cc from the
  comment's `metadata.cc`; from the comment's author name (else the brand's fromName,
  else its name); Reply-To the ticket's reply address. Internal notes never.
- `ticket.created` with source `email` -> the autoresponse (kind `autoresponse`), when the
  brand enables it and the message did not come from a robot: the brand's subject and
  body (reference defaults and placeholders), `Auto-Submitted: auto-replied`; at most one
  per ticket and AUTORESPONSE_LIMIT per address per AUTORESPONSE_WINDOW.
- `ticket.created` already assigned, and `ticket.updated` changing the assignee -> an
  assignment notice to the new assignee (kind `assignment`).
- `notification.requested` (reasons: `ticket_created` -> the customer; `comment`,
  `status_change` -> a watcher; `webhook_disabled` -> an account owner).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch.accounts.models import Member
from dispatch.attachments.links import Links
from dispatch.attachments.repository import downloadable_in_brand
from dispatch.brands.models import Brand
from dispatch.comments.models import Comment
from dispatch.contacts.models import Contact
from dispatch.core import clock, consumers
from dispatch.core.db import insert_rows
from dispatch.core.events import EMAIL, Event
from dispatch.email.addresses import reply_address
from dispatch.email.outbound import compose, repository
from dispatch.email.outbound.compose import Draft
from dispatch.email.outbound.config import attachment_links, resolve
from dispatch.email.rendering import (
    Rendered,
    attachment_ids,
    body_html,
    body_text,
    fill_placeholders,
    render,
)
from dispatch.settings import Settings
from dispatch.tickets.models import Ticket
from dispatch.tickets.status_log import TRIGGER_WORDING

log = logging.getLogger("dispatch.email.notifications")

DEFAULT_AUTORESPONSE_SUBJECT = "We've received your request [{{ticketNumber}}]"
DEFAULT_AUTORESPONSE_BODY = "Thanks for contacting us. We'll reach back out soon! - {{brandName}}"
# What `autoresponse_texts` fills in (the reference's placeholders).
AUTORESPONSE_PLACEHOLDERS = ("ticketNumber", "ticketTitle", "customerName", "brandName")
AUTORESPONSE_LIMIT = 3
AUTORESPONSE_WINDOW = timedelta(hours=1)

COMMENT = "comment"
AUTORESPONSE = compose.AUTORESPONSE
TICKET_CREATED = "ticket_created"
WATCHER_COMMENT = "watcher_comment"
WATCHER_STATUS = "watcher_status"
ASSIGNMENT = "assignment"
WEBHOOK_DISABLED = "webhook_disabled"
ASSIGNEE_FIELDS = frozenset({"assigneeEmail", "assigneeId"})
# Automatic mails that go to the ticket's contact, as part of the conversation.
CUSTOMER_NOTICES = frozenset({AUTORESPONSE, TICKET_CREATED})


@dataclass
class _Context:
    """One batch's shared state: settings, what its events name (read for the whole batch
    in a few queries, not several per event), links built on first use."""

    session: Session
    settings: Settings
    brands: dict[str, Brand | None] = field(default_factory=dict)
    # Each ticket's known Message-IDs (grown as the batch queues emails in its thread).
    threads: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    # (event id, kind, recipient) of the emails the batch's events already yielded.
    queued: set[tuple[str, str, str]] = field(default_factory=set)
    # (ticket id, address) of the autoresponses the batch queued: its rows are not
    # flushed, so the limits' queries do not see them.
    autoresponses: list[tuple[str, str]] = field(default_factory=list)
    # Holds the preloaded rows: the session's identity map keeps only weak references.
    _rows: list[object] = field(default_factory=list)
    _links: Links | None = None

    def preload(self, events: list[Event]) -> None:
        """Read what the events name, so that the handlers' `session.get` find it in the
        identity map: brands, comments, tickets, their contacts, threads, emails."""
        events = [event for event in events if _may_mail(event)]
        ticket_ids: set[str] = {e.ticket_id for e in events if e.ticket_id is not None}
        comment_ids: set[str] = set()
        for event in events:
            data = _data(event)
            named = data.get("id")
            if isinstance(named, str):
                (comment_ids if event.type == "comment.created" else ticket_ids).add(named)
            for key, ids in (("ticketId", ticket_ids), ("commentId", comment_ids)):
                if isinstance(data.get(key), str):
                    ids.add(data[key])
        session = self.session
        brand_ids = {event.brand_id for event in events}
        self.brands = dict.fromkeys(brand_ids)
        for brand in session.scalars(select(Brand).where(Brand.id.in_(brand_ids))):
            self.brands[brand.id] = brand if brand.deleted_at is None else None
        comments = list(session.scalars(select(Comment).where(Comment.id.in_(comment_ids))))
        ticket_ids.update(comment.ticket_id for comment in comments)
        tickets = list(session.scalars(select(Ticket).where(Ticket.id.in_(ticket_ids))))
        customer_ids = {t.customer_id for t in tickets if t.customer_id is not None}
        contacts = list(session.scalars(select(Contact).where(Contact.id.in_(customer_ids))))
        self._rows = [*comments, *tickets, *contacts]
        self.threads = repository.threads_of(session, [t.id for t in tickets])
        self.queued = repository.emails_of_events(session, [event.id for event in events])

    def brand(self, brand_id: str) -> Brand | None:
        """The live brand (preloaded for every event the batch handles)."""
        return self.brands.get(brand_id)

    def thread(self, ticket: Ticket) -> list[tuple[str, str]]:
        if ticket.id not in self.threads:
            self.threads[ticket.id] = repository.thread_ids(self.session, ticket.id)
        return self.threads[ticket.id]

    def links(self) -> Links:
        if self._links is None:
            self._links = attachment_links(self.settings)
        return self._links

    def attachment_urls(self, brand: Brand, *bodies: str) -> dict[str, str | None]:
        wanted = attachment_ids(*bodies)
        if not wanted:
            return {}
        found = {a.id: a for a in downloadable_in_brand(self.session, brand.id, wanted)}
        return {i: self.links().download(found[i]).url if i in found else None for i in wanted}


@dataclass(frozen=True)
class Prepared:
    """A batch's emails made ahead, outside SQLite's write lock (`prepare`): the new rows,
    good for the events at these positions only."""

    positions: tuple[int, ...]
    rows: list[object]


def prepare(session: Session, events: list[Event], settings: Settings | None = None) -> Prepared:
    """The emails of `events`, made in a reading transaction and left out of it: rows for
    `generate_from_events` to write should it claim these very events. On SQLite the
    worker makes them before its write transaction, so the rendering (most of a batch's
    time) does not hold the single write lock that every API write waits behind."""
    _make(session, events, resolve(settings))
    rows = list(session.new)
    for row in rows:
        session.expunge(row)
    return Prepared(tuple(event.position for event in events), rows)


def prepare_next(
    session: Session, *, limit: int = 200, settings: Settings | None = None
) -> Prepared | None:
    """`prepare` the batch `generate_from_events` would claim now (None: nothing waits)."""
    events = consumers.peek(session, EMAIL, limit=limit)
    return prepare(session, events, settings) if events else None


def generate_from_events(
    session: Session,
    *,
    limit: int = 200,
    settings: Settings | None = None,
    prepared: Prepared | None = None,
) -> int:
    """Queue the emails of up to `limit` events not yet considered and mark them
    considered; returns how many events were considered (0: nothing left to do). Flushes,
    never commits: the caller commits, and a rollback leaves the events to a later run.
    With `prepared` (from `prepare_next`) it claims as many events as those rows were
    made for (more may have come since) and, when it got the very same events, writes
    the rows; else another worker took some meanwhile, and the emails are made here."""
    if prepared is not None:
        limit = len(prepared.positions)
    events = consumers.claim(session, EMAIL, limit=limit, data=prepared is None)
    if not events:
        return 0
    if prepared is not None and prepared.positions == tuple(e.position for e in events):
        # Plain rows through their tables: a flush of the objects cost more than all else.
        for kind in dict.fromkeys(type(row) for row in prepared.rows):
            insert_rows(session, [row for row in prepared.rows if type(row) is kind])
    else:
        if prepared is not None:
            consumers.with_data(session, events)
        _make(session, events, resolve(settings))
    consumers.done(session, EMAIL, [e.position for e in events])
    session.flush()
    return len(events)


def _make(session: Session, events: list[Event], settings: Settings) -> None:
    """Add the emails of `events` to the session, unflushed: it only reads, so it may run
    in a reading transaction. An event whose emails cannot be made (a bug, unexpected
    data) is logged and skipped, so it never blocks the events behind it: when anything
    in the batch fails, the batch is made again event by event, a failing event's rows
    dropped."""
    with session.no_autoflush:
        try:
            _handle_all(_Context(session, settings), events)
            return
        except Exception:
            _drop_new(session, keep=set())
        context = _Context(session, settings)
        context.preload(events)
        for event in events:
            before = {id(row) for row in session.new}
            try:
                _handle(context, event)
            except Exception:
                _drop_new(session, keep=before)
                log.exception("event %s (%s): no email generated", event.id, event.type)


def _drop_new(session: Session, *, keep: set[int]) -> None:
    for row in [row for row in session.new if id(row) not in keep]:
        session.expunge(row)


def _handle_all(context: _Context, events: list[Event]) -> None:
    context.preload(events)
    for event in events:
        _handle(context, event)


def _handle(context: _Context, event: Event) -> None:
    handler = HANDLERS.get(event.type)
    if handler is not None and _may_mail(event):
        handler(context, event)


def _may_mail(event: Event) -> bool:
    """Whether the event's own data leaves room for an email (most events yield none: a
    status change, a ticket opened through the API); only those are read about."""
    data = _data(event)
    if event.type == "comment.created":
        return data.get("authorType") == "AGENT" and data.get("isInternal") is False
    if event.type == "ticket.created":
        snapshot = data.get("ticket")
        assigned = isinstance(snapshot, dict) and bool(snapshot.get("assigneeEmail"))
        return data.get("source") == "email" or assigned
    if event.type == "ticket.updated":
        changes = data.get("changes")
        return isinstance(changes, list) and bool(ASSIGNEE_FIELDS.intersection(changes))
    return event.type in HANDLERS


# --- shared -------------------------------------------------------------------------------


def _data(event: Event) -> dict[str, Any]:
    return event.data if isinstance(event.data, dict) else {}


def _ticket(context: _Context, brand: Brand, ticket_id: Any) -> Ticket | None:
    """A live ticket of the brand."""
    if not isinstance(ticket_id, str):
        return None
    ticket = context.session.get(Ticket, ticket_id)
    if ticket is None or ticket.brand_id != brand.id or ticket.deleted_at is not None:
        return None
    return ticket


def _customer(context: _Context, ticket: Ticket) -> Contact | None:
    """The ticket's contact, if mail may go to them: a live contact who has not turned
    email off and whose address has not bounced; never for spam or merged-away tickets."""
    if ticket.is_spam or ticket.merged_into_id is not None or ticket.customer_id is None:
        return None
    contact = context.session.get(Contact, ticket.customer_id)
    if contact is None or contact.deleted_at is not None:
        return None
    if not contact.notify_email or contact.email_undeliverable_at is not None:
        return None
    return contact


def _brand_sender(brand: Brand) -> str:
    return brand.from_name or brand.name


def _common(brand: Brand, ticket: Ticket | None, subject: str) -> dict[str, Any]:
    return {
        "brand_name": brand.name,
        "public_id": brand.public_id(ticket.ticket_number) if ticket is not None else None,
        "title": ticket.title if ticket is not None else None,
        "subject": subject,
    }


def _queue(
    context: _Context, brand: Brand, ticket: Ticket | None, event: Event, draft: Draft
) -> None:
    key = (event.id, draft.kind, draft.to.strip().lower())
    if key in context.queued:
        return  # an event yields each kind of email to each recipient once
    context.queued.add(key)
    if draft.kind == AUTORESPONSE and ticket is not None:
        context.autoresponses.append((ticket.id, key[2]))
    known = context.thread(ticket) if ticket is not None and draft.in_thread else None
    compose.queue(
        context.session, context.settings, brand, ticket, draft, event_id=event.id, known=known
    )


def _automatic(
    context: _Context,
    brand: Brand,
    ticket: Ticket | None,
    event: Event,
    kind: str,
    to: str,
    subject: str,
    body: Rendered,
) -> None:
    """Queue a mail Dispatch sends by itself (`Auto-Submitted: auto-replied`), from the
    brand. To the ticket's contact it is part of the conversation: threaded, with the
    reply address; to team members it is a notice outside it."""
    to_customer = kind in CUSTOMER_NOTICES
    draft = Draft(
        kind=kind,
        to=to,
        subject=subject,
        body=body,
        from_name=_brand_sender(brand),
        reply_to=reply_address(context.settings, brand, ticket)
        if to_customer and ticket is not None
        else None,
        auto_submitted=True,
        in_thread=to_customer,
    )
    _queue(context, brand, ticket, event, draft)


# --- comment.created ----------------------------------------------------------------------


def _comment_created(context: _Context, event: Event) -> None:
    data = _data(event)
    brand = context.brand(event.brand_id)
    if brand is None:
        return
    comment = context.session.get(Comment, data.get("id"))
    if (
        comment is None
        or comment.brand_id != brand.id
        or comment.deleted_at is not None
        or comment.author_type != "AGENT"
        or comment.is_internal
    ):
        return
    ticket = _ticket(context, brand, comment.ticket_id)
    contact = _customer(context, ticket) if ticket is not None else None
    if ticket is None or contact is None:
        return
    urls = context.attachment_urls(brand, comment.body)
    author = comment.author_name or _brand_sender(brand)
    has_thread = bool(context.thread(ticket))
    subject = compose.subject(brand, ticket, reply=has_thread)
    cc = comment.metadata_.get("cc") if isinstance(comment.metadata_, dict) else None
    body = render(
        COMMENT,
        **_common(brand, ticket, subject),
        author_name=author,
        body_text=body_text(comment.body, urls),
        body_html=body_html(comment.body, urls),
    )
    draft = Draft(
        kind=COMMENT,
        to=contact.email,
        subject=subject,
        body=body,
        from_name=author,
        cc=tuple(a for a in cc if isinstance(a, str)) if isinstance(cc, list) else (),
        reply_to=reply_address(context.settings, brand, ticket),
        in_thread=True,
        comment_id=comment.id,
    )
    _queue(context, brand, ticket, event, draft)


# --- ticket.created: autoresponse, assignment ---------------------------------------------


def _ticket_created(context: _Context, event: Event) -> None:
    brand = context.brand(event.brand_id)
    if brand is None:
        return
    ticket = _ticket(context, brand, _data(event).get("id"))
    if ticket is None:
        return
    if ticket.source == "email":
        _autoresponse(context, brand, ticket, event)
    assignee = _current_assignee(_data(event), ticket)
    if assignee is not None:
        _assignment(context, brand, ticket, event, assignee)


def _current_assignee(data: dict[str, Any], ticket: Ticket) -> str | None:
    """The assignee the event's ticket snapshot names, if the ticket still has them (when
    it was reassigned since, only the newer assignment is announced)."""
    snapshot = data.get("ticket")
    assignee = snapshot.get("assigneeEmail") if isinstance(snapshot, dict) else None
    if not isinstance(assignee, str) or not assignee:
        return None
    return assignee if (ticket.assignee_email or "").lower() == assignee.lower() else None


def _from_robot(ticket: Ticket) -> bool:
    """Whether inbound handling found the message automatic (auto-reply, bulk, bounce)."""
    source_data = ticket.source_data or {}
    return bool(source_data.get("autoSubmitted"))


def autoresponse_texts(
    brand: Brand,
    ticket: Ticket,
    customer_name: str,
    *,
    subject_template: str | None,
    body_template: str | None,
) -> tuple[str, str]:
    """The autoresponse's subject and text for a ticket, from the brand's templates (the
    defaults when unset); the dashboard previews the templates being typed with it."""
    values = {
        "ticketNumber": brand.public_id(ticket.ticket_number),
        "ticketTitle": ticket.title,
        "customerName": customer_name,
        "brandName": brand.name,
    }
    subject = compose.with_public_id(
        brand, ticket, fill_placeholders(subject_template or DEFAULT_AUTORESPONSE_SUBJECT, values)
    )
    return subject, fill_placeholders(body_template or DEFAULT_AUTORESPONSE_BODY, values)


def _autoresponse(context: _Context, brand: Brand, ticket: Ticket, event: Event) -> None:
    if not brand.autoresponse_enabled or _from_robot(ticket):
        return
    contact = _customer(context, ticket)
    if contact is None:
        return
    session = context.session
    queued = context.autoresponses
    if any(ticket_id == ticket.id for ticket_id, _to in queued) or (
        repository.has_kind_for_ticket(session, ticket.id, AUTORESPONSE)
    ):
        return
    since = clock.now() - AUTORESPONSE_WINDOW
    address = contact.email.strip().lower()
    earlier = repository.count_kind_to_since(session, AUTORESPONSE, address, since)
    if earlier + sum(to == address for _ticket_id, to in queued) >= AUTORESPONSE_LIMIT:
        log.info("autoresponse to %s skipped: limit reached", contact.email)
        return
    subject, text = autoresponse_texts(
        brand,
        ticket,
        ticket.customer_name or contact.name or "",
        subject_template=brand.autoresponse_subject,
        body_template=brand.autoresponse_body,
    )
    body = render(
        AUTORESPONSE,
        **_common(brand, ticket, subject),
        body_text=text,
        body_html=body_html(text, {}),
    )
    _automatic(context, brand, ticket, event, AUTORESPONSE, contact.email, subject, body)


def _assignment(
    context: _Context, brand: Brand, ticket: Ticket, event: Event, assignee: str
) -> None:
    member = context.session.get(Member, ticket.assignee_id) if ticket.assignee_id else None
    subject = compose.subject(brand, ticket, text=f"Assigned to you: {ticket.title}")
    customer = ticket.customer_name or ticket.customer_email
    if ticket.customer_name and ticket.customer_email:
        customer = f"{ticket.customer_name} <{ticket.customer_email}>"
    body = render(
        ASSIGNMENT,
        **_common(brand, ticket, subject),
        assignee_name=member.name if member is not None else None,
        customer=customer,
        priority=ticket.priority,
    )
    _automatic(context, brand, ticket, event, ASSIGNMENT, assignee, subject, body)


# --- ticket.updated: assignment -----------------------------------------------------------


def _ticket_updated(context: _Context, event: Event) -> None:
    data = _data(event)
    brand = context.brand(event.brand_id)
    ticket = _ticket(context, brand, data.get("id")) if brand is not None else None
    assignee = _current_assignee(data, ticket) if ticket is not None else None
    if brand is None or ticket is None or assignee is None:
        return
    _assignment(context, brand, ticket, event, assignee)


# --- notification.requested ---------------------------------------------------------------


def _notification(context: _Context, event: Event) -> None:
    data = _data(event)
    if data.get("channel", "email") != "email":
        return
    handler = NOTIFICATIONS.get(str(data.get("reason")))
    brand = context.brand(event.brand_id)
    recipient = data.get("recipient")
    if handler is None or brand is None or not isinstance(recipient, str) or not recipient:
        return
    handler(context, brand, event, data, recipient)


def _ticket_created_notice(
    context: _Context, brand: Brand, event: Event, data: dict[str, Any], recipient: str
) -> None:
    ticket = _ticket(context, brand, data.get("ticketId"))
    contact = _customer(context, ticket) if ticket is not None else None
    if ticket is None or contact is None or contact.email != recipient.lower():
        return
    subject = compose.subject(brand, ticket)
    urls = context.attachment_urls(brand, ticket.body or "")
    body = render(
        TICKET_CREATED,
        **_common(brand, ticket, subject),
        customer_name=ticket.customer_name or contact.name,
        body_text=body_text(ticket.body, urls) if ticket.body else "",
        body_html=body_html(ticket.body, urls) if ticket.body else "",
    )
    _automatic(context, brand, ticket, event, TICKET_CREATED, contact.email, subject, body)


def _watcher_comment(
    context: _Context, brand: Brand, event: Event, data: dict[str, Any], recipient: str
) -> None:
    ticket = _ticket(context, brand, data.get("ticketId"))
    comment = context.session.get(Comment, data.get("commentId"))
    if ticket is None or comment is None or comment.deleted_at is not None:
        return
    subject = compose.subject(brand, ticket, text=f"New comment on {ticket.title}")
    urls = context.attachment_urls(brand, comment.body)
    author = comment.author_name or comment.author_email or comment.author_type.title()
    body = render(
        WATCHER_COMMENT,
        **_common(brand, ticket, subject),
        author_name=author,
        is_internal=comment.is_internal,
        body_text=body_text(comment.body, urls),
        body_html=body_html(comment.body, urls),
    )
    _automatic(context, brand, ticket, event, WATCHER_COMMENT, recipient, subject, body)


def _trigger_label(trigger: Any, from_name: str) -> str | None:
    if not isinstance(trigger, str) or not trigger:
        return None
    wording = TRIGGER_WORDING.get(trigger)
    return wording.format(old=from_name) if wording else f"by {trigger}"


def _watcher_status(
    context: _Context, brand: Brand, event: Event, data: dict[str, Any], recipient: str
) -> None:
    ticket = _ticket(context, brand, data.get("ticketId"))
    if ticket is None:
        return
    changes = data.get("changes")
    status = changes.get("status") if isinstance(changes, dict) else None
    status = status if isinstance(status, dict) else {}
    from_name = str(data.get("fromName") or status.get("old") or "")
    to_name = str(data.get("toName") or status.get("new") or "")
    subject = compose.subject(brand, ticket, text=f"Status changed to {to_name}")
    body = render(
        WATCHER_STATUS,
        **_common(brand, ticket, subject),
        from_name=from_name,
        to_name=to_name,
        trigger_label=_trigger_label(data.get("trigger"), from_name),
    )
    _automatic(context, brand, ticket, event, WATCHER_STATUS, recipient, subject, body)


def _webhook_disabled(
    context: _Context, brand: Brand, event: Event, data: dict[str, Any], recipient: str
) -> None:
    url = str(data.get("url") or "")
    subject = f"Webhook disabled: {url}" if url else "A webhook was disabled"
    body = render(
        WEBHOOK_DISABLED,
        **_common(brand, None, subject),
        url=url,
        reason=str(data.get("disabledReason") or "it kept failing"),
    )
    _automatic(context, brand, None, event, WEBHOOK_DISABLED, recipient, subject, body)


Notice = Callable[[_Context, Brand, Event, dict[str, Any], str], None]
NOTIFICATIONS: dict[str, Notice] = {
    "ticket_created": _ticket_created_notice,
    "comment": _watcher_comment,
    "status_change": _watcher_status,
    "webhook_disabled": _webhook_disabled,
}

HANDLERS: dict[str, Callable[[_Context, Event], None]] = {
    "comment.created": _comment_created,
    "ticket.created": _ticket_created,
    "ticket.updated": _ticket_updated,
    "notification.requested": _notification,
}
